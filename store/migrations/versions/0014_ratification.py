"""ratification: a constituency's draft rules put to its members before publication

Revision ID: 0014
Revises: 0013

- ``round.ratification_threshold``: percent of each constituency's member organisations who
  must approve its rules before the round is published (null or 0: none asked).
- ``rules_ratification``: the rules version put to the members, and the secretariat's override.
- ``rules_approval``: each member organisation's latest answer (approve, comment).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("ratification_threshold", sa.Integer(), nullable=True))
    op.create_table(
        "rules_ratification",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=True),
        sa.Column("opened_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=36), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_rules_ratification_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_rules_ratification_constituency_id_constituency"),
        ),
        sa.PrimaryKeyConstraint("round_id", "constituency_id", name=op.f("pk_rules_ratification")),
    )
    op.create_table(
        "rules_approval",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("approve", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_rules_approval_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_rules_approval_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_rules_approval_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "constituency_id", "organisation_id", name=op.f("pk_rules_approval")
        ),
    )


def downgrade() -> None:
    op.drop_table("rules_approval")
    op.drop_table("rules_ratification")
    with op.batch_alter_table("round") as batch:
        batch.drop_column("ratification_threshold")
