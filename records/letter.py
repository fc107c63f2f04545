"""Designation letters: what a letter states, and its short code, derived from signed records.

A confirmed speaker's letter is not a record of its own: it is computed from the round's
signed criteria (the forum's title, its segments, the constituency's seats and method), the
constituency's signed outcome record (by hash, and the speaker's seat in it) and the
salted commitment to the speaker's profile that the log holds (``records.profile_seal``).
So an auditor recomputes every letter, and its code, from the round's bundle, and the
server keeps nothing to forge.

The letter's statement holds no personal data: the speaker is named by nomination id and
profile commitment; the name is read beside it while it is public (and is gone once erased,
while the letter still verifies). Its code is the first 60 bits of the SHA-256 of the
statement's canonical JSON, in Crockford's base 32, as three groups of four: ``7K2M-9QXA-P4RT``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from records import dsse
from records.canonical import canonical_hash, sha256_hex
from records.logentry import parse_entry

LETTER_FORMAT = "mandate.letter/1"
# Crockford's base 32: no I, L, O or U, so that a code read aloud or retyped survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12  # 60 bits
GROUP = 4
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def letter_statement(
    *,
    criteria: Mapping[str, Any],
    outcome: Mapping[str, Any],
    outcome_hash: str,
    nomination_id: str,
    seat: int,
    profile_commitment: str | None,
    head: str | None = None,
) -> dict[str, Any]:
    """The letter of the speaker ``nomination_id``, holder of ``seat`` (1-based) of the
    constituency whose signed ``outcome`` (with its SHA-256 ``outcome_hash``) applied the
    round's signed ``criteria``. ``head``: the last amendment of the outcome once seats were
    accepted (``seats.confirmed``' head), named where a seat passed on to an alternate."""
    constituency_id = str(outcome["constituency_id"])
    frame: Mapping[str, Any] = next(
        (
            p
            for p in criteria.get("participants", [])
            if p.get("constituency_id") == constituency_id
        ),
        {},
    )
    rules = frame.get("rules", {})
    return {
        "format": LETTER_FORMAT,
        "round_id": str(outcome["round_id"]),
        "forum": str(criteria.get("title", "")),
        "segments": [
            {"key": str(s.get("key", "")), "title": str(s.get("title", ""))}
            for s in criteria.get("segments", [])
        ],
        "constituency_id": constituency_id,
        "criteria_hash": str(outcome["criteria_hash"]),
        "criteria_version": int(outcome["criteria_version"]),
        "method": str(rules.get("method", "")),
        "seats": int(frame.get("seats", 0)),
        "outcome_hash": outcome_hash,
        "seat": seat,
        "nomination_id": nomination_id,
        "profile_commitment": profile_commitment,
    } | ({} if head is None or head == outcome_hash else {"amendment_hash": head})


def letters_of(
    *,
    criteria: Mapping[str, Any],
    outcome: Mapping[str, Any],
    outcome_hash: str,
    holders: Sequence[tuple[int, str]],
    commitments: Mapping[str, str | None],
    head: str | None = None,
) -> list[dict[str, Any]]:
    """Every letter of one outcome: one per seat holder, given as (seat, nomination id)."""
    return [
        letter_statement(
            criteria=criteria,
            outcome=outcome,
            outcome_hash=outcome_hash,
            nomination_id=nid,
            seat=seat,
            profile_commitment=commitments.get(nid),
            head=head,
        )
        for seat, nid in holders
    ]


def winners_of(outcome: Mapping[str, Any]) -> list[str]:
    """The winners an outcome record names, in the order elected."""
    return [str(w) for w in outcome.get("result", {}).get("winners", [])]


def letter_hash(statement: Mapping[str, Any]) -> str:
    return canonical_hash(dict(statement))


def letter_code(statement: Mapping[str, Any]) -> str:
    """The short code of a letter: ``XXXX-XXXX-XXXX``."""
    bits = int(letter_hash(statement)[:15], 16)  # 60 bits
    chars = [ALPHABET[(bits >> (5 * (CODE_CHARS - 1 - i))) & 31] for i in range(CODE_CHARS)]
    raw = "".join(chars)
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def normalise_code(text: str) -> str | None:
    """A code as typed (any case, spaces or hyphens, O for 0, I or L for 1) in its written
    form, or None if it cannot be one."""
    raw = "".join(c for c in text.upper() if c not in " -\t")
    raw = "".join(_READ_AS.get(c, c) for c in raw)
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_CHARS, GROUP))


def letters_in_bundle(
    criteria: Mapping[str, Any],
    outcomes: Sequence[tuple[Mapping[str, Any], str]],
    commitments: Mapping[str, str | None],
    confirmed: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Every letter a round's signed records give, by code: for each ``(outcome, hash)``
    whose seats are confirmed (``confirmed``: the data of the constituency's
    ``seats.confirmed`` entry, by constituency id), one per seat held. ``commitments``: each
    nomination's profile commitment, from its ``nomination.submitted`` entry."""
    found: dict[str, dict[str, Any]] = {}
    for record, digest in outcomes:
        seats = confirmed.get(str(record.get("constituency_id")))
        if seats is None or seats.get("outcome_hash") != digest:
            continue  # no letter before the seats are confirmed
        for statement in letters_of(
            criteria=criteria,
            outcome=record,
            outcome_hash=digest,
            holders=[
                (seat, str(nid))
                for seat, nid in enumerate(seats.get("seats", []), start=1)
                if nid is not None
            ],
            commitments=commitments,
            head=seats.get("head"),
        ):
            found[letter_code(statement)] = statement
    return found


def letters_from_bundle(bundle: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every letter a round bundle's records give, by code: what an auditor checks a letter's
    code against offline. It reads the records only; ``mandate verify`` checks that they are
    signed and logged."""
    criteria = json.loads(bundle["criteria"]["canonical"])
    outcomes = []
    for item in bundle.get("outcomes", []):
        payload = dsse.Envelope.from_json(item["envelope"]).payload
        outcomes.append((json.loads(payload), sha256_hex(payload)))
    commitments: dict[str, str | None] = {}
    confirmed: dict[str, Mapping[str, Any]] = {}
    for item in bundle.get("entries", []):
        statement = parse_entry(item["envelope"].encode("utf-8")).statement
        data = statement.data
        if statement.type == "nomination.submitted":
            commitments[str(data.get("nomination_id"))] = data.get("profile_commitment")
        elif statement.type == "seats.confirmed":
            confirmed[str(data.get("constituency_id"))] = data
    return letters_in_bundle(criteria, outcomes, commitments, confirmed)
