"""sealed ballots: each ballot's commitment and salt; a secret ballot's voter unlinked at close

Revision ID: 0010
Revises: 0009

- ``ballot.commitment``: SHA-256 of the ballot's contents and salt, the only thing the log
  holds of it while voting is open (``records.ballot_seal``); null on ballots cast before
  ballots were sealed.
- ``ballot.salt``: the random salt (base64) that the opening at the close publishes.
- ``ballot.voter_organisation_id`` becomes nullable: under a secret ballot the close deletes
  the link between a ballot and its voter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("commitment", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("salt", sa.String(length=64), nullable=True))
        batch.alter_column("voter_organisation_id", existing_type=sa.String(36), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.alter_column("voter_organisation_id", existing_type=sa.String(36), nullable=False)
        batch.drop_column("salt")
        batch.drop_column("commitment")
