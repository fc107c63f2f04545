"""Randomness nobody can bias: commit-reveal among the secretariat and the coordinators, and an
optional public beacon, mixed into the lot seed.

Each party draws a secret of 32 random bytes (64 hex digits) and, before nominations close,
publishes its commitment ``SHA-256("mandate.commit/1\\n" ‖ party ‖ "\\n" ‖ secret)`` (hex; the
party's id binds the commitment to it, so nobody can replay another's). After nominations close
it reveals the secret. At the count:

- a commitment logged after nominations closed is *late*: left out;
- a party whose last on-time commitment has no matching reveal before the count is *not
  revealed* (a reveal that does not match is *mismatched*): left out, and named in the record;
- every other party contributes the string ``"<party>:<secret>"``.

Contributions are taken in the order of the party ids (sorted), then the beacon's
``"drand:<chain hash>:<round>:<randomness>"`` when the rules name a beacon. The seed is
``policies.lot.lot_seed(criteria hash, set hash, contributions)``. A party that withholds its
reveal can choose between two seeds at most, and is named in the record for it; a beacon named
in the rules, whose value nobody knows before nominations close, takes even that choice away.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policies.errors import InvalidInput

COMMIT_DOMAIN = "mandate.commit/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")

REVEALED = "revealed"
NOT_REVEALED = "not_revealed"
MISMATCHED = "mismatched"
LATE = "late"


class InvalidSecret(InvalidInput):
    code = "invalid_secret"


class RevealMismatch(InvalidInput):
    """A revealed secret whose commitment is not the one the party logged."""

    code = "reveal_mismatch"


def check_hex64(name: str, value: str) -> str:
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise InvalidSecret(f"{name} must be 64 lowercase hex digits (32 bytes), got {value!r}")
    return value


def commitment_for(party: str, secret: str) -> str:
    """The commitment a party publishes for its secret."""
    check_hex64("a secret", secret)
    text = f"{COMMIT_DOMAIN}\n{party}\n{secret}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Commitment:
    party: str
    commitment: str
    on_time: bool  # logged before nominations closed


@dataclass(frozen=True)
class Reveal:
    party: str
    secret: str


@dataclass(frozen=True)
class BeaconValue:
    chain_hash: str
    round: int
    randomness: str
    signature: str


@dataclass(frozen=True)
class PartyResult:
    party: str
    commitment: str
    status: str  # REVEALED, NOT_REVEALED, MISMATCHED or LATE
    secret: str | None  # the secret, when revealed

    def to_json(self) -> dict[str, Any]:
        return {
            "party": self.party,
            "commitment": self.commitment,
            "status": self.status,
            "secret": self.secret,
        }


@dataclass(frozen=True)
class Randomness:
    """What went into the seed, and who was left out and why."""

    parties: tuple[PartyResult, ...]
    beacon: BeaconValue | None
    beacon_missing: bool  # the rules name a beacon, but no value was recorded

    @property
    def contributions(self) -> list[str]:
        out = [f"{p.party}:{p.secret}" for p in self.parties if p.status == REVEALED]
        if self.beacon is not None:
            b = self.beacon
            out.append(f"drand:{b.chain_hash}:{b.round}:{b.randomness}")
        return out

    @property
    def left_out(self) -> list[str]:
        return [p.party for p in self.parties if p.status != REVEALED]

    def is_empty(self) -> bool:
        return not self.parties and self.beacon is None and not self.beacon_missing

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "commit_domain": COMMIT_DOMAIN,
            "parties": [p.to_json() for p in self.parties],
            "left_out": self.left_out,
            "contributions": self.contributions,
        }
        if self.beacon is not None:
            b = self.beacon
            out["beacon"] = {
                "chain_hash": b.chain_hash,
                "round": b.round,
                "randomness": b.randomness,
                "signature": b.signature,
            }
        elif self.beacon_missing:
            out["beacon"] = None
        return out


def settle(
    commitments: Sequence[Commitment],
    reveals: Sequence[Reveal],
    beacon: BeaconValue | None = None,
    *,
    beacon_named: bool = False,
) -> Randomness:
    """Who contributes, from the commitments and reveals in log order.

    A party's last on-time commitment counts (a party may recommit before the close); its first
    reveal that matches that commitment is its contribution.
    """
    last_on_time: dict[str, str] = {}
    late: dict[str, str] = {}
    for c in commitments:
        if c.on_time:
            last_on_time[c.party] = c.commitment
            late.pop(c.party, None)
        elif c.party not in last_on_time:
            late[c.party] = c.commitment
    parties: list[PartyResult] = []
    for party in sorted(last_on_time):
        commitment = last_on_time[party]
        mine = [r for r in reveals if r.party == party]
        match = next((r for r in mine if _matches(party, r.secret, commitment)), None)
        if match is not None:
            parties.append(PartyResult(party, commitment, REVEALED, match.secret))
        else:
            status = MISMATCHED if mine else NOT_REVEALED
            parties.append(PartyResult(party, commitment, status, None))
    parties.extend(PartyResult(p, late[p], LATE, None) for p in sorted(late))
    parties.sort(key=lambda p: p.party)
    return Randomness(tuple(parties), beacon, beacon_named and beacon is None)


def _matches(party: str, secret: str, commitment: str) -> bool:
    try:
        return commitment_for(party, secret) == commitment
    except InvalidSecret:
        return False
