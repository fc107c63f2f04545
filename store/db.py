"""Engines and transactions for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.types import TypeDecorator

from policies.errors import InvalidInput, ServiceUnavailable

if TYPE_CHECKING:
    from store.signing import KeyRing

_WRITE = "mandate_write"
# Per-transaction slots in ``Connection.info``: the key ring the log signs with, and the leaf
# hashes of the entries the transaction logged (the write's receipts).
KEYRING = "mandate.keyring"
RECEIPTS = "mandate.receipts"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database:
    """One engine plus the two kinds of transaction the code base uses."""

    def __init__(self, url: str, keyring: KeyRing | None = None, **engine_args: Any) -> None:
        self.url = url
        # Signs log entries; a handle without one can read and migrate but not log.
        self.keyring = keyring
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_args.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        else:
            engine_args.setdefault("pool_pre_ping", True)
        self.engine: Engine = create_engine(url, **engine_args)
        # SQLite has one writer at a time; queueing this process's writers on a lock is fairer
        # and faster than letting them back off and sleep on the database lock.
        self._write_lock = threading.Lock() if self.is_sqlite else contextlib.nullcontext()
        if self.is_sqlite:
            _configure_sqlite(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that will write: on SQLite it takes the write lock at BEGIN."""
        with self._write_lock, _unavailable_as_domain_error(), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            conn.info[KEYRING] = self.keyring
            conn.info[RECEIPTS] = []
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _unavailable_as_domain_error(), self.engine.connect() as conn, conn.begin():
            yield conn

    def is_migrated(self) -> bool:
        """Whether migrations ever ran here; asking does not create a missing SQLite file."""
        name = self.engine.url.database
        if self.is_sqlite and name and name != ":memory:" and not Path(name).exists():
            return False
        with self.read() as conn:
            return inspect(conn).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _unavailable_as_domain_error() -> Iterator[None]:
    try:
        yield
    except DataError as exc:
        # A value the database cannot store or compare (e.g. a NUL byte on PostgreSQL).
        raise InvalidInput(f"a value was refused by the database: {exc.orig}") from exc
    except OperationalError as exc:
        if _is_lock_or_connection_error(exc):
            raise ServiceUnavailable(f"the database is not available: {exc.orig}") from exc
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
