"""A signed list of open-data files: each file's name, size and SHA-256, so that a file
downloaded today can be checked against the record later, offline.

Format ``mandate.exports/1`` (the DSSE payload, canonical JSON, signed by a records key)::

    {"format": "mandate.exports/1", "subject": "round:<id>" | "campaign:<id>",
     "at": "<UTC time>", "files": [{"name": str, "size": int, "sha256": hex}, ...]}

Standard library, ``cryptography``, ``records`` and ``policies`` only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from policies.errors import DomainError
from records import dsse
from records.canonical import canonical_json
from records.canonical_fast import loads_canonical
from records.keylist import KeyList
from records.keys import Signer

EXPORTS_FORMAT = "mandate.exports/1"
EXPORTS_TYPE = "exports"


def manifest(subject: str, at: str, files: Mapping[str, bytes]) -> dict[str, Any]:
    return {
        "format": EXPORTS_FORMAT,
        "subject": subject,
        "at": at,
        "files": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
        ],
    }


def sign_manifest(signer: Signer, statement: Mapping[str, Any]) -> dsse.Envelope:
    return dsse.sign(signer, dsse.payload_type_for(EXPORTS_TYPE), canonical_json(statement))


def check_manifest(
    envelope_json: object, keys: KeyList, files: Mapping[str, bytes]
) -> tuple[list[str], list[str]]:
    """(problems, checked): the envelope's signature by a records key of ``keys`` valid at
    the manifest's time, and each of ``files`` against its line. Files the manifest lists but
    ``files`` lacks are reported as not checked."""
    problems: list[str] = []
    checked: list[str] = []
    try:
        envelope = dsse.Envelope.from_json(envelope_json)
        statement = loads_canonical(envelope.payload)
    except (DomainError, ValueError, TypeError, KeyError) as exc:
        return [f"the manifest is not a signed mandate.exports/1 record ({exc!r})"], checked
    if not isinstance(statement, dict) or statement.get("format") != EXPORTS_FORMAT:
        return ["the manifest's payload is not mandate.exports/1"], checked
    keys_at: dict[str, Any] = {}
    for signature in envelope.signatures:
        try:
            keys_at[signature.keyid] = keys.check_signed_at(
                signature.keyid, "records", str(statement.get("at"))
            )
        except DomainError as exc:
            problems.append(f"signature by {signature.keyid[:16]}: {exc.detail}")
    try:
        dsse.verify(envelope, keys_at, payload_type=dsse.payload_type_for(EXPORTS_TYPE))
        checked.append("the manifest is signed by a records key of the key list")
        problems = []  # one good signature is enough; the others were not needed
    except DomainError as exc:
        problems.append(f"the manifest's signature: {exc.detail}")
    for line in statement.get("files", []):
        name = line.get("name")
        data = files.get(name)
        if data is None:
            checked.append(f"{name}: not given, not checked")
        elif len(data) != line.get("size") or hashlib.sha256(data).hexdigest() != line.get(
            "sha256"
        ):
            problems.append(f"{name}: its bytes are not the ones the manifest lists")
        else:
            checked.append(f"{name}: {len(data)} bytes match the manifest")
    return problems, checked
