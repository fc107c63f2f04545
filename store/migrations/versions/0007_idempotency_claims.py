"""idempotency claims: a key is claimed before its request runs, answered when it ends

Revision ID: 0007
Revises: 0006

A row without a status code is a claim in progress: the request that holds it (``claim``) is
still running, or died, in which case the claim expires ``claimed_at`` plus a timeout.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record") as batch:
        batch.alter_column("status_code", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("body", existing_type=sa.Text(), nullable=True)
        batch.add_column(sa.Column("claim", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("claimed_at", store.columns.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Claims in progress have no answer to keep.
    op.execute("DELETE FROM idempotency_record WHERE status_code IS NULL")
    with op.batch_alter_table("idempotency_record") as batch:
        batch.drop_column("claimed_at")
        batch.drop_column("claim")
        batch.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch.alter_column("status_code", existing_type=sa.Integer(), nullable=False)
