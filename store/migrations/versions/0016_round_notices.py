"""round notices: the notice log of rounds, round webhooks and their outbox

Revision ID: 0016
Revises: 0015

- ``round_notice``: every notice of a round (who, what, when), queued with what caused it and
  handed to the mail outbox when due; reminders wait there until their time
  (store/round_notices.py).
- ``round_webhook``: a constituency's webhooks (Standard Webhooks; the secret sealed).
- ``webhook_outbox``: their deliveries, retried with a growing pause.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_notice",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("constituency_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("organisation_id", sa.String(36), nullable=True),
        sa.Column("person", sa.String(100), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("to_address", sa.String(320), nullable=True),
        sa.Column("lang", sa.String(10), nullable=False),
        sa.Column("params", sa.Text(), nullable=True),
        sa.Column("condition", sa.String(30), nullable=True),
        sa.Column("deadline", sa.String(30), nullable=True),
        sa.Column("before_seconds", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("due_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("released_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("skipped_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("skip_reason", sa.String(50), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_round_notice_round_id_round")
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_round_notice_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_round_notice_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_notice")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_round_notice_dedup_key")),
    )
    op.create_index("ix_round_notice_round", "round_notice", ["round_id"])
    op.create_index("ix_round_notice_waiting", "round_notice", ["released_at", "due_at"])
    op.create_table(
        "round_webhook",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("constituency_id", sa.String(36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("removed_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_round_webhook_constituency_id_constituency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_webhook")),
    )
    op.create_table(
        "webhook_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("round_id", sa.String(36), nullable=False),
        sa.Column("event_type", sa.String(50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("sent_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("failed_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["round_webhook.id"],
            name=op.f("fk_webhook_outbox_webhook_id_round_webhook"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["round.id"], name=op.f("fk_webhook_outbox_round_id_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_webhook_outbox_message_id")),
    )
    op.create_index("ix_webhook_outbox_waiting", "webhook_outbox", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_outbox_waiting", table_name="webhook_outbox")
    op.drop_table("webhook_outbox")
    op.drop_table("round_webhook")
    op.drop_index("ix_round_notice_waiting", table_name="round_notice")
    op.drop_index("ix_round_notice_round", table_name="round_notice")
    op.drop_table("round_notice")
