"""selection

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("voter_organisation_id", sa.String(length=36), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("cast_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_ballot_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_ballot_round_id_round")),
        sa.ForeignKeyConstraint(
            ["voter_organisation_id"],
            ["organisation.id"],
            name=op.f("fk_ballot_voter_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ballot_round_constituency_voter",
            ["round_id", "constituency_id", "voter_organisation_id"],
            unique=False,
        )

    op.create_table(
        "constituency_rules",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=False),
        sa.Column("updated_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_constituency_rules_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_constituency_rules_round_id_round")
        ),
        sa.PrimaryKeyConstraint("round_id", "constituency_id", name=op.f("pk_constituency_rules")),
    )
    op.create_table(
        "nomination",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("nominee_name", sa.String(length=300), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("nominated_by", sa.String(length=36), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("consent_token_hash", sa.String(length=64), nullable=False),
        sa.Column("consent", sa.String(length=20), nullable=False),
        sa.Column("consent_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("rejection_code", sa.String(length=100), nullable=True),
        sa.Column("rejection_text", sa.Text(), nullable=True),
        sa.Column("rejected_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("standing", sa.Boolean(), nullable=True),
        sa.Column("not_standing_reason", sa.Text(), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_nomination_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_nomination_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_nomination_round_id_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination")),
    )
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.create_index(
            "ix_nomination_round_constituency", ["round_id", "constituency_id"], unique=False
        )

    op.create_table(
        "outcome",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_outcome_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_outcome_round_id_round")),
        sa.PrimaryKeyConstraint("round_id", "constituency_id", name=op.f("pk_outcome")),
    )
    op.create_table(
        "endorsement",
        sa.Column("nomination_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nomination.id"],
            name=op.f("fk_endorsement_nomination_id_nomination"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_endorsement_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("nomination_id", "organisation_id", name=op.f("pk_endorsement")),
    )


def downgrade() -> None:
    op.drop_table("endorsement")
    op.drop_table("outcome")
    with op.batch_alter_table("nomination", schema=None) as batch_op:
        batch_op.drop_index("ix_nomination_round_constituency")

    op.drop_table("nomination")
    op.drop_table("constituency_rules")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index("ix_ballot_round_constituency_voter")

    op.drop_table("ballot")
