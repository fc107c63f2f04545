"""Fixtures for tests that start Mandate's processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import throwaway_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, empty, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mandate.db'}"
        return
    with throwaway_postgres() as url:
        yield url
