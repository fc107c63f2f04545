"""The append-only audit log: hash-chained canonical JSON statements, one chain per scope.

Every state change appends its entry in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from policies.times import iso
from records.canonical import canonical_json
from records.chain import GENESIS, ChainEntry, chain_hash
from store.db import utcnow
from store.tables import log_entry, log_head
from store.upsert import insert_ignore

REGISTRY = "registry"


def round_scope(round_id: str) -> str:
    return f"round:{round_id}"


@dataclass(frozen=True)
class LoggedEntry:
    scope: str
    seq: int
    type: str
    statement: bytes
    prev_hash: str
    entry_hash: str
    created_at: datetime


def append(
    conn: Connection,
    scope: str,
    type_: str,
    data: Mapping[str, Any],
    actor: str | None,
    at: datetime | None = None,
) -> LoggedEntry:
    at = at or utcnow()
    conn.execute(insert_ignore(conn, log_head, {"scope": scope, "seq": 0, "head_hash": GENESIS}))
    # The head row serialises appends to one chain (FOR UPDATE is a no-op on SQLite, where
    # the IMMEDIATE transaction already holds the write lock).
    head = conn.execute(
        select(log_head.c.seq, log_head.c.head_hash)
        .where(log_head.c.scope == scope)
        .with_for_update()
    ).one()
    seq = head.seq + 1
    statement = canonical_json(
        {"type": type_, "scope": scope, "seq": seq, "at": iso(at), "actor": actor, "data": data}
    )
    entry_hash = chain_hash(head.head_hash, statement)
    conn.execute(
        log_entry.insert().values(
            scope=scope,
            seq=seq,
            type=type_,
            statement=statement.decode(),
            prev_hash=head.head_hash,
            entry_hash=entry_hash,
            created_at=at,
        )
    )
    conn.execute(
        update(log_head).where(log_head.c.scope == scope).values(seq=seq, head_hash=entry_hash)
    )
    return LoggedEntry(scope, seq, type_, statement, head.head_hash, entry_hash, at)


def entries(conn: Connection, scope: str, after: int = 0, limit: int = 1000) -> list[LoggedEntry]:
    rows = conn.execute(
        select(log_entry)
        .where(log_entry.c.scope == scope, log_entry.c.seq > after)
        .order_by(log_entry.c.seq)
        .limit(limit)
    ).all()
    return [
        LoggedEntry(
            r.scope, r.seq, r.type, r.statement.encode(), r.prev_hash, r.entry_hash, r.created_at
        )
        for r in rows
    ]


def as_chain(logged: Sequence[LoggedEntry]) -> list[ChainEntry]:
    return [ChainEntry(e.seq, e.statement, e.prev_hash, e.entry_hash) for e in logged]
