"""sign-on campaigns, notices and their delivery log

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_constituency_id", sa.String(length=36), nullable=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("signers", sa.String(length=20), nullable=False),
        sa.Column("constituencies", sa.JSON(), nullable=False),
        sa.Column("opens_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("closes_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=300), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=False),
        sa.Column("phase_seq", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("statement_hash", sa.String(length=64), nullable=True),
        sa.Column("workflow_id", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("published_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_constituency_id"],
            ["constituency.id"],
            name=op.f("fk_campaign_owner_constituency_id_constituency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
    )
    op.create_table(
        "campaign_tally",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_campaign_tally_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_campaign_tally")),
    )
    op.create_table(
        "campaign_milestone",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reached_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_milestone_campaign_id_campaign"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", "threshold", name=op.f("pk_campaign_milestone")),
    )
    op.create_table(
        "campaign_signature",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=True),
        sa.Column("constituency_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("org_type", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("dedup_key", sa.String(length=400), nullable=True),
        sa.Column("signer_name", sa.String(length=300), nullable=True),
        sa.Column("signer_role", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
        sa.Column("signer_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_signature_campaign_id_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["constituency_id"],
            ["constituency.id"],
            name=op.f("fk_campaign_signature_constituency_id_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_campaign_signature_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_signature")),
        sa.UniqueConstraint("campaign_id", "dedup_key", name="uq_campaign_signature_dedup"),
        sa.UniqueConstraint(
            "campaign_id", "organisation_id", name="uq_campaign_signature_organisation"
        ),
    )
    op.create_index("ix_campaign_signature_state", "campaign_signature", ["campaign_id", "state"])

    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=50), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("failed_at", store.columns.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_mail_outbox_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_mail_outbox_dedup_key")),
    )
    op.create_index("ix_mail_outbox_waiting", "mail_outbox", ["sent_at", "next_attempt_at"])

    op.create_table(
        "signatory_record",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_signatory_record_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_signatory_record")),
    )
    op.create_table(
        "statement_version",
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("statement_hash", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("published_by", sa.String(length=36), nullable=False),
        sa.Column("published_at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_statement_version_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "version", name=op.f("pk_statement_version")),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("removed_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_webhook_campaign_id_campaign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("campaign_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("at", store.columns.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_webhook_delivery_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhook.id"], name=op.f("fk_webhook_delivery_webhook_id_webhook")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index("ix_webhook_delivery_campaign", "webhook_delivery", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_campaign", table_name="webhook_delivery")

    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
    op.drop_table("statement_version")
    op.drop_table("signatory_record")
    op.drop_index("ix_mail_outbox_waiting", table_name="mail_outbox")

    op.drop_table("mail_outbox")
    op.drop_index("ix_campaign_signature_state", table_name="campaign_signature")

    op.drop_table("campaign_signature")
    op.drop_table("campaign_milestone")
    op.drop_table("campaign_tally")
    op.drop_table("campaign")
