"""withdrawals: when a nomination or an endorsement was withdrawn

Revision ID: 0015
Revises: 0014

- ``nomination.withdrawn_at``: the organisation that made it withdrew it (store/withdrawals.py).
- ``endorsement.withdrawn_at``: the endorsing organisation withdrew its endorsement.

A nominee's withdrawn consent is ``nomination.consent = 'withdrawn'``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nomination") as batch:
        batch.add_column(sa.Column("withdrawn_at", store.columns.UTCDateTime(), nullable=True))
    with op.batch_alter_table("endorsement") as batch:
        batch.add_column(sa.Column("withdrawn_at", store.columns.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endorsement") as batch:
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("nomination") as batch:
        batch.drop_column("withdrawn_at")
