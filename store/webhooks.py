"""Webhooks a campaign's managers register, and the log of every delivery attempt.

A webhook's signing secret is shown once and stored sealed under the server secret
(store/sealing.py): every delivery's HMAC needs it back, a database dump must not show it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update

from policies.errors import NotFound
from policies.messages import N_
from store import audit
from store.db import server_secret, utcnow
from store.ids import new_id
from store.tables import webhook, webhook_delivery

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
EVENTS = ("campaign.milestone", "campaign.closed")


def register(
    conn: Connection, campaign_id: str, url: str, events: list[str], actor: str
) -> tuple[RowMapping, str]:
    """A new webhook and its signing secret (shown once)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    wid = new_id()
    conn.execute(
        webhook.insert().values(
            id=wid,
            campaign_id=campaign_id,
            url=url,
            secret=server_secret(conn).seal(secret, _where(wid)),
            events=sorted(set(events)),
            created_by=actor,
            created_at=utcnow(),
        )
    )
    # The address stays private: it may name a partner's internal system.
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "webhook.registered",
        {"webhook_id": wid, "events": sorted(set(events))},
        actor,
    )
    return get(conn, campaign_id, wid), secret


def _where(webhook_id: str) -> str:
    return f"webhook.secret/{webhook_id}"


def signing_secret(conn: Connection, row: RowMapping) -> str:
    """The secret a delivery is signed with."""
    return server_secret(conn).open(row["secret"], _where(row["id"]))


def seal_clear_secrets(conn: Connection) -> int:
    """Seal secrets stored in the clear before they were sealed (migration 0008 could not: it
    has no server secret); run at bootstrap and at each worker's start."""
    rows = conn.execute(select(webhook.c.id, webhook.c.secret)).all()
    clear = [r for r in rows if r.secret.startswith(SECRET_PREFIX)]
    box = server_secret(conn)
    for r in clear:
        conn.execute(
            update(webhook)
            .where(webhook.c.id == r.id)
            .values(secret=box.seal(r.secret, _where(r.id)))
        )
    return len(clear)


def get(conn: Connection, campaign_id: str, webhook_id: str) -> RowMapping:
    row = conn.execute(
        select(webhook).where(webhook.c.id == webhook_id, webhook.c.campaign_id == campaign_id)
    ).first()
    if row is None:
        raise NotFound(
            N_("campaign %(campaign_id)s has no webhook %(webhook_id)s"),
            campaign_id=campaign_id,
            webhook_id=webhook_id,
        )
    return row._mapping


def active(conn: Connection, campaign_id: str, event_type: str | None = None) -> list[RowMapping]:
    rows = conn.execute(
        select(webhook)
        .where(webhook.c.campaign_id == campaign_id, webhook.c.removed_at.is_(None))
        .order_by(webhook.c.created_at, webhook.c.id)
    )
    return [r._mapping for r in rows if event_type is None or event_type in r.events]


def remove(conn: Connection, campaign_id: str, webhook_id: str, actor: str) -> RowMapping:
    row = get(conn, campaign_id, webhook_id)
    if row["removed_at"] is None:
        conn.execute(update(webhook).where(webhook.c.id == webhook_id).values(removed_at=utcnow()))
        audit.append(
            conn,
            audit.campaign_scope(campaign_id),
            "webhook.removed",
            {"webhook_id": webhook_id},
            actor,
        )
    return get(conn, campaign_id, webhook_id)


def log_attempt(
    conn: Connection,
    *,
    webhook_id: str,
    campaign_id: str,
    event_id: str,
    event_type: str,
    attempt: int,
    status_code: int | None,
    error: str | None,
    delivered: bool,
    at: datetime,
) -> None:
    conn.execute(
        webhook_delivery.insert().values(
            webhook_id=webhook_id,
            campaign_id=campaign_id,
            event_id=event_id,
            event_type=event_type,
            attempt=attempt,
            status_code=status_code,
            error=None if error is None else error[:2000],
            delivered=delivered,
            at=at,
        )
    )


def deliveries(conn: Connection, campaign_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(webhook_delivery)
        .where(webhook_delivery.c.campaign_id == campaign_id)
        .order_by(webhook_delivery.c.id)
    )
    return [r._mapping for r in rows]
