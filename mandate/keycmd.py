"""`mandate keys`: show the key list and rotate a key.

A rotation lists the new key from a time ``key_activation_delay`` seconds ahead (or ``--at``),
retires the old one at that time, and logs the new list signed by the records key valid now.
Every running process re-reads the list at least once a second, so each knows the new key
before it is due; records stay signed by the key valid at their own time.
"""

from __future__ import annotations

import json
from datetime import timedelta

from mandate import keyfile
from mandate.settings import Settings
from policies.times import iso
from records.keylist import PURPOSES, KeyList, listed_key, parse_time
from records.keys import generate_signer
from store import keys
from store.db import Database, utcnow

MIN_LEAD_SECONDS = 5


def show(settings: Settings) -> KeyList:
    db = Database(settings.db_url)
    try:
        with db.read() as conn:
            return keys.key_list(conn)
    finally:
        db.dispose()


def rotate(settings: Settings, purpose: str, at: str | None = None) -> tuple[str, str, str]:
    """Rotate the active ``purpose`` key at ``at``; returns (old key id, new key id, time)."""
    if purpose not in PURPOSES:
        raise ValueError(f"got purpose {purpose!r}, expected one of {', '.join(PURPOSES)}")
    now = utcnow()
    when = at or iso(now + timedelta(seconds=settings.key_activation_delay))
    # Every process must re-read the key list (each second) before the new key is due.
    earliest = now + timedelta(seconds=MIN_LEAD_SECONDS)
    if parse_time(when, "--at") < earliest:
        raise ValueError(
            f"got --at {when}, expected {iso(earliest)} or later: running processes need "
            f"{MIN_LEAD_SECONDS} s to learn of the new key"
        )
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
    try:
        with db.write() as conn:
            current = [
                k
                for k in keys.key_list(conn).keys
                if k.purpose == purpose and k.status == "active" and k.valid_until is None
            ]
            if len(current) != 1:
                raise ValueError(
                    f"expected one open-ended active {purpose} key, found {len(current)}"
                )
            signer = generate_signer()
            keyfile.KeyFolder(settings.resolved_keys_dir).save(signer)
            keys.rotate(conn, current[0].key_id, listed_key(signer.public_key, purpose, when), when)
            keys.publish(conn, "mandate keys rotate")
            return current[0].key_id, signer.key_id, when
    finally:
        db.dispose()


def dump(listed: KeyList) -> str:
    return json.dumps(listed.to_json(), indent=2)
