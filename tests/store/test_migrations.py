"""The migrations build exactly the schema ``store.tables`` describes, on both backends."""

from __future__ import annotations

import uuid

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from store import idempotency, migrate
from store.db import Database
from store.tables import metadata
from tests.store.test_idempotency import answered


def _current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _head() -> str | None:
    return ScriptDirectory.from_config(migrate._config()).get_current_head()


def test_migrated_schema_has_no_drift(db: Database) -> None:
    assert migrate.drift(db) == []
    assert _current(db) == _head()
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert set(metadata.tables) <= tables


def test_upgrading_again_is_a_no_op(db: Database) -> None:
    principal = str(uuid.uuid4())
    answered(db, principal, "k", 201, "{}", "h" * 64)
    with db.engine.connect() as conn:
        before = {name: inspect(conn).get_columns(name) for name in sorted(metadata.tables)}
    migrate.upgrade(db)
    assert _current(db) == _head()
    assert migrate.drift(db) == []
    with db.engine.connect() as conn:
        after = {name: inspect(conn).get_columns(name) for name in sorted(metadata.tables)}
    assert [(n, [c["name"] for c in cols]) for n, cols in after.items()] == [
        (n, [c["name"] for c in cols]) for n, cols in before.items()
    ]
    with db.read() as conn:  # the data survived
        assert idempotency.lookup(conn, principal, "k", "h" * 64) is not None
