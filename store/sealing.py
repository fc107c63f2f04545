"""The server secret, and what it keeps out of a database dump.

A database dump must reveal no token, code or secret. Tokens are 256-bit random strings, so a
plain SHA-256 of each is enough (store/credentials.py). Short secrets are not: a six-digit code
hashed with SHA-256 is found by trying a million codes. And some secrets must be read back
(a webhook's signing secret, a stored answer that shows a token once, a mail that carries a
code). So the deployment holds one random secret in its keys folder, never in the database,
and derives from it, by HKDF-SHA256 with a label per use:

* a MAC key: confirmation codes and request fingerprints are stored as HMAC-SHA256 under it;
* a sealing key: what must be read back is stored encrypted with AES-256-GCM under it, bound
  to where it is stored (the associated data), so a sealed value moved to another row does not
  open.

A sealed value reads ``s1.<key id>.<base64url(nonce || ciphertext)>``; the key id (derived from
the secret, revealing nothing of it) says which secret sealed it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_BYTES = 32
_SEALED = "s1"
_NONCE = 12


class SealError(Exception):
    """A sealed value that this secret cannot open: another deployment's secret, or altered."""


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class ServerSecret:
    """The deployment's secret (``server-secret.key`` in the keys folder), by use."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != SECRET_BYTES:
            raise ValueError(f"the server secret has {len(secret)} bytes; expected {SECRET_BYTES}")
        self.key_id = _derive(secret, b"mandate.secret-id/1")[:8].hex()
        self._mac_key = _derive(secret, b"mandate.mac/1")
        self._aead = AESGCM(_derive(secret, b"mandate.seal/1"))

    def __repr__(self) -> str:  # never the secret, wherever it is printed
        return f"ServerSecret(key_id={self.key_id!r})"

    def mac(self, purpose: str, *parts: str | bytes) -> str:
        """HMAC-SHA256 (hex) of the parts under the MAC key, for one named purpose."""
        encoded = [p if isinstance(p, bytes) else p.encode() for p in (purpose, *parts)]
        return hmac.new(self._mac_key, b"\n".join(encoded), hashlib.sha256).hexdigest()

    def seal(self, plaintext: str, where: str) -> str:
        """Encrypt ``plaintext`` for the place named by ``where`` (table, column and row)."""
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), where.encode())
        encoded = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_SEALED}.{self.key_id}.{encoded}"

    def open(self, sealed: str, where: str) -> str:
        """The plaintext of a value sealed by :meth:`seal` for the same ``where``."""
        version, _, rest = sealed.partition(".")
        key_id, _, encoded = rest.partition(".")
        if version != _SEALED or not encoded:
            raise SealError(f"not a sealed value (it should start with {_SEALED}.)")
        if key_id != self.key_id:
            raise SealError(
                f"sealed under server secret {key_id}; this process holds {self.key_id}"
            )
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], where.encode()).decode()
        except InvalidTag:
            raise SealError(f"the sealed value for {where} does not open: altered") from None


def is_sealed(value: str) -> bool:
    return value.startswith(f"{_SEALED}.")


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)
