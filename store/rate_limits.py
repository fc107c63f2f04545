"""Rate-limit counters in the database, so that every API process counts against the same
limits: the ``limits`` library's fixed windows, kept in the ``rate_limit`` table.

Each counter is a row: a key (the limit and whom it counts), a count and the moment its window
ends. A hit is one ``INSERT ... ON CONFLICT DO UPDATE`` that starts a new window when the old
one has ended, so concurrent hits from several processes never lose a count. Hits are made in
the caller's transaction: a refusal raised in it rolls its own hits back, so a refused request
does not count, and a confirmation mail's budget is spent only if its write commits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from limits import RateLimitItem
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Connection, Integer, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from store.columns import UTCDateTime
from store.db import utcnow
from store.tables import rate_limit

_T = rate_limit.c


def _incr(insert: Any) -> Any:
    """Every write counts, so the counting statement is built once per dialect (SQLAlchemy
    then reuses its compiled form), its values as parameters."""
    amount = bindparam("r_amount", type_=Integer)
    ends = bindparam("r_ends", type_=UTCDateTime)
    ended = _T.expires_at <= bindparam("r_now", type_=UTCDateTime)
    return (
        insert(rate_limit)
        .values(key=bindparam("r_key"), count=amount, expires_at=ends)
        .on_conflict_do_update(
            index_elements=[_T.key],
            set_={
                "count": case((ended, amount), else_=_T.count + amount),
                "expires_at": case((ended, ends), else_=_T.expires_at),
            },
        )
        .returning(_T.count)
    )


_INCR_POSTGRESQL = _incr(postgresql.insert)
_INCR_SQLITE = _incr(sqlite.insert)


class TableStorage(Storage):
    """``limits`` storage on the ``rate_limit`` table, inside one open transaction, with one
    clock for the whole transaction."""

    STORAGE_SCHEME = None  # made directly, never from a storage URI

    def __init__(self, conn: Connection, now: datetime) -> None:
        super().__init__()
        self.conn = conn
        self.now = now

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        ends = self.now + timedelta(seconds=expiry)
        postgres = self.conn.dialect.name == "postgresql"
        statement = _INCR_POSTGRESQL if postgres else _INCR_SQLITE
        params = {"r_key": key, "r_amount": amount, "r_now": self.now, "r_ends": ends}
        count: int = self.conn.execute(statement, params).scalar_one()
        return count

    def get(self, key: str) -> int:
        found = self.conn.execute(
            select(_T.count).where(_T.key == key, _T.expires_at > self.now)
        ).scalar()
        return int(found or 0)

    def get_expiry(self, key: str) -> float:
        ends = self.conn.execute(select(_T.expires_at).where(_T.key == key)).scalar()
        return (ends if ends is not None and ends > self.now else self.now).timestamp()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        return self.conn.execute(delete(rate_limit)).rowcount

    def clear(self, key: str) -> None:
        self.conn.execute(delete(rate_limit).where(_T.key == key))


def hit(
    conn: Connection,
    items: Sequence[RateLimitItem],
    *identifiers: str,
    now: datetime | None = None,
) -> tuple[RateLimitItem, int] | None:
    """Count one hit against each limit in turn; the first limit it goes past, with the whole
    seconds until its window ends, or None when every limit still holds.

    Raise in the same transaction to refuse: the hits roll back with it.
    """
    storage = TableStorage(conn, now or utcnow())
    limiter = FixedWindowRateLimiter(storage)
    for item in items:
        if not limiter.hit(item, *identifiers):
            reset = limiter.get_window_stats(item, *identifiers).reset_time
            return item, max(1, math.ceil(reset - storage.now.timestamp()))
    return None


def purge(conn: Connection, now: datetime | None = None) -> int:
    """Delete counters whose window has ended (a new hit starts a new row anyway)."""
    done = conn.execute(delete(rate_limit).where(_T.expires_at <= (now or utcnow())))
    return done.rowcount
