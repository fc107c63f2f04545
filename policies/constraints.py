"""Balance constraints: checking published rules, and whether a committee can still be completed.

A ``Constraint`` with a ``value`` bounds how many winners carry that value of the attribute; one
with ``value`` None caps every value of the attribute separately ("at most 1 per region"). A
candidate without the attribute matches no value, so it counts towards no bound and is exempt
from per-value caps.

``can_complete`` is exact: candidates are grouped into profiles (their values for the constrained
attributes) and a depth-first search decides how many to take from each profile, pruned by the
caps and by whether the remaining minimums are still reachable, with failed states memoised.
Everything is ordered explicitly, so results never depend on hash seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from policies.rules import (
    METHODS,
    Candidate,
    Constraint,
    InfeasibleRules,
    InvalidRules,
    SelectionRules,
)

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
        raise InvalidRules(f"method must be one of {sorted(METHODS)}, got {rules.method!r}")
    if rules.max_approvals is not None:
        _check_int("max_approvals", rules.max_approvals, least=1)
    _check_int("endorsements.required", rules.endorsements.required, least=0)
    _check_int("endorsements.distinct_regions", rules.endorsements.distinct_regions, least=0)
    if rules.endorsements.distinct_regions > rules.endorsements.required:
        raise InvalidRules(
            f"endorsements from {rules.endorsements.distinct_regions} distinct regions cannot come "
            f"from {rules.endorsements.required} required endorsements: expected "
            "endorsements.distinct_regions at most endorsements.required"
        )
    seen: dict[tuple[str, str | None], Constraint] = {}
    for c in rules.constraints:
        _check_constraint(c)
        key = (c.attribute, c.value)
        if key in seen:
            raise InvalidRules(
                f"two constraints on {_target(c)}: {_label(seen[key])} and {_label(c)}; "
                "expected at most one constraint per attribute and value"
            )
        seen[key] = c
    _check_feasible(rules.seats, rules.constraints)


def _check_int(name: str, value: object, *, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRules(f"{name} must be an integer, got {value!r}")
    if value < least:
        expected = "at least 1" if least == 1 else f"{least} or more"
        raise InvalidRules(f"{name} must be {expected}, got {value}")


def _check_constraint(c: Constraint) -> None:
    if not isinstance(c.attribute, str) or not c.attribute.strip():
        raise InvalidRules(f"{_label(c)}: expected a non-empty attribute name, got {c.attribute!r}")
    if c.value is not None and (not isinstance(c.value, str) or not c.value.strip()):
        raise InvalidRules(f"{_label(c)}: expected a non-empty value or none, got {c.value!r}")
    for name, bound in (("min", c.min), ("max", c.max)):
        if bound is None and name == "max":
            continue
        if isinstance(bound, bool) or not isinstance(bound, int):
            raise InvalidRules(f"{_label(c)}: {name} must be an integer, got {bound!r}")
        if bound < 0:
            raise InvalidRules(f"{_label(c)}: {name} must be 0 or more, got {bound}")
    if c.value is None and c.min != 0:
        raise InvalidRules(
            f"{_label(c)}: a per-value bound (no value) takes only a max, got min {c.min}; "
            f"name the value to require at least {c.min} with it"
        )
    if c.max is not None and c.min > c.max:
        raise InvalidRules(f"{_label(c)}: min {c.min} is more than max {c.max}")


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
                    f"at least {c.min} with {_target(c)} cannot be met with {_seats(seats)}"
                )
            if cap is not None and c.min > cap:
                raise InfeasibleRules(
                    f"at least {c.min} with {_target(c)} cannot be met under "
                    f"at most {cap} per {attribute}"
                )
        total = sum(c.min for c in mins)
        if total > seats:
            wanted = " and ".join(f"at least {c.min} with {_target(c)}" for c in mins)
            raise InfeasibleRules(
                f"{wanted} need {total} seats together, but there are {_seats(seats)}"
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
    if len(pool) < seats:
        reasons.append(f"only {_candidates(len(pool))} {_stand(len(pool))} for {_seats(seats)}")
    space = ProfileSpace(pool, constraints)
    for attribute in space.attributes:
        counters = [k for k in space.counters if k.attribute == attribute]
        have = {
            k.value: sum(1 for c in pool if c.attributes.get(attribute) == k.value)
            for k in counters
        }
        for k in counters:
            if k.lo > have[k.value]:
                got = (
                    "no such candidate stands"
                    if have[k.value] == 0
                    else f"only {have[k.value]} such {_stand_noun(have[k.value])}"
                )
                reasons.append(f"at least {k.lo} with {attribute}={k.value} is required but {got}")
        wanted = sum(k.lo for k in counters)
        if wanted > seats:
            reasons.append(
                f"the minimums on {attribute} need {wanted} seats together, "
                f"but there are {_seats(seats)}"
            )
        capped = {k.value: k.hi for k in counters if k.hi is not None}
        uncapped = sum(1 for c in pool if c.attributes.get(attribute) not in capped)
        capacity = uncapped + sum(min(have[v], hi) for v, hi in sorted(capped.items()))
        if capacity < seats and capacity < len(pool):
            bounds = "; ".join(
                c.describe() for c in constraints if c.attribute == attribute and c.max is not None
            )
            reasons.append(
                f"{bounds} let at most {_candidates(capacity)} of those standing be seated, "
                f"for {_seats(seats)}"
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


Profile = tuple[str | None, ...]


class ProfileSpace:
    """Candidates grouped by profile, and the counters the constraints put on the profiles.

    ``feasible`` works on count vectors indexed like ``profiles``, so a count can reuse one space
    across all its steps (and cache by the vector of chosen counts).
    """

    def __init__(self, candidates: Sequence[Candidate], constraints: Sequence[Constraint]) -> None:
        self.attributes: tuple[str, ...] = tuple(sorted({c.attribute for c in constraints}))
        self.profiles: tuple[Profile, ...] = tuple(
            sorted({self.profile(c) for c in candidates}, key=_profile_key)
        )
        self._index = {p: i for i, p in enumerate(self.profiles)}

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
        for p in self.profiles:
            for a, v in zip(self.attributes, p, strict=True):
                if v is not None and a in cap:
                    keys.add((a, v))
        counters: list[Bound] = []
        for a, v in sorted(keys):
            bounds = [b for b in (hi.get((a, v)), cap.get(a)) if b is not None]
            counter = Bound(a, v, lo.get((a, v), 0), min(bounds) if bounds else None)
            if counter.lo > 0 or counter.hi is not None:
                counters.append(counter)
        self.counters: tuple[Bound, ...] = tuple(counters)
        where = {(k.attribute, k.value): j for j, k in enumerate(self.counters)}
        self.touches: tuple[tuple[int, ...], ...] = tuple(
            tuple(
                where[(a, v)]
                for a, v in zip(self.attributes, p, strict=True)
                if v is not None and (a, v) in where
            )
            for p in self.profiles
        )

    def profile(self, candidate: Candidate) -> Profile:
        return tuple(candidate.attributes.get(a) for a in self.attributes)

    def index(self, candidate: Candidate) -> int:
        return self._index[self.profile(candidate)]

    def counts(self, candidates: Sequence[Candidate]) -> tuple[int, ...]:
        vector = [0] * len(self.profiles)
        for c in candidates:
            vector[self.index(c)] += 1
        return tuple(vector)

    def feasible(self, chosen: Sequence[int], available: Sequence[int], size: int) -> bool:
        """Whether taking ``x_p ≤ available[p]`` more of each profile, ``size - Σ chosen`` in
        all, gives a committee meeting every counter's bounds."""
        return _Search(self, chosen, available, size).run()


