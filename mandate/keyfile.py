"""Private signing keys on disk: one PEM file per key id, mode 0600, never logged."""

from __future__ import annotations

import os
from pathlib import Path

from mandate.settings import Settings
from records.keys import Signer, signer_from_pem, signer_to_pem
from store.signing import KeyRing


class KeyFolder:
    """The private keys of this deployment, by key id (``<key id>.pem``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key_id: str) -> Path:
        return self.folder / f"{key_id}.pem"

    def load(self, key_id: str) -> Signer | None:
        path = self.path(key_id)
        return signer_from_pem(path.read_bytes()) if path.exists() else None

    def save(self, signer: Signer) -> Path:
        path = self.path(signer.key_id)
        if path.exists():
            return path
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path  # another process saved the same key first
        with os.fdopen(fd, "wb") as f:
            f.write(signer_to_pem(signer))
        return path


def write_new(path: Path, signer: Signer) -> None:
    """Write ``signer`` to ``path`` (mode 0600); refuse to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer_to_pem(signer))


def keyring(settings: Settings) -> KeyRing:
    """The key ring of a process: the published key list decides, this folder holds the keys."""
    return KeyRing(KeyFolder(settings.resolved_keys_dir).load)
