"""Ed25519 signers, key ids and their text forms."""

from __future__ import annotations

import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from policies.errors import RecordError
from records.keys import (
    Signer,
    generate_signer,
    key_id,
    public_key_from_b64,
    public_key_to_b64,
    signer_from_pem,
    signer_to_pem,
)


def test_pem_round_trip() -> None:
    signer = generate_signer()
    pem = signer_to_pem(signer)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = signer_from_pem(pem)
    assert loaded.key_id == signer.key_id
    signer.public_key.verify(loaded.sign(b"data"), b"data")


def test_repr_hides_key_material() -> None:
    signer = generate_signer()
    pem_body = b"".join(signer_to_pem(signer).splitlines()[1:-1]).decode()
    shown = repr(signer)
    assert shown == f"Signer(key_id={signer.key_id!r})"
    assert pem_body not in shown
    assert "private" not in shown.lower()
    assert str(signer) == shown


def test_key_id_is_stable_hex() -> None:
    signer = generate_signer()
    assert re.fullmatch(r"[0-9a-f]{64}", signer.key_id)
    assert key_id(signer.public_key) == signer.key_id
    assert signer_from_pem(signer_to_pem(signer)).key_id == signer.key_id
    assert generate_signer().key_id != signer.key_id


def test_key_id_of_known_key() -> None:
    # RFC 8032 test 1 secret key; its id is SHA-256 of the raw public key.
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    signer = Signer(Ed25519PrivateKey.from_private_bytes(secret))
    assert public_key_to_b64(signer.public_key) == "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    assert signer.key_id == "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"


def test_signer_from_pem_refuses_other_keys() -> None:
    ec_pem = generate_private_key(SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    with pytest.raises(RecordError, match="expected an Ed25519 private key"):
        signer_from_pem(ec_pem)


@pytest.mark.parametrize("data", [b"", b"not a pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_signer_from_pem_refuses_garbage(data: bytes) -> None:
    with pytest.raises(RecordError):
        signer_from_pem(data)


def test_signer_from_pem_refuses_encrypted_key() -> None:
    encrypted = generate_signer().private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"secret")
    )
    with pytest.raises(RecordError, match="unencrypted"):
        signer_from_pem(encrypted)


def test_public_key_b64_round_trip() -> None:
    signer = generate_signer()
    text = public_key_to_b64(signer.public_key)
    assert key_id(public_key_from_b64(text)) == signer.key_id


@pytest.mark.parametrize("text", ["", "not base64!", "AAAA", "é", "A" * 43 + "B"])
def test_public_key_from_b64_refuses_bad_input(text: str) -> None:
    with pytest.raises(RecordError):
        public_key_from_b64(text)
