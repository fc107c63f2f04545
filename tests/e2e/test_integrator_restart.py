"""Kill the worker between two checkpoints: a new worker integrates what was acknowledged.

A write is acknowledged when its transaction commits, long before the integrator gives its
entry an index. The integrator is a workflow, so its next turn survives the worker: the entry
must be integrated by the next worker, provable in a signed checkpoint, with no index lost,
skipped or given twice.
"""

from __future__ import annotations

import signal
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from mandate.worker import STICKY_TIMEOUT
from records.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from records.note import NoteVerifier, open_checkpoint
from store import log, registry
from store.db import RECEIPTS, Database
from store.tables import checkpoint, log_entry, log_state
from tests.e2e.processes import (
    mandate,
    mandate_env,
    running,
    stop,
    temporal_dev_server,
    wait_for,
)
from tests.keys import CHECKPOINTS, ORIGIN, keyed_database, save_keys

pytestmark = pytest.mark.slow

# Long enough that the worker is killed before the integrator's next turn.
INTERVAL = 20


def _index_of(db: Database, leaf: str) -> int | None:
    with db.read() as conn:
        index: int | None = conn.execute(
            select(log_entry.c.idx).where(log_entry.c.leaf_hash == leaf)
        ).scalar_one()
        return index


def _latest_size(db: Database) -> int | None:
    with db.read() as conn:
        signed = log.latest_checkpoint(conn)
        return None if signed is None else signed.size


def _size_beyond(db: Database, index: int) -> int | None:
    size = _latest_size(db)
    return size if size is not None and size > index else None


def _acknowledged_write(db: Database) -> str:
    """Register an organisation as the API would; the receipt of its log entry."""
    with db.write() as conn:
        registry.register_organisation(
            conn,
            {
                "name": f"Org {uuid.uuid4().hex[:8]}",
                "country": "SN",
                "region": "africa",
                "type": "network",
                "migrant_led": True,
                "grassroots": True,
                "contact_email": "info@example.org",
            },
            "test",
        )
        [receipt] = conn.info[RECEIPTS]
    return str(receipt)


async def test_an_entry_acknowledged_before_a_kill_is_integrated_by_the_next_worker(
    fresh_db_url: str, tmp_path: Path
) -> None:
    db = keyed_database(fresh_db_url)
    data = tmp_path / "data"
    save_keys(data / "keys")
    logs = tmp_path / "logs"
    logs.mkdir()
    with temporal_dev_server(tmp_path, logs / "temporal.log") as address:
        env = mandate_env(
            data_dir=str(data),
            database_url=fresh_db_url,
            temporal_address=address,
            task_queue=f"integrator-{uuid.uuid4()}",
            log_origin=ORIGIN,
            integrate_interval=str(INTERVAL),
        )
        worker_log = logs / "worker.log"
        with running([mandate("worker", env, worker_log)]) as procs:
            # The integrator's first turn signs a checkpoint over the key list at once.
            first = await wait_for(lambda: _latest_size(db), 30, "the first checkpoint")
            receipt = _acknowledged_write(db)
            assert _index_of(db, receipt) is None
            assert stop(procs[0], signal.SIGKILL) == -signal.SIGKILL
            # The kill landed before the next turn: nothing integrated the entry.
            assert _index_of(db, receipt) is None
            assert _latest_size(db) == first

            procs.append(mandate("worker", env, worker_log))
            bound = INTERVAL + STICKY_TIMEOUT.total_seconds() + 20
            index = await wait_for(
                lambda: _index_of(db, receipt), bound, "the entry to be integrated"
            )
            size = await wait_for(
                lambda: _size_beyond(db, index), 10, "a checkpoint holding the entry"
            )
            assert stop(procs[1]) == 0, worker_log.read_text()

    verifier = NoteVerifier(ORIGIN, CHECKPOINTS.public_key.public_bytes_raw())
    with db.read() as conn:
        signed = log.require_checkpoint(conn, size)
        cp = open_checkpoint(signed.note, [verifier], origin=ORIGIN)
        assert cp.size == size
        proof = log.inclusion(conn, index, size)
        verify_inclusion(index, size, bytes.fromhex(receipt), proof, cp.root)

        # Nothing lost, nothing twice: indexes 0..size-1 once each, every leaf hash once, and
        # the leaves in index order give the signed root.
        rows = conn.execute(
            select(log_entry.c.idx, log_entry.c.envelope, log_entry.c.leaf_hash).order_by(
                log_entry.c.idx
            )
        ).all()
        assert [r.idx for r in rows] == list(range(size))
        assert len({r.leaf_hash for r in rows}) == len(rows)
        assert all(leaf_hash(r.envelope.encode()).hex() == r.leaf_hash for r in rows)
        assert root([bytes.fromhex(r.leaf_hash) for r in rows]) == cp.root
        assert conn.execute(select(log_state.c.size)).scalar_one() == size

        # Every checkpoint signed across the restart is a prefix of the last one.
        for old in conn.execute(select(checkpoint.c.size, checkpoint.c.note)).all():
            old_cp = open_checkpoint(old.note, [verifier], origin=ORIGIN)
            verify_consistency(
                old.size, size, old_cp.root, cp.root, log.consistency(conn, old.size, size)
            )
    db.dispose()
