"""web sessions: one-time sign-in links and people's sessions on the web pages

Revision ID: 0009
Revises: 0008

- ``web_sign_in``: a mailed sign-in link's token (SHA-256), the address it was sent to, its
  language, when it expires and when it was used (store/web_sessions.py).
- ``web_session``: a session cookie's token (SHA-256), the credential it acts with, whether
  that credential was issued for it (signing out revokes it then), when it expires and ends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sign_in",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("used_at", store.columns.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sign_in_token_hash")),
    )
    op.create_index("ix_web_sign_in_expires_at", "web_sign_in", ["expires_at"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("own_credential", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=True),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.columns.UTCDateTime(), nullable=False),
        sa.Column("ended_at", store.columns.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credential.id"],
            name=op.f("fk_web_session_credential_id_credential"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("web_session")
    op.drop_index("ix_web_sign_in_expires_at", table_name="web_sign_in")
    op.drop_table("web_sign_in")
