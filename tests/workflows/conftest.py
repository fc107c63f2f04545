from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store import migrate
from store.db import Database


@pytest.fixture(scope="session")
def wf_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The activities' database for workflow tests (SQLite; the store tests cover PostgreSQL)."""
    path: Path = tmp_path_factory.mktemp("wf") / "mandate.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    yield db
    db.dispose()
