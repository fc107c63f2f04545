"""Apply and check Alembic migrations from code (``mandate migrate`` and start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from store.db import Database
from store.tables import metadata

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    with db.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def revision(db: Database, message: str) -> None:
    """Autogenerate a migration (a developer tool; review the file it writes)."""
    with db.engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def drift(db: Database) -> list[object]:
    """Differences between the migrated schema and ``store.tables``; empty when in step."""
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))
