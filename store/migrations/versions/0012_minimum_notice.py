"""minimum notice: a round's least times to act, frozen into its criteria at publication

Revision ID: 0012
Revises: 0011

- ``round.minimum_notice``: what the draft sets (seconds per window, ``policies.notice``), and
  from publication on the minimums in force (the deployment's defaults under the draft's).
  Null on rounds published before minimums existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("minimum_notice", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round") as batch:
        batch.drop_column("minimum_notice")
