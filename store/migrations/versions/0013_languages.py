"""languages: who is written to in which language

Revision ID: 0013
Revises: 0012

- ``organisation.lang``: the language the organisation chose (en, fr, es, ar), for its mail
  and its member tokens' error details; null: none chosen.
- ``campaign.lang``: the language of whoever drafted the campaign, for the notices its contact
  address gets (milestones, the close).
- ``campaign_signature.lang``: the signer's language when they signed, for the confirmation
  code and correction notices.

Rows made before have none: they are written to in English, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("organisation", "campaign", "campaign_signature")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lang", sa.String(length=10), nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lang")
