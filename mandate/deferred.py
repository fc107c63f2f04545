"""What migrations owe, done at bootstrap and at each worker's start: the log entries they left
(``store.deferred_log``), and webhook secrets they left in the clear, sealed (``store.webhooks``).
"""

from __future__ import annotations

import logging

from mandate import keyfile
from mandate.settings import Settings
from policies.errors import ServiceUnavailable
from store import deferred_log, webhooks
from store.db import Database

log = logging.getLogger(__name__)


def log_owed(db: Database) -> int:
    """Sign and append the entries migrations left; 0 while no records key is listed yet (then
    ``mandate bootstrap`` lists one and logs them)."""
    try:
        with db.write() as conn:
            logged = deferred_log.log_deferred(conn)
    except ServiceUnavailable as exc:
        log.warning("entries left by migrations are not logged yet: %s", exc.detail)
        return 0
    if logged:
        log.info("logged %d entries left by database migrations", logged)
    return logged


def log_owed_entries(settings: Settings) -> int:
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
    try:
        return log_owed(db)
    finally:
        db.dispose()


def seal_owed(db: Database) -> int:
    """Seal webhook secrets stored in the clear before secrets were sealed."""
    with db.write() as conn:
        sealed = webhooks.seal_clear_secrets(conn)
    if sealed:
        log.info("sealed %d webhook secrets stored in the clear", sealed)
    return sealed


def seal_owed_secrets(settings: Settings) -> int:
    db = Database(settings.db_url, secret=keyfile.server_secret(settings))
    try:
        return seal_owed(db)
    finally:
        db.dispose()
