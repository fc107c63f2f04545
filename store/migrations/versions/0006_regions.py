"""regions: the published region list, organisations' regions mapped onto it, deferred log entries

Revision ID: 0006
Revises: 0005

Seeds the default list (UN M49 regions and sub-regions). Every organisation whose region is not
in it gets the M49 region of its country. A migration cannot sign log entries, so the list and
each changed region are left in ``deferred_log_entry``; ``mandate bootstrap`` and the worker's
start log them (``store.deferred_log``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import store.columns
from policies.regions import DEFAULT_REGIONS, is_country, region_of

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

REGISTRY = "registry"

_region = sa.table(
    "region",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("parent", sa.String),
    sa.column("position", sa.Integer),
)
_deferred = sa.table(
    "deferred_log_entry",
    sa.column("scope", sa.String),
    sa.column("type", sa.String),
    sa.column("actor", sa.String),
    sa.column("data", sa.JSON),
    sa.column("created_at", store.columns.UTCDateTime),
)
_organisation = sa.table(
    "organisation",
    sa.column("id", sa.String),
    sa.column("country", sa.String),
    sa.column("region", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )
    op.create_table(
        "deferred_log_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", store.columns.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_log_entry")),
    )
    # A member's region is its organisation's, and region codes are longer than M49's names.
    with op.batch_alter_table("campaign_signature") as batch:
        batch.alter_column(
            "region",
            existing_type=sa.String(length=20),
            type_=sa.String(length=100),
            existing_nullable=False,
        )

    now = datetime.now(UTC)
    conn = op.get_bind()
    conn.execute(
        _region.insert(),
        [
            {"code": r.code, "name": r.name, "parent": r.parent, "position": i}
            for i, r in enumerate(DEFAULT_REGIONS)
        ],
    )
    codes = [r.code for r in DEFAULT_REGIONS]
    owed = [
        {
            "scope": REGISTRY,
            "type": "regions.published",
            "actor": None,
            "data": {
                "regions": [r.to_json() for r in DEFAULT_REGIONS],
                "added": sorted(codes),
                "removed": [],
                "reason": "the default list: the UN M49 regions and sub-regions",
            },
            "created_at": now,
        }
    ]
    rows = conn.execute(
        sa.select(_organisation.c.id, _organisation.c.country, _organisation.c.region)
        .where(_organisation.c.region.not_in(codes))
        .order_by(_organisation.c.id)
    ).all()
    for org in rows:
        if not is_country(org.country):
            continue  # no region to give it; it keeps its own until it is corrected
        new = region_of(org.country)
        conn.execute(_organisation.update().where(_organisation.c.id == org.id).values(region=new))
        owed.append(
            {
                "scope": REGISTRY,
                "type": "organisation.region_changed",
                "actor": None,
                "data": {
                    "organisation_id": org.id,
                    "country": org.country,
                    "from": org.region,
                    "to": new,
                    "reason": f"{org.region!r} is not in the region list; the M49 region of "
                    f"its country ({org.country})",
                },
                "created_at": now,
            }
        )
    conn.execute(_deferred.insert(), owed)


def downgrade() -> None:
    # The organisations keep their new regions: the old ones are in the log.
    with op.batch_alter_table("campaign_signature") as batch:
        batch.alter_column(
            "region",
            existing_type=sa.String(length=100),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
    op.drop_table("deferred_log_entry")
    op.drop_table("region")
