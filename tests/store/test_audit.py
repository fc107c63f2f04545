"""The audit log: per-scope sequence numbers and a hash chain that shows tampering."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from policies.errors import ChainError
from records.canonical import canonical_json
from records.chain import GENESIS, verify_chain
from store import audit
from store.db import Database
from store.tables import log_entry, log_head

THREADS = 8
PER_THREAD = 10


def _scope() -> str:
    return f"test:{uuid.uuid4()}"


def test_append_numbers_and_chains(db: Database) -> None:
    scope = _scope()
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.write() as conn:
        appended = [
            audit.append(conn, scope, "test.event", {"n": n, "text": "café ☕"}, "tester", at)
            for n in range(1, 6)
        ]
    with db.read() as conn:
        stored = audit.entries(conn, scope)
        head = conn.execute(select(log_head).where(log_head.c.scope == scope)).one()
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    assert stored == appended
    assert stored[0].prev_hash == GENESIS
    assert (head.seq, head.head_hash) == (5, stored[-1].entry_hash)
    verify_chain(audit.as_chain(stored))
    assert json.loads(stored[2].statement) == {
        "type": "test.event",
        "scope": scope,
        "seq": 3,
        "at": "2030-01-02T03:04:05Z",
        "actor": "tester",
        "data": {"n": 3, "text": "café ☕"},
    }
    assert all(e.created_at == at for e in stored)


def test_statement_times_are_utc_for_any_zone(db: Database) -> None:
    scope = _scope()
    at = datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with db.write() as conn:
        entry = audit.append(conn, scope, "test.event", {}, None, at)
    assert json.loads(entry.statement)["at"] == "2030-01-02T03:04:05Z"


def test_entries_paginate(db: Database) -> None:
    scope = _scope()
    with db.write() as conn:
        for n in range(6):
            audit.append(conn, scope, "test.event", {"n": n}, None)
    with db.read() as conn:
        assert [e.seq for e in audit.entries(conn, scope, after=2, limit=3)] == [3, 4, 5]
        assert audit.entries(conn, scope, after=6) == []


def test_scopes_are_separate_chains(db: Database) -> None:
    a, b = _scope(), _scope()
    with db.write() as conn:
        audit.append(conn, a, "test.event", {}, None)
        audit.append(conn, b, "test.event", {}, None)
        audit.append(conn, a, "test.event", {}, None)
    with db.read() as conn:
        assert [e.seq for e in audit.entries(conn, a)] == [1, 2]
        assert [e.seq for e in audit.entries(conn, b)] == [1]
        verify_chain(audit.as_chain(audit.entries(conn, b)))


def test_tampered_statement_is_detected(db: Database) -> None:
    scope = _scope()
    with db.write() as conn:
        for n in range(1, 6):
            audit.append(conn, scope, "ballot.cast", {"approvals": [f"c-{n}"]}, "voter")
    with db.read() as conn:
        original = audit.entries(conn, scope)
    verify_chain(audit.as_chain(original))
    forged = json.loads(original[2].statement)
    forged["data"]["approvals"] = ["c-9"]
    with db.write() as conn:
        conn.execute(
            update(log_entry)
            .where(log_entry.c.scope == scope, log_entry.c.seq == 3)
            .values(statement=canonical_json(forged).decode())
        )
    with db.read() as conn:
        tampered = audit.entries(conn, scope)
    with pytest.raises(ChainError) as info:
        verify_chain(audit.as_chain(tampered))
    detail = info.value.detail
    assert "entry 3: entry_hash does not match its statement" in detail
    for seq in (1, 2, 4, 5):
        assert f"entry {seq}:" not in detail


def test_concurrent_appends_to_one_scope(db: Database) -> None:
    scope = _scope()
    barrier = threading.Barrier(THREADS)

    def work(thread: int) -> list[int]:
        barrier.wait(timeout=30)
        seqs = []
        for n in range(PER_THREAD):
            with db.write() as conn:
                entry = audit.append(conn, scope, "test.event", {"t": thread, "n": n}, None)
            seqs.append(entry.seq)
        return seqs

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))

    total = THREADS * PER_THREAD
    assert sorted(s for seqs in results for s in seqs) == list(range(1, total + 1))
    for seqs in results:
        assert seqs == sorted(seqs)
    with db.read() as conn:
        stored = audit.entries(conn, scope)
    assert [e.seq for e in stored] == list(range(1, total + 1))
    verify_chain(audit.as_chain(stored))
    written = {(d["t"], d["n"]) for d in (json.loads(e.statement)["data"] for e in stored)}
    assert written == {(t, n) for t in range(THREADS) for n in range(PER_THREAD)}
