"""First start: the schema, the signing key and a secretariat token."""

from __future__ import annotations

import os

from mandate import keyfile
from mandate.settings import Settings
from policies.access import Role
from store import credentials, migrate
from store.db import Database


def prepare_data_dir(settings: Settings) -> None:
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)


def migrate_database(settings: Settings) -> None:
    db = Database(settings.db_url)
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()


def ensure_secretariat_token(settings: Settings) -> str | None:
    """Issue the first secretariat token; None when one exists already.

    The token is written to the data folder with mode 0600 and returned once for printing;
    only its hash is kept in the database.
    """
    db = Database(settings.db_url)
    try:
        with db.write() as conn:
            if credentials.has_secretariat(conn):
                return None
            issued = credentials.issue(conn, Role.SECRETARIAT, "bootstrap secretariat", None)
            path = settings.bootstrap_token_file
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(issued.token + "\n")
            return issued.token
    finally:
        db.dispose()


def set_up(settings: Settings) -> str | None:
    prepare_data_dir(settings)
    migrate_database(settings)
    keyfile.load_or_create(settings.key_file)
    return ensure_secretariat_token(settings)
