"""Webhooks of a constituency's rounds, in the Standard Webhooks format, and their outbox.

A coordinator of the constituency (or the secretariat) registers an address; its signing
secret (``whsec_`` and base64 of 32 random bytes, as Standard Webhooks' libraries read it) is
shown once and stored sealed under the server secret. Each round notice to the constituency's
members queues one event per webhook in ``webhook_outbox``, in the transaction of the notice;
the mail outbox's sender posts them (activities/notices.py) and tries a failed one again later
with a growing pause, as it does mail.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from policies.errors import NotFound
from policies.messages import N_
from policies.times import iso
from store import audit
from store.db import server_secret, utcnow
from store.ids import new_id
from store.outbox import FIRST_PAUSE, LONGEST_PAUSE, MAX_ATTEMPTS
from store.tables import round_webhook, webhook_outbox
from store.upsert import insert_ignore

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def _where(webhook_id: str) -> str:
    return f"round_webhook.secret/{webhook_id}"


def register(
    conn: Connection, constituency_id: str, url: str, actor: str
) -> tuple[RowMapping, str]:
    """A new webhook of the constituency and its signing secret (shown once)."""
    secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
    wid = new_id()
    conn.execute(
        round_webhook.insert().values(
            id=wid,
            constituency_id=constituency_id,
            url=url,
            secret=server_secret(conn).seal(secret, _where(wid)),
            created_by=actor,
            created_at=utcnow(),
        )
    )
    # The address stays private: it may name a member's internal system.
    audit.append(
        conn,
        audit.REGISTRY,
        "round_webhook.registered",
        {"webhook_id": wid, "constituency_id": constituency_id},
        actor,
    )
    return get(conn, constituency_id, wid), secret


def get(conn: Connection, constituency_id: str, webhook_id: str) -> RowMapping:
    row = conn.execute(
        select(round_webhook).where(
            round_webhook.c.id == webhook_id, round_webhook.c.constituency_id == constituency_id
        )
    ).first()
    if row is None:
        raise NotFound(
            N_("constituency %(constituency_id)s has no webhook %(webhook_id)s"),
            constituency_id=constituency_id,
            webhook_id=webhook_id,
        )
    return row._mapping


def remove(conn: Connection, constituency_id: str, webhook_id: str) -> RowMapping:
    get(conn, constituency_id, webhook_id)
    conn.execute(
        update(round_webhook)
        .where(round_webhook.c.id == webhook_id, round_webhook.c.removed_at.is_(None))
        .values(removed_at=utcnow())
    )
    return get(conn, constituency_id, webhook_id)


def queue_event(
    conn: Connection,
    *,
    round_id: str,
    constituency_id: str,
    event_type: str,
    data: Mapping[str, Any],
    message_id: str,
    now: datetime | None = None,
) -> int:
    """One delivery per active webhook of the constituency; a repeated ``message_id`` queues
    nothing more."""
    now = now or utcnow()
    hooks = conn.execute(
        select(round_webhook.c.id).where(
            round_webhook.c.constituency_id == constituency_id,
            round_webhook.c.removed_at.is_(None),
        )
    ).all()
    made = 0
    for hook in hooks:
        payload = {
            "type": event_type,
            "timestamp": iso(now),
            "data": {"round_id": round_id, "constituency_id": constituency_id, **data},
        }
        row = conn.execute(
            insert_ignore(
                conn,
                webhook_outbox,
                {
                    "message_id": f"msg_{message_id}:{hook.id}"[:200],
                    "webhook_id": hook.id,
                    "round_id": round_id,
                    "event_type": event_type,
                    "payload": payload,
                    "created_at": now,
                    "next_attempt_at": now,
                    "attempts": 0,
                },
            ).returning(webhook_outbox.c.id)
        ).first()
        made += row is not None
    return made


def due(conn: Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Deliveries to try now, with their address and secret (opened)."""
    rows = conn.execute(
        select(
            webhook_outbox, round_webhook.c.url, round_webhook.c.secret, round_webhook.c.removed_at
        )
        .join(round_webhook, round_webhook.c.id == webhook_outbox.c.webhook_id)
        .where(
            webhook_outbox.c.sent_at.is_(None),
            webhook_outbox.c.failed_at.is_(None),
            webhook_outbox.c.next_attempt_at <= now,
        )
        .order_by(webhook_outbox.c.id)
        .limit(limit)
    ).all()
    box = server_secret(conn)
    return [{**r._mapping, "secret": box.open(r.secret, _where(r.webhook_id))} for r in rows]


def mark(
    conn: Connection,
    row: Mapping[str, Any],
    *,
    status: int | None,
    error: str | None,
    final: bool,
    now: datetime,
) -> None:
    """Record an attempt: delivered, or tried again later, or given up."""
    attempts: int = row["attempts"] + 1
    if error is None:
        values: dict[str, Any] = {"sent_at": now, "status_code": status, "last_error": None}
    else:
        pause = min(FIRST_PAUSE * 2 ** (attempts - 1), LONGEST_PAUSE)
        give_up = final or attempts >= MAX_ATTEMPTS
        values = {
            "status_code": status,
            "last_error": error[:2000],
            "next_attempt_at": now + pause,
            "failed_at": now if give_up else None,
        }
    conn.execute(
        update(webhook_outbox)
        .where(webhook_outbox.c.id == row["id"])
        .values(attempts=attempts, **values)
    )


def deliveries(conn: Connection, round_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(webhook_outbox)
        .where(webhook_outbox.c.round_id == round_id)
        .order_by(webhook_outbox.c.id)
    )
    return [r._mapping for r in rows]


def active(conn: Connection, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(round_webhook)
        .where(
            round_webhook.c.constituency_id == constituency_id,
            round_webhook.c.removed_at.is_(None),
        )
        .order_by(round_webhook.c.created_at, round_webhook.c.id)
    )
    return [r._mapping for r in rows]


def counts(conn: Connection, webhook_id: str) -> dict[str, int]:
    """How a webhook's deliveries went: sent, waiting (due or to be tried again), failed."""
    rows = conn.execute(
        select(webhook_outbox.c.sent_at, webhook_outbox.c.failed_at).where(
            webhook_outbox.c.webhook_id == webhook_id
        )
    ).all()
    sent = sum(r.sent_at is not None for r in rows)
    failed = sum(r.failed_at is not None for r in rows)
    return {"sent": sent, "waiting": len(rows) - sent - failed, "failed": failed}
