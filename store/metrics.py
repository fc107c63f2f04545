"""What the metrics endpoint reads from the database when it is scraped: the outboxes' backlog
and how far the log's signed checkpoints are behind the entries written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Table, func, or_, select

from store.tables import checkpoint, log_entry, mail_outbox, webhook_outbox


@dataclass(frozen=True)
class Backlog:
    """How many items wait, and the age in seconds of the oldest (0 when none waits)."""

    count: int
    oldest_seconds: float


@dataclass(frozen=True)
class Backlogs:
    outboxes: dict[str, Backlog]  # by outbox: "mail", "webhooks"
    # Log entries written but not yet covered by a signed checkpoint.
    log_unsigned: Backlog
    checkpoint_size: int


def _age(now: datetime, oldest: datetime | None) -> float:
    return 0.0 if oldest is None else max(0.0, (now - oldest).total_seconds())


def _outbox(conn: Connection, table: Table, now: datetime) -> Backlog:
    count, oldest = conn.execute(
        select(func.count(), func.min(table.c.created_at)).where(
            table.c.sent_at.is_(None), table.c.failed_at.is_(None)
        )
    ).one()
    return Backlog(int(count), _age(now, oldest))


def backlogs(conn: Connection, now: datetime) -> Backlogs:
    size = int(conn.execute(select(func.coalesce(func.max(checkpoint.c.size), 0))).scalar_one())
    # Entries get their index from the integrator, which signs the checkpoint in the same
    # transaction; an indexed entry beyond the latest checkpoint is counted all the same.
    count, oldest = conn.execute(
        select(func.count(), func.min(log_entry.c.created_at)).where(
            log_entry.c.envelope.is_not(None),
            or_(log_entry.c.idx.is_(None), log_entry.c.idx >= size),
        )
    ).one()
    return Backlogs(
        outboxes={
            "mail": _outbox(conn, mail_outbox, now),
            "webhooks": _outbox(conn, webhook_outbox, now),
        },
        log_unsigned=Backlog(int(count), _age(now, oldest)),
        checkpoint_size=size,
    )
