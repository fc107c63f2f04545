"""DSSE v1 envelopes signed with Ed25519 (https://github.com/secure-systems-lab/dsse)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from policies.errors import RecordError, SignatureError
from records.canonical import canonical_json
from records.keys import Signer

_STATEMENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ENVELOPE_FIELDS = {"payload", "payloadType", "signatures"}
_SIGNATURE_FIELDS = {"keyid", "sig"}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: what is actually signed."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def payload_type_for(statement_type: str) -> str:
    """The media type under which a statement of ``statement_type`` is signed."""
    if not _STATEMENT_TYPE.fullmatch(statement_type):
        raise RecordError(
            f"got statement type {statement_type!r}, expected letters, digits, '.', '_' or '-'"
        )
    return f"application/vnd.mandate.{statement_type}.v1+json"


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_json(self) -> dict[str, object]:
        """The standard DSSE JSON form."""
        return {
            "payload": _b64(self.payload),
            "payloadType": self.payload_type,
            "signatures": [{"keyid": s.keyid, "sig": _b64(s.sig)} for s in self.signatures],
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, obj: object) -> Envelope:
        """Strictly parse the DSSE JSON form; unknown or missing fields are refused."""
        fields = _object(obj, _ENVELOPE_FIELDS, "envelope")
        payload_type = _text(fields["payloadType"], "envelope payloadType")
        payload = _unb64(fields["payload"], "envelope payload")
        raw_signatures = fields["signatures"]
        if not isinstance(raw_signatures, list) or not raw_signatures:
            raise SignatureError(
                f"got envelope signatures of {_describe(raw_signatures)}, expected a non-empty list"
            )
        signatures = []
        for index, raw in enumerate(raw_signatures):
            where = f"envelope signatures[{index}]"
            sig_fields = _object(raw, _SIGNATURE_FIELDS, where)
            signatures.append(
                Signature(
                    keyid=_text(sig_fields["keyid"], f"{where}.keyid"),
                    sig=_unb64(sig_fields["sig"], f"{where}.sig"),
                )
            )
        return cls(payload_type=payload_type, payload=payload, signatures=tuple(signatures))

    @classmethod
    def from_bytes(cls, data: bytes) -> Envelope:
        """Parse an envelope from JSON bytes."""
        try:
            obj: object = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise SignatureError(f"got an envelope that is not JSON ({exc})") from exc
        return cls.from_json(obj)


def sign(signer: Signer, payload_type: str, payload: bytes) -> Envelope:
    """Envelope ``payload`` with one signature by ``signer``."""
    sig = signer.sign(pae(payload_type, payload))
    return Envelope(payload_type, payload, (Signature(signer.key_id, sig),))


def verify(
    envelope: Envelope,
    keys: Mapping[str, Ed25519PublicKey],
    *,
    payload_type: str | None = None,
) -> bytes:
    """Return the payload if a signature by one of ``keys`` verifies; else SignatureError.

    Pass ``payload_type`` to also refuse envelopes of another type.
    """
    if payload_type is not None and envelope.payload_type != payload_type:
        raise SignatureError(
            f"got payload type {envelope.payload_type!r}, expected {payload_type!r}"
        )
    message = pae(envelope.payload_type, envelope.payload)
    tried: list[str] = []
    for signature in envelope.signatures:
        key = keys.get(signature.keyid)
        if key is None:
            continue
        try:
            key.verify(signature.sig, message)
        except InvalidSignature:
            tried.append(signature.keyid)
            continue
        return envelope.payload
    if tried:
        raise SignatureError(
            f"signature by key {', '.join(tried)} does not match the payload and its type"
        )
    found = sorted(s.keyid for s in envelope.signatures)
    raise SignatureError(
        f"got signatures by keyids {found}, expected one by a trusted keyid in {sorted(keys)}"
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, where: str) -> bytes:
    text = _text(value, where)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"got {where} {text[:40]!r}, expected standard base64") from exc
    # Refuse non-canonical encodings so each envelope has exactly one JSON form.
    if _b64(data) != text:
        raise SignatureError(f"got {where} {text[:40]!r}, expected canonical padded base64")
    return data


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise SignatureError(f"got {where} of {_describe(value)}, expected a string")
    return value


def _object(value: object, fields: set[str], where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise SignatureError(f"got {where} of {_describe(value)}, expected a JSON object")
    got = set(value)
    if got != fields:
        raise SignatureError(
            f"got {where} fields {sorted(map(str, got))}, expected {sorted(fields)}"
        )
    return {str(k): v for k, v in value.items()}


def _describe(value: object) -> str:
    return f"type {type(value).__name__}"
