"""Checking a receipt for a person: is its entry in the log, proven against the latest signed
checkpoint? The same checks an auditor runs offline (records/), run here on the server."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from sqlalchemy import Connection

from policies.errors import DomainError, NotFound
from records.merkle import leaf_hash, verify_inclusion
from records.note import NoteVerifier, open_checkpoint
from store import log
from store.signing import key_list

_RECEIPT = re.compile(r"^[0-9a-f]{64}$")


def well_formed(receipt: str) -> bool:
    return _RECEIPT.fullmatch(receipt) is not None


@dataclass(frozen=True)
class Checked:
    found: bool  # in a signed checkpoint (else unknown, or not integrated yet)
    verified: bool = False  # the inclusion proof and the checkpoint signature hold
    index: int | None = None
    size: int | None = None
    entry_type: str | None = None
    scope: str | None = None
    at: str | None = None
    problem: str | None = None  # why it did not verify (English, for auditors)


def _statement(envelope: str) -> dict[str, str]:
    payload = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return {k: str(payload.get(k, "")) for k in ("type", "scope", "at")}


def check(conn: Connection, receipt: str, origin: str) -> Checked:
    try:
        index = log.index_of(conn, receipt)
    except NotFound:
        return Checked(found=False)
    signed = log.latest_checkpoint(conn)
    entry = log.entries(conn, index, index + 1)
    if signed is None or not entry or index >= signed.size:
        return Checked(found=False)
    statement = _statement(entry[0].envelope)
    found = Checked(
        found=True,
        index=index,
        size=signed.size,
        entry_type=statement["type"],
        scope=statement["scope"],
        at=statement["at"],
    )
    verifiers = [
        NoteVerifier(origin, k.ed25519().public_bytes_raw())
        for k in key_list(conn).keys
        if k.purpose == "checkpoints" and k.status != "revoked"
    ]
    try:
        if leaf_hash(entry[0].envelope.encode()).hex() != receipt:
            raise NotFound("the entry stored under this receipt does not hash to it")
        checkpoint = open_checkpoint(signed.note, verifiers, origin=origin)
        proof = log.inclusion(conn, index, checkpoint.size)
        verify_inclusion(index, checkpoint.size, bytes.fromhex(receipt), proof, checkpoint.root)
    except DomainError as exc:
        return Checked(**{**found.__dict__, "problem": exc.detail})
    return Checked(**{**found.__dict__, "verified": True})
