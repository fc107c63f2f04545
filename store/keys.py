"""The published key list: adding and rotating keys, and the list's own entries in the log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from records.canonical import canonical_hash
from records.keylist import KeyList, ListedKey
from records.keylist import rotate as rotate_list
from store import audit
from store.audit import LoggedEntry
from store.db import utcnow
from store.signing import key_list as key_list  # read below the log; callers find it here
from store.tables import log_entry, signing_key

KEYS_SCOPE = "keys"


def add(conn: Connection, key: ListedKey) -> KeyList:
    """List ``key``; refused (KeyListError) if the list would no longer be consistent."""
    key.ed25519()  # an id that is not its key's hash would make the published list unreadable
    new = KeyList((*key_list(conn).keys, key))
    conn.execute(
        signing_key.insert().values(
            key_id=key.key_id,
            purpose=key.purpose,
            public_key=key.public_key,
            valid_from=key.valid_from,
            valid_until=key.valid_until,
            status=key.status,
            created_at=utcnow(),
        )
    )
    return new


def rotate(conn: Connection, old_key_id: str, new: ListedKey, at: str) -> KeyList:
    """Retire ``old_key_id`` at ``at`` and list ``new`` from then on."""
    rotated = rotate_list(key_list(conn), old_key_id, new, at)
    retired = rotated.find(old_key_id)
    assert retired is not None
    conn.execute(
        update(signing_key)
        .where(signing_key.c.key_id == old_key_id)
        .values(valid_until=retired.valid_until, status=retired.status)
    )
    add(conn, new)
    return rotated


def publish(conn: Connection, actor: str, at: datetime | None = None) -> LoggedEntry:
    """Log the key list as it now stands: auditors take it from the log, not from us."""
    listed = key_list(conn).to_json()
    return audit.append(
        conn,
        KEYS_SCOPE,
        "keys.published",
        {"key_list": listed, "key_list_hash": canonical_hash(listed)},
        actor,
        at,
    )


def first_log_time(conn: Connection) -> datetime | None:
    first: datetime | None = conn.execute(select(func.min(log_entry.c.created_at))).scalar()
    return first
