"""Balance constraints: checking published rules, and whether a committee can still be completed.

A ``Constraint`` with a ``value`` bounds how many winners carry that value of the attribute; one
with ``value`` None caps every value of the attribute separately ("at most 1 per region"). A
candidate without the attribute matches no value, so it counts towards no bound and is exempt
from per-value caps.

``can_complete`` is exact: candidates are grouped into profiles (for each constrained attribute,
the bound their value falls under), and a branch and bound over how many of each profile the
committee holds decides it: quick tests per attribute and per pair of attributes (a flow), then
the linear relaxation solved in exact rational arithmetic, branching on a fractional count.
No floats, no randomness, everything ordered explicitly: results never depend on hash seeds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from policies.messages import N_, NP_, Phrase, phrase
from policies.rules import (
    APPROVAL,
    DESIGNATION,
    METHODS,
    RANKING,
    Candidate,
    Constraint,
    InfeasibleRules,
    InvalidRules,
    SelectionRules,
    ballot_shape,
)

MAX_TIME_LIMIT = 600  # seconds: a count must finish well inside the count activity's timeout
MAX_PANELS = 100_000
# Seconds after the voting close in which reveals are accepted (DEFAULT_REVEAL_WINDOW gives
# people ten minutes; parties that reveal by script may agree on less).
MIN_REVEAL_WINDOW = 5
MAX_REVEAL_WINDOW = 7 * 24 * 3600

__all__ = [
    "can_complete",
    "check_rules",
    "diagnose",
    "largest_feasible_size",
    "satisfies",
    "violations",
]


# ---------------------------------------------------------------------------------------------
# Checking published rules


def check_rules(rules: SelectionRules) -> None:
    """Refuse rules that are malformed (``InvalidRules``) or that no committee could ever meet,
    whoever stands (``InfeasibleRules``)."""
    _check_int("seats", rules.seats, least=1)
    _check_int("alternates", rules.alternates, least=0)
    if rules.method not in METHODS:
        raise InvalidRules(
            N_("method must be one of %(methods)s, got %(method)s"),
            methods=sorted(METHODS),
            method=repr(rules.method),
        )
    _check_method_parameters(rules)
    _check_int("endorsements.required", rules.endorsements.required, least=0)
    _check_int("endorsements.distinct_regions", rules.endorsements.distinct_regions, least=0)
    if rules.endorsements.distinct_regions > rules.endorsements.required:
        raise InvalidRules(
            N_(
                "endorsements from %(distinct_regions)s distinct regions cannot come from "
                "%(required)s required endorsements: expected endorsements.distinct_regions at "
                "most endorsements.required"
            ),
            distinct_regions=rules.endorsements.distinct_regions,
            required=rules.endorsements.required,
        )
    seen: dict[tuple[str, str | None], Constraint] = {}
    for c in rules.constraints:
        _check_constraint(c)
        key = (c.attribute, c.value)
        if key in seen:
            raise InvalidRules(
                N_(
                    "two constraints on %(target)s: %(constraint)s and %(constraint2)s; expected "
                    "at most one constraint per attribute and value"
                ),
                target=_target_said(c),
                constraint=_label_said(seen[key]),
                constraint2=_label_said(c),
            )
        seen[key] = c
    _check_feasible(rules.seats, rules.constraints)


def _check_method_parameters(rules: SelectionRules) -> None:
    shape = ballot_shape(rules.method)
    if rules.max_approvals is not None:
        if shape != APPROVAL:
            raise InvalidRules(
                N_("max_approvals is for approval methods, not %(method)s"), method=rules.method
            )
        _check_int("max_approvals", rules.max_approvals, least=1)
    if rules.max_ranks is not None:
        if shape != RANKING:
            raise InvalidRules(
                N_("max_ranks is for ranked methods, not %(method)s"), method=rules.method
            )
        _check_int("max_ranks", rules.max_ranks, least=1)
    if rules.method == DESIGNATION:
        if rules.quorum is None:
            raise InvalidRules(N_("designation needs a quorum: how many coordinators must approve"))
        _check_int("quorum", rules.quorum, least=1)
    elif rules.quorum is not None:
        raise InvalidRules(N_("quorum is for designation, not %(method)s"), method=rules.method)
    _check_int("time_limit", rules.time_limit, least=1)
    if rules.time_limit > MAX_TIME_LIMIT:
        raise InvalidRules(
            N_("time_limit must be at most %(max_time_limit)s seconds, got %(time_limit)s"),
            max_time_limit=MAX_TIME_LIMIT,
            time_limit=rules.time_limit,
        )
    _check_int("panels", rules.panels, least=1)
    if rules.ballot_secrecy not in ("open", "secret"):
        raise InvalidRules(
            N_("ballot_secrecy must be 'open' or 'secret', got %(ballot_secrecy)s"),
            ballot_secrecy=repr(rules.ballot_secrecy),
        )
    if rules.panels > MAX_PANELS:
        raise InvalidRules(
            N_("panels must be at most %(max_panels)s, got %(panels)s"),
            max_panels=MAX_PANELS,
            panels=rules.panels,
        )
    if rules.beacon is not None:
        b = rules.beacon
        if re.fullmatch(r"[0-9a-f]{64}", b.chain_hash) is None:
            raise InvalidRules(
                N_("beacon.chain_hash must be 64 lowercase hex digits, got %(chain_hash)s"),
                chain_hash=repr(b.chain_hash),
            )
        if b.round is not None:  # older rules named it; newer rules derive it
            _check_int("beacon.round", b.round, least=1)
        # Only drand quicknet's scheme is verified (records.drand): its keys are 96 bytes, on G2.
        if b.public_key is not None and re.fullmatch(r"[0-9a-f]{192}", b.public_key) is None:
            raise InvalidRules(
                N_(
                    "beacon.public_key must be the 96-byte key of a drand network using "
                    "quicknet's scheme bls-unchained-g1-rfc9380, the only one supported, as 192 "
                    "lowercase hex digits; got %(public_key)s"
                ),
                public_key=repr(b.public_key),
            )
    if rules.commit_reveal is not None:
        window = rules.commit_reveal.reveal_window
        _check_int("commit_reveal.reveal_window", window, least=MIN_REVEAL_WINDOW)
        if window > MAX_REVEAL_WINDOW:
            raise InvalidRules(
                N_(
                    "commit_reveal.reveal_window must be at most %(max_reveal_window)s seconds (7 "
                    "days), got %(window)s"
                ),
                max_reveal_window=MAX_REVEAL_WINDOW,
                window=window,
            )


def _check_int(name: str, value: object, *, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRules(
            N_("%(name)s must be an integer, got %(value)s"), name=name, value=repr(value)
        )
    if value < least:
        expected = "at least 1" if least == 1 else f"{least} or more"
        raise InvalidRules(
            N_("%(name)s must be %(expected)s, got %(value)s"),
            name=name,
            expected=expected,
            value=value,
        )


def _check_constraint(c: Constraint) -> None:
    if not isinstance(c.attribute, str) or not c.attribute.strip():
        raise InvalidRules(
            N_("%(constraint)s: expected a non-empty attribute name, got %(attribute)s"),
            constraint=_label_said(c),
            attribute=repr(c.attribute),
        )
    if c.value is not None and (not isinstance(c.value, str) or not c.value.strip()):
        raise InvalidRules(
            N_("%(constraint)s: expected a non-empty value or none, got %(value)s"),
            constraint=_label_said(c),
            value=repr(c.value),
        )
    for name, bound in (("min", c.min), ("max", c.max)):
        if bound is None and name == "max":
            continue
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise InvalidRules(
                N_("%(constraint)s: %(name)s must be an integer, got %(bound)s"),
                constraint=_label_said(c),
                name=name,
                bound=repr(bound),
            )
        if bound < 0:
            raise InvalidRules(
                N_("%(constraint)s: %(name)s must be 0 or more, got %(bound)s"),
                constraint=_label_said(c),
                name=name,
                bound=bound,
            )
    if c.value is None and c.min != 0:
        raise InvalidRules(
            N_(
                "%(constraint)s: a per-value bound (no value) takes only a max, got min %(min)s; "
                "name the value to require at least %(min)s with it"
            ),
            constraint=_label_said(c),
            min=c.min,
        )
    if c.max is not None and c.min > c.max:
        raise InvalidRules(
            N_("%(constraint)s: min %(min)s is more than max %(max)s"),
            constraint=_label_said(c),
            min=c.min,
            max=c.max,
        )


def _check_feasible(seats: int, constraints: Sequence[Constraint]) -> None:
    # Constraints on different attributes are independent in principle: one candidate can carry
    # any combination of values, so whoever stands could include candidates with exactly the
    # profiles a committee needs. Hence testing each attribute on its own suffices here. (Per-value
    # caps never make the rules infeasible: candidates without the attribute, or with another
    # value, can always take the remaining seats.)
    for attribute in sorted({c.attribute for c in constraints}):
        cap: int | None = None
        for c in constraints:
            if c.attribute == attribute and c.value is None and c.max is not None:
                cap = c.max if cap is None else min(cap, c.max)
        mins = sorted(
            (c for c in constraints if c.attribute == attribute and c.value is not None and c.min),
            key=lambda c: str(c.value),
        )
        for c in mins:
            if c.min > seats:
                raise InfeasibleRules(
                    N_("at least %(min)s with %(target)s cannot be met with %(seats)s"),
                    min=c.min,
                    target=_target_said(c),
                    seats=_seats_said(seats),
                )
            if cap is not None and c.min > cap:
                raise InfeasibleRules(
                    N_(
                        "at least %(min)s with %(target)s cannot be met under at most %(cap)s per "
                        "%(attribute)s"
                    ),
                    min=c.min,
                    target=_target_said(c),
                    cap=cap,
                    attribute=attribute,
                )
        total = sum(c.min for c in mins)
        if total > seats:
            wanted: Phrase | None = None
            for c in reversed(mins):
                one = phrase(
                    N_("at least %(min)s with %(target)s"), min=c.min, target=_target_said(c)
                )
                both = phrase(N_("%(first)s and %(rest)s"), first=one, rest=wanted)
                wanted = one if wanted is None else both
            raise InfeasibleRules(
                NP_(
                    "%(wanted)s need %(total)s seat together, but there are %(seats)s",
                    "%(wanted)s need %(total)s seats together, but there are %(seats)s",
                    "total",
                ),
                wanted=wanted,
                total=total,
                seats=_seats_said(seats),
            )


# ---------------------------------------------------------------------------------------------
# Checking a committee


def satisfies(committee: Sequence[Candidate], constraints: Sequence[Constraint]) -> bool:
    return not violations(committee, constraints)


def violations(committee: Sequence[Candidate], constraints: Sequence[Constraint]) -> list[str]:
    """Every bound the committee breaks, in the order of the constraints, worded for people."""
    found: list[str] = []
    for c in constraints:
        if c.value is not None:
            n = sum(1 for m in committee if c.matches(m.attributes))
            if n < c.min:
                found.append(f"at least {c.min} with {_target(c)} required, got {n}")
            if c.max is not None and n > c.max:
                found.append(f"at most {c.max} with {_target(c)} allowed, got {n}")
        elif c.max is not None:
            per_value: dict[str, int] = {}
            for m in committee:
                v = m.attributes.get(c.attribute)
                if v is not None:
                    per_value[v] = per_value.get(v, 0) + 1
            for v in sorted(per_value):
                if per_value[v] > c.max:
                    found.append(
                        f"at most {c.max} per {c.attribute} allowed, "
                        f"got {per_value[v]} with {c.attribute}={v}"
                    )
    return found


# ---------------------------------------------------------------------------------------------
# Completing a committee


def can_complete(
    chosen: Sequence[Candidate],
    pool: Sequence[Candidate],
    size: int,
    constraints: Sequence[Constraint],
) -> bool:
    """Whether ``size - len(chosen)`` more candidates from ``pool`` (those not already chosen)
    make, with ``chosen``, a committee that satisfies every constraint. Exact."""
    chosen = _unique(chosen)
    taken = {c.id for c in chosen}
    pool = [c for c in _unique(pool) if c.id not in taken]
    space = ProfileSpace([*chosen, *pool], constraints)
    return space.feasible(space.counts(chosen), space.counts(pool), size)


def largest_feasible_size(
    pool: Sequence[Candidate], seats: int, constraints: Sequence[Constraint]
) -> int:
    """The largest k ≤ seats such that some k candidates of ``pool`` satisfy every constraint.

    Feasibility is not monotone in k (a minimum needs enough seats, a cap too few), so every k is
    tried from the top. 0 when no size from 1 up works, whether or not the empty committee would
    meet the minimums; ``diagnose`` says why.
    """
    pool = _unique(pool)
    space = ProfileSpace(pool, constraints)
    none = tuple(0 for _ in space.profiles)
    available = space.counts(pool)
    for k in range(min(seats, len(pool)), 0, -1):
        if space.feasible(none, available, k):
            return k
    return 0


def diagnose(pool: Sequence[Candidate], seats: int, constraints: Sequence[Constraint]) -> str:
    """Why ``seats`` seats cannot be filled from ``pool`` under ``constraints``, for people."""
    pool = _unique(pool)
    reasons: list[str] = []
    if not pool:
        reasons.append(f"no candidate stands for {_seats(seats)}")
    elif len(pool) < seats:
        reasons.append(f"only {_candidates(len(pool))} {_stand(len(pool))} for {_seats(seats)}")
    space = ProfileSpace(pool, constraints)
    for attribute in space.attributes:
        here = [k for k in space.bounds if k.attribute == attribute]
        have = {
            k.value: sum(1 for c in pool if c.attributes.get(attribute) == k.value) for k in here
        }
        for k in here:
            if k.lo > have[k.value]:
                got = (
                    "no such candidate stands"
                    if have[k.value] == 0
                    else f"only {have[k.value]} such {_stand_noun(have[k.value])}"
                )
                reasons.append(f"at least {k.lo} with {attribute}={k.value} is required but {got}")
        wanted = sum(k.lo for k in here)
        if wanted > seats:
            reasons.append(
                f"the minimums on {attribute} need {wanted} seats together, "
                f"but there are {_seats(seats)}"
            )
        capped = {k.value: k.hi for k in here if k.hi is not None}
        uncapped = sum(1 for c in pool if c.attributes.get(attribute) not in capped)
        capacity = uncapped + sum(min(have[v], hi) for v, hi in sorted(capped.items()))
        if capacity < seats and capacity < len(pool):
            caps = " and ".join(
                c.describe() for c in constraints if c.attribute == attribute and c.max is not None
            )
            reasons.append(
                f"under {caps}, at most {capacity} of the {_candidates(len(pool))} standing "
                f"can be seated, for {_seats(seats)}"
            )
    if reasons:
        return "; ".join(reasons)
    if space.feasible(tuple(0 for _ in space.profiles), space.counts(pool), seats):
        return f"all {_seats(seats)} can be filled"
    every = "; ".join(c.describe() for c in constraints)
    return (
        f"no {seats} of the {_candidates(len(pool))} standing meet all constraints together "
        f"({every})"
    )


# ---------------------------------------------------------------------------------------------
# The exact search


@dataclass(frozen=True)
class Bound:
    """How many winners carry ``attribute`` = ``value``: at least ``lo``, at most ``hi``."""

    attribute: str
    value: str
    lo: int
    hi: int | None


Profile = tuple[int, ...]


class ProfileSpace:
    """Candidates grouped by profile, and the bounds the constraints put on the profiles.

    A candidate's profile is, for each constrained attribute, the bound its value falls under
    (or none): candidates with the same profile are interchangeable for every constraint.
    ``completion`` works on count vectors indexed like ``profiles``, so a count can reuse one
    space across all its steps.
    """

    def __init__(self, candidates: Sequence[Candidate], constraints: Sequence[Constraint]) -> None:
        self.attributes: tuple[str, ...] = tuple(sorted({c.attribute for c in constraints}))
        lo: dict[tuple[str, str], int] = {}
        hi: dict[tuple[str, str], int] = {}
        cap: dict[str, int] = {}
        for c in constraints:
            if c.value is None:
                if c.max is not None:
                    cap[c.attribute] = min(cap.get(c.attribute, c.max), c.max)
                continue
            key = (c.attribute, c.value)
            lo[key] = max(lo.get(key, 0), c.min)
            if c.max is not None:
                hi[key] = min(hi.get(key, c.max), c.max)
        keys = set(lo) | set(hi)
        for candidate in candidates:
            for a in cap:
                v = candidate.attributes.get(a)
                if v is not None:
                    keys.add((a, v))
        found: list[Bound] = []
        for a, v in sorted(keys):
            highs = [b for b in (hi.get((a, v)), cap.get(a)) if b is not None]
            bound = Bound(a, v, lo.get((a, v), 0), min(highs) if highs else None)
            if bound.lo > 0 or bound.hi is not None:
                found.append(bound)
        self.bounds: tuple[Bound, ...] = tuple(found)
        self._where = {(k.attribute, k.value): j for j, k in enumerate(self.bounds)}
        # the bounds of each attribute (whose values are disjoint), attribute by attribute
        grouped: dict[str, list[int]] = {}
        for j, k in enumerate(self.bounds):
            grouped.setdefault(k.attribute, []).append(j)
        self.groups: tuple[tuple[int, ...], ...] = tuple(tuple(grouped[a]) for a in sorted(grouped))
        width = len(self.groups)
        # profiles: for each attribute with bounds, the position of the candidate's bound in
        # its group, or the group's length when none applies (sorts last)
        self.profiles: tuple[Profile, ...] = tuple(sorted({self.profile(c) for c in candidates}))
        self._index = {p: i for i, p in enumerate(self.profiles)}
        self.touches: tuple[tuple[int, ...], ...] = tuple(
            tuple(self.groups[g][pos] for g, pos in enumerate(p) if pos < len(self.groups[g]))
            for p in self.profiles
        )
        # for each pair of attributes, the cells (pair of positions) and each profile's cell
        self.pairs: tuple[tuple[int, int, tuple[tuple[int, int], ...], tuple[int, ...]], ...] = ()
        pairs = []
        for ga in range(width):
            for gb in range(ga + 1, width):
                cells = tuple(sorted({(p[ga], p[gb]) for p in self.profiles}))
                where = {cell: n for n, cell in enumerate(cells)}
                cell_of = tuple(where[(p[ga], p[gb])] for p in self.profiles)
                pairs.append((ga, gb, cells, cell_of))
        self.pairs = tuple(pairs)

    def profile(self, candidate: Candidate) -> Profile:
        positions = []
        for group in self.groups:
            attribute = self.bounds[group[0]].attribute
            value = candidate.attributes.get(attribute)
            j = self._where.get((attribute, value), -1) if value is not None else -1
            positions.append(group.index(j) if j >= 0 else len(group))
        return tuple(positions)

    def index(self, candidate: Candidate) -> int:
        return self._index[self.profile(candidate)]

    def counts(self, candidates: Sequence[Candidate]) -> tuple[int, ...]:
        vector = [0] * len(self.profiles)
        for c in candidates:
            vector[self.index(c)] += 1
        return tuple(vector)

    def completion(
        self, chosen: Sequence[int], available: Sequence[int], size: int
    ) -> tuple[int, ...] | None:
        """How many more of each profile to take (``x_p ≤ available[p]``, ``size - Σ chosen``
        in all) so that with ``chosen`` every bound is met; None when no way exists."""
        upper = [c + a for c, a in zip(chosen, available, strict=True)]
        found = _Search(self, size).run(list(chosen), upper)
        if found is None:
            return None
        return tuple(y - c for y, c in zip(found, chosen, strict=True))

    def feasible(self, chosen: Sequence[int], available: Sequence[int], size: int) -> bool:
        return self.completion(chosen, available, size) is not None


class _Search:
    """Branch and bound over how many of each profile the committee holds (``lower[p] ≤ y_p ≤
    upper[p]``, ``Σ y = size``, every bound met).

    Each node is first tested by quick exact-for-their-part tests: each attribute on its own (every
    deficit fits under its cap and in the supply, the deficits fit in the open seats, the caps
    leave room for them) and each pair of attributes (a flow with lower bounds). Then the linear
    relaxation is solved exactly (rational simplex, Bland's rule): infeasible prunes; an integral
    solution is a committee; otherwise the first fractional ``y_p`` is branched on
    (``≤ floor`` first, then ``≥ ceil``). Every step is exact and deterministic.
    """

    def __init__(self, space: ProfileSpace, size: int) -> None:
        self.space = space
        self.size = size
        self.touches = space.touches
        self.groups = space.groups
        self.lo = [k.lo for k in space.bounds]
        self.hi = [k.hi for k in space.bounds]

    def run(self, lower: list[int], upper: list[int]) -> list[int] | None:
        stack = [(lower, upper)]
        while stack:
            lower, upper = stack.pop()
            if not self._possible(lower, upper):
                continue
            solution = _relaxation(self.space, self.lo, self.hi, lower, upper, self.size)
            if solution is None:
                continue
            fractional = next((p for p, v in enumerate(solution) if v.denominator != 1), None)
            if fractional is None:
                return [int(v) for v in solution]
            value = solution[fractional]
            at_most, at_least = list(upper), list(lower)
            at_most[fractional] = math.floor(value)
            at_least[fractional] = math.ceil(value)
            stack.append((at_least, upper))
            stack.append((lower, at_most))  # popped first
        return None

    def _possible(self, lower: list[int], upper: list[int]) -> bool:
        rem = self.size - sum(lower)
        total = sum(upper) - sum(lower)
        if rem < 0 or total < rem:
            return False
        n_counters = len(self.lo)
        count = [0] * n_counters  # already held
        supply = [0] * n_counters  # still open
        for p, touches in enumerate(self.touches):
            for j in touches:
                count[j] += lower[p]
                supply[j] += upper[p] - lower[p]
        binding = []  # per attribute: whether any of its bounds can still bind
        for group in self.groups:
            deficit = 0
            capacity = total
            tight = False
            for j in group:
                room = supply[j]  # at most this many more can carry bound j's value
                h = self.hi[j]
                if h is not None and h - count[j] < min(room, rem):
                    if h < count[j]:
                        return False
                    room = h - count[j]
                    capacity -= supply[j] - room
                    tight = True
                need = self.lo[j] - count[j]
                if need > 0:
                    if need > room:
                        return False
                    deficit += need
                    tight = True
            if deficit > rem or capacity < rem:
                return False
            binding.append(tight)
        # a pair where one attribute cannot bind is settled by the other's own test above
        return all(
            self._pair_possible(n, rem, count, lower, upper)
            for n, (ga, gb, _, _) in enumerate(self.space.pairs)
            if binding[ga] and binding[gb]
        )

    def _pair_possible(
        self, n: int, rem: int, count: list[int], lower: list[int], upper: list[int]
    ) -> bool:
        """Whether the bounds on two attributes together can be met: exact for the two, as a
        flow with lower bounds (rem units from the first attribute's bounds, through the cells
        of profiles, to the second's)."""
        ga, gb, cells, cell_of = self.space.pairs[n]
        group_a, group_b = self.groups[ga], self.groups[gb]
        na = len(group_a) + 1  # with a last node for "no bound"
        source, sink, a0, b0 = 0, 1, 2, 2 + na
        flow = _Flow(2 + na + len(group_b) + 1)
        for pos, j in enumerate(group_a):
            flow.bounded(source, a0 + pos, *self._range(j, rem, count))
        flow.bounded(source, a0 + len(group_a), 0, rem)
        for pos, j in enumerate(group_b):
            flow.bounded(b0 + pos, sink, *self._range(j, rem, count))
        flow.bounded(b0 + len(group_b), sink, 0, rem)
        cell_supply = [0] * len(cells)
        for p, cell in enumerate(cell_of):
            cell_supply[cell] += upper[p] - lower[p]
        for (a, b), supply in zip(cells, cell_supply, strict=True):
            if supply:
                flow.bounded(a0 + a, b0 + b, 0, min(supply, rem))
        flow.bounded(sink, source, rem, rem)
        return flow.feasible()

    def _range(self, j: int, rem: int, count: list[int]) -> tuple[int, int]:
        h = self.hi[j]
        room = rem if h is None else min(rem, h - count[j])
        return max(self.lo[j] - count[j], 0), room


def _relaxation(
    space: ProfileSpace,
    lo: list[int],
    hi: list[int | None],
    lower: list[int],
    upper: list[int],
    size: int,
) -> list[Fraction] | None:
    """A vertex of {lower ≤ y ≤ upper, Σ y = size, lo_j ≤ Σ_{p under j} y_p ≤ hi_j} in rationals,
    or None when that polytope is empty.

    Phase one of the bounded-variable revised simplex in integer-preserving form: the basis
    inverse is kept as an integer matrix over an integer denominator (its adjugate over its
    determinant, up to sign), so every update is an exact integer division. Rows: the total,
    then one per bound, ``Σ y_p - t_j = 0`` with ``lo_j ≤ t_j ≤ hi_j``. Bland's rule (smallest
    index enters, smallest index leaves on ties) guarantees termination.
    """
    n = len(lower)
    bounds = len(lo)
    m = 1 + bounds
    columns: list[list[tuple[int, int]]] = [
        [(0, 1), *((1 + j, 1) for j in space.touches[p])] for p in range(n)
    ]
    columns += [[(1 + j, -1)] for j in range(bounds)]
    low: list[int] = [*lower, *lo]
    high: list[int | None] = [*upper, *hi]
    value: list[Fraction] = [Fraction(v) for v in low]
    # artificial variables, one per row, start as the basis at the residuals
    residual = [size - sum(lower)] + [
        lo[j] - sum(lower[p] for p in range(n) if j in space.touches[p]) for j in range(bounds)
    ]
    sign = [1 if r >= 0 else -1 for r in residual]
    first_artificial = len(columns)
    for i in range(m):
        columns.append([(i, sign[i])])
        low.append(0)
        high.append(None)
        value.append(Fraction(abs(residual[i])))
    cost = [0] * first_artificial + [1] * m
    basis = list(range(first_artificial, first_artificial + m))
    row_of = [-1] * len(columns)
    for i, var in enumerate(basis):
        row_of[var] = i
    at_upper = [False] * len(columns)
    inverse = [[sign[i] if k == i else 0 for k in range(m)] for i in range(m)]
    denominator = 1

    while True:
        # prices: c_B · inverse (the duals, times the denominator)
        prices = [0] * m
        for i, var in enumerate(basis):
            if cost[var]:
                row = inverse[i]
                for k in range(m):
                    prices[k] += row[k]
        entering, direction = -1, 0
        for var, column in enumerate(columns):
            if row_of[var] >= 0 or high[var] == low[var]:
                continue
            reduced = cost[var] * denominator - sum(prices[r] * a for r, a in column)
            if denominator < 0:
                reduced = -reduced
            if reduced < 0 and not at_upper[var]:
                entering, direction = var, 1
                break
            if reduced > 0 and at_upper[var]:
                entering, direction = var, -1
                break
        if entering < 0:
            break
        # the entering column in the current basis (times the denominator)
        column = columns[entering]
        moved = [sum(inverse[i][r] * a for r, a in column) for i in range(m)]
        # ratio test: the smallest step that takes a variable to a bound; ties by smallest index
        h = high[entering]
        best: tuple[Fraction, int, int] | None = None  # (step, variable, row or -1)
        if h is not None:
            best = (Fraction(h - low[entering]), entering, -1)
        for i in range(m):
            if moved[i] == 0:
                continue
            var = basis[i]
            rate = Fraction(-direction * moved[i], denominator)
            if rate < 0:
                step = (value[var] - low[var]) / -rate
            else:
                hv = high[var]
                if hv is None:
                    continue
                step = (hv - value[var]) / rate
            if best is None or (step, var) < best[:2]:
                best = (step, var, i)
        if best is None:  # pragma: no cover - phase one is bounded below by 0
            raise RuntimeError("the linear relaxation is unbounded")
        step, leaving, r = best
        value[entering] += direction * step
        for i in range(m):
            if moved[i]:
                value[basis[i]] += Fraction(-direction * moved[i], denominator) * step
        if r < 0:  # the entering variable just moves to its other bound
            at_upper[entering] = not at_upper[entering]
            continue
        rate = Fraction(-direction * moved[r], denominator)
        at_upper[leaving] = rate > 0
        hv = high[leaving]
        value[leaving] = Fraction(hv if rate > 0 and hv is not None else low[leaving])
        if leaving >= first_artificial:  # an artificial that leaves never returns
            high[leaving] = 0
            at_upper[leaving] = False
        pivot = moved[r]
        pivot_row = inverse[r]
        for i in range(m):
            if i == r:
                continue
            factor = moved[i]
            row = inverse[i]
            updated = []
            for k in range(m):
                quotient, remainder = divmod(row[k] * pivot - factor * pivot_row[k], denominator)
                if remainder:  # pragma: no cover - the adjugate stays integral
                    raise RuntimeError("inexact pivot in the linear relaxation")
                updated.append(quotient)
            inverse[i] = updated
        denominator = pivot
        basis[r] = entering
        row_of[entering] = r
        row_of[leaving] = -1
        at_upper[entering] = False

    if any(value[v] for v in range(first_artificial, first_artificial + m)):
        return None
    return value[:n]


class _Flow:
    """A small flow network with lower bounds; ``feasible`` says whether a circulation exists."""

    def __init__(self, nodes: int) -> None:
        self.n = nodes + 2  # and a super source and super sink
        self.edges: list[list[int]] = [[] for _ in range(self.n)]
        self.head: list[int] = []
        self.cap: list[int] = []
        self.excess = [0] * self.n

    def _edge(self, u: int, v: int, cap: int) -> None:
        self.edges[u].append(len(self.head))
        self.head.append(v)
        self.cap.append(cap)
        self.edges[v].append(len(self.head))
        self.head.append(u)
        self.cap.append(0)

    def bounded(self, u: int, v: int, low: int, high: int) -> None:
        if high > low:
            self._edge(u, v, high - low)
        self.excess[v] += low
        self.excess[u] -= low

    def feasible(self) -> bool:
        if any(c < 0 for c in self.cap):
            return False
        s, t = self.n - 2, self.n - 1
        wanted = 0
        for v in range(self.n - 2):
            if self.excess[v] > 0:
                self._edge(s, v, self.excess[v])
                wanted += self.excess[v]
            elif self.excess[v] < 0:
                self._edge(v, t, -self.excess[v])
        return self._max_flow(s, t, wanted) == wanted

    def _max_flow(self, s: int, t: int, limit: int) -> int:
        total = 0
        while total < limit:
            parent = [-1] * self.n
            parent[s] = -2
            queue = [s]
            for u in queue:
                for e in self.edges[u]:
                    v = self.head[e]
                    if self.cap[e] > 0 and parent[v] == -1:
                        parent[v] = e
                        queue.append(v)
                if parent[t] != -1:
                    break
            if parent[t] == -1:
                return total
            push = limit - total
            v = t
            while v != s:
                e = parent[v]
                push = min(push, self.cap[e])
                v = self.head[e ^ 1]
            v = t
            while v != s:
                e = parent[v]
                self.cap[e] -= push
                self.cap[e ^ 1] += push
                v = self.head[e ^ 1]
            total += push
        return total


# ---------------------------------------------------------------------------------------------
# Helpers


def _unique(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates with each id once (the first occurrence), in the order given."""
    seen: set[str] = set()
    out: list[Candidate] = []
    for c in candidates:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def _target(c: Constraint) -> str:
    return f"{c.attribute}={c.value}" if c.value is not None else f"each {c.attribute}"


def _label(c: Constraint) -> str:
    return f"constraint on {_target(c)} (min {c.min}, max {c.max})"


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


# The same, as parts of a refusal said in the reader's language (policies/messages.py).
def _target_said(c: Constraint) -> Phrase | str:
    if c.value is not None:
        return f"{c.attribute}={c.value}"
    return phrase(N_("each %(attribute)s"), attribute=c.attribute)


def _label_said(c: Constraint) -> Phrase:
    return phrase(
        N_("constraint on %(target)s (min %(min)s, max %(max)s)"),
        target=_target_said(c),
        min=c.min,
        max=c.max,
    )


def _seats_said(n: int) -> Phrase:
    return phrase(NP_("%(n)s seat", "%(n)s seats"), n=n)


def _candidates(n: int) -> str:
    return f"{n} candidate" if n == 1 else f"{n} candidates"


def _stand(n: int) -> str:
    return "stands" if n == 1 else "stand"


def _stand_noun(n: int) -> str:
    return "candidate stands" if n == 1 else "candidates stand"


# ---------------------------------------------------------------------------------------------
# A committee chosen one pick at a time


class GrowingCommittee:
    """A committee built pick by pick that always stays completable under the constraints.

    ``size`` is the seats to fill: all of them when some committee meets every constraint,
    otherwise the largest size that can (``unfilled_reason`` says why). A *witness* (one
    completion of the current picks) answers most "can I add this one?" questions without a
    search: when it takes someone of the candidate's profile, the answer is yes.
    """

    def __init__(
        self, candidates: Sequence[Candidate], constraints: Sequence[Constraint], seats: int
    ) -> None:
        self.space = ProfileSpace(candidates, constraints)
        self.profile_of = {c.id: self.space.index(c) for c in candidates}
        self.total = self.space.counts(candidates)
        self.chosen = [0] * len(self.total)
        self.cache: dict[tuple[int, ...], tuple[int, ...] | None] = {}
        self.size = seats
        self.unfilled_reason: str | None = None
        self.witness = self._completion(tuple(self.chosen))
        if self.witness is None:
            self.size = largest_feasible_size(candidates, seats, constraints)
            reason = diagnose(candidates, seats, constraints)
            if self.size == 0:
                reason += "; no smaller committee meets every constraint either"
            self.unfilled_reason = reason
            self.cache.clear()
            self.witness = self._completion(tuple(self.chosen))

    def _completion(self, chosen: tuple[int, ...]) -> tuple[int, ...] | None:
        if chosen not in self.cache:
            available = [t - c for t, c in zip(self.total, chosen, strict=True)]
            self.cache[chosen] = self.space.completion(chosen, available, self.size)
        return self.cache[chosen]

    def can_add(self, cid: str) -> bool:
        """Whether picking ``cid`` still leaves a committee of ``size`` meeting the constraints."""
        p = self.profile_of[cid]
        if self.witness is not None and self.witness[p] > 0:
            return True
        after = list(self.chosen)
        after[p] += 1
        return self._completion(tuple(after)) is not None

    def add(self, cid: str) -> None:
        p = self.profile_of[cid]
        self.chosen[p] += 1
        if self.witness is not None and self.witness[p] > 0:
            witness = list(self.witness)
            witness[p] -= 1
            self.witness = tuple(witness)
        else:
            self.witness = self._completion(tuple(self.chosen))
