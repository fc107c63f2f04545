"""The append-only audit log.

Every state change appends its entry in the same transaction as the change itself: a canonical
JSON statement, numbered within its scope (``seq``) and hash-chained per scope, signed as a DSSE
envelope by the records key valid at the statement's time. The envelope bytes are the entry's
Merkle leaf; ``store.log`` later gives it its index in the tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from policies.times import iso
from records import dsse
from records.canonical import canonical_json
from records.chain import GENESIS, ChainEntry, chain_hash
from records.logentry import campaign_scope as campaign_scope
from records.logentry import round_scope as round_scope
from records.merkle import leaf_hash
from store.db import RECEIPTS, keyring, utcnow
from store.tables import log_entry, log_head
from store.upsert import insert_ignore

REGISTRY = "registry"

# Every write logs, so its statements are built once (SQLAlchemy then reuses their compiled
# form) and take their values as parameters.
_HEAD = (
    select(log_head.c.seq, log_head.c.head_hash)
    .where(log_head.c.scope == bindparam("h_scope"))
    .with_for_update()
)
_INSERT = log_entry.insert()
_MOVE_HEAD = (
    update(log_head)
    .where(log_head.c.scope == bindparam("h_scope"))
    .values(seq=bindparam("h_seq"), head_hash=bindparam("h_hash"))
)


@dataclass(frozen=True)
class LoggedEntry:
    scope: str
    seq: int
    type: str
    statement: bytes
    prev_hash: str
    entry_hash: str
    created_at: datetime
    envelope: bytes
    leaf_hash: str
    index: int | None = None


def append(
    conn: Connection,
    scope: str,
    type_: str,
    data: Mapping[str, Any],
    actor: str | None,
    at: datetime | None = None,
) -> LoggedEntry:
    at = at or utcnow()
    # The head row serialises appends to one chain (FOR UPDATE is a no-op on SQLite, where
    # the IMMEDIATE transaction already holds the write lock). A chain's first append makes it.
    head = conn.execute(_HEAD, {"h_scope": scope}).first()
    if head is None:
        conn.execute(
            insert_ignore(conn, log_head, {"scope": scope, "seq": 0, "head_hash": GENESIS})
        )
        head = conn.execute(_HEAD, {"h_scope": scope}).one()
    seq = head.seq + 1
    statement = canonical_json(
        {"type": type_, "scope": scope, "seq": seq, "at": iso(at), "actor": actor, "data": data}
    )
    entry_hash = chain_hash(head.head_hash, statement)
    signer = keyring(conn).signer_for(conn, "records", at)
    envelope = dsse.sign(signer, dsse.payload_type_for(type_), statement).to_bytes()
    leaf = leaf_hash(envelope).hex()
    conn.execute(
        _INSERT,
        {
            "scope": scope,
            "seq": seq,
            "type": type_,
            "statement": statement.decode(),
            "prev_hash": head.head_hash,
            "entry_hash": entry_hash,
            "created_at": at,
            "envelope": envelope.decode(),
            "leaf_hash": leaf,
        },
    )
    conn.execute(_MOVE_HEAD, {"h_scope": scope, "h_seq": seq, "h_hash": entry_hash})
    conn.info.setdefault(RECEIPTS, []).append(leaf)
    return LoggedEntry(scope, seq, type_, statement, head.head_hash, entry_hash, at, envelope, leaf)


def entries(conn: Connection, scope: str, after: int = 0, limit: int = 1000) -> list[LoggedEntry]:
    rows = conn.execute(
        select(log_entry)
        .where(log_entry.c.scope == scope, log_entry.c.seq > after)
        .order_by(log_entry.c.seq)
        .limit(limit)
    ).all()
    return [_logged(r) for r in rows]


def _logged(r: Any) -> LoggedEntry:
    return LoggedEntry(
        r.scope,
        r.seq,
        r.type,
        r.statement.encode(),
        r.prev_hash,
        r.entry_hash,
        r.created_at,
        (r.envelope or "").encode(),
        r.leaf_hash or "",
        r.idx,
    )


def as_chain(logged: Sequence[LoggedEntry]) -> list[ChainEntry]:
    return [ChainEntry(e.seq, e.statement, e.prev_hash, e.entry_hash) for e in logged]


def sign_unsigned(conn: Connection) -> int:
    """Sign the entries logged before entries were signed (an upgraded database)."""
    rows = conn.execute(
        select(log_entry.c.id, log_entry.c.type, log_entry.c.statement, log_entry.c.created_at)
        .where(log_entry.c.envelope.is_(None))
        .order_by(log_entry.c.id)
    ).all()
    ring = keyring(conn)
    for r in rows:
        signer = ring.signer_for(conn, "records", r.created_at)
        envelope = dsse.sign(signer, dsse.payload_type_for(r.type), r.statement.encode()).to_bytes()
        conn.execute(
            update(log_entry)
            .where(log_entry.c.id == r.id)
            .values(envelope=envelope.decode(), leaf_hash=leaf_hash(envelope).hex())
        )
    return len(rows)
