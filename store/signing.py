"""Which private key signs what, now: the published key list decides, the key ring holds keys.

A process holds no private key in memory until it needs one: it looks the key up by id through
``load`` (a key folder in practice), so a key rotated in by another process is picked up as soon
as the key list names it. The key list is cached for ``refresh_seconds``; rotations are listed
ahead of time (see ``store.keys.rotate``) so every process knows the next key before it is due.

The list is read here, below the audit log: logging signs with this ring, while ``store.keys``,
which changes the list, logs each change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, select

from policies.errors import ServiceUnavailable
from policies.messages import N_
from policies.times import iso
from records.keylist import KeyList, ListedKey
from records.keys import Signer
from records.note import NoteSigner
from store.tables import signing_key

KeyLoader = Callable[[str], Signer | None]


def key_list(conn: Connection) -> KeyList:
    """The key list as stored now."""
    rows = conn.execute(
        select(signing_key).order_by(
            signing_key.c.purpose, signing_key.c.valid_from, signing_key.c.key_id
        )
    ).all()
    return KeyList(
        tuple(
            ListedKey(
                key_id=r.key_id,
                public_key=r.public_key,
                purpose=r.purpose,
                valid_from=r.valid_from,
                valid_until=r.valid_until,
                status=r.status,
            )
            for r in rows
        )
    )


class KeyRing:
    def __init__(self, load: KeyLoader, refresh_seconds: float = 1.0) -> None:
        self._load = load
        self._refresh = refresh_seconds
        self._signers: dict[str, Signer] = {}
        self._keys: KeyList | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def key_list(self, conn: Connection, *, fresh: bool = False) -> KeyList:
        with self._lock:
            stale = time.monotonic() - self._loaded_at > self._refresh
            if fresh or stale or self._keys is None:
                self._keys = key_list(conn)
                self._loaded_at = time.monotonic()
            return self._keys

    def signer_for(self, conn: Connection, purpose: str, at: datetime) -> Signer:
        """The private key of the ``purpose`` key listed as valid at ``at``."""
        listed = self._valid(self.key_list(conn), purpose, at)
        if listed is None:
            listed = self._valid(self.key_list(conn, fresh=True), purpose, at)
        if listed is None:
            raise ServiceUnavailable(
                N_(
                    "no %(purpose)s key is listed as valid at %(at)s; run `mandate bootstrap` or "
                    "`mandate keys rotate`"
                ),
                purpose=purpose,
                at=iso(at),
            )
        with self._lock:
            signer = self._signers.get(listed)
            if signer is None:
                signer = self._load(listed)
                if signer is None or signer.key_id != listed:
                    raise ServiceUnavailable(
                        N_(
                            "the %(purpose)s key %(listed)s is listed but its private key is not "
                            "available to this process"
                        ),
                        purpose=purpose,
                        listed=listed,
                    )
                self._signers[listed] = signer
        return signer

    def note_signer(self, conn: Connection, origin: str, at: datetime) -> tuple[str, NoteSigner]:
        """The checkpoint key valid at ``at``, as a signed-note signer named for the log."""
        signer = self.signer_for(conn, "checkpoints", at)
        return signer.key_id, NoteSigner(origin, signer.seed)

    @staticmethod
    def _valid(keys: KeyList, purpose: str, at: datetime) -> str | None:
        for key in keys.keys:
            if key.purpose == purpose and key.status != "revoked" and key.valid_at(at):
                return key.key_id
        return None
