"""Engines and transactions for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DataError, DBAPIError, OperationalError

from policies.errors import InvalidInput, ServiceUnavailable
from policies.messages import N_
from store.sealing import ServerSecret
from store.signing import KeyRing

_WRITE = "mandate_write"
# PostgreSQL's writers of every process, in line: one transaction-scoped advisory lock.
_WRITERS_IN_LINE = text("SELECT pg_advisory_xact_lock(7243901)")
# Per-transaction slots in ``Connection.info``: the key ring of the handle that began the
# transaction (read it with ``keyring``), and the leaf hashes of the entries the transaction
# logged (the write's receipts). And, in every transaction, the handle's server secret (read it
# with ``server_secret``).
_KEYRING = "mandate.keyring"
_SEALS = "mandate.server_secret"
RECEIPTS = "mandate.receipts"
_FROZEN = "mandate.frozen"
# The most writes one group commits together (``GroupCommit``).
GROUP_MOST = 64

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database:
    """One engine plus the two kinds of transaction the code base uses."""

    def __init__(
        self,
        url: str,
        keyring: KeyRing | None = None,
        secret: ServerSecret | None = None,
        guard: Callable[[], contextlib.AbstractContextManager[None]] | None = None,
        **engine_args: Any,
    ) -> None:
        self.url = url
        # Entered around every transaction, outermost. The worker's keeps the exception that
        # Temporal raises into a cancelled activity's thread (at any bytecode) out of the
        # writers' lock and the connection pool, whose locks it could otherwise leave taken.
        self._guard = guard or contextlib.nullcontext
        # Signs log entries; a handle without one can read and migrate but not log.
        self.keyring = keyring
        # MACs codes and seals stored secrets (store/sealing.py); without one, neither.
        self.secret = secret
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_args.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        else:
            engine_args.setdefault("pool_pre_ping", True)
        self.engine: Engine = create_engine(url, **engine_args)
        # SQLite has one writer at a time; queueing the writers of every process in order is
        # fairer and faster than letting them back off and sleep on the database lock. On
        # PostgreSQL the writers line up on an advisory lock, first thing in the transaction
        # (``_WRITERS_IN_LINE``): every write appends to the log, whose head row serialised
        # them anyway, but only after each had taken other row locks, so two commit groups
        # could deadlock on them.
        self._write_queue: contextlib.AbstractContextManager[None] = (
            WriteQueue(_lock_file(self.engine)) if self.is_sqlite else contextlib.nullcontext()
        )
        # Told the seconds each write transaction waited for its turn (api/metrics.py).
        self.on_write_wait: Callable[[float], None] | None = None
        # What can no longer change once written (a selection's rules and candidate list once
        # its candidates are fixed), read once per handle: see ``frozen``.
        self.frozen: dict[Hashable, Any] = {}
        # The API's writes are committed in groups, one sync each (``GroupCommit``).
        self.groups = GroupCommit(self)
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write, in line with every other writer of the database: on
        SQLite it takes the write lock at BEGIN, on PostgreSQL the writers' advisory lock."""
        asked = time.perf_counter()
        with (
            self._guard(),
            self._write_queue,
            _unavailable_as_domain_error(),
            self.engine.connect() as conn,
        ):
            conn.execution_options(**{_WRITE: True})
            conn.info[_KEYRING] = self.keyring
            conn.info[_SEALS] = self.secret
            conn.info[_FROZEN] = self.frozen
            conn.info[RECEIPTS] = []
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(_WRITERS_IN_LINE)
                if self.on_write_wait is not None:
                    self.on_write_wait(time.perf_counter() - asked)
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with (
            self._guard(),
            _unavailable_as_domain_error(),
            self.engine.connect() as conn,
            conn.begin(),
        ):
            conn.info[_SEALS] = self.secret
            conn.info[_FROZEN] = self.frozen
            yield conn

    @property
    def server_secret(self) -> ServerSecret:
        if self.secret is None:
            raise RuntimeError("this database handle has no server secret")
        return self.secret

    def is_migrated(self) -> bool:
        """Whether migrations ever ran here; asking does not create a missing SQLite file."""
        name = self.engine.url.database
        if self.is_sqlite and name and name != ":memory:" and not Path(name).exists():
            return False
        with self.read() as conn:
            return inspect(conn).has_table("alembic_version")

    def dispose(self) -> None:
        self.groups.close()
        self.engine.dispose()
        if isinstance(self._write_queue, WriteQueue):
            self._write_queue.close()


