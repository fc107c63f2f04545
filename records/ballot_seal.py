"""Sealed ballots: what the log holds of a ballot while voting is open, and its opening.

While voting is open a ``ballot.cast`` entry holds only a commitment to the ballot::

    commitment = SHA-256(canonical JSON {"domain": "mandate.ballot/1", "constituency_id": str,
                                         "approvals": [str, ...] (sorted) | "ranking": [str, ...],
                                         "salt": base64 of 32 random bytes})

The salt makes the commitment hide the contents (a guess of the contents cannot be checked
against it) and binds them (other contents give another hash). At the close, one
``ballots.opened`` entry per constituency publishes each counted ballot's contents and salt; a
verifier recomputes every commitment before it recounts (:func:`opening_problem`).

Standard library and ``records`` only.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from typing import Any

from records.canonical import canonical_json, sha256_hex

BALLOT_DOMAIN = "mandate.ballot/1"
OPEN = "open"
SECRET = "secret"  # noqa: S105 (a ballot_secrecy value, not a password)
SALT_BYTES = 32


def new_salt() -> str:
    return base64.b64encode(secrets.token_bytes(SALT_BYTES)).decode("ascii")


def _contents(approvals: list[str] | None, ranking: list[str] | None) -> dict[str, list[str]]:
    if ranking is not None:
        return {"ranking": list(ranking)}
    return {"approvals": sorted(approvals or [])}


def ballot_commitment(
    constituency_id: str, approvals: list[str] | None, ranking: list[str] | None, salt: str
) -> str:
    """The hex commitment a ``ballot.cast`` entry logs in place of the ballot."""
    return sha256_hex(
        canonical_json(
            {
                "domain": BALLOT_DOMAIN,
                "constituency_id": constituency_id,
                **_contents(approvals, ranking),
                "salt": salt,
            }
        )
    )


def opening(
    commitment: str,
    approvals: list[str] | None,
    ranking: list[str] | None,
    salt: str,
    voter: str | None,
) -> dict[str, Any]:
    """One item of a ``ballots.opened`` entry's ``ballots``; ``voter`` only in an open ballot."""
    item: dict[str, Any] = {"commitment": commitment, **_contents(approvals, ranking), "salt": salt}
    if voter is not None:
        item["voter"] = voter
    return item


def secret_ballot_names(contents: Mapping[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """Commitment -> the name a secret ballot is counted under: ``ballot-000001``... in the
    order of the ballots' contents (``("approvals", sorted ids)`` or ``("ranking", ids)``).
    The ballot-set hash, and so the lot seed, then depend on what the ballots say, never on
    their salts: casting the same ballot again cannot change the seed."""
    order = sorted(contents, key=lambda c: (contents[c], c))
    return {c: f"ballot-{n + 1:06d}" for n, c in enumerate(order)}


OPENING_PART = 1000  # most items of each list in one ballots.opened entry


def opening_parts(
    constituency_id: str,
    secrecy: str,
    ballots: list[dict[str, Any]],
    replaced: list[str],
    voters: list[str] | None,
    size: int = OPENING_PART,
) -> list[dict[str, Any]]:
    """The data of a constituency's ``ballots.opened`` entries: each list cut into parts of at
    most ``size`` items, so no entry grows with the electorate; part ``k`` of ``parts``."""
    longest = max(len(ballots), len(replaced), len(voters or ()))
    count = max(1, -(-longest // size))
    out = []
    for k in range(count):
        part: dict[str, Any] = {
            "constituency_id": constituency_id,
            "ballot_secrecy": secrecy,
            "part": k + 1,
            "parts": count,
            "ballots": ballots[k * size : (k + 1) * size],
            "replaced": replaced[k * size : (k + 1) * size],
        }
        if voters is not None:
            part["voters"] = voters[k * size : (k + 1) * size]
        out.append(part)
    return out


def opening_problem(constituency_id: str, item: Mapping[str, Any]) -> str | None:
    """What is wrong with one opening, or None when its contents and salt give its commitment."""
    commitment, salt = item.get("commitment"), item.get("salt")
    approvals, ranking = item.get("approvals"), item.get("ranking")
    content = approvals if ranking is None else ranking
    if not (
        type(commitment) is str
        and type(salt) is str
        and (approvals is None) != (ranking is None)
        and type(content) is list
        and all(type(a) is str for a in content)
    ):
        return "is malformed: expected a commitment, a salt and approvals or a ranking"
    try:
        if len(base64.b64decode(salt, validate=True)) != SALT_BYTES:
            return f"has a salt that is not {SALT_BYTES} bytes"
    except (binascii.Error, ValueError):
        return "has a salt that is not base64"
    if approvals is not None and approvals != sorted(set(approvals)):
        return "lists its approvals out of order or twice"
    if ballot_commitment(constituency_id, approvals, ranking, salt) != commitment:
        return f"does not match its commitment {commitment[:16]}…: its contents or salt differ"
    return None
