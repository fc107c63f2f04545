"""The API's writes committed in groups (store/db.py ``GroupCommit``), on SQLite and on
PostgreSQL: writes handed over while a group is being written go together, in one transaction
and one sync; each write stands or fails alone; none is answered before its group's commit, and
a failed commit fails them all. The groups of several handles (processes) take turns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from policies.errors import Conflict
from policies.messages import N_
from store.db import RECEIPTS, Database


@pytest.fixture
def db(fresh_db_url: str) -> Database:
    handle = Database(fresh_db_url)
    with handle.write() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        # Checked at COMMIT, not at the statement, on both databases.
        conn.execute(
            text(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
                "DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    return handle


def _insert(who: str) -> Callable[[Connection], str]:
    def job(conn: Connection) -> str:
        conn.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": who})
        conn.info[RECEIPTS].append(who)
        return f"{who}: {conn.info[RECEIPTS]}"

    return job


def _rows(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(text("SELECT who FROM t ORDER BY who")).scalars())


def _hold_the_committer(db: Database) -> tuple[threading.Event, Future[None]]:
    """A first write that waits until told, so that the next writes queue up behind it."""
    release, started = threading.Event(), threading.Event()

    def slow(conn: Connection) -> None:
        started.set()
        assert release.wait(30)

    first = db.groups.submit(slow)
    assert started.wait(30)
    return release, first


def test_writes_handed_over_together_are_committed_as_one_group(db: Database) -> None:
    sizes: list[int] = []
    db.groups.on_group = sizes.append
    release, first = _hold_the_committer(db)
    futures = [db.groups.submit(_insert(f"w{i:02d}")) for i in range(20)]
    assert not any(f.done() for f in futures)  # nothing is answered before its commit
    release.set()
    first.result(30)
    # Each write's receipts are its own, not the group's.
    assert [f.result(30) for f in futures] == [f"w{i:02d}: ['w{i:02d}']" for i in range(20)]
    assert sizes == [1, 20]
    assert _rows(db) == [f"w{i:02d}" for i in range(20)]
    db.dispose()


def test_a_write_that_fails_fails_alone_and_leaves_nothing(db: Database) -> None:
    release, first = _hold_the_committer(db)

    def refused(conn: Connection) -> None:
        conn.execute(text("INSERT INTO t (who) VALUES ('refused')"))
        raise Conflict(N_("refused after writing"))

    before = db.groups.submit(_insert("a"))
    failing = db.groups.submit(refused)
    duplicate = db.groups.submit(_insert("a"))  # the same key as the first: a conflict
    after = db.groups.submit(_insert("b"))
    release.set()
    first.result(30)
    assert before.result(30) == "a: ['a']"
    assert after.result(30) == "b: ['b']"
    with pytest.raises(Conflict):
        failing.result(30)
    with pytest.raises(IntegrityError):
        duplicate.result(30)
    assert _rows(db) == ["a", "b"]  # the refused write's row went with its savepoint
    db.dispose()


def test_a_failed_commit_fails_every_write_of_the_group(db: Database) -> None:
    release, first = _hold_the_committer(db)

    def orphan(conn: Connection) -> None:
        # The deferred key is checked at COMMIT: the whole group's commit fails.
        conn.execute(text("INSERT INTO child (parent_id) VALUES (42)"))

    writes: list[Future[Any]] = [db.groups.submit(_insert("x")), db.groups.submit(orphan)]
    writes.append(db.groups.submit(_insert("y")))
    release.set()
    first.result(30)  # a group of its own, committed before the others were taken
    for write in writes:
        with pytest.raises(IntegrityError):
            write.result(30)
    assert _rows(db) == []
    # The committer goes on: the next group commits.
    assert db.groups.submit(_insert("z")).result(30) == "z: ['z']"
    assert _rows(db) == ["z"]
    db.dispose()


def test_a_write_given_up_before_its_turn_is_not_run(db: Database) -> None:
    release, first = _hold_the_committer(db)
    given_up = db.groups.submit(_insert("never"))
    kept = db.groups.submit(_insert("kept"))
    assert given_up.cancel()
    release.set()
    first.result(30)
    assert kept.result(30) == "kept: ['kept']"
    assert _rows(db) == ["kept"]
    db.dispose()


def test_the_groups_of_two_handles_take_turns(db: Database, fresh_db_url: str) -> None:
    """Two API processes on one database: the second's group waits for the first's commit
    (SQLite's lock file; PostgreSQL's advisory lock), so two groups never hold row locks
    against each other."""
    other = Database(fresh_db_url)
    release, first = _hold_the_committer(db)
    waiting = other.groups.submit(_insert("second"))
    assert not waiting.done()
    with pytest.raises(TimeoutError):
        waiting.result(0.5)  # in line behind the held group
    release.set()
    first.result(30)
    assert waiting.result(30) == "second: ['second']"
    assert _rows(db) == ["second"]
    other.dispose()
    db.dispose()
