"""seats: acceptance of the seats an outcome gives, and their substitutions

Revision ID: 0017
Revises: 0016

- ``seat_state``: one row per constituency of a decided round once its seats are offered: the
  hash the next amendment names (the outcome's, then the last ``outcome.amended``'s) and when
  every seat was accepted or left empty (store/seats.py).
- ``seat_offer``: each offer of a seat, with its deadline and its answer (accepted, declined,
  lapsed); a seat no alternate can take is a row without a nomination (``empty``).

Rounds decided before have neither: their outcomes stand as published.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seat_state",
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("opened_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_seat_state_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_seat_state_constituency_id_constituency"),
        ),
        sa.PrimaryKeyConstraint("round_id", "constituency_id", name=op.f("pk_seat_state")),
    )
    op.create_table(
        "seat_offer",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("nomination_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("offered_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("deadline", store.columns.UTCDateTime(), nullable=True),
        sa.Column("answered_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_seat_offer_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_seat_offer_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nomination.id"],
            name=op.f("fk_seat_offer_nomination_id_nomination"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_offer")),
    )
    op.create_index(
        "ix_seat_offer_round_constituency",
        "seat_offer",
        ["round_id", "constituency_id"],
        unique=False,
    )
    op.create_index("ix_seat_offer_nomination", "seat_offer", ["nomination_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_seat_offer_nomination", table_name="seat_offer")
    op.drop_index("ix_seat_offer_round_constituency", table_name="seat_offer")
    op.drop_table("seat_offer")
    op.drop_table("seat_state")
