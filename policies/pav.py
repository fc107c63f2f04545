"""Proportional Approval Voting, exact, with the balance constraints built in.

The PAV score of a committee W is Σ over ballots of 1 + 1/2 + … + 1/|A ∩ W|, where A is the set
of candidates the ballot approves. The winners are a committee of the full size that meets every
constraint and has the highest PAV score. When several committees share that score, the one
chosen is the first in the lot order: the committee whose members, each listed by its position
in the lot order and sorted, form the lexicographically smallest list (equivalently: go through
the candidates in lot order and take each one for which some optimal committee contains it and
every candidate taken so far). When no committee of the full size can meet the constraints, the
largest size that can is filled and the rest are reported unfilled, with the reason.

Winners are listed in lot order; each step gives a winner and what the PAV score would lose
without it. PAV has no order of its own, so alternates are the best next additions, without
constraints: each is the candidate that most increases the PAV score of the winners and the
alternates before it (ties by lot order).

How the optimum is found (the rule above does not depend on it): an exact branch and bound
over committees, in integers, on the ballots grouped by approval set (``policies.pav_search``
says how). All of a count's search shares a fixed amount of work per second of
``rules.time_limit``; beyond it the count fails with ``SolverLimit`` rather than return a committee
not proven optimal, and whether it fails does not depend on how fast or busy the machine is.
Scores are published as exact fractions "p/q".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.constraints import diagnose, largest_feasible_size
from policies.count_inputs import lot_positions
from policies.pav_search import best_committee
from policies.result import CountResult
from policies.rules import (
    APPROVAL_PAV,
    ApprovalBallot,
    Candidate,
    SelectionRules,
)

METHOD = APPROVAL_PAV
METHOD_VERSION = "1"

UNIQUE = "unique"
SEVERAL = "several"

NOTE_UNIQUE = "member of the only optimal committee"
NOTE_SEVERAL = "member of the optimal committee first in the lot order"
NOTE_ALTERNATE = "alternate: greatest increase of the PAV score"


@dataclass(frozen=True)
class CountStep:
    """A winner with the PAV score the committee would lose without it, or an alternate with the
    score it adds to the winners and alternates before it. ``tied`` are the candidates that would
    have added as much (alternates only), among which the lot order decided."""

    number: int
    picked: str
    contribution: str
    tied: tuple[str, ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "picked": self.picked,
            "contribution": self.contribution,
            "tied": list(self.tied),
            "note": self.note,
        }


def count(
    candidates: Sequence[Candidate],
    ballots: Sequence[ApprovalBallot],
    rules: SelectionRules,
    order: Sequence[str],
) -> CountResult[CountStep]:
    """Count approval ballots by PAV under ``rules``.

    ``order`` is the lot order of the candidate ids (``policies.lot.lot_order``) and breaks every
    tie. Approvals of ids that are not candidates are ignored. Raises ``SolverLimit`` when the
    search needs more than ``rules.time_limit`` seconds' worth of work.
    """
    position = lot_positions(METHOD, candidates, rules, order)
    by_lot = sorted(candidates, key=lambda c: position[c.id])
    return _Count(by_lot, ballots, rules).run()


# ---------------------------------------------------------------------------------------------
# Ballots as groups and bit masks


def _mask(indices: Iterable[int], width: int) -> int:
    """The integer whose bits ``indices`` are set (built as bytes: linear, not quadratic)."""
    bits = bytearray((width + 7) // 8)
    for i in indices:
        bits[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bits, "little")


class _Ballots:
    """Ballots grouped by approval set (candidates numbered in lot order). A group is one bit of
    an integer mask; a candidate's mask holds the groups approving it."""

    def __init__(self, ids: Sequence[str], ballots: Sequence[ApprovalBallot]) -> None:
        index = {cid: i for i, cid in enumerate(ids)}
        weights = Counter(
            frozenset(index[c] for c in ballot.approvals if c in index) for ballot in ballots
        )
        self.groups: list[tuple[tuple[int, ...], int]] = sorted(
            (tuple(sorted(s)), w) for s, w in weights.items() if s
        )
        width = len(self.groups)
        members: list[list[int]] = [[] for _ in ids]
        for g, (approved, _) in enumerate(self.groups):
            for c in approved:
                members[c].append(g)
        self.mask = [_mask(m, width) for m in members]
        # a weight is a sum of powers of two: plane j holds the groups whose weight has bit j
        top = max((w for _, w in self.groups), default=0).bit_length()
        self.planes = [
            _mask((g for g, (_, w) in enumerate(self.groups) if w >> j & 1), width)
            for j in range(top)
        ]
        self.everyone = _mask(range(width), width)
        self.longest = max((len(a) for a, _ in self.groups), default=0)
        self.approvals = [self.weigh(m) for m in self.mask]

    def weigh(self, mask: int) -> int:
        """How many ballots the groups in ``mask`` stand for."""
        return sum((mask & plane).bit_count() << j for j, plane in enumerate(self.planes))

    def levels(self, committee: Iterable[int], start: list[int] | None = None) -> list[int]:
        """The groups by how many members of ``committee`` they approve (item t holds those
        approving exactly t); or, from ``start`` (such levels for other members), by how many
        of those and of ``committee`` together."""
        levels = [self.everyone] if start is None else start
        for c in committee:
            mask = self.mask[c]
            moved = [0] * (len(levels) + 1)
            for t, groups in enumerate(levels):
                moved[t] |= groups & ~mask
                moved[t + 1] |= groups & mask
            levels = moved
        return levels

    def score(self, committee: Iterable[int]) -> Fraction:
        """The exact PAV score."""
        total = Fraction(0)
        harmonic = Fraction(0)
        for t, groups in enumerate(self.levels(committee)):
            if t:
                harmonic += Fraction(1, t)
            if groups and t:
                total += self.weigh(groups) * harmonic
        return total

    def gains(self, committee: Sequence[int], others: Iterable[int]) -> dict[int, Fraction]:
        """For each of ``others``, how much adding it to ``committee`` raises the PAV score."""
        levels = self.levels(committee)
        out = {}
        for c in others:
            mask = self.mask[c]
            out[c] = sum(
                (Fraction(self.weigh(groups & mask), t + 1) for t, groups in enumerate(levels)),
                Fraction(0),
            )
        return out


