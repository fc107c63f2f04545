"""DSSE v1 envelopes: encoding, signing and strict parsing."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from policies.errors import RecordError, SignatureError
from records.dsse import Envelope, Signature, pae, payload_type_for, sign, verify
from records.keys import Signer, generate_signer

PAYLOAD = b'{"round":"r-1","winner":"alice"}'
TYPE = payload_type_for("result")


@pytest.fixture
def signer() -> Signer:
    return generate_signer()


def test_pae_matches_spec_example() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("é", b"") == b"DSSEv1 2 \xc3\xa9 0 "


def test_payload_type_for() -> None:
    assert TYPE == "application/vnd.mandate.result.v1+json"
    with pytest.raises(RecordError, match="statement type"):
        payload_type_for("bad type")


def test_sign_verify_round_trip(signer: Signer) -> None:
    envelope = sign(signer, TYPE, PAYLOAD)
    assert envelope.signatures[0].keyid == signer.key_id
    assert verify(envelope, {signer.key_id: signer.public_key}) == PAYLOAD
    assert verify(envelope, {signer.key_id: signer.public_key}, payload_type=TYPE) == PAYLOAD


def test_verify_with_expected_type_refuses_other_type(signer: Signer) -> None:
    envelope = sign(signer, TYPE, PAYLOAD)
    with pytest.raises(SignatureError, match=r"expected 'application/vnd\.mandate\.other"):
        verify(envelope, {signer.key_id: signer.public_key}, payload_type=payload_type_for("other"))


def test_altered_payload_refused(signer: Signer) -> None:
    envelope = dataclasses.replace(sign(signer, TYPE, PAYLOAD), payload=PAYLOAD.replace(b"a", b"b"))
    with pytest.raises(SignatureError, match="does not match"):
        verify(envelope, {signer.key_id: signer.public_key})


def test_altered_type_refused(signer: Signer) -> None:
    envelope = dataclasses.replace(sign(signer, TYPE, PAYLOAD), payload_type=payload_type_for("x"))
    with pytest.raises(SignatureError, match="does not match"):
        verify(envelope, {signer.key_id: signer.public_key})


def test_wrong_key_refused(signer: Signer) -> None:
    other = generate_signer()
    envelope = sign(signer, TYPE, PAYLOAD)
    with pytest.raises(SignatureError, match="does not match"):
        verify(envelope, {signer.key_id: other.public_key})


def test_unknown_keyid_refused(signer: Signer) -> None:
    other = generate_signer()
    envelope = sign(signer, TYPE, PAYLOAD)
    with pytest.raises(SignatureError) as info:
        verify(envelope, {other.key_id: other.public_key})
    assert signer.key_id in info.value.detail
    assert other.key_id in info.value.detail


def test_any_trusted_signature_suffices(signer: Signer) -> None:
    other = generate_signer()
    mine = sign(signer, TYPE, PAYLOAD)
    theirs = sign(other, TYPE, PAYLOAD)
    both = dataclasses.replace(mine, signatures=mine.signatures + theirs.signatures)
    assert verify(both, {other.key_id: other.public_key}) == PAYLOAD


def test_json_round_trip(signer: Signer) -> None:
    envelope = sign(signer, TYPE, PAYLOAD)
    obj = envelope.to_json()
    assert obj["payload"] == base64.b64encode(PAYLOAD).decode()
    assert obj["payloadType"] == TYPE
    assert Envelope.from_json(obj) == envelope
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope


def _valid_json() -> dict[str, object]:
    return Envelope(TYPE, PAYLOAD, (Signature("k", b"\x01" * 64),)).to_json()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"payload": "not base64!"}, "expected standard base64"),
        ({"payload": "YQ"}, "base64"),
        ({"payload": 3}, "expected a string"),
        ({"payloadType": None}, "expected a string"),
        ({"signatures": []}, "non-empty list"),
        ({"signatures": {"keyid": "k", "sig": "AA=="}}, "non-empty list"),
        ({"signatures": ["x"]}, "signatures[0] of type str"),
        ({"signatures": [{"keyid": "k"}]}, "signatures[0] fields"),
        ({"signatures": [{"keyid": 1, "sig": "AA=="}]}, "keyid of type int"),
        ({"signatures": [{"keyid": "k", "sig": "AB=="}]}, "canonical padded base64"),
        ({"extra": 1}, "envelope fields"),
    ],
)
def test_malformed_json_refused(change: dict[str, object], fragment: str) -> None:
    obj = {**_valid_json(), **change}
    with pytest.raises(SignatureError) as info:
        Envelope.from_json(obj)
    assert fragment in info.value.detail


@pytest.mark.parametrize("obj", [None, [], "envelope", {"payload": "AA=="}])
def test_non_envelopes_refused(obj: object) -> None:
    with pytest.raises(SignatureError):
        Envelope.from_json(obj)


@pytest.mark.parametrize("data", [b"not json", b"\xff", b"[1]"])
def test_malformed_bytes_refused(data: bytes) -> None:
    with pytest.raises(SignatureError):
        Envelope.from_bytes(data)