class WriteQueue:
    """SQLite's writers, in line: this process's threads on a lock, and the processes that
    share the database file (several API processes, the worker) on an ``flock`` of a file
    beside it. A writer blocks until its turn instead of polling SQLite's busy handler, whose
    growing sleeps gave seconds of tail latency. The kernel drops the lock of a killed process.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:  # opened at the first write: asking must not create files
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class GroupCommit:
    """Writes committed in groups: one thread runs the writes handed to it while it was busy,
    each in a savepoint of one transaction, and commits (and syncs) them once.

    One turn of the writers' lock and one sync of the log for a whole group, instead of one
    each: under load the lock was held mostly for those, and on PostgreSQL for the round trips
    of each write after it took the log's head row. No write is answered before the group's
    commit: a write's future is settled only after it, so an acknowledged write is as durable
    as before. A write that fails rolls back its own savepoint and fails alone; if
    the commit fails, every write of the group fails with it. A write whose caller stopped
    waiting before it began is not run.
    """

    def __init__(self, db: Database, most: int = GROUP_MOST) -> None:
        self._db = db
        self._most = most
        self._jobs: deque[tuple[Callable[[Connection], Any], Future[Any]]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        # The size of each group committed, for tests and metrics (``None``: not asked).
        self.on_group: Callable[[int], None] | None = None

    def submit(self, job: Callable[[Connection], T]) -> Future[T]:
        """Run ``job`` in the next group; its future holds what it returned, or what it
        raised, once the group is committed."""
        done: Future[T] = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("this database handle is disposed")
            if self._thread is None:  # started at the first write: a handle may never write
                self._thread = threading.Thread(
                    target=self._serve, name="mandate-group-commit", daemon=True
                )
                self._thread.start()
            self._jobs.append((job, done))
            self._ready.notify()
        return done

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _serve(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closed:
                    self._ready.wait()
                if not self._jobs:
                    return
                taken = [self._jobs.popleft() for _ in range(min(self._most, len(self._jobs)))]
            group = [(job, done) for job, done in taken if done.set_running_or_notify_cancel()]
            if group:
                self._commit(group)

    def _commit(self, group: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        settled: list[tuple[Future[Any], bool, Any]] = []
        try:
            with self._db.write() as conn:
                for job, done in group:
                    conn.info[RECEIPTS] = []  # each write's receipts are its own
                    try:
                        with conn.begin_nested():
                            settled.append((done, True, job(conn)))
                    except Exception as exc:
                        settled.append((done, False, exc))
        except BaseException as exc:  # nothing of the group stands: each write hears why
            for _, done in group:
                done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self.on_group is not None:
            self.on_group(len(group))
        for done, ok, value in settled:
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)


def _lock_file(engine: Engine) -> Path | None:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(f"{name}-writers.lock")


def server_secret(conn: Connection) -> ServerSecret:
    """The server secret of the handle that began the transaction."""
    secret: ServerSecret | None = conn.info.get(_SEALS)
    if secret is None:
        raise RuntimeError("this database handle has no server secret, so it cannot seal")
    return secret


def frozen(conn: Connection) -> dict[Hashable, Any]:
    """The handle's memo of what can no longer change once written; a connection of no
    handle gets an empty one of its own. Only immutable facts go in, under keys naming them."""
    memo: dict[Hashable, Any] = conn.info.setdefault(_FROZEN, {})
    return memo


def keyring(conn: Connection) -> KeyRing:
    """The key ring a write transaction signs with: the one its ``Database`` handle holds."""
    ring: KeyRing | None = conn.info.get(_KEYRING)
    if ring is None:
        raise RuntimeError("this database handle has no key ring, so it cannot sign")
    return ring


@contextmanager
def _unavailable_as_domain_error() -> Iterator[None]:
    try:
        yield
    except DataError as exc:
        # A value the database cannot store or compare (e.g. a NUL byte on PostgreSQL).
        raise InvalidInput(
            N_("a value was refused by the database: %(orig)s"), orig=exc.orig
        ) from exc
    except OperationalError as exc:
        if _is_lock_or_connection_error(exc):
            raise ServiceUnavailable(
                N_("the database is not available: %(orig)s"), orig=exc.orig
            ) from exc
        raise


def _is_lock_or_connection_error(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return exc.connection_invalidated or any(
        s in text for s in ("database is locked", "connection", "could not connect", "timeout")
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below be the only transaction control.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so a phase-gated write cannot interleave
        # with the close of that phase (SQLite's stand-in for FOR SHARE / FOR UPDATE).
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
