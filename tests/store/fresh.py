"""Databases of a test's own, for what the shared one cannot show: an empty log, a key list of
the test's making, tampering. Both backends: SQLite in the test's folder and a throwaway
PostgreSQL database.

Also the auditor's side of the log: read every leaf back and open checkpoints with the key list.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from records.note import NoteVerifier
from store import keys
from store.db import Database
from store.tables import log_entry
from tests.conftest import throwaway_postgres
from tests.keys import ORIGIN, keyed_database

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def empty_url(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a database with nothing in it, not even the schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'fresh.db'}"
    else:
        with throwaway_postgres() as url:
            yield url


@contextmanager
def fresh_keyed(backend: str, folder: Path) -> Iterator[Database]:
    """A migrated database with the test keys listed (so one keys.published entry waits)."""
    with empty_url(backend, folder) as url:
        db = keyed_database(url)
        try:
            yield db
        finally:
            db.dispose()


def checkpoint_verifiers(conn: Connection, origin: str = ORIGIN) -> list[NoteVerifier]:
    """Note verifiers for every checkpoints key the key list names, as an auditor builds them."""
    return [
        NoteVerifier(origin, base64.b64decode(k.public_key))
        for k in keys.key_list(conn).keys
        if k.purpose == "checkpoints"
    ]


def indexed_leaves(conn: Connection) -> list[bytes]:
    """Every integrated leaf hash in index order; the indexes must run 0, 1, 2... without gaps."""
    rows = conn.execute(
        select(log_entry.c.idx, log_entry.c.leaf_hash)
        .where(log_entry.c.idx.is_not(None))
        .order_by(log_entry.c.idx)
    ).all()
    assert [r.idx for r in rows] == list(range(len(rows)))
    return [bytes.fromhex(r.leaf_hash) for r in rows]
