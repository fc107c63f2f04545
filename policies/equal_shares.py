"""The Method of Equal Shares for approval ballots, completed by sequential Phragmén, with the
balance constraints built in.

Every candidate costs 1. With n ballots (those approving no candidate included) and k seats,
every ballot starts with a budget of k/n.
A candidate is affordable when its approvers hold at least 1 between them; its price per voter
ρ is the smallest number such that the approvers, each paying ``min(budget, ρ)``, pay exactly
1 together. In each round the affordable unelected candidates are taken in the order (ρ,
position in the lot order), and the first whose election still leaves the constraints
satisfiable is elected; each of its approvers pays ``min(budget, ρ)``.

When no candidate is both affordable and electable, the equal-shares phase ends for good and the
count is completed by sequential Phragmén over the remaining candidates, every ballot starting
with the load ``-(its budget left)``: a candidate would bring its approvers to the common load
``(1 + Σ their loads) / (number of approvers)``; candidates are taken in the order (that load,
lot order) and the first whose election keeps the constraints satisfiable is elected, its
approvers' loads becoming that load. This is abcvoting's default completion for
``compute_equal_shares`` (``completion="seqphragmen"``; a budget left is a negative load).
Candidates nobody approved are elected only when no approved one can be, in lot order.

When no committee of the full size can meet the constraints, the largest size that can is filled
and the rest are reported unfilled, with the reason; budgets stay k/n for the k seats of the
rules. Alternates continue the same count (in whichever phase it is in) over the remaining
candidates, without constraints. All arithmetic is exact (``fractions.Fraction``); prices and
loads are published as "p/q".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.constraints import GrowingCommittee
from policies.count_inputs import lot_positions
from policies.result import CountResult
from policies.rules import (
    APPROVAL_EQUAL_SHARES,
    ApprovalBallot,
    Candidate,
    SelectionRules,
)

METHOD = APPROVAL_EQUAL_SHARES
METHOD_VERSION = "1"

PHASE_EQUAL_SHARES = "equal_shares"
PHASE_PHRAGMEN = "phragmen"

NOTE_CHEAPEST = "lowest price per voter"
NOTE_LOWEST = "lowest load"
NOTE_BY_LOT = "no approvals; chosen by lot order"
NOTE_ALTERNATE = "alternate"
NOTE_COMPLETION = (
    "no candidate is affordable: completed by sequential Phragmén from the budgets left"
)
NOTE_COMPLETION_CONSTRAINED = (
    "no affordable candidate keeps the constraints satisfiable: "
    "completed by sequential Phragmén from the budgets left"
)


@dataclass(frozen=True)
class CountStep:
    """One election in the count.

    ``phase`` is "equal_shares" (the candidate was bought; ``value`` is its price per voter ρ)
    or "phragmen" (the completion; ``value`` is its approvers' new load, None when it had no
    approvers and was chosen by lot). ``considered`` lists every candidate considered with its ρ
    (affordable ones only) or load, in the order considered (value, then lot order);
    ``skipped`` are candidates passed over because electing them would leave the constraints
    unsatisfiable; ``tied`` are the candidates sharing the picked value (more than one) among
    which the lot order decided.
    """

    number: int
    picked: str
    phase: str
    value: str | None
    considered: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...]
    tied: tuple[str, ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "picked": self.picked,
            "phase": self.phase,
            "value": self.value,
            "considered": [{"candidate": c, "value": v} for c, v in self.considered],
            "skipped": list(self.skipped),
            "tied": list(self.tied),
            "note": self.note,
        }


def count(
    candidates: Sequence[Candidate],
    ballots: Sequence[ApprovalBallot],
    rules: SelectionRules,
    order: Sequence[str],
) -> CountResult[CountStep]:
    """Count approval ballots by the Method of Equal Shares under ``rules``.

    ``order`` is the lot order of the candidate ids (``policies.lot.lot_order``) and breaks every
    tie. Approvals of ids that are not candidates are ignored; every ballot, even one approving
    no candidate, holds its share of the budget.
    """
    position = lot_positions(METHOD, candidates, rules, order)
    return _Count(candidates, ballots, rules, position).run()


def _mask(indices: Iterable[int], width: int) -> int:
    """The integer whose bits ``indices`` are set (built as bytes: linear, not quadratic)."""
    bits = bytearray((width + 7) // 8)
    for i in indices:
        bits[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bits, "little")


class _Count:
    def __init__(
        self,
        candidates: Sequence[Candidate],
        ballots: Sequence[ApprovalBallot],
        rules: SelectionRules,
        position: dict[str, int],
    ) -> None:
        self.rules = rules
        self.candidates = list(candidates)
        self.by_lot = sorted((c.id for c in candidates), key=position.__getitem__)
        # Ballots with the same approval set always hold the same budget (and later the same
        # load), so they form one group, weighed by how many ballots share it. A group is one
        # bit of an integer mask; the groups holding the same budget form a level, and the
        # budgets take few distinct values, so a price is found from a few (level, weight)
        # pairs per candidate rather than from every ballot.
        known = {c.id for c in candidates}
        weights = Counter(frozenset(ballot.approvals & known) for ballot in ballots)
        groups = sorted((sorted(s), w) for s, w in weights.items() if s)
        members: dict[str, list[int]] = {cid: [] for cid in self.by_lot}
        for g, (approved, _) in enumerate(groups):
            for cid in approved:
                members[cid].append(g)
        width = len(groups)
        self.mask = {cid: _mask(members[cid], width) for cid in self.by_lot}
        # a weight is a sum of powers of two: plane j holds the groups whose weight has bit j
        top = max((w for _, w in groups), default=0).bit_length()
        self.planes = [
            _mask((g for g, (_, w) in enumerate(groups) if w >> j & 1), width) for j in range(top)
        ]
        self.supporters = {cid: self._weigh(self.mask[cid]) for cid in self.by_lot}
        self.voters = len(ballots)
        self.budget = Fraction(rules.seats, self.voters) if self.voters else Fraction(0)
        everyone = _mask(range(width), width)
        # (value, groups) in increasing value, groups disjoint: budgets, then loads
        self.levels: list[tuple[Fraction, int]] = [(self.budget, everyone)] if everyone else []
        self.phase = PHASE_EQUAL_SHARES
        self.switch_note: str | None = None
        self.committee = GrowingCommittee(self.candidates, rules.constraints, rules.seats)
        self.winners: list[str] = []
        self.alternates: list[str] = []
        self.steps: list[CountStep] = []

    def run(self) -> CountResult[CountStep]:
        seats = self.rules.seats
        size, reason = self.committee.size, self.committee.unfilled_reason
        while len(self.winners) < size:
            self._elect(size)
        while len(self.alternates) < self.rules.alternates and self._unelected():
            self._alternate()
        bought = sum(1 for s in self.steps[:size] if s.phase == PHASE_EQUAL_SHARES)
        return CountResult(
            method=METHOD,
            method_version=METHOD_VERSION,
            seats=seats,
            winners=tuple(self.winners),
            alternates=tuple(self.alternates),
            steps=tuple(self.steps),
            unfilled=seats - size,
            unfilled_reason=reason,
            details={
                "voters": self.voters,
                "budget_per_voter": str(self.budget),
                "bought_with_equal_shares": bought,
                "completion": "sequential Phragmén from the budgets left",
            },
        )

    # -- prices and loads

    def _weigh(self, mask: int) -> int:
        """How many ballots the groups in ``mask`` stand for."""
        return sum((mask & plane).bit_count() << j for j, plane in enumerate(self.planes))

    def _parts(self, cid: str) -> list[tuple[Fraction, int]]:
        """The candidate's approvers as (budget or load, how many ballots), by increasing value."""
        mask = self.mask[cid]
        parts = []
        for value, groups in self.levels:
            here = groups & mask
            if here:
                parts.append((value, self._weigh(here)))
        return parts

    def _price(self, cid: str) -> Fraction | None:
        """ρ: the least per-voter payment with which the approvers pay 1 together, each paying
        ``min(budget, ρ)``; None when their budgets add up to less than 1."""
        paid = Fraction(0)
        rest = self.supporters[cid]
        for budget, weight in self._parts(cid):
            rho = (1 - paid) / rest
            if rho <= budget:
                return rho
            # these approvers cannot pay ρ: they give all they have
            paid += budget * weight
            rest -= weight
        return None

    def _load(self, cid: str) -> Fraction:
        total = sum((load * weight for load, weight in self._parts(cid)), Fraction(0))
        return (1 + total) / self.supporters[cid]

    def _pay(self, cid: str, rho: Fraction) -> None:
        mask = self.mask[cid]
        changed: dict[Fraction, int] = {}
        for budget, groups in self.levels:
            stay, pay = groups & ~mask, groups & mask
            if stay:
                changed[budget] = changed.get(budget, 0) | stay
            if pay:
                left = max(budget - rho, Fraction(0))
                changed[left] = changed.get(left, 0) | pay
        self.levels = sorted(changed.items(), key=lambda level: level[0])

    def _carry(self, cid: str, load: Fraction) -> None:
        mask = self.mask[cid]
        changed: dict[Fraction, int] = {load: mask}
        for value, groups in self.levels:
            stay = groups & ~mask
            if stay:
                changed[value] = changed.get(value, 0) | stay
        self.levels = sorted(changed.items(), key=lambda level: level[0])

    def _switch(self, note: str) -> None:
        """End the equal-shares phase: a budget left becomes a negative Phragmén load."""
        self.phase = PHASE_PHRAGMEN
        self.levels = sorted(((-b, g) for b, g in self.levels), key=lambda level: level[0])
        self.switch_note = note

    # -- the count

    def _unelected(self) -> list[str]:
        taken = set(self.winners) | set(self.alternates)
        return [cid for cid in self.by_lot if cid not in taken]

    def _options(self) -> list[tuple[Fraction, str]]:
        """Unelected candidates with their price (affordable ones) or load (approved ones), in
        (value, lot) order."""
        options = []
        for cid in self._unelected():  # already in lot order; sorting by value is stable
            if not self.supporters[cid]:
                continue
            if self.phase == PHASE_EQUAL_SHARES:
                rho = self._price(cid)
                if rho is not None:
                    options.append((rho, cid))
            else:
                options.append((self._load(cid), cid))
        options.sort(key=lambda o: o[0])
        return options

    def _elect(self, size: int) -> None:
        if self.phase == PHASE_EQUAL_SHARES:
            options = self._options()
            skipped: list[str] = []
            for rho, cid in options:
                if self.committee.can_add(cid):
                    tied = [c for r, c in options if r == rho and c not in skipped]
                    self._record(cid, rho, options, skipped, tied, winner=True, size=size)
                    return
                skipped.append(cid)
            self._switch(NOTE_COMPLETION_CONSTRAINED if options else NOTE_COMPLETION)
        options = self._options()
        skipped = []
        for load, cid in options:
            if self.committee.can_add(cid):
                tied = [c for lo, c in options if lo == load and c not in skipped]
                self._record(cid, load, options, skipped, tied, winner=True, size=size)
                return
            skipped.append(cid)
        for cid in self._unelected():
            if not self.supporters[cid]:
                if self.committee.can_add(cid):
                    self._record(cid, None, options, skipped, [], winner=True, size=size)
                    return
                skipped.append(cid)
        # Unreachable: the committee could be completed before this step, so some unelected
        # candidate keeps it completable.
        raise RuntimeError(  # pragma: no cover
            f"no candidate keeps the constraints satisfiable at step {len(self.steps) + 1}"
        )

    def _alternate(self) -> None:
        options = self._options()
        if not options and self.phase == PHASE_EQUAL_SHARES:
            self._switch(NOTE_COMPLETION)
            options = self._options()
        if options:
            value, cid = options[0]
            tied = [c for v, c in options if v == value]
            self._record(cid, value, options, [], tied, winner=False)
        else:
            self._record(self._unelected()[0], None, options, [], [], winner=False)

    def _record(
        self,
        cid: str,
        value: Fraction | None,
        options: list[tuple[Fraction, str]],
        skipped: list[str],
        tied: list[str],
        *,
        winner: bool,
        size: int = 0,
    ) -> None:
        phase = self.phase
        if value is not None:
            if phase == PHASE_EQUAL_SHARES:
                self._pay(cid, value)
            else:
                self._carry(cid, value)
        if winner:
            self.winners.append(cid)
            self.committee.add(cid)
        else:
            self.alternates.append(cid)
        tied = tied if len(tied) > 1 else []
        notes = [] if winner else [NOTE_ALTERNATE]
        if self.switch_note is not None:
            notes.append(self.switch_note)
            self.switch_note = None
        if skipped:
            notes.append(
                f"skipped {', '.join(skipped)}: electing them would leave "
                "the constraints unsatisfiable"
            )
        what = "price" if phase == PHASE_EQUAL_SHARES else "load"
        if value is None:
            notes.append(NOTE_BY_LOT)
        elif tied:
            notes.append(f"tie at {what} {value} between {', '.join(tied)} broken by lot order")
        elif winner and not skipped:
            notes.append(NOTE_CHEAPEST if phase == PHASE_EQUAL_SHARES else NOTE_LOWEST)
        self.steps.append(
            CountStep(
                number=len(self.steps) + 1,
                picked=cid,
                phase=phase,
                value=None if value is None else str(value),
                considered=tuple((c, str(v)) for v, c in options),
                skipped=tuple(skipped),
                tied=tuple(tied),
                note="; ".join(notes),
            )
        )
