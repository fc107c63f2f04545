"""erasable profiles: nominees' profiles committed to in the log, contact data erasable

Revision ID: 0011
Revises: 0010

- ``nomination.nominee_name`` becomes nullable: erasing a nomination's personal data deletes it.
- ``nomination.nominee_email``: the nominee's contact address, kept in the database only.
- ``nomination.profile_commitment`` and ``nomination.profile_salt``: the salted commitment to
  the nominee's name, statement and attributes that the log holds instead of the profile
  (``records.profile_seal``), and its salt; null on nominations logged in clear before.
- ``nomination.erased_at`` and ``campaign_signature.erased_at``: when personal data were
  erased (``store.erasure``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nomination") as batch:
        batch.alter_column("nominee_name", existing_type=sa.String(300), nullable=True)
        batch.add_column(sa.Column("nominee_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("profile_commitment", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("profile_salt", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("erased_at", store.columns.UTCDateTime(), nullable=True))
    with op.batch_alter_table("campaign_signature") as batch:
        batch.add_column(sa.Column("erased_at", store.columns.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_signature") as batch:
        batch.drop_column("erased_at")
    # Erased nominations have no name: a marker keeps the column's old constraint.
    op.execute("UPDATE nomination SET nominee_name = '(erased)' WHERE nominee_name IS NULL")
    with op.batch_alter_table("nomination") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("profile_salt")
        batch.drop_column("profile_commitment")
        batch.drop_column("nominee_email")
        batch.alter_column("nominee_name", existing_type=sa.String(300), nullable=False)
