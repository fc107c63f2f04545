"""Ed25519 signing keys, their ids and their text forms."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from policies.errors import RecordError
from records.canonical import sha256_hex

_RAW_KEY_BYTES = 32


def key_id(public_key: Ed25519PublicKey) -> str:
    """Lowercase hex SHA-256 of the raw 32-byte public key."""
    return sha256_hex(_raw(public_key))


@dataclass(frozen=True, repr=False)
class Signer:
    """A private key that signs; its repr shows only the key id."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @property
    def seed(self) -> bytes:
        """The raw 32-byte private key, as signed-note keys hold it; never log it."""
        return self.private_key.private_bytes(
            encoding=serialization.Encoding.Raw,
            format=serialization.PrivateFormat.Raw,
            encryption_algorithm=serialization.NoEncryption(),
        )

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def __repr__(self) -> str:
        return f"Signer(key_id={self.key_id!r})"


def generate_signer() -> Signer:
    """A signer with a fresh random key."""
    return Signer(Ed25519PrivateKey.generate())


def signer_to_pem(signer: Signer) -> bytes:
    """The private key as unencrypted PKCS#8 PEM."""
    return signer.private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def signer_from_pem(data: bytes) -> Signer:
    """Load an unencrypted PEM private key, which must be Ed25519."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise RecordError(
            f"got PEM that does not load ({exc}), expected an unencrypted Ed25519 private key"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise RecordError(f"got a {type(key).__name__}, expected an Ed25519 private key")
    return Signer(key)


def public_key_to_b64(public_key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key in standard, padded base64."""
    return base64.b64encode(_raw(public_key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Inverse of :func:`public_key_to_b64`; refuses anything but 32 bytes of valid base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RecordError(f"got {text!r}, expected standard base64 of a public key") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise RecordError(f"got {text!r}, expected canonical padded base64")
    if len(raw) != _RAW_KEY_BYTES:
        raise RecordError(f"got a public key of {len(raw)} bytes, expected {_RAW_KEY_BYTES}")
    return Ed25519PublicKey.from_public_bytes(raw)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
