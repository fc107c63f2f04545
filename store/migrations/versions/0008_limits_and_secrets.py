"""limits and secrets: rate-limit counters, organisations' name keys, keyed codes, sealed secrets

Revision ID: 0008
Revises: 0007

- ``rate_limit``: the counters of the rate limits and mail budgets (store/rate_limits.py).
- ``organisation.name_key``: country and folded name (policies/signatories.py), so that a second
  registration of one organisation, or a signature under a registered organisation's name, is
  found by an index. Organisations registered twice before this revision keep both rows.
- Confirmation codes are now HMACs under the server secret, which a migration does not hold:
  pending codes stored as plain SHA-256 are dropped. Their signatures stay pending; the signer
  asks for a new code (``POST /v1/signatures/{id}/code``), or the signature lapses as before.
- Stored idempotent answers were kept in the clear, with request fingerprints no longer used:
  they are deleted. A request repeated with an old Idempotency-Key runs again.
- ``webhook.secret`` becomes wide enough for a sealed secret; the secrets stored in the clear
  are sealed by ``mandate bootstrap`` and at each worker's start (store/webhooks.py), which hold
  the server secret.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.columns
from policies.errors import InvalidInput
from policies.signatories import organisation_key

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_organisation = sa.table(
    "organisation",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("country", sa.String),
    sa.column("name_key", sa.String),
)


def _key(name: str, country: str) -> str:
    try:
        return organisation_key(name, country)
    except InvalidInput:  # a name with no letters or digits: kept as it is
        return f"{country.upper()}:{name}"


def upgrade() -> None:
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
    )
    op.create_index("ix_rate_limit_expires_at", "rate_limit", ["expires_at"])

    op.add_column("organisation", sa.Column("name_key", sa.String(length=400), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(
        sa.select(_organisation.c.id, _organisation.c.name, _organisation.c.country)
    ).all():
        conn.execute(
            _organisation.update()
            .where(_organisation.c.id == row.id)
            .values(name_key=_key(row.name, row.country))
        )
    with op.batch_alter_table("organisation") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=400), nullable=False)
    op.create_index("ix_organisation_name_key", "organisation", ["name_key"])

    op.execute("UPDATE campaign_signature SET code_hash = NULL WHERE state = 'pending'")
    op.execute("DELETE FROM idempotency_record")
    with op.batch_alter_table("webhook") as batch:
        batch.alter_column(
            "secret", existing_type=sa.String(length=100), type_=sa.Text(), nullable=False
        )


def downgrade() -> None:
    # Sealed webhook secrets stay sealed (a migration holds no server secret), in a wide column.
    op.drop_index("ix_organisation_name_key", table_name="organisation")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("name_key")
    op.drop_index("ix_rate_limit_expires_at", table_name="rate_limit")
    op.drop_table("rate_limit")
