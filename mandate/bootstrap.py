"""First start: the schema, the signing keys, the server secret and a secretariat token."""

from __future__ import annotations

import os

from mandate import keyfile
from mandate.deferred import log_owed_entries, seal_owed_secrets
from mandate.settings import Settings
from policies.access import Role
from policies.times import iso
from records.keylist import PURPOSES, listed_key
from records.keys import generate_signer
from store import audit, credentials, keys, migrate
from store.db import Database, utcnow


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
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
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


def ensure_keys(settings: Settings) -> list[str]:
    """List a records key and a checkpoints key if none is listed yet; return the new key ids.

    A first key is valid from the log's first entry (entries logged before entries were signed
    are signed now, with their original times), or from now on an empty log.
    """
    folder = keyfile.KeyFolder(settings.resolved_keys_dir)
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
    try:
        with db.write() as conn:
            listed = keys.key_list(conn)
            first = keys.first_log_time(conn)
            start = iso(min(first, utcnow()) if first else utcnow())
            added = []
            for purpose in PURPOSES:
                if any(k.purpose == purpose and k.status != "revoked" for k in listed.keys):
                    continue
                signer = generate_signer()
                folder.save(signer)
                listed = keys.add(conn, listed_key(signer.public_key, purpose, start))
                added.append(signer.key_id)
            if added:
                audit.sign_unsigned(conn)
                keys.publish(conn, "bootstrap")
            return added
    finally:
        db.dispose()


def set_up(settings: Settings) -> str | None:
    prepare_data_dir(settings)
    migrate_database(settings)
    keyfile.ensure_server_secret(settings)
    ensure_keys(settings)
    log_owed_entries(settings)  # what migrations changed, in the log once keys are listed
    seal_owed_secrets(settings)
    return ensure_secretariat_token(settings)
