"""The test deployment's signing keys (real Ed25519, listed like bootstrap lists them) and
its server secret."""

from __future__ import annotations

from pathlib import Path

from records.keylist import listed_key
from records.keys import Signer, generate_signer
from store import keys
from store.db import Database
from store.sealing import ServerSecret, new_secret
from store.signing import KeyRing

ORIGIN = "mandate.test/log"
RECORDS = generate_signer()
CHECKPOINTS = generate_signer()
# Before any time the tests' clocks use, so every test's entries fall in the window.
LISTED_FROM = "2000-01-01T00:00:00Z"
SECRET = new_secret()


def server_secret() -> ServerSecret:
    return ServerSecret(SECRET)


def keyring(*extra: Signer) -> KeyRing:
    held = {s.key_id: s for s in (RECORDS, CHECKPOINTS, *extra)}
    return KeyRing(held.get)


def list_keys(db: Database) -> None:
    """List the test keys and log the list, unless the database has them already."""
    with db.write() as conn:
        if keys.key_list(conn).keys:
            return
        keys.add(conn, listed_key(RECORDS.public_key, "records", LISTED_FROM))
        keys.add(conn, listed_key(CHECKPOINTS.public_key, "checkpoints", LISTED_FROM))
        keys.publish(conn, "test")


def keyed_database(url: str) -> Database:
    """A migrated database whose handle signs with the test keys."""
    from store import migrate

    db = Database(url, keyring=keyring(), secret=server_secret())
    migrate.upgrade(db)
    list_keys(db)
    return db


def save_keys(folder: Path) -> None:
    """Write the test keys where a separately started process finds them (``<id>.pem``)."""
    import base64

    from mandate.keyfile import SERVER_SECRET_FILE, KeyFolder

    for signer in (RECORDS, CHECKPOINTS):
        KeyFolder(folder).save(signer)
    secret = folder / SERVER_SECRET_FILE
    if not secret.exists():
        secret.write_text(base64.b64encode(SECRET).decode() + "\n")
        secret.chmod(0o600)
