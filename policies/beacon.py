"""The public beacon a selection's lot may wait for: drand quicknet, and which of its rounds.

A drand network publishes round n at ``genesis_time + (n - 1) · period`` (unix seconds), a BLS
signature nobody can know before then (unless a threshold of the network's members collude).
Rules name the network by its chain hash and pin its public key; the round is not named but
derived from the schedule, so that it is published only after every participant's last chance
to act: the first round whose time is at or after

    voting close + reveal window (when the rules use commit-reveal) + ``MARGIN``.

Only the League of Entropy's quicknet is known here (scheme ``bls-unchained-g1-rfc9380``,
verified by ``records.drand``); its constants are those its ``/info`` document publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from policies.errors import InvalidInput
from policies.messages import N_

SCHEME_QUICKNET = "bls-unchained-g1-rfc9380"
# Covers a server clock a little behind drand's and a reveal committing right at its deadline:
# the beacon round is published at least this long after the last reveal could be accepted.
MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class Chain:
    """A drand network: what names it, the key that signs it, and its clock."""

    name: str
    chain_hash: str
    public_key: str  # hex, 96 bytes on G2
    genesis_time: int  # unix seconds of round 1
    period: int  # seconds between rounds
    scheme: str = SCHEME_QUICKNET

    def round_time(self, round: int) -> datetime:
        """When the network publishes ``round``."""
        if isinstance(round, bool) or not isinstance(round, int) or round < 1:
            raise InvalidInput(
                N_("a drand round is a whole number from 1, got %(round)s"), round=repr(round)
            )
        return datetime.fromtimestamp(self.genesis_time + (round - 1) * self.period, UTC)

    def first_round_at_or_after(self, moment: datetime) -> int:
        """The first round the network publishes at ``moment`` or later."""
        if moment.tzinfo is None:
            raise InvalidInput(
                N_("a moment must carry a time zone, got %(moment)s"), moment=moment.isoformat()
            )
        genesis = datetime.fromtimestamp(self.genesis_time, UTC)
        # Whole microseconds, so the division is exact: no float rounding at a round's edge.
        elapsed = (moment - genesis) // timedelta(microseconds=1)
        step = self.period * 1_000_000
        return max(1, -(-elapsed // step) + 1)


QUICKNET = Chain(
    name="drand quicknet (League of Entropy)",
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    public_key=(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    genesis_time=1692803367,
    period=3,
)

CHAINS = MappingProxyType({QUICKNET.chain_hash: QUICKNET})


def known_chain(chain_hash: str) -> Chain:
    """The chain with this hash, or InvalidInput naming the ones supported."""
    chain = CHAINS.get(chain_hash)
    if chain is None:
        known = ", ".join(f"{c.name} ({h})" for h, c in CHAINS.items())
        raise InvalidInput(
            N_("beacon chain %(chain_hash)s is not supported; supported: %(known)s"),
            chain_hash=repr(chain_hash),
            known=known,
        )
    return chain


@dataclass(frozen=True)
class BeaconDue:
    """The beacon round a selection waits for, and when the network publishes it."""

    chain_hash: str
    public_key: str | None  # None only for older rules, which did not pin it
    round: int
    at: datetime | None  # None only for older rules naming a network not known here


def beacon_due(chain: Chain, last_act: datetime) -> BeaconDue:
    """The first round published at least ``MARGIN`` after ``last_act``, the moment the last
    participant could still act (the voting close, or the end of the reveal window)."""
    round = chain.first_round_at_or_after(last_act + MARGIN)
    return BeaconDue(chain.chain_hash, chain.public_key, round, chain.round_time(round))