# ---------------------------------------------------------------------------------------------
# The count


class _Count:
    def __init__(
        self, by_lot: Sequence[Candidate], ballots: Sequence[ApprovalBallot], rules: SelectionRules
    ) -> None:
        self.rules = rules
        self.candidates = list(by_lot)
        self.ids = [c.id for c in by_lot]
        self.ballots = _Ballots(self.ids, ballots)

    def run(self) -> CountResult[CountStep]:
        seats = self.rules.seats
        constraints = self.rules.constraints
        size = largest_feasible_size(self.candidates, seats, constraints)
        reason = None
        if size < seats:
            reason = diagnose(self.candidates, seats, constraints)
            if size == 0:
                reason += "; no smaller committee meets every constraint either"
        committee: list[int] = []
        several = False
        if size:
            committee, several = best_committee(
                self.candidates,
                self.ballots.groups,
                self.rules.constraints,
                size,
                self.rules.time_limit,
            )
        steps: list[CountStep] = []
        score = self.ballots.score(committee)
        for c in committee:
            without = self.ballots.score(x for x in committee if x != c)
            steps.append(
                CountStep(
                    number=len(steps) + 1,
                    picked=self.ids[c],
                    contribution=str(score - without),
                    tied=(),
                    note=NOTE_SEVERAL if several else NOTE_UNIQUE,
                )
            )
        taken = list(committee)
        alternates: list[int] = []
        while len(alternates) < self.rules.alternates and len(taken) < len(self.ids):
            rest = [c for c in range(len(self.ids)) if c not in taken]
            gains = self.ballots.gains(taken, rest)
            best = max(gains.values())
            tied = [c for c in rest if gains[c] == best]  # in lot order
            pick = tied[0]
            note = NOTE_ALTERNATE
            if len(tied) > 1:
                note += f"; tie at {best} between {', '.join(self.ids[c] for c in tied)}"
                note += " broken by lot order"
            steps.append(
                CountStep(
                    number=len(steps) + 1,
                    picked=self.ids[pick],
                    contribution=str(best),
                    tied=tuple(self.ids[c] for c in tied) if len(tied) > 1 else (),
                    note=note,
                )
            )
            taken.append(pick)
            alternates.append(pick)
        return CountResult(
            method=METHOD,
            method_version=METHOD_VERSION,
            seats=seats,
            winners=tuple(self.ids[c] for c in committee),
            alternates=tuple(self.ids[c] for c in alternates),
            steps=tuple(steps),
            unfilled=seats - size,
            unfilled_reason=reason,
            details={"score": str(score), "optimal_committees": SEVERAL if several else UNIQUE},
        )
