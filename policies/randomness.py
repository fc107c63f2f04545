"""Randomness nobody can bias: commit-reveal among the secretariat and the coordinators, and a
public beacon, mixed into the lot seed.

Under ``mandate.lot/2`` (rounds published now) a selection's rules say which it uses:

- ``commit_reveal``: each party (the secretariat, each coordinator of the constituency) draws a
  secret of 32 random bytes (64 hex digits) and, before nominations close, publishes its
  commitment ``SHA-256("mandate.commit/1\\n" ‖ party ‖ "\\n" ‖ secret)`` (hex; the party's id
  binds the commitment to it, so nobody can replay another's). It reveals the secret only after
  voting closes, within the rules' ``reveal_window``: by then the ballot set is closed, so no
  ballot can be chosen knowing a secret. The count waits for the window to end.
- ``beacon``: drand quicknet, key pinned; the round is the first published at least
  ``policies.beacon.MARGIN`` after the reveal window ends (or after the voting close, without
  commit-reveal), so no participant can know it while it can still act. The count waits for it.
- neither: the seed is fixed at the close from the criteria hash and the ballot-set hash alone,
  which every voter can compute for any ballot they might still cast. See the README.

Under ``mandate.lot/1`` (rounds published before) reveals were taken from nominations close to
voting close and the rules named the beacon round; ``RandomnessTerms`` gives both versions'
windows, so their records still verify.

At the count:

- a commitment logged after nominations closed is *late*: left out;
- a party whose last on-time commitment has no matching reveal in the window is *not revealed*
  (a reveal that does not match is *mismatched*): left out, and named in the record;
- every other party contributes the string ``"<party>:<secret>"``.

Contributions are taken in the order of the party ids (sorted), then the beacon's
``"drand:<chain hash>:<round>:<randomness>"`` when the rules name a beacon. The seed is
``policies.lot.lot_seed(criteria hash, set hash, contributions, domain=<the round's lot>)``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from policies.beacon import CHAINS, BeaconDue, beacon_due, known_chain
from policies.errors import InvalidInput
from policies.lot import LOT_DOMAIN_V1, LOT_DOMAINS
from policies.messages import N_
from policies.rules import InvalidRules, SelectionRules

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


class BeaconInvalid(InvalidInput):
    """A beacon value that is not the network's signature for the round (or is malformed)."""

    code = "beacon_invalid"


class BeaconWrongRound(InvalidInput):
    """A beacon value for another round than the one the rules and the schedule call for."""

    code = "beacon_wrong_round"


def check_hex64(name: str, value: str) -> str:
    if not isinstance(value, str) or _HEX64.fullmatch(value) is None:
        raise InvalidSecret(
            N_("%(name)s must be 64 lowercase hex digits (32 bytes), got %(value)s"),
            name=name,
            value=repr(value),
        )
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


@dataclass(frozen=True)
class RandomnessTerms:
    """When a selection's randomness may be written, and what its count waits for: from its
    published rules, the lot domain of its criteria and its schedule (after any extension)."""

    lot: str
    commitments_close_at: datetime  # commitments are taken from publication until then
    reveals: tuple[datetime, datetime] | None  # [opens, closes): None without commit-reveal
    beacon: BeaconDue | None

    @property
    def count_at(self) -> datetime | None:
        """The earliest moment the count may run: after the reveals, and once the beacon is out
        (under mandate.lot/2; a mandate.lot/1 round counted at the close)."""
        if self.lot == LOT_DOMAIN_V1:
            return None
        moments = [self.reveals[1]] if self.reveals is not None else []
        if self.beacon is not None and self.beacon.at is not None:
            moments.append(self.beacon.at)
        return max(moments, default=None)


def randomness_terms(
    rules: SelectionRules, lot: str, nominations_close_at: datetime, voting_close_at: datetime
) -> RandomnessTerms:
    if lot not in LOT_DOMAINS:
        raise InvalidInput(
            N_("unknown lot domain %(lot)s; known: %(lot_domains)s"),
            lot=repr(lot),
            lot_domains=", ".join(sorted(LOT_DOMAINS)),
        )
    if lot == LOT_DOMAIN_V1:
        named = rules.beacon
        due = None
        if named is not None and named.round is not None:
            chain = CHAINS.get(named.chain_hash)
            at = None if chain is None else chain.round_time(named.round)
            due = BeaconDue(named.chain_hash, named.public_key, named.round, at)
        return RandomnessTerms(
            lot, nominations_close_at, (nominations_close_at, voting_close_at), due
        )
    reveals = None
    last_act = voting_close_at
    if rules.commit_reveal is not None:
        last_act = voting_close_at + timedelta(seconds=rules.commit_reveal.reveal_window)
        reveals = (voting_close_at, last_act)
    due = None
    if rules.beacon is not None:
        due = beacon_due(known_chain(rules.beacon.chain_hash), last_act)
    return RandomnessTerms(lot, nominations_close_at, reveals, due)


def check_new_randomness_rules(rules: SelectionRules) -> None:
    """What rules published under ``mandate.lot/2`` must say about a beacon: a known network
    with its key pinned, and no round (it is derived from the schedule)."""
    b = rules.beacon
    if b is None:
        return
    if b.round is not None:
        raise InvalidRules(
            N_(
                "beacon.round (%(round)s) cannot be chosen: the round is derived from the "
                "schedule, the first published at least a minute after voting closes and the "
                "reveal window ends, so that nobody can know it while they can still act"
            ),
            round=b.round,
        )
    try:
        chain = known_chain(b.chain_hash)
    except InvalidInput as exc:
        raise InvalidRules.like(exc) from exc
    if b.public_key is None:
        raise InvalidRules(
            N_("beacon.public_key is required: pin the key of %(name)s (%(public_key)s)"),
            name=chain.name,
            public_key=chain.public_key,
        )
    if b.public_key != chain.public_key:
        raise InvalidRules(
            N_(
                "beacon.public_key is not the key of %(name)s: expected %(public_key)s, got "
                "%(public_key2)s"
            ),
            name=chain.name,
            public_key=chain.public_key,
            public_key2=b.public_key,
        )
