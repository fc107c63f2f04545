"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "constituency",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_constituency")),
        sa.UniqueConstraint("name", name=op.f("uq_constituency_name")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("principal", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_table(
        "log_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_entry")),
        sa.UniqueConstraint("scope", "seq", name="uq_log_entry_scope_seq"),
    )
    op.create_table(
        "log_head",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_log_head")),
    )
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("migrant_led", sa.Boolean(), nullable=False),
        sa.Column("grassroots", sa.Boolean(), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
    )
    op.create_table(
        "round",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("phase_seq", sa.Integer(), nullable=False),
        sa.Column("nominations_open_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("nominations_close_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("voting_open_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("voting_close_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=True),
        sa.Column("criteria_hash", sa.String(length=64), nullable=True),
        sa.Column("criteria_envelope", sa.Text(), nullable=True),
        sa.Column("criteria_version", sa.Integer(), nullable=True),
        sa.Column("workflow_id", sa.String(length=100), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("published_at", store.columns.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round")),
    )
    op.create_table(
        "coordinator",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("removed_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_coordinator_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_coordinator_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator")),
    )
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.create_index("ix_coordinator_constituency", ["constituency_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("constituency_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("admitted_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("removed_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_membership_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_membership_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("constituency_id", "organisation_id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index("ix_membership_organisation", ["organisation_id"], unique=False)

    op.create_table(
        "credential",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("constituency_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("coordinator_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_credential_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["coordinator.id"],
            name=op.f("fk_credential_coordinator_id_coordinator"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_credential_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credential_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("credential")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_organisation")

    op.drop_table("membership")
    with op.batch_alter_table("coordinator", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinator_constituency")

    op.drop_table("coordinator")
    op.drop_table("round")
    op.drop_table("organisation")
    op.drop_table("log_head")
    op.drop_table("log_entry")
    op.drop_table("idempotency_record")
    op.drop_table("constituency")
