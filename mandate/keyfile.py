"""Private keys on disk, mode 0600, never logged: one PEM file per signing key id, and the
server secret (``server-secret.key``) that codes are MACed and stored secrets sealed with."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from pathlib import Path

from mandate.settings import Settings
from records.keys import Signer, signer_from_pem, signer_to_pem
from store.sealing import ServerSecret, new_secret
from store.signing import KeyRing

SERVER_SECRET_FILE = "server-secret.key"  # noqa: S105 - a file name


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
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process saved it first
                write_new(path, signer_to_pem(signer))
        return path


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0600, its folder 0700); refuse to overwrite."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def keyring(settings: Settings) -> KeyRing:
    """The key ring of a process: the published key list decides, this folder holds the keys."""
    return KeyRing(KeyFolder(settings.resolved_keys_dir).load)


class MissingServerSecret(RuntimeError):
    """The keys folder has no server secret: ``mandate bootstrap`` creates it."""


def server_secret_path(settings: Settings) -> Path:
    return settings.resolved_keys_dir / SERVER_SECRET_FILE


def ensure_server_secret(settings: Settings) -> bool:
    """Create the server secret unless the keys folder has one; True when it was created."""
    path = server_secret_path(settings)
    if path.exists():
        return False
    try:
        write_new(path, base64.b64encode(new_secret()) + b"\n")
    except FileExistsError:
        return False  # another process created it first
    return True


def server_secret(settings: Settings) -> ServerSecret:
    """The server secret every API and worker process of the deployment shares."""
    path = server_secret_path(settings)
    if not path.exists():
        raise MissingServerSecret(
            f"no server secret at {path}: run `mandate bootstrap` (it creates it), and give "
            "every API and worker process the same keys folder"
        )
    try:
        return ServerSecret(base64.b64decode(path.read_text().strip(), validate=True))
    except (ValueError, binascii.Error):
        raise MissingServerSecret(
            f"{path} does not hold a server secret (32 bytes in base64)"
        ) from None
