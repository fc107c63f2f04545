"""A log entry: a DSSE envelope over one canonical JSON statement, as the Merkle log holds it.

The entry's bytes are the envelope's canonical JSON (:meth:`records.dsse.Envelope.to_bytes`)::

    {"payload": <base64>, "payloadType": "application/vnd.mandate.<type>.v1+json",
     "signatures": [{"keyid": <key id hex>, "sig": <base64>}]}

and the Merkle leaf is exactly those bytes (leaf hash SHA-256(0x00 || bytes)). The payload is
the RFC 8785 canonical JSON of the statement::

    {"type": str, "scope": str, "seq": int, "at": "YYYY-MM-DDTHH:MM:SS[.ffffff]Z",
     "actor": str | null, "data": {...}}

``seq`` counts 1, 2, 3... within a scope (``round:<round_id>``, ``campaign:<campaign_id>``,
``registry``, ``keys``); the
entry is signed by the ``records`` key valid at ``at``.

Parsing here is strict and checks the form only; who signed it is for the key list to say.
"""

from __future__ import annotations

import binascii
import re
from typing import Any, NamedTuple

from policies.errors import CanonicalizationError, RecordError
from records import dsse
from records.canonical import canonical_json
from records.canonical_fast import loads_canonical
from records.keys import Signer

KEYS_SCOPE = "keys"
STATEMENT_FIELDS = frozenset({"type", "scope", "seq", "at", "actor", "data"})

_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


class EntryError(RecordError):
    """A log entry or statement that is not of the documented form."""

    code = "malformed_entry"


def round_scope(round_id: str) -> str:
    """The scope of a round's entries."""
    return f"round:{round_id}"


def campaign_scope(campaign_id: str) -> str:
    """The scope of a sign-on campaign's entries."""
    return f"campaign:{campaign_id}"


class Statement(NamedTuple):
    type: str
    scope: str
    seq: int
    at: str
    actor: str | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "scope": self.scope,
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "data": self.data,
        }


class Entry(NamedTuple):
    """A parsed entry: its envelope (signatures not yet checked) and its statement."""

    envelope: dsse.Envelope
    statement: Statement


_PAYLOAD_TYPES: dict[str, str] = {}


def payload_type_of(statement_type: str) -> str:
    """:func:`records.dsse.payload_type_for`, remembered for the few types a log holds."""
    known = _PAYLOAD_TYPES.get(statement_type)
    if known is None:
        known = dsse.payload_type_for(statement_type)
        if len(_PAYLOAD_TYPES) < 1024:
            _PAYLOAD_TYPES[statement_type] = known
    return known


def sign_entry(signer: Signer, statement: Statement) -> bytes:
    """The entry bytes (the Merkle leaf) for ``statement`` signed by ``signer``."""
    check_statement(statement.to_json())
    payload = canonical_json(statement.to_json())
    return dsse.sign(signer, dsse.payload_type_for(statement.type), payload).to_bytes()


def parse_entry(data: bytes) -> Entry:
    """Strictly parse entry bytes: canonical JSON of a DSSE envelope whose payload type
    matches the statement's type, over a canonical statement of the documented form."""
    envelope = _one_signature_envelope(data)
    if envelope is None:
        try:
            obj = loads_canonical(data)
        except CanonicalizationError as exc:
            raise EntryError(f"envelope: {exc.detail}") from exc
        envelope = dsse.Envelope.from_json(obj)
    statement = parse_statement(envelope.payload)
    expected = payload_type_of(statement.type)
    if envelope.payload_type != expected:
        raise EntryError(
            f"got payload type {envelope.payload_type!r} for a {statement.type!r} statement, "
            f"expected {expected!r}"
        )
    return Entry(envelope, statement)


def parse_statement(payload: bytes) -> Statement:
    """Strictly parse a statement payload (canonical JSON of the documented form)."""
    try:
        obj = loads_canonical(payload)
    except CanonicalizationError as exc:
        raise EntryError(f"statement: {exc.detail}") from exc
    return check_statement(obj)


def check_statement(obj: object) -> Statement:
    """The statement ``obj`` (parsed JSON) if it has the documented form; else EntryError."""
    if not isinstance(obj, dict):
        raise EntryError(f"got a statement of type {type(obj).__name__}, expected a JSON object")
    if obj.keys() != STATEMENT_FIELDS:
        raise EntryError(
            f"got statement fields {sorted(map(str, obj))}, expected {sorted(STATEMENT_FIELDS)}"
        )
    kind, scope, seq, at, actor, data = (
        obj["type"],
        obj["scope"],
        obj["seq"],
        obj["at"],
        obj["actor"],
        obj["data"],
    )
    if not isinstance(kind, str):
        raise EntryError(f"got statement type {kind!r}, expected a string")
    payload_type_of(kind)  # refuses characters a media type cannot hold
    if not isinstance(scope, str) or not scope:
        raise EntryError(f"got scope {scope!r}, expected a non-empty string")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise EntryError(f"got seq {seq!r}, expected an integer ≥ 1")
    if not isinstance(at, str) or not _UTC_TIME.fullmatch(at):
        raise EntryError(
            f"got at {at!r}, expected an RFC 3339 UTC time like '2025-01-31T12:00:00Z'"
        )
    if actor is not None and not isinstance(actor, str):
        raise EntryError(f"got actor {actor!r}, expected a string or null")
    if not isinstance(data, dict):
        raise EntryError(f"got data of type {type(data).__name__}, expected a JSON object")
    return Statement(kind, scope, seq, at, actor, data)


# The canonical JSON of an envelope with one signature by a key id in hex, the usual case,
# cut at its fixed delimiters: if every piece is of its expected alphabet, the bytes are that
# envelope's canonical JSON, parsed without a JSON parser.
_OPEN = b'{"payload":"'
_TYPE = b'","payloadType":"'
_KEYID = b'","signatures":[{"keyid":"'
_SIG = b'","sig":"'
_CLOSE = b'"}]}'
_PAYLOAD_TYPE = re.compile(rb"[A-Za-z0-9._+/-]+")
_HEX_KEY_ID = re.compile(rb"[0-9a-f]{64}")


def _one_signature_envelope(data: bytes) -> dsse.Envelope | None:
    """The envelope if ``data`` is in the usual canonical form; None to parse it in full."""
    if not isinstance(data, bytes) or not data.startswith(_OPEN) or not data.endswith(_CLOSE):
        return None
    t = data.find(_TYPE, len(_OPEN))
    k = data.find(_KEYID, t)
    s = data.find(_SIG, k)
    if t < 0 or k < 0 or s < 0:
        return None
    payload_b64, payload_type = data[len(_OPEN) : t], data[t + len(_TYPE) : k]
    keyid, sig_b64 = data[k + len(_KEYID) : s], data[s + len(_SIG) : -len(_CLOSE)]
    if not _PAYLOAD_TYPE.fullmatch(payload_type) or not _HEX_KEY_ID.fullmatch(keyid):
        return None
    try:
        payload = binascii.a2b_base64(payload_b64, strict_mode=True)
        sig = binascii.a2b_base64(sig_b64, strict_mode=True)
    except binascii.Error:
        return None
    # Canonical base64 only (as Envelope.from_json): this also leaves no quote in the pieces.
    if (
        binascii.b2a_base64(payload, newline=False) != payload_b64
        or binascii.b2a_base64(sig, newline=False) != sig_b64
    ):
        return None
    return dsse.Envelope(
        payload_type.decode("ascii"), payload, (dsse.Signature(keyid.decode("ascii"), sig),)
    )
