"""every selection method: ranked ballots, commit-reveal randomness, beacon values, designation

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _selection() -> list[sa.Column[str]]:
    return [
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
    ]


def _selection_keys(table: str) -> list[sa.ForeignKeyConstraint]:
    return [
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f(f"fk_{table}_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f(f"fk_{table}_constituency_id_constituency"),
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("ranking", sa.JSON(), nullable=True))
    op.create_table(
        "randomness_commitment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_selection(),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("committed_at", store.columns.UTCDateTime(), nullable=False),
        *_selection_keys("randomness_commitment"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomness_commitment")),
    )
    op.create_index(
        "ix_randomness_commitment_selection",
        "randomness_commitment",
        ["round_id", "constituency_id"],
    )
    op.create_table(
        "randomness_reveal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_selection(),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("revealed_at", store.columns.UTCDateTime(), nullable=False),
        *_selection_keys("randomness_reveal"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomness_reveal")),
    )
    op.create_index(
        "ix_randomness_reveal_selection", "randomness_reveal", ["round_id", "constituency_id"]
    )
    op.create_table(
        "beacon_value",
        *_selection(),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("beacon_round", sa.BigInteger(), nullable=False),
        sa.Column("randomness", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("recorded_at", store.columns.UTCDateTime(), nullable=False),
        *_selection_keys("beacon_value"),
        sa.PrimaryKeyConstraint("round_id", "constituency_id", name=op.f("pk_beacon_value")),
    )
    op.create_table(
        "designation_decision",
        *_selection(),
        sa.Column("decision_hash", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_at", store.columns.UTCDateTime(), nullable=False),
        *_selection_keys("designation_decision"),
        sa.PrimaryKeyConstraint(
            "round_id", "constituency_id", "decision_hash", name=op.f("pk_designation_decision")
        ),
    )
    op.create_table(
        "designation_approval",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        *_selection(),
        sa.Column("coordinator", sa.String(length=100), nullable=False),
        sa.Column("decision_hash", sa.String(length=64), nullable=False),
        sa.Column("approved_at", store.columns.UTCDateTime(), nullable=False),
        *_selection_keys("designation_approval"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_designation_approval")),
    )
    op.create_index(
        "ix_designation_approval_selection",
        "designation_approval",
        ["round_id", "constituency_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_designation_approval_selection", table_name="designation_approval")
    op.drop_table("designation_approval")
    op.drop_table("designation_decision")
    op.drop_table("beacon_value")
    op.drop_index("ix_randomness_reveal_selection", table_name="randomness_reveal")
    op.drop_table("randomness_reveal")
    op.drop_index("ix_randomness_commitment_selection", table_name="randomness_commitment")
    op.drop_table("randomness_commitment")
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("ranking")
