"""Salted commitments to nominees' profiles: what the public log holds of a person.

The log is public and permanent, so a nomination's entry carries no name, statement or
attributes, only ``profile_commitment``: the SHA-256 of the canonical JSON (RFC 8785) of ::

    {"domain": "mandate.profile/1", "nomination_id": str, "nominee_name": str,
     "statement": {lang: text}, "attributes": {name: value}, "salt": base64 of 32 bytes}

Once the nominee consents, the round's bundle discloses the profile and its salt, and anyone can
check it against the logged commitment. Erasing deletes the profile and the salt; the commitment
alone says nothing about the person (the salt is random), so the log still verifies and keeps
nothing personal.

Pure: the salt is made by the caller (``store``), from a source of randomness.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from policies.errors import InvalidInput
from records.canonical import canonical_json, sha256_hex

PROFILE_DOMAIN = "mandate.profile/1"
SALT_BYTES = 32
# The parts of a nomination a profile commits to; each is disclosed under the same name.
PROFILE_FIELDS = ("nominee_name", "statement", "attributes")


def profile_document(nomination_id: str, profile: Mapping[str, Any], salt: str) -> dict[str, Any]:
    """The object whose canonical JSON is hashed; ``profile`` holds the :data:`PROFILE_FIELDS`."""
    if type(nomination_id) is not str or not nomination_id:
        raise InvalidInput(f"got nomination_id {nomination_id!r}, expected a non-empty string")
    name = profile.get("nominee_name")
    if type(name) is not str:
        raise InvalidInput(f"got nominee_name {name!r}, expected a string")
    statement = _strings("statement", profile.get("statement"))
    attributes = _strings("attributes", profile.get("attributes"))
    check_salt(salt)
    return {
        "domain": PROFILE_DOMAIN,
        "nomination_id": nomination_id,
        "nominee_name": name,
        "statement": statement,
        "attributes": attributes,
        "salt": salt,
    }


def _strings(field: str, value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        type(k) is str and type(v) is str for k, v in value.items()
    ):
        raise InvalidInput(f"got {field} {value!r}, expected an object of strings")
    return dict(value)


def profile_commitment(nomination_id: str, profile: Mapping[str, Any], salt: str) -> str:
    """Hex SHA-256 of the profile document's canonical JSON."""
    return sha256_hex(canonical_json(profile_document(nomination_id, profile, salt)))


def salt_of(random_bytes: bytes) -> str:
    """A salt in the form a commitment takes it: standard base64 of 32 bytes."""
    if len(random_bytes) != SALT_BYTES:
        raise InvalidInput(f"got {len(random_bytes)} salt bytes, expected {SALT_BYTES}")
    return base64.b64encode(random_bytes).decode("ascii")


def check_salt(salt: object) -> str:
    """``salt`` if it is standard base64 of 32 bytes; else InvalidInput."""
    if type(salt) is not str:
        raise InvalidInput(f"got salt {salt!r}, expected base64 of {SALT_BYTES} bytes")
    try:
        raw = base64.b64decode(salt.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    if len(raw) != SALT_BYTES or base64.b64encode(raw).decode("ascii") != salt:
        raise InvalidInput(f"got salt {salt!r}, expected base64 of {SALT_BYTES} bytes")
    return salt
