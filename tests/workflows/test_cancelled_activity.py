"""A cancelled activity stops outside its transactions (activities/cancellation.py).

Temporal raises a cancelled sync activity's exception into its thread at any bytecode. Found
under load in CI: it landed inside a write, the writers' lock stayed taken and the worker
never finished shutting down.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from temporalio import activity
from temporalio.exceptions import CancelledError
from temporalio.testing import ActivityEnvironment

from activities.cancellation import transaction_shield
from store.db import Database

# Long enough for the cancellation to arrive while the transaction is open.
WITHIN = 10.0


def _cancel_inside_a_write(db: Database) -> None:
    env = ActivityEnvironment()
    inside = threading.Event()

    @activity.defn
    def write_slowly() -> None:
        with db.write() as conn:
            conn.execute(text("INSERT INTO note (body) VALUES ('kept')"))
            inside.set()
            deadline = time.monotonic() + WITHIN
            # Python bytecodes, where an exception raised into the thread lands.
            while not activity.is_cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.05)  # still in the transaction after the cancellation came

    def cancel() -> None:
        inside.wait(WITHIN)
        env.cancel()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    try:
        with pytest.raises(CancelledError):
            env.run(write_slowly)
    finally:
        canceller.join()


def test_a_cancelled_activity_commits_its_write_and_leaves_the_writers_lock_free(
    fresh_db_url: str,
) -> None:
    db = Database(fresh_db_url, guard=transaction_shield)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE note (body VARCHAR(20))"))

    _cancel_inside_a_write(db)

    with db.read() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["kept"]
    # The next write gets its turn; a lock left taken would block it (and dispose) for good.
    done = threading.Event()

    def write_again() -> None:
        with db.write() as conn:
            conn.execute(text("INSERT INTO note (body) VALUES ('next')"))
        done.set()

    threading.Thread(target=write_again, daemon=True).start()
    assert done.wait(WITHIN), "the writers' lock was left taken"
    db.dispose()


def test_without_the_shield_the_cancellation_lands_inside_the_transaction(
    fresh_db_url: str,
) -> None:
    """What the shield is for: unshielded, the same cancellation rolls the write back."""
    db = Database(fresh_db_url)
    with db.write() as conn:
        conn.execute(text("CREATE TABLE note (body VARCHAR(20))"))

    _cancel_inside_a_write(db)

    with db.read() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == []
    db.dispose()
