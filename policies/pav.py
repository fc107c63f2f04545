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

How the optimum is found (the rule above does not depend on it). The integer programme is
``maximise Σ_groups weight × Σ_{l=1..k} y_{g,l} / l`` subject to ``Σ_l y_{g,l} ≤ Σ_{c ∈ A_g} x_c``
per group, ``Σ x_c = k`` and one row per constraint bound, ``x`` binary, ``0 ≤ y ≤ 1``; a group
is the ballots with the same approval set, and the objective is scaled to integers by
lcm(1..min(k, longest ballot)). HiGHS solves it: single thread, random seed 0, no output, zero
relative gap and an absolute gap of half the integer step (so its optimum is exact). It is
solved over a pool of candidates that provably holds every committee scoring at least as well as
the best committee known (found by sequential PAV, by rounding the linear relaxation, and by
swaps): for every candidate outside the pool, a Lagrangian bound, from the duals of the linear
relaxation rounded to rationals and then evaluated exactly in integers, shows that every
committee containing it scores less. The solver is asked for the best committee other than the
best known one: scoring less settles that the known one is the only optimal committee (no solve
at all when the bounds leave only its members); scoring more makes it the best known, and the
question is asked again; scoring the same means several optimal committees, and the first in
the lot order is then fixed candidate by candidate in lot order, each time asking for an optimal
committee that holds one of the earlier candidates not yet ruled out (a known optimal committee
answers without a solve). Every committee the solver returns is checked exactly: size,
constraints, score. All solves of a count share ``rules.time_limit`` seconds; beyond that the
count fails with ``SolverLimit``. Scores are published as exact fractions "p/q".
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import highspy

from policies.constraints import ProfileSpace, diagnose, largest_feasible_size
from policies.count_inputs import lot_positions
from policies.errors import InvalidInput, SolverLimit
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

# Scores go to the solver in doubles: above this many integer steps its answers could not be
# told apart from their neighbours.
_LARGEST_SCORE = 2**45
# Duals are rounded to multiples of 2^-20 of a step before the bounds are computed exactly.
_DUAL_SCALE = 2**20
# The candidates tried first: those of a greedy committee and this many more by approvals.
_FIRST_EXTRA = 6
# A bound that rules nobody out.
_UNBOUNDED = 2**62
# Two-for-two swaps are tried when there are at most this many (they are cheap, not free).
_PAIR_SWAPS = 50_000
# The pool is narrowed again while the last relaxation took out at least this share of it.
_SHRINK = 0.1


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
    solver needs more than ``rules.time_limit`` seconds.
    """
    position = lot_positions(METHOD, candidates, rules, order)
    by_lot = sorted(candidates, key=lambda c: position[c.id])
    return _Count(by_lot, ballots, rules).run()


# ---------------------------------------------------------------------------------------------
# Ballots as groups and bit masks


def _always(order: list[int]) -> Callable[[list[int]], list[int]]:
    return lambda _: order


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
            committee, several = _Optimum(self.candidates, self.ballots, self.rules, size).find()
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


# ---------------------------------------------------------------------------------------------
# The optimum


@dataclass(frozen=True)
class _Row:
    columns: tuple[int, ...]
    lower: float
    upper: float


class _Solver:
    """HiGHS with the house options, sharing one time budget between all its runs."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0.0
        self.runs = 0

    def run(
        self, lp: highspy.HighsLp, *, relaxation: bool = False, start: Sequence[int] = ()
    ) -> highspy.Highs:
        """Solve ``lp``; a linear relaxation by the interior point method without crossover: it
        is faster here than the simplex method, and its duals, strictly complementary, give
        the sharpest bounds."""
        remaining = self.limit - self.used
        if remaining <= 0:
            self._fail()
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        for option, value in (
            ("output_flag", False),
            ("threads", 1),
            ("random_seed", 0),
            ("mip_rel_gap", 0.0),
            ("mip_abs_gap", 0.5),  # scores are integers: a gap below 1 proves the optimum
            ("time_limit", float(remaining)),
        ):
            h.setOptionValue(option, value)
        if relaxation:
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "off")
        h.passModel(lp)
        if start:
            # the count's own committee to start from: the solver's search for others is slower
            # than the proof it spares
            for option in (
                "mip_heuristic_run_rins",
                "mip_heuristic_run_rens",
                "mip_heuristic_run_root_reduced_cost",
                "mip_heuristic_run_feasibility_jump",
            ):
                h.setOptionValue(option, False)
            h.setOptionValue("mip_heuristic_effort", 0.0)
            # branch on pseudo-costs from the start: strong branching costs more than it saves
            h.setOptionValue("mip_pscost_minreliable", 0)
            h.setSolution(len(start), list(start), [1.0] * len(start))
        h.run()
        self.runs += 1
        self.used += h.getRunTime()
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            self._fail()
        return h

    def _fail(self) -> None:
        raise SolverLimit(
            f"PAV: the solver did not finish within the time limit of {self.limit} s set in the "
            f"rules (after {self.runs} runs); expected the count to finish within it: raise "
            "time_limit in the rules, or count with fewer candidates"
        )