class _Search:
    def __init__(
        self, space: ProfileSpace, chosen: Sequence[int], available: Sequence[int], size: int
    ) -> None:
        self.touches = space.touches
        self.lo = [k.lo for k in space.counters]
        self.hi = [k.hi for k in space.counters]
        self.available = list(available)
        self.remaining = size - sum(chosen)
        self.count = [0] * len(space.counters)
        for p, n in enumerate(chosen):
            for j in space.touches[p]:
                self.count[j] += n
        n_profiles = len(self.available)
        n_counters = len(self.count)
        # suffix supplies: of everything, and of each counter, from profile i on
        self.total = [0] * (n_profiles + 1)
        self.supply = [[0] * n_counters for _ in range(n_profiles + 1)]
        for i in range(n_profiles - 1, -1, -1):
            self.total[i] = self.total[i + 1] + self.available[i]
            row = list(self.supply[i + 1])
            for j in self.touches[i]:
                row[j] += self.available[i]
            self.supply[i] = row
        # counters grouped by attribute: values of one attribute are disjoint
        groups: dict[str, list[int]] = {}
        for j, k in enumerate(space.counters):
            groups.setdefault(k.attribute, []).append(j)
        self.groups = [groups[a] for a in sorted(groups)]
        self.failed: set[tuple[int, int, tuple[int, ...]]] = set()

    def run(self) -> bool:
        if self.remaining < 0:
            return False
        if any(h is not None and c > h for c, h in zip(self.count, self.hi, strict=True)):
            return False
        return self._dfs(0, self.remaining)

    def _possible(self, i: int, rem: int) -> bool:
        if self.total[i] < rem:
            return False
        supply = self.supply[i]
        for group in self.groups:
            deficit = 0
            capacity = self.total[i]
            for j in group:
                need = self.lo[j] - self.count[j]
                if need > 0:
                    if need > supply[j]:
                        return False
                    deficit += need
                h = self.hi[j]
                if h is not None:
                    capacity -= supply[j] - min(supply[j], h - self.count[j])
            if deficit > rem or capacity < rem:
                return False
        return True

    def _dfs(self, i: int, rem: int) -> bool:
        if rem == 0:
            return all(c >= lo for c, lo in zip(self.count, self.lo, strict=True))
        if i == len(self.available) or not self._possible(i, rem):
            return False
        key = (
            i,
            rem,
            tuple(
                c if h is not None else min(c, lo)
                for c, lo, h in zip(self.count, self.lo, self.hi, strict=True)
            ),
        )
        if key in self.failed:
            return False
        touches = self.touches[i]
        most = min(self.available[i], rem)
        for j in touches:
            h = self.hi[j]
            if h is not None:
                most = min(most, h - self.count[j])
        for x in range(most, -1, -1):
            for j in touches:
                self.count[j] += x
            found = self._dfs(i + 1, rem - x)
            for j in touches:
                self.count[j] -= x
            if found:
                return True
        self.failed.add(key)
        return False


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


def _profile_key(p: Profile) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, v or "") for v in p)


def _target(c: Constraint) -> str:
    return f"{c.attribute}={c.value}" if c.value is not None else f"each {c.attribute}"


def _label(c: Constraint) -> str:
    return f"constraint on {_target(c)} (min {c.min}, max {c.max})"


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


def _candidates(n: int) -> str:
    return f"{n} candidate" if n == 1 else f"{n} candidates"


def _stand(n: int) -> str:
    return "stands" if n == 1 else "stand"


def _stand_noun(n: int) -> str:
    return "candidate stands" if n == 1 else "candidates stand"
