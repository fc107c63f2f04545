"""Mail waiting to be sent: written in the transaction that needs it, sent by the worker.

A mail is queued once per ``dedup_key`` (a retried activity or request queues nothing more).
The sender takes due mail in batches; a mail that fails is tried again later with a growing
pause, and given up after ``MAX_ATTEMPTS``. A body may hold a one-time code: it is stored
sealed under the server secret (store/sealing.py) while it waits, and emptied once sent; the
row stays as the delivery log.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from store.db import server_secret, utcnow
from store.sealing import is_sealed
from store.tables import mail_outbox
from store.upsert import insert_ignore

MAX_ATTEMPTS = 8
FIRST_PAUSE = timedelta(seconds=5)
LONGEST_PAUSE = timedelta(minutes=30)


def enqueue(
    conn: Connection,
    *,
    dedup_key: str,
    purpose: str,
    to: str,
    subject: str,
    body: str,
    campaign_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a mail; False when one with this ``dedup_key`` was queued before."""
    now = now or utcnow()
    made = conn.execute(
        insert_ignore(
            conn,
            mail_outbox,
            {
                "dedup_key": dedup_key,
                "campaign_id": campaign_id,
                "purpose": purpose,
                "to_address": to,
                "subject": subject,
                "body": server_secret(conn).seal(body, _where(dedup_key)),
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            },
        ).returning(mail_outbox.c.id)
    ).first()
    return made is not None


def _where(dedup_key: str) -> str:
    return f"mail_outbox.body/{dedup_key}"


def body_of(conn: Connection, row: Mapping[Any, Any]) -> str | None:
    """A waiting mail's body, opened (None once sent or given up)."""
    body: str | None = row["body"]
    if body is None or not is_sealed(body):
        return body  # queued before bodies were sealed
    return server_secret(conn).open(body, _where(row["dedup_key"]))


def due(conn: Connection, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Mail to send now, oldest first, bodies opened. One sender runs per deployment (the
    outbox workflow)."""
    query = (
        select(mail_outbox)
        .where(
            mail_outbox.c.sent_at.is_(None),
            mail_outbox.c.failed_at.is_(None),
            mail_outbox.c.next_attempt_at <= now,
        )
        .order_by(mail_outbox.c.id)
        .limit(limit)
    )
    return [{**r._mapping, "body": body_of(conn, r._mapping)} for r in conn.execute(query)]


def mark_sent(conn: Connection, mail_id: int, now: datetime) -> None:
    conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id)
        .values(sent_at=now, body=None, attempts=mail_outbox.c.attempts + 1, last_error=None)
    )


def mark_failed(conn: Connection, row: Mapping[Any, Any], error: str, now: datetime) -> bool:
    """Record a failed attempt; True when the mail is given up."""
    attempts: int = row["attempts"] + 1
    pause = min(FIRST_PAUSE * 2 ** (attempts - 1), LONGEST_PAUSE)
    give_up = attempts >= MAX_ATTEMPTS
    conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == row["id"])
        .values(
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=now + pause,
            failed_at=now if give_up else None,
            # Given up, the body goes; otherwise it stays as stored (sealed).
            **({"body": None} if give_up else {}),
        )
    )
    return give_up


def waiting(conn: Connection) -> int:
    """Mail not yet sent nor given up (due now or later)."""
    count: int = conn.execute(
        select(func.count()).where(
            mail_outbox.c.sent_at.is_(None), mail_outbox.c.failed_at.is_(None)
        )
    ).scalar_one()
    return count


def for_campaign(conn: Connection, campaign_id: str) -> list[RowMapping]:
    """The campaign's mail and how it went, without bodies (the delivery log)."""
    rows = conn.execute(
        select(
            mail_outbox.c.id,
            mail_outbox.c.purpose,
            mail_outbox.c.to_address,
            mail_outbox.c.subject,
            mail_outbox.c.created_at,
            mail_outbox.c.attempts,
            mail_outbox.c.sent_at,
            mail_outbox.c.failed_at,
            mail_outbox.c.last_error,
        )
        .where(mail_outbox.c.campaign_id == campaign_id)
        .order_by(mail_outbox.c.id)
    )
    return [r._mapping for r in rows]