class _Optimum:
    """The optimal committee of ``size``, first in the lot order, and whether it is the only one.

    Candidates are numbered in lot order, so the first in lot order is the smallest number."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        ballots: _Ballots,
        rules: SelectionRules,
        size: int,
    ) -> None:
        self.ballots = ballots
        self.size = size
        self.m = len(candidates)
        self.solver = _Solver(rules.time_limit)
        # every score is an integer number of steps of 1/unit
        self.unit = math.lcm(*range(1, max(1, min(size, ballots.longest)) + 1))
        self.step = [self.unit // (t + 1) for t in range(min(size, ballots.longest))]
        if ballots.weigh(ballots.everyone) * self.unit * (size + 1) >= _LARGEST_SCORE:
            raise InvalidInput(
                f"PAV cannot be counted exactly for {size} seats and "
                f"{ballots.weigh(ballots.everyone)} ballots: the scores need more precision than "
                "the solver has; expected fewer seats or ballots"
            )
        space = ProfileSpace(candidates, rules.constraints)
        profile = [space.index(c) for c in candidates]
        self.space = space
        self.profile = profile
        self.total = space.counts(candidates)
        # the bounds: (lower, upper, the candidates under the bound)
        self.bounds: list[tuple[int, int | None, list[int]]] = [
            (
                b.lo,
                b.hi,
                [c for c in range(self.m) if j in space.touches[profile[c]]],
            )
            for j, b in enumerate(space.bounds)
        ]

    # -- exact checks

    def units(self, committee: Iterable[int]) -> int:
        """The PAV score in steps of 1/unit."""
        total = 0
        harmonic = 0
        for t, groups in enumerate(self.ballots.levels(committee)):
            if t:
                harmonic += self.unit // t
            if groups and t:
                total += self.ballots.weigh(groups) * harmonic
        return total

    def meets(self, committee: Sequence[int]) -> bool:
        chosen = set(committee)
        for lo, hi, under in self.bounds:
            n = sum(1 for c in under if c in chosen)
            if n < lo or (hi is not None and n > hi):
                return False
        return len(chosen) == self.size

    # -- the search

    def find(self) -> tuple[list[int], bool]:
        committee = self._improve(self._greedy(self._gain_order))
        score = self.units(committee)
        # The first pool: the committee, the most approved candidates, and the most approved
        # of each value a constraint asks a minimum of.
        popular = sorted(range(self.m), key=lambda c: -self.ballots.approvals[c])
        first = set(committee) | set(popular[: self.size + _FIRST_EXTRA])
        for lo, _, under in self.bounds:
            if lo:
                first |= set(sorted(under, key=popular.index)[: lo + _FIRST_EXTRA // 2])
        # Grow the pool until the bounds show that no committee outside it scores as well as
        # the best committee known, then shrink it while bounds on the smaller pool show that.
        # Each relaxation also suggests a committee (its candidates by decreasing value).
        pool = sorted(first)
        proven: list[int] | None = None
        proof: list[int] = []
        tried: set[frozenset[int]] = set()
        while True:
            bounds, values = self._relax(pool)
            by_value = sorted(values, key=lambda c: -values[c])
            rounded = self._greedy(_always(by_value))
            if frozenset(rounded) not in tried:
                tried.add(frozenset(rounded))
                rounded = self._improve(rounded, pool)
                if (found := self.units(rounded)) > score:
                    committee, score = rounded, found
            alive = [c for c in range(self.m) if bounds[c] >= score]
            if set(alive) <= set(pool):
                shrunk = proven is None or len(proven) - len(alive) >= _SHRINK * len(proven)
                proven, proof = alive, bounds
                if not shrunk or len(alive) == len(pool):
                    break  # another relaxation would not narrow the pool enough to pay
            elif proven is not None:
                break  # the narrower pool's bounds are weaker: keep the last proven one
            pool = alive if proven is not None else sorted(set(pool) | set(alive))
        # The best committee other than the best known one settles at once whether that one is
        # optimal and whether it is the only optimal committee; no solve is needed when the
        # bounds leave only its members.
        assert proven is not None
        if set(proven) == set(committee):
            return sorted(committee), False
        while True:
            other = self._best(proven, forbid=committee, start=self._runner_up(committee, proven))
            if other is None or other[1] < score:
                return sorted(committee), False
            if other[1] == score:
                return self._first_in_lot_order(proven, [committee, other[0]], score), True
            committee, score = other  # better than the best known: the optimum
            proven = [c for c in proven if proof[c] >= score]

    def _gain_order(self, chosen: list[int]) -> list[int]:
        """The candidates by decreasing gain to ``chosen`` (ties in lot order): sequential PAV."""
        gains = self.ballots.gains(chosen, range(self.m))
        return sorted((c for c in range(self.m) if c not in chosen), key=lambda c: -gains[c])

    def _greedy(self, priority: Callable[[list[int]], list[int]]) -> list[int]:
        """A committee of the size built one candidate at a time: the first in ``priority``
        whose addition keeps the constraints satisfiable."""
        chosen: list[int] = []
        counts = [0] * len(self.total)
        while len(chosen) < self.size:
            for c in priority(chosen):
                if c in chosen:
                    continue
                counts[self.profile[c]] += 1
                available = [t - n for t, n in zip(self.total, counts, strict=True)]
                if self.space.feasible(counts, available, self.size):
                    chosen.append(c)
                    break
                counts[self.profile[c]] -= 1
            else:  # pragma: no cover - the size is feasible, so some candidate keeps it so
                raise RuntimeError("no candidate keeps the constraints satisfiable")
        return chosen

    def _improve(self, committee: list[int], pool: Sequence[int] = ()) -> list[int]:
        """Swap one member for another candidate, or two members for two others of ``pool``,
        while that raises the score (the best swap each time, the first found on ties), keeping
        the constraints met."""
        score = self.units(committee)
        pairs = math.comb(self.size, 2) * math.comb(len(pool), 2)
        while True:
            best: list[int] | None = None
            for width, into in ((1, range(self.m)), (2, pool if pairs <= _PAIR_SWAPS else ())):
                for out in itertools.combinations(committee, width):
                    rest = [c for c in committee if c not in out]
                    base = self.units(rest)
                    levels = self.ballots.levels(rest)
                    others = [c for c in into if c not in committee]
                    for c in others:
                        gain = self._gain(levels, c)
                        if width == 1:
                            if base + gain > score and self.meets([*rest, c]):
                                best, score = [*rest, c], base + gain
                            continue
                        after = self.ballots.levels([c], levels)
                        for d in others:
                            if d <= c:
                                continue
                            total = base + gain + self._gain(after, d)
                            if total > score and self.meets([*rest, c, d]):
                                best, score = [*rest, c, d], total
                if best is not None:
                    break  # one-for-one swaps first
            if best is None:
                return committee
            committee = best

    def _runner_up(self, committee: list[int], pool: Sequence[int]) -> list[int]:
        """The best committee one swap away within ``pool`` (none if there is none): a start
        for the search for the best committee other than ``committee``."""
        best: list[int] = []
        score = -1
        for out in committee:
            rest = [c for c in committee if c != out]
            base = self.units(rest)
            levels = self.ballots.levels(rest)
            for c in pool:
                if c in committee:
                    continue
                found = base + self._gain(levels, c)
                if found > score and self.meets([*rest, c]):
                    best, score = [*rest, c], found
        return best

    def _gain(self, levels: list[int], c: int) -> int:
        """How much adding ``c`` raises the score, in steps, given the groups by level."""
        mask = self.ballots.mask[c]
        return sum(
            self.ballots.weigh(groups & mask) * self.step[t]
            for t, groups in enumerate(levels[: len(self.step)])
        )

    def _first_in_lot_order(
        self, pool: list[int], optima: list[list[int]], score: int
    ) -> list[int]:
        """The optimal committee first in the lot order, given some optimal ones (``pool`` holds
        every optimal committee)."""
        witnesses = [set(w) for w in optima]
        fixed_in: list[int] = []
        fixed_out: set[int] = set()
        while len(fixed_in) < self.size:
            taken = set(fixed_in)
            # the earliest candidate of a known optimal committee that agrees with the choices
            # so far; then ask whether an optimal committee holds one still earlier
            first = min(
                c for w in witnesses if taken <= w and not (w & fixed_out) for c in w - taken
            )
            while prefix := [c for c in pool if c < first and c not in taken | fixed_out]:
                found = self._best(pool, fix_in=fixed_in, fix_out=fixed_out, some_of=prefix)
                if found is None or found[1] < score:
                    break
                self._check_not_better(found[1], score)
                witnesses.append(set(found[0]))
                first = min(c for c in found[0] if c not in taken)
            fixed_out |= {c for c in pool if c < first and c not in taken}
            fixed_in.append(first)
        return sorted(fixed_in)

    @staticmethod
    def _check_not_better(found: int, score: int) -> None:
        if found > score:
            raise RuntimeError(
                f"the solver called a committee scoring {score} optimal, then found one "
                f"scoring {found}"
            )

    # -- solver calls

    def _best(
        self,
        pool: list[int],
        *,
        forbid: Sequence[int] = (),
        fix_in: Sequence[int] = (),
        fix_out: Iterable[int] = (),
        some_of: Sequence[int] = (),
        start: Sequence[int] = (),
    ) -> tuple[list[int], int] | None:
        """The best committee from ``pool`` (other than ``forbid``, holding ``fix_in``, none of
        ``fix_out``, at least one of ``some_of``) and its score, checked exactly; None when
        there is none. ``start`` is a committee from the pool to start from."""
        rows = []
        if forbid:
            rows.append(_Row(tuple(forbid), -highspy.kHighsInf, self.size - 1))
        if some_of:
            rows.append(_Row(tuple(some_of), 1, highspy.kHighsInf))
        lp = self._model(pool, integer=True, rows=rows, fix_in=fix_in, fix_out=fix_out)
        h = self.solver.run(lp, start=[pool.index(c) for c in start])
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the solver ended with {h.modelStatusToString(status)}")
        values = list(h.getSolution().col_value)[: len(pool)]
        if any(min(abs(v), abs(v - 1)) > 1e-6 for v in values):
            raise RuntimeError("the solver returned a committee that is not integral")
        committee = [c for c, v in zip(pool, values, strict=True) if v > 0.5]
        chosen = set(committee)
        if (
            not self.meets(committee)
            or chosen == set(forbid)
            or not set(fix_in) <= chosen
            or chosen & set(fix_out)
            or (some_of and not chosen & set(some_of))
        ):
            raise RuntimeError("the solver returned a committee that breaks its constraints")
        score = self.units(committee)
        info = h.getInfo()
        if abs(info.objective_function_value - score) > 0.5:
            raise RuntimeError(
                f"the solver's score {info.objective_function_value} is not the committee's "
                f"exact score {score}"
            )
        if info.mip_dual_bound - score >= 0.75:
            raise RuntimeError(f"the solver left a gap: bound {info.mip_dual_bound}, got {score}")
        return committee, score

    def _projection(
        self, pool: list[int]
    ) -> tuple[list[tuple[int, ...]], dict[tuple[int, ...], int]]:
        """Each group's approvals within ``pool``, and the weight of each distinct one."""
        inside = set(pool)
        projected = [
            tuple(c for c in approved if c in inside) for approved, _ in self.ballots.groups
        ]
        weight: dict[tuple[int, ...], int] = {}
        for p, (_, w) in zip(projected, self.ballots.groups, strict=True):
            if p:
                weight[p] = weight.get(p, 0) + w
        return projected, weight

    def _model(
        self,
        pool: list[int],
        *,
        integer: bool,
        rows: Sequence[_Row] = (),
        fix_in: Iterable[int] = (),
        fix_out: Iterable[int] = (),
    ) -> highspy.HighsLp:
        """The programme over ``pool`` (columns: x per candidate of the pool, then y per group
        and level). The linear relaxation keeps one row per group for its dual; the integer
        programme folds a group approving one candidate of the pool into that x."""
        inf = highspy.kHighsInf
        column = {c: i for i, c in enumerate(pool)}
        cost = [0.0] * len(pool)
        lower = [0.0] * len(pool)
        upper = [1.0] * len(pool)
        for c in fix_in:
            lower[column[c]] = 1.0
        for c in fix_out:
            if c in column:
                upper[column[c]] = 0.0
        starts: list[int] = [0]
        index: list[int] = []
        value: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []

        def row(entries: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
            for i, v in entries:
                index.append(i)
                value.append(v)
            starts.append(len(index))
            row_lower.append(lo)
            row_upper.append(hi)

        _, weights = self._projection(pool)
        for p in sorted(weights):
            w = weights[p]
            if integer and len(p) == 1:
                cost[column[p[0]]] += w * self.unit
                continue
            first = len(cost)
            for t in range(min(self.size, len(p))):
                cost.append(float(w * self.step[t]))
                lower.append(0.0)
                upper.append(1.0)
            row(
                [*((i, 1.0) for i in range(first, len(cost))), *((column[c], -1.0) for c in p)],
                -inf,
                0.0,
            )
        row(((i, 1.0) for i in range(len(pool))), self.size, self.size)
        for lo, hi, under in self.bounds:
            row(
                ((column[c], 1.0) for c in under if c in column),
                float(lo),
                inf if hi is None else float(hi),
            )
        for extra in rows:
            row(((column[c], 1.0) for c in extra.columns if c in column), extra.lower, extra.upper)
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = cost
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = len(cost)
        lp.a_matrix_.num_row_ = len(row_lower)
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = index
        lp.a_matrix_.value_ = value
        lp.sense_ = highspy.ObjSense.kMaximize
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * len(pool) + [
                highspy.HighsVarType.kContinuous
            ] * (len(cost) - len(pool))
        return lp

    def _relax(self, pool: list[int]) -> tuple[list[int], dict[int, float]]:
        """For every candidate, a bound on the score of any committee that contains it and meets
        the constraints; and the value of each candidate of ``pool`` in the linear relaxation.

        For any λ_g ≥ 0 per group and α, β ≥ 0 per bound, every committee W meeting the
        constraints that contains c scores at most σ + κ + π_c + (the size - 1 largest π of the
        others), where σ = Σ_g Σ_{l ≤ min(k, |A_g|)} max(0, w_g/l - λ_g), π_c = Σ_{g ∋ c} λ_g +
        Σ_{bounds under c} (α - β) and κ = Σ (β·upper - α·lower): the score of each group is at
        most its approvals in W times λ_g plus σ's terms, and the bound terms are ≥ 0 on W.
        λ, α and β come from the duals of the linear relaxation over ``pool``; the bound itself
        is computed exactly, in integers (and rounded down to whole steps)."""
        lp = self._model(pool, integer=False)
        h = self.solver.run(lp, relaxation=True)
        solution = h.getSolution()
        values = dict(zip(pool, list(solution.col_value)[: len(pool)], strict=True))
        if not solution.dual_valid:
            return [_UNBOUNDED] * self.m, values  # no duals to bound with
        duals = list(solution.row_dual)
        # Any duals give valid bounds; the solver's sign convention for the duals of an interior
        # point without crossover is its own, so both signs are tried and the lower bound kept.
        projected, weights = self._projection(pool)
        bounds = [
            min(a, b)
            for a, b in zip(
                self._bounds(duals, projected, weights),
                self._bounds([-d for d in duals], projected, weights),
                strict=True,
            )
        ]
        return bounds, values

    def _bounds(
        self,
        duals: list[float],
        projected: list[tuple[int, ...]],
        weights: dict[tuple[int, ...], int],
    ) -> list[int]:
        """The bounds of ``_relax`` from these duals (rows as ``_model`` lays them out)."""
        keys = sorted(weights)
        scale = self.unit * _DUAL_SCALE
        price = {p: max(0, round(d * _DUAL_SCALE)) for p, d in zip(keys, duals, strict=False)}
        sigma = 0
        pi = [0] * self.m
        for (approved, w), p in zip(self.ballots.groups, projected, strict=True):
            levels = min(self.size, len(approved))
            if p:
                lam = price[p] * w // weights[p]
                if len(p) < levels:
                    # the pool's programme has no level beyond |p| for this group: a candidate
                    # from outside would be its (|p| + 1)-th
                    lam = max(lam, w * scale // (len(p) + 1))
            else:
                lam = w * scale  # nobody in the pool approved: a first approval is worth 1
            for t in range(levels):
                excess = w * scale // (t + 1) - lam
                if excess > 0:
                    sigma += excess
            for c in approved:
                pi[c] += lam
        kappa = 0
        for (lo, hi, under), d in zip(self.bounds, duals[len(keys) + 1 :], strict=True):
            rounded = round(d * _DUAL_SCALE)
            alpha = max(0, -rounded) if lo > 0 else 0
            beta = max(0, rounded) if hi is not None else 0
            kappa += beta * (hi or 0) - alpha * lo
            for c in under:
                pi[c] += alpha - beta
        top = sorted(range(self.m), key=lambda c: -pi[c])[: self.size]
        base = sigma + kappa + sum(pi[c] for c in top)
        return [
            (base if c in top else base - pi[top[-1]] + pi[c]) // _DUAL_SCALE for c in range(self.m)
        ]
