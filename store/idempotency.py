"""Claims on ``Idempotency-Key``s, and the first answers of the requests that held them.

A keyed request claims its key first, in a short transaction of its own: a row with no answer
yet. The request that holds the claim runs the write, and the write's own transaction stores the
answer in that row, so an acknowledged answer and its effect commit together. A concurrent copy
finds the claim and waits for the answer. A request that ends without an answer to keep releases
its claim (the row goes), so a retry can run; a claim whose request died expires after a timeout.

An answer may show a secret once (a token, a signer token, a webhook secret): it is stored
sealed under the server secret (store/sealing.py), bound to its principal and key, and kept for
a time to live (``MANDATE_IDEMPOTENCY_TTL``): an older answer is never served, its key is free
again, and ``purge`` deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, delete, select, update

from policies.errors import IdempotencyMismatch
from policies.messages import N_
from store.db import server_secret
from store.ids import new_id
from store.sealing import ServerSecret
from store.tables import idempotency_record
from store.upsert import insert_ignore

_T = idempotency_record.c


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str
    receipts: str | None = None


@dataclass(frozen=True)
class Claimed:
    """This request holds the key; ``token`` names its claim."""

    token: str


@dataclass(frozen=True)
class Pending:
    """Another request holds the key, since ``claimed_at``, and has not answered yet."""

    token: str
    claimed_at: datetime

    def expired(self, now: datetime, timeout: timedelta) -> bool:
        return self.claimed_at <= now - timeout


def request_hash(secret: ServerSecret, method: str, path: str, body: bytes) -> str:
    """What tells a repeat from another request under the same key. Keyed: a body may hold a
    six-digit code, which a plain hash would give away."""
    return secret.mac("mandate.request/1", method, path, body)


def _where(principal: str, key: str) -> str:
    return f"idempotency_record.body/{principal}/{key}"


def _expired(created_at: datetime, now: datetime | None, ttl: timedelta | None) -> bool:
    return now is not None and ttl is not None and created_at <= now - ttl


def lookup(
    conn: Connection,
    principal: str,
    key: str,
    request_hash: str,
    *,
    now: datetime | None = None,
    ttl: timedelta | None = None,
) -> StoredResponse | Pending | None:
    """The key's answer or claim; None when it has neither, or an answer older than ``ttl``."""
    row = conn.execute(select(idempotency_record).where(*_key(principal, key))).first()
    if row is None:
        return None
    if row.status_code is not None and _expired(row.created_at, now, ttl):
        return None
    if row.request_hash != request_hash:
        raise IdempotencyMismatch(
            N_(
                "Idempotency-Key %(key)s was first used for another request; send a new key for a "
                "different request"
            ),
            key=repr(key),
        )
    if row.status_code is None:
        return Pending(row.claim, row.claimed_at)
    body = server_secret(conn).open(row.body, _where(principal, key))
    return StoredResponse(row.status_code, body, row.receipts)


def claim(
    conn: Connection,
    principal: str,
    key: str,
    request_hash: str,
    now: datetime,
    timeout: timedelta,
    ttl: timedelta | None = None,
) -> Claimed | StoredResponse | Pending:
    """Take the key for this request, or say why not: the answer, or the claim that holds it.
    An answer older than ``ttl`` is deleted, and the key taken.

    Run it in a write transaction of its own, so the claim is visible to others at once.
    """
    token = new_id()
    ours = {"claim": token, "claimed_at": now}
    row = {"principal": principal, "key": key, "request_hash": request_hash, "created_at": now}
    # RETURNING, because not every driver reports an INSERT's rowcount.
    insert = insert_ignore(conn, idempotency_record, {**row, **ours}).returning(_T.claim)
    found: StoredResponse | Pending | None = None
    # A turn fails only if another request changed the row in between; three are plenty.
    for _ in range(3):
        if conn.execute(insert).first() is not None:
            return Claimed(token)
        found = lookup(conn, principal, key, request_hash, now=now, ttl=ttl)
        if found is None:
            if ttl is not None:  # its answer expired: the key is free again
                conn.execute(
                    delete(idempotency_record).where(
                        *_key(principal, key),
                        _T.status_code.is_not(None),
                        _T.created_at <= now - ttl,
                    )
                )
            continue  # released since the insert, or expired: claim it again
        if not (isinstance(found, Pending) and found.expired(now, timeout)):
            return found
        # Its request died without answering or releasing: take the claim over, unless another
        # request did first (the update then matches nothing).
        taken = conn.execute(
            update(idempotency_record)
            .where(*_key(principal, key), _T.claim == found.token, _T.status_code.is_(None))
            .values(ours)
        )
        if taken.rowcount:
            return Claimed(token)
    return found or Pending(token, now)


def hold(conn: Connection, principal: str, key: str, token: str) -> bool:
    """Whether the claim is still this request's; it stays so until the transaction ends.

    The row lock (PostgreSQL; SQLite's write transactions are serial) keeps a request that finds
    the claim expired from taking it over while its holder is writing.
    """
    query = select(_T.claim).where(*_held(principal, key, token)).with_for_update()
    return conn.execute(query).first() is not None


def answer(
    conn: Connection,
    principal: str,
    key: str,
    token: str,
    status_code: int,
    body: str,
    receipts: str | None = None,
) -> bool:
    """Store the answer of the request that holds the claim; False if it no longer does."""
    done = conn.execute(
        update(idempotency_record)
        .where(*_held(principal, key, token))
        .values(
            status_code=status_code,
            body=server_secret(conn).seal(body, _where(principal, key)),
            receipts=receipts or None,
        )
    )
    return bool(done.rowcount)


def release(conn: Connection, principal: str, key: str, token: str) -> None:
    """Give the key up without an answer, so that the next request with it runs."""
    conn.execute(delete(idempotency_record).where(*_held(principal, key, token)))


def purge(conn: Connection, before: datetime) -> int:
    """Delete answers given before ``before``, and claims taken before it that never answered
    (their requests died long ago)."""
    done = conn.execute(
        delete(idempotency_record).where(
            _T.created_at <= before, _T.status_code.is_not(None) | (_T.claimed_at <= before)
        )
    )
    return done.rowcount


def _key(principal: str, key: str) -> tuple[ColumnElement[bool], ...]:
    return (_T.principal == principal, _T.key == key)


def _held(principal: str, key: str, token: str) -> tuple[ColumnElement[bool], ...]:
    return (*_key(principal, key), _T.claim == token, _T.status_code.is_(None))
