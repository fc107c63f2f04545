from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from store.db import Database
from tests.keys import keyed_database


@pytest.fixture(scope="session")
def wf_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The activities' database for workflow tests (SQLite; the store tests cover PostgreSQL)."""
    path: Path = tmp_path_factory.mktemp("wf") / "mandate.db"
    db = keyed_database(f"sqlite:///{path}")
    yield db
    db.dispose()
