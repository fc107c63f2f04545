"""Sequential Phragmén for approval ballots, with the balance constraints built in.

Every ballot weighs 1 and carries a load, starting at 0. At each step every unelected candidate
with at least one approver would bring its approvers to the common load
``(1 + Σ their loads) / (number of approvers)``; candidates are taken in the order (that load,
position in the lot order), and the first whose election still leaves the constraints
satisfiable is elected — its approvers' loads become that load. Candidates nobody approved are
elected only when no approved one can be, in lot order. When no committee of the full size can
meet the constraints, the largest size that can is filled and the rest are reported unfilled,
with the reason. Alternates continue the same count over the remaining candidates, without
constraints. All arithmetic is exact (``fractions.Fraction``); loads are published as "p/q".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.constraints import GrowingCommittee
from policies.count_inputs import lot_positions
from policies.result import CountResult
from policies.rules import (
    APPROVAL_PHRAGMEN,
    ApprovalBallot,
    Candidate,
    SelectionRules,
)

METHOD = APPROVAL_PHRAGMEN
METHOD_VERSION = "1"

NOTE_LOWEST = "lowest load"
NOTE_BY_LOT = "no approvals; chosen by lot order"
NOTE_ALTERNATE = "alternate"


@dataclass(frozen=True)
class CountStep:
    """One election in the count.

    ``loads`` lists every candidate that was considered with the load its approvers would carry,
    in the order considered (load, then lot order); ``load`` is the picked candidate's (None when
    it had no approvers). ``skipped`` are candidates passed over because electing them would leave
    the constraints unsatisfiable; ``tied`` are the candidates sharing the picked load (more than
    one) among which the lot order decided.
    """

    number: int
    picked: str | None
    load: str | None
    loads: tuple[tuple[str, str], ...]
    skipped: tuple[str, ...]
    tied: tuple[str, ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "picked": self.picked,
            "load": self.load,
            "loads": [{"candidate": c, "load": load} for c, load in self.loads],
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
    """Count approval ballots by sequential Phragmén under ``rules``.

    ``order`` is the lot order of the candidate ids (``policies.lot.lot_order``) and breaks every
    tie. Approvals of ids that are not candidates are ignored.
    """
    position = lot_positions(METHOD, candidates, rules, order)
    return _Count(candidates, ballots, rules, position).run()


class _Count:
    def __init__(
        self,
        candidates: Sequence[Candidate],
        ballots: Sequence[ApprovalBallot],
        rules: SelectionRules,
        position: dict[str, int],
    ) -> None:
        self.rules = rules
        self.position = position
        self.candidates = list(candidates)
        self.by_lot = sorted((c.id for c in candidates), key=position.__getitem__)
        # Voters who approve the same candidates always carry the same load, so the count keeps
        # one load per distinct approval set, weighed by how many ballots share it.
        known = {c.id for c in candidates}
        weights = Counter(frozenset(ballot.approvals & known) for ballot in ballots)
        self.approvers: dict[str, list[int]] = {c.id: [] for c in candidates}
        self.approved: list[list[str]] = []  # per group, the candidates it approves
        self.weight: list[int] = []  # per group, how many ballots it stands for
        self.supporters = dict.fromkeys(known, 0)  # per candidate, how many ballots approve it
        for approvals, weight in sorted(weights.items(), key=lambda item: sorted(item[0])):
            approved = sorted(approvals)
            for cid in approved:
                self.approvers[cid].append(len(self.weight))
                self.supporters[cid] += weight
            self.approved.append(approved)
            self.weight.append(weight)
        self.voter_load = [Fraction(0)] * len(self.weight)
        # per candidate, the sum of its approvers' loads, kept up to date as loads change
        self.load_sum = {c.id: Fraction(0) for c in candidates}
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
        return CountResult(
            method=METHOD,
            method_version=METHOD_VERSION,
            seats=seats,
            winners=tuple(self.winners),
            alternates=tuple(self.alternates),
            steps=tuple(self.steps),
            unfilled=seats - size,
            unfilled_reason=reason,
        )

    # -- the count

    def _unelected(self) -> list[str]:
        taken = set(self.winners) | set(self.alternates)
        return [cid for cid in self.by_lot if cid not in taken]

    def _options(self) -> list[tuple[Fraction, str]]:
        """Unelected approved candidates with their new load, in (load, lot) order."""
        options = []
        for cid in self._unelected():  # already in lot order; sorting by load is stable
            voters = self.supporters[cid]
            if voters:
                load = (1 + self.load_sum[cid]) / voters
                options.append((load, cid))
        options.sort(key=lambda o: o[0])
        return options

    def _elect(self, size: int) -> None:
        options = self._options()
        skipped: list[str] = []
        for load, cid in options:
            if self.committee.can_add(cid):
                tied = [c for lo, c in options if lo == load and c not in skipped]
                self._record(cid, load, options, skipped, tied, winner=True, size=size)
                return
            skipped.append(cid)
        for cid in self._unelected():
            if not self.approvers[cid]:
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
        if options:
            load, cid = options[0]
            tied = [c for lo, c in options if lo == load]
            self._record(cid, load, options, [], tied, winner=False)
        else:
            self._record(self._unelected()[0], None, options, [], [], winner=False)

    def _record(
        self,
        cid: str,
        load: Fraction | None,
        options: list[tuple[Fraction, str]],
        skipped: list[str],
        tied: list[str],
        *,
        winner: bool,
        size: int = 0,
    ) -> None:
        if load is not None:
            for g in self.approvers[cid]:
                change = load - self.voter_load[g]
                if change:
                    weighed = change * self.weight[g]
                    for other in self.approved[g]:
                        self.load_sum[other] += weighed
                    self.voter_load[g] = load
        if winner:
            self.winners.append(cid)
            self.committee.add(cid)
        else:
            self.alternates.append(cid)
        tied = tied if len(tied) > 1 else []
        notes = [] if winner else [NOTE_ALTERNATE]
        if skipped:
            notes.append(
                f"skipped {', '.join(skipped)}: electing them would leave "
                "the constraints unsatisfiable"
            )
        if load is None:
            notes.append(NOTE_BY_LOT)
        elif tied:
            notes.append(f"tie at load {load} between {', '.join(tied)} broken by lot order")
        elif winner and not skipped:
            notes.append(NOTE_LOWEST)
        self.steps.append(
            CountStep(
                number=len(self.steps) + 1,
                picked=cid,
                load=None if load is None else str(load),
                loads=tuple((c, str(lo)) for lo, c in options),
                skipped=tuple(skipped),
                tied=tuple(tied),
                note="; ".join(notes),
            )
        )
