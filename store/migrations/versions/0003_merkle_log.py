"""merkle log: envelopes, tree nodes, checkpoints, key list, receipts

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("log_entry") as batch:
        batch.add_column(sa.Column("envelope", sa.Text(), nullable=True))
        batch.add_column(sa.Column("leaf_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("idx", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint(op.f("uq_log_entry_idx"), ["idx"])
    op.create_index("ix_log_entry_leaf_hash", "log_entry", ["leaf_hash"], unique=False)
    with op.batch_alter_table("idempotency_record") as batch:
        batch.add_column(sa.Column("receipts", sa.Text(), nullable=True))
    op.create_table(
        "tree_node",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_tree_node")),
    )
    op.create_table(
        "log_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_state")),
    )
    op.create_table(
        "checkpoint",
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_checkpoint")),
    )
    op.create_table(
        "signing_key",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.String(length=40), nullable=False),
        sa.Column("valid_until", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_signing_key")),
    )


def downgrade() -> None:
    op.drop_table("signing_key")
    op.drop_table("checkpoint")
    op.drop_table("log_state")
    op.drop_table("tree_node")
    with op.batch_alter_table("idempotency_record") as batch:
        batch.drop_column("receipts")
    op.drop_index("ix_log_entry_leaf_hash", table_name="log_entry")
    with op.batch_alter_table("log_entry") as batch:
        batch.drop_constraint(op.f("uq_log_entry_idx"), type_="unique")
        batch.drop_column("idx")
        batch.drop_column("leaf_hash")
        batch.drop_column("envelope")
