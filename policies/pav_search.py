"""The exact PAV optimum: a branch and bound over committees, in exact integer arithmetic.

Scores are integers: a step is 1/U of a ballot's first approved member, U = lcm(1..K) × Q with K
the largest number of members one ballot can approve (the seats, or the longest ballot) and Q a
power of two that leaves the bounds room to round. Every number the search decides on is an
int64 of numpy (sums of such integers, kept far below 2^63): no float decides anything.

The search. Candidates are numbered in *search order* (most approvals first, ties in lot order)
and a committee is grown member by member in that order, so a node is a partial committee S and
the position i from which the rest must come (R = the candidates from i on, r seats to fill).
Ballots are taken as groups of identical approval sets with their weights, never one by one.
A node is dropped when a bound on every committee below it scores less than the best committee
known (or as much, once two optimal committees are known, when none below it can come earlier in
the lot order); when the constraints can no longer be met from R; or, with one or two seats left,
after every completion has been scored exactly (in one array operation).

The bound. A group with s members in S and t more from R scores φ(t) = w·(step(s) + … +
step(s + t - 1)), concave in t. For each group we take a quadratic u(t) = c + a·t - b·C(t, 2) ≥
φ(t) for every t it could reach (t ≤ min(r, its approved candidates in R)), equal to φ at τ and
τ + 1, with the largest curvature b that keeps it above φ; τ is where u exceeds φ the least on
average over the t that r members drawn at random from R would give the group. Summed over
groups, the score gained from R is at most Σ c + Σ_{x∈T} a_x - Σ_{x<y∈T} P_xy (a_x: the a of
the groups approving x; P_xy: the b of those approving both), and each member's share of the
pair terms is at least half the r - 1 smallest P in its row: a bound in the style of Gilmore
and Lawler, the sum of the r best a_x - ½·(smallest P_x·). The same sums, with one member
fixed, bound each child of a node before it is visited. Where the search runs long, a second
bound joins it: Lagrangian, with multipliers from the duals of the linear relaxation
(constraints included) rounded to integers, so that it too is exact (any multipliers ≥ 0 give a
valid bound; the solver's floats only choose them); it is dropped again if it seldom prunes. It
is what proves the optimum quickly where voters form clusters; the quadratic bound is what does
it where they approve at random.

Ties. The committee returned is, among those of the highest score, the first in the lot order
(its members' lot positions, sorted, lexicographically smallest); the search keeps every node
whose bound reaches the best score until two optimal committees are known, and then only those
that could hold an earlier one.

Work. Each node costs a fixed amount and the entries it touches (approvals and pairs of the
groups, the pair matrix); past ``WORK_PER_SECOND`` × the rules' ``time_limit`` the count fails
with ``SolverLimit``. A fixed amount of work, not of time: whether a count finishes does not
depend on how fast or busy the machine is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from policies.constraints import ProfileSpace
from policies.errors import InvalidInput, SolverLimit
from policies.rules import Candidate, Constraint

Ints = npt.NDArray[np.int64]

# Work is counted in nanoseconds of one core of the machine this was written on (a node's fixed
# cost, each array entry it touches, each exact search of the constraints, each nonzero of the
# linear relaxation, each ballot group and pair entry set up); a second of rules.time_limit allows
# half a second of that, leaving room for a slower or busier machine.
WORK_PER_SECOND = 500_000_000
_NODE_WORK = 80_000
_ENTRY_WORK = 4
_SEARCH_WORK = 2_000_000
_LP_WORK = 10_000
_GROUP_WORK = 2_000
_PAIR_WORK = 40
# The linear relaxation is solved (for the Lagrangian bound) once the search has used this share
# of its work, and as much as the relaxation costs, without finishing, and if it costs at most
# this share of the work left.
_LAGRANGE_AFTER = 0.02
_LAGRANGE_AT_MOST = 0.25
# The Lagrangian bound is dropped when, after this many nodes, it pruned fewer than this share.
_LAGRANGE_TRIAL = 2_000
_LAGRANGE_USEFUL = 0.01
# Sentinels well inside int64: sums of a few of them cannot overflow.
_HUGE = 2**60

Group = tuple[tuple[int, ...], int]


def best_committee(
    candidates: Sequence[Candidate],
    groups: Sequence[Group],
    constraints: Sequence[Constraint],
    size: int,
    time_limit: int,
) -> tuple[list[int], bool]:
    """The optimal committee of ``size`` first in the lot order (lot positions, sorted) and
    whether another committee is optimal too.

    ``candidates`` are in lot order and a group is an approval set (candidates by lot position,
    non-empty) with its number of ballots; ``size`` must be feasible under ``constraints``.
    Raises ``SolverLimit`` past ``time_limit`` seconds' worth of work."""
    search = _Search(candidates, groups, constraints, size, time_limit)
    return search.run()


@dataclass
class _Best:
    """The best committee known: score, lot key (sorted lot positions), members (search
    positions), and whether another committee with that score is known."""

    score: int
    key: tuple[int, ...]
    members: frozenset[int]
    several: bool


def _entries(groups: Sequence[Group]) -> tuple[Ints, Ints]:
    """Every (candidate, group) of approval, sorted by candidate then group: the candidates and
    the groups."""
    sizes = np.array([len(a) for a, _ in groups], dtype=np.int64)
    members = np.array([c for a, _ in groups for c in a], dtype=np.int64)
    owners = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    order = np.lexsort((owners, members))
    return members[order], owners[order]


def _pairs(groups: Sequence[Group], n: int) -> tuple[Ints, Ints]:
    """Every (pair x < y, group approving both), sorted by pair (numbered x·n + y) then group:
    the pairs and the groups."""
    by_length: dict[int, list[int]] = {}
    for g, (approved, _) in enumerate(groups):
        if len(approved) > 1:
            by_length.setdefault(len(approved), []).append(g)
    ids = [np.zeros(0, dtype=np.int64)]
    owners = [np.zeros(0, dtype=np.int64)]
    for length, found in sorted(by_length.items()):
        members = np.array([groups[g][0] for g in found], dtype=np.int64)
        x, y = np.triu_indices(length, 1)
        ids.append((members[:, x] * n + members[:, y]).ravel())
        owners.append(np.repeat(np.array(found, dtype=np.int64), len(x)))
    pair_ids = np.concatenate(ids)
    pair_owners = np.concatenate(owners)
    order = np.lexsort((pair_owners, pair_ids))
    return pair_ids[order], pair_owners[order]


class _Search:
    def __init__(
        self,
        candidates: Sequence[Candidate],
        groups: Sequence[Group],
        constraints: Sequence[Constraint],
        size: int,
        time_limit: int,
    ) -> None:
        n = len(candidates)
        self.n = n
        self.size = size
        self.time_limit = time_limit
        self.budget = WORK_PER_SECOND * time_limit
        self.work = 0
        self.nodes = 0
        longest = max((len(a) for a, _ in groups), default=0)
        top = max(1, min(size, longest))  # K: most members one ballot can approve
        total = sum(w for _, w in groups)
        unit = math.lcm(*range(1, top + 1))
        # the largest sums: every ballot's approvals, each priced at most (K + 1) first steps
        spread = 4 * (top + 2) * (max(longest, size) + 2)
        scale = 64
        while scale > 1 and total * unit * scale * spread >= 2**60:
            scale //= 2
        if total * unit * scale * spread >= 2**60:
            raise InvalidInput(
                f"PAV cannot be counted exactly for {size} seats and {total} ballots: the scores "
                "need more than 64-bit integers; expected fewer seats or ballots"
            )
        self.unit = unit * scale
        self.top = top
        self.step = np.array(
            [self.unit // (t + 1) for t in range(top)] + [0] * (top + 2), dtype=np.int64
        )
        self.cumulative = np.concatenate(([0], np.cumsum(self.step))).astype(np.int64)
        self.a_table, self.b_table, self.c_table = _tables(top, [int(s) for s in self.step])

        # search order: most approved first, ties in lot order
        approvals = [0] * n
        for approved, w in groups:
            for c in approved:
                approvals[c] += w
        self.lot = sorted(range(n), key=lambda c: (-approvals[c], c))  # search position -> lot
        position = {c: p for p, c in enumerate(self.lot)}
        renumbered = sorted((tuple(sorted(position[c] for c in a)), w) for a, w in groups)
        self.groups = renumbered
        self.weight = np.array([w for _, w in renumbered], dtype=np.int64)
        members, owners = _entries(renumbered)
        self.entry_group = owners
        self.entry_start = np.searchsorted(members, np.arange(n + 1))
        self.member_groups = [
            self.entry_group[self.entry_start[c] : self.entry_start[c + 1]] for c in range(n)
        ]
        pair_ids, self.pair_group = _pairs(renumbered, n)
        distinct, first = np.unique(pair_ids, return_index=True)
        self.pair_first = first.astype(np.int64)  # where each distinct pair's entries start
        self.pair_x = distinct // n
        self.pair_y = distinct % n
        self.pairs_from = np.searchsorted(self.pair_x, np.arange(n + 1))
        # how many of a group's candidates come at or after each position
        inside = np.zeros((n + 1, len(renumbered)), dtype=np.int16)
        inside[members, owners] = 1
        self.after = np.cumsum(inside[::-1], axis=0, dtype=np.int16)[::-1]
        # the lot positions from each search position on, smallest first (for lot-order ties)
        self.lots_after = [sorted(self.lot[p:]) for p in range(n + 1)]
        self._charge(_GROUP_WORK * len(renumbered) + _PAIR_WORK * len(self.pair_group))

        # constraints, on profile counts
        space = ProfileSpace(candidates, constraints)
        self.space = space
        self.constrained = bool(space.bounds)
        self.profile = [space.index(candidates[c]) for c in self.lot]
        width = len(space.profiles)
        available = [[0] * width for _ in range(n + 1)]
        for p in range(n - 1, -1, -1):
            available[p] = list(available[p + 1])
            available[p][self.profile[p]] += 1
        self.available = [tuple(v) for v in available]
        self.completions: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...] | None] = {}
        self.profile_of = np.array(self.profile, dtype=np.int64)

        self.curve_points: dict[tuple[int, int], Ints] = {}
        self.lagrange: _Lagrange | None = None
        self.lagrange_tried = False
        self.lagrange_nodes = 0
        self.lagrange_pruned = 0
        self.best = _Best(-1, (), frozenset(), several=False)

    # -- the run

    def run(self) -> tuple[list[int], bool]:
        start = self._start()
        self._offer(start, self._score(start))
        levels = np.zeros(len(self.groups), dtype=np.int64)
        counts = (0,) * len(self.space.profiles)
        witness = self.space.completion(counts, self.available[0], self.size)
        if witness is None:  # pragma: no cover - the count asks only for a feasible size
            raise RuntimeError(f"no committee of {self.size} meets the constraints")
        self._node([], levels, 0, 0, self.size, counts, witness)
        return sorted(self.best.key), self.best.several

    def _charge(self, work: int) -> None:
        self.work += work
        if self.work > self.budget:
            raise SolverLimit(
                f"PAV: the search did not finish within the time limit of {self.time_limit} s "
                f"set in the rules ({WORK_PER_SECOND} units of work a second, {self.nodes} "
                "partial committees looked at); expected the count to finish within it: raise "
                "time_limit in the rules, or count with fewer candidates"
            )

    def _score(self, committee: Sequence[int]) -> int:
        levels = np.zeros(len(self.groups), dtype=np.int64)
        score = 0
        for c in committee:
            g = self.member_groups[c]
            score += int((self.weight[g] * self.step[levels[g]]).sum())
            levels[g] += 1
        return score

    def _offer(self, committee: Sequence[int], score: int) -> None:
        members = frozenset(committee)
        key = tuple(sorted(self.lot[c] for c in committee))
        best = self.best
        if score > best.score:
            self.best = _Best(score, key, members, several=False)
        elif score == best.score and members != best.members:
            if key < best.key:
                self.best = _Best(score, key, members, several=True)
            else:
                best.several = True

    def _earliest(self, chosen: Sequence[int], i: int, r: int) -> tuple[int, ...]:
        """The smallest lot key of a committee holding ``chosen`` and r candidates from i on."""
        return tuple(sorted([self.lot[c] for c in chosen] + self.lots_after[i][:r]))

    def _hopeless(self, bound: int, chosen: Sequence[int], i: int, r: int) -> bool:
        """Whether nothing below a node whose committees score at most ``bound`` can replace
        the best known: lower, or equal when two optimal committees are known already and none
        of these can come earlier in the lot order."""
        if bound != self.best.score:
            return bound < self.best.score
        return self.best.several and self._earliest(chosen, i, r) >= self.best.key

    # -- constraints

    def _completion(
        self, counts: tuple[int, ...], i: int, witness: tuple[int, ...], taken: int
    ) -> tuple[int, ...] | None:
        """A completion (how many more of each profile, from the candidates from ``i`` on) of a
        committee with profile ``counts``, just grown by one of profile ``taken`` from a
        committee that ``witness`` completed; None when there is none. The witness less that
        one answers without a search whenever the candidates from ``i`` on still hold it."""
        if not self.constrained:
            return witness
        available = self.available[i]
        if witness[taken] > 0:
            rest = tuple(k - (q == taken) for q, k in enumerate(witness))
            if all(k <= a for k, a in zip(rest, available, strict=True)):
                return rest
        seats = self.size - sum(counts)
        key = (counts, tuple(min(a, seats) for a in available))  # more than the seats left is moot
        if key not in self.completions:
            found = self._greedy_completion(counts, available)
            if found is None:
                self._charge(_SEARCH_WORK)
                found = self.space.completion(counts, available, self.size)
            self.completions[key] = found
        return self.completions[key]

    def _greedy_completion(
        self, counts: Sequence[int], available: Sequence[int]
    ) -> tuple[int, ...] | None:
        """A completion found by taking, seat by seat, a profile still available that breaks no
        upper bound and helps the most lower bounds not yet met; None when that fails (which
        does not show that none exists)."""
        bounds = self.space.bounds
        taken = [0] * len(bounds)
        for p, k in enumerate(counts):
            for j in self.space.touches[p]:
                taken[j] += k
        add = [0] * len(counts)
        most = [self.size if b.hi is None else b.hi for b in bounds]
        for _ in range(self.size - sum(counts)):
            best = None
            for q, touches in enumerate(self.space.touches):
                if add[q] >= available[q] or any(taken[j] >= most[j] for j in touches):
                    continue
                helps = sum(1 for j in touches if taken[j] < bounds[j].lo)
                capped = sum(1 for j in touches if bounds[j].hi is not None)
                if best is None or (helps, -capped) > best[0]:
                    best = ((helps, -capped), q)
            if best is None:
                return None
            q = best[1]
            add[q] += 1
            for j in self.space.touches[q]:
                taken[j] += 1
        if any(t < b.lo for b, t in zip(bounds, taken, strict=True)):
            return None
        return tuple(add)

    def _meets(self, counts: Sequence[int]) -> bool:
        """Whether a committee with these profile counts meets every bound."""
        taken = [0] * len(self.space.bounds)
        for p, k in enumerate(counts):
            if k:
                for j in self.space.touches[p]:
                    taken[j] += k
        return all(
            b.lo <= t and (b.hi is None or t <= b.hi)
            for b, t in zip(self.space.bounds, taken, strict=True)
        )

    def _allowed(self, counts: tuple[int, ...], i: int, r: int) -> npt.NDArray[np.bool_] | None:
        """Which completions of one (r = 1: a vector over R) or two members (r = 2: a matrix)
        meet the constraints; None when all do."""
        if not self.constrained:
            return None
        width = len(counts)
        profiles = self.profile_of[i:]
        if r == 1:
            ok = np.array(
                [self._meets([k + (q == p) for q, k in enumerate(counts)]) for p in range(width)]
            )
            return ok[profiles]
        both = np.zeros((width, width), dtype=bool)
        for p in range(width):
            for q in range(p, width):
                after = [k + (s == p) + (s == q) for s, k in enumerate(counts)]
                both[p, q] = both[q, p] = self._meets(after)
        return both[np.ix_(profiles, profiles)]

    # -- the nodes

    def _node(
        self,
        chosen: list[int],
        levels: Ints,
        score: int,
        i: int,
        r: int,
        counts: tuple[int, ...],
        witness: tuple[int, ...],
    ) -> None:
        self.nodes += 1
        self._charge(_NODE_WORK)
        width = self.n - i
        constant, a, pairs = self._parts(levels, i, r)
        if r <= 2:
            self._complete(chosen, score, i, r, a, pairs, counts)
            return
        by_row = np.sort(pairs + np.diag(np.full(width, _HUGE, dtype=np.int64)), axis=1)
        shares = by_row[:, : r - 1].sum(axis=1)
        bound = constant + int(np.partition(2 * a - shares, width - r)[width - r :].sum()) // 2
        if self._hopeless(score + bound, chosen, i, r):
            return
        # each child: member j, then r - 1 from after j
        last = width - r + 1
        rest = 2 * (a[None, :] - pairs[:last]) - by_row[:, : r - 2].sum(axis=1)[None, :]
        rest[np.tri(last, width, dtype=bool)] = -_HUGE
        best_rest = -np.partition(-rest, r - 2, axis=1)[:, : r - 1].sum(axis=1)
        children = constant + a[:last] + best_rest // 2
        self._charge(_ENTRY_WORK * rest.size)
        lagrange = self._lagrange_bounds(levels, i, r, counts, last)
        if lagrange is not None:
            bound_l, children_l = lagrange
            self.lagrange_nodes += 1
            if self._hopeless(score + bound_l, chosen, i, r):
                self.lagrange_pruned += 1
                return
            children = np.minimum(children, children_l)
        for j in np.flatnonzero(score + children >= self.best.score):
            c = i + int(j)
            bound_c = score + int(children[j])
            if self._hopeless(bound_c, [*chosen, c], c + 1, r - 1):
                continue
            p = self.profile[c]
            grown = tuple(k + (q == p) for q, k in enumerate(counts))
            completion = self._completion(grown, c + 1, witness, p)
            if completion is None:
                continue
            g = self.member_groups[c]
            gain = int((self.weight[g] * self.step[levels[g]]).sum())
            child_levels = levels.copy()
            child_levels[g] += 1
            self._node([*chosen, c], child_levels, score + gain, c + 1, r - 1, grown, completion)

    def _complete(
        self,
        chosen: list[int],
        score: int,
        i: int,
        r: int,
        a: Ints,
        pairs: Ints,
        counts: tuple[int, ...],
    ) -> None:
        """Score every completion by one or two members exactly (with at most two left, ``a``
        and ``pairs`` are exact gains and losses) and offer the best."""
        allowed = self._allowed(counts, i, r)
        if r == 1:
            values = a.copy()
        else:
            values = a[:, None] + a[None, :] - pairs
            values[np.tri(len(a), dtype=bool)] = -_HUGE  # each pair once: x < y
        if allowed is not None:
            values[~allowed] = -_HUGE
        most = int(values.max())
        if most <= -_HUGE // 2 or score + most < self.best.score:
            return
        tied = np.flatnonzero(values.ravel() == most)
        if r == 1:
            options = [[i + int(x)] for x in tied]
        else:
            width = len(a)
            options = [[i + int(x) // width, i + int(x) % width] for x in tied]
        # the first of them in the lot order, and one more to tell a tie
        options.sort(key=lambda o: sorted(self.lot[c] for c in o))
        for option in options[:2]:
            self._offer([*chosen, *option], score + most)

    def _parts(self, levels: Ints, i: int, r: int) -> tuple[int, Ints, Ints]:
        """The bound's parts for the candidates from ``i`` on, r to choose: Σ c, each
        candidate's a, and the pair matrix P (zero diagonal)."""
        n = self.n
        width = n - i
        reach = np.minimum(self.after[i].astype(np.int64), r)  # T per group
        likely = self._curve_points(r, width)[levels, self.after[i]]
        paired = reach >= 2
        s = levels
        w = self.weight
        a_group = w * np.where(paired, self.a_table[s, likely, reach], self.step[s])
        b_group = w * np.where(paired, self.b_table[s, likely, reach], 0)
        constant = int((w * np.where(paired, self.c_table[s, likely, reach], 0)).sum())
        lo = int(self.entry_start[i])
        a = np.zeros(width, dtype=np.int64)
        if lo < len(self.entry_group):
            starts = self.entry_start[i:n] - lo
            filled = self.entry_start[i + 1 : n + 1] > self.entry_start[i:n]
            sums = np.add.reduceat(a_group[self.entry_group[lo:]], starts[filled])
            a[filled] = sums
        pairs = np.zeros((width, width), dtype=np.int64)
        f = int(self.pairs_from[i])
        if f < len(self.pair_x):
            first = self.pair_first[f:]
            values = np.add.reduceat(b_group[self.pair_group[first[0] :]], first - first[0])
            x = self.pair_x[f:] - i
            y = self.pair_y[f:] - i
            pairs[x, y] = values
            pairs[y, x] = values
            self._charge(_ENTRY_WORK * (len(self.pair_group) - int(first[0])))
        self._charge(_ENTRY_WORK * (len(w) + len(self.entry_group) - lo + width * width))
        return constant, a, pairs

    def _curve_points(self, r: int, width: int) -> Ints:
        """For r to choose from ``width`` candidates: per s (members already) and m (approved
        candidates in R), the τ whose quadratic exceeds φ the least on average over the members
        that r drawn at random from R would give the group (the hypergeometric law's E t and
        E C(t, 2)); computed in integers, once per (r, width). Any τ gives a valid bound: where
        these sums could leave int64 (a huge U), the mean ⌊r·m/|R|⌋ is taken instead."""
        key = (r, width)
        found = self.curve_points.get(key)
        if found is not None:
            return found
        top = self.top
        s, m = np.meshgrid(np.arange(top + 1), np.arange(self.n + 1), indexing="ij")
        reach = np.minimum(np.minimum(m, r), top)
        if 3 * self.unit * (top + 2) * (r * self.n) ** 2 >= 2**62:
            mean: Ints = np.minimum((r * m) // width, np.maximum(reach - 1, 0)).astype(np.int64)
            self.curve_points[key] = mean
            return mean
        first = r * m * (width - 1)  # E t, times width·(width - 1)
        second = (r * (r - 1) // 2) * m * (m - 1)  # E C(t, 2), times the same
        scale = width * (width - 1)
        best = np.zeros_like(s)
        least = np.full(s.shape, _HUGE, dtype=np.int64)
        for tau in range(min(r, top)):
            usable = tau < reach
            t = np.where(usable, tau, 0)
            excess = (
                self.c_table[s, t, reach] * scale
                + self.a_table[s, t, reach] * first
                - self.b_table[s, t, reach] * second
            )
            better = usable & (excess < least)
            best = np.where(better, tau, best)
            least = np.where(better, excess, least)
        self.curve_points[key] = best.astype(np.int64)
        return self.curve_points[key]

    # -- the Lagrangian bound

    def _lagrange_bounds(
        self, levels: Ints, i: int, r: int, counts: tuple[int, ...], last: int
    ) -> tuple[int, Ints] | None:
        """The Lagrangian bound of the node and of its first ``last`` children, once the search
        has run long enough to pay for the relaxation; None while it has not, or after it
        proved of little use."""
        if self.lagrange is None:
            if self.lagrange_tried:
                return None
            # not before the search has done as much work as the relaxation costs, so that a
            # relaxation that does not help at most doubles the work
            nonzeros = 2 * len(self.entry_group) + self.n * (1 + len(self.space.bounds))
            cost = _LP_WORK * nonzeros
            if self.work < max(_LAGRANGE_AFTER * self.budget, cost):
                return None
            self.lagrange_tried = True
            if cost > _LAGRANGE_AT_MOST * (self.budget - self.work):
                return None
            self.lagrange = _Lagrange.solve(self)
            if self.lagrange is None:
                return None
        if (
            self.lagrange_nodes >= _LAGRANGE_TRIAL
            and self.lagrange_pruned < _LAGRANGE_USEFUL * self.lagrange_nodes
        ):
            self.lagrange = None
            return None
        return self.lagrange.bounds(self, levels, i, r, counts, last)

    # -- a good committee to start from

    def _start(self) -> list[int]:
        """Sequential PAV within the constraints, then one-for-one swaps while they gain."""
        chosen: list[int] = []
        counts = [0] * len(self.space.profiles)
        levels = np.zeros(len(self.groups), dtype=np.int64)
        while len(chosen) < self.size:
            gains = self._gains(levels)
            for c in sorted(range(self.n), key=lambda c: (-gains[c], self.lot[c])):
                if c in chosen:
                    continue
                counts[self.profile[c]] += 1
                if self._reachable(counts):
                    chosen.append(c)
                    levels[self.member_groups[c]] += 1
                    break
                counts[self.profile[c]] -= 1
            else:  # pragma: no cover - the size is feasible, so some candidate keeps it so
                raise RuntimeError("no candidate keeps the constraints satisfiable")
        score = self._score(chosen)
        improved = True
        while improved:
            improved = False
            for out in list(chosen):
                rest = [c for c in chosen if c != out]
                rest_levels = np.zeros(len(self.groups), dtype=np.int64)
                for c in rest:
                    rest_levels[self.member_groups[c]] += 1
                base = self._score(rest)
                gains = self._gains(rest_levels)
                for c in np.argsort(-gains, kind="stable"):
                    c = int(c)
                    if base + int(gains[c]) <= score:
                        break
                    if c in chosen or not self._meets_all([*rest, c]):
                        continue
                    chosen, score, improved = [*rest, c], base + int(gains[c]), True
                    break
                if improved:
                    break
        return chosen

    def _gains(self, levels: Ints) -> Ints:
        values = self.weight * self.step[levels]
        out = np.zeros(self.n, dtype=np.int64)
        for c in range(self.n):
            out[c] = values[self.member_groups[c]].sum()
        return out

    def _reachable(self, counts: Sequence[int]) -> bool:
        if not self.constrained:
            return True
        total = self.available[0]
        rest = [t - k for t, k in zip(total, counts, strict=True)]
        return self.space.feasible(counts, rest, self.size)

    def _meets_all(self, committee: Sequence[int]) -> bool:
        counts = [0] * len(self.space.profiles)
        for c in committee:
            counts[self.profile[c]] += 1
        return self._meets(counts)


class _Lagrange:
    """Multipliers from the linear relaxation: λ per group, α and β per bound (at least, at
    most), all integers in score steps. For any such multipliers ≥ 0, a committee S ∪ T meeting
    the constraints scores at most score(S) + Σ_g max_{t ≤ T_g} (φ_g(t) - λ_g·t) + κ(S) +
    Σ_{x ∈ T} π_x, with π_x = Σ_{g ∋ x} λ_g + Σ_{bounds over x} (α - β) and κ(S) = Σ (β·(upper
    - n(S)) + α·(n(S) - lower))."""

    def __init__(self, search: _Search, lam: Ints, alpha: list[int], beta: list[int]) -> None:
        self.lam = lam
        bounds = search.space.bounds
        self.alpha = alpha
        self.beta = beta
        price = np.zeros(search.n, dtype=np.int64)
        for c in range(search.n):
            price[c] = int(lam[search.member_groups[c]].sum()) + sum(
                alpha[j] - beta[j] for j in search.space.touches[search.profile[c]]
            )
        self.price = price
        self.limits = bounds

    @staticmethod
    def solve(search: _Search) -> _Lagrange | None:
        """The relaxation over every candidate: maximise Σ_g Σ_l w_g·step(l)·y_gl with
        Σ_l y_gl ≤ Σ_{x ∈ A_g} x, Σ x = size, each bound's row, 0 ≤ x, y ≤ 1."""
        n = search.n
        inf = highspy.kHighsInf
        cost = [0.0] * n
        upper = [1.0] * n
        starts = [0]
        index: list[int] = []
        value: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        for approved, w in search.groups:
            first = len(cost)
            for t in range(min(search.size, len(approved))):
                cost.append(float(w * int(search.step[t])))
                upper.append(1.0)
            index.extend(range(first, len(cost)))
            value.extend([1.0] * (len(cost) - first))
            index.extend(approved)
            value.extend([-1.0] * len(approved))
            starts.append(len(index))
            row_lower.append(-inf)
            row_upper.append(0.0)
        index.extend(range(n))
        value.extend([1.0] * n)
        starts.append(len(index))
        row_lower.append(float(search.size))
        row_upper.append(float(search.size))
        space = search.space
        for j, b in enumerate(space.bounds):
            under = [c for c in range(n) if j in space.touches[search.profile[c]]]
            index.extend(under)
            value.extend([1.0] * len(under))
            starts.append(len(index))
            row_lower.append(float(b.lo))
            row_upper.append(inf if b.hi is None else float(b.hi))
        search._charge(_LP_WORK * len(index))
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = np.array(cost)
        lp.col_lower_ = np.zeros(len(cost))
        lp.col_upper_ = np.array(upper)
        lp.row_lower_ = np.array(row_lower)
        lp.row_upper_ = np.array(row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = len(cost)
        lp.a_matrix_.num_row_ = len(row_lower)
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value)
        lp.sense_ = highspy.ObjSense.kMaximize
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        for option, setting in (
            ("output_flag", False),
            ("threads", 1),
            ("random_seed", 0),
            ("solver", "ipm"),
            ("run_crossover", "off"),
        ):
            h.setOptionValue(option, setting)
        h.passModel(lp)
        h.run()
        solution = h.getSolution()
        if not solution.dual_valid:
            return None
        duals = list(solution.row_dual)
        groups = len(search.groups)
        # Any multipliers ≥ 0 give a bound: the solver's sign convention is tried both ways and
        # the tighter root bound kept.
        # Multipliers are clamped to what a ballot (a group's) or all ballots (a bound's) can
        # score, so that every sum stays within int64 whatever the solver answered.
        most = int(search.weight.sum()) * search.unit
        found = []
        for sign in (1, -1):
            lam = np.array(
                [
                    _clamp(sign * d, int(w) * search.unit)
                    for d, w in zip(duals[:groups], search.weight, strict=True)
                ],
                dtype=np.int64,
            )
            alpha = []
            beta = []
            for b, d in zip(space.bounds, duals[groups + 1 :], strict=True):
                alpha.append(_clamp(-sign * d, most) if b.lo > 0 else 0)
                beta.append(_clamp(sign * d, most) if b.hi is not None else 0)
            lagrange = _Lagrange(search, lam, alpha, beta)
            levels = np.zeros(groups, dtype=np.int64)
            root, _ = lagrange.bounds(search, levels, 0, search.size, (0,) * len(space.profiles), 1)
            found.append((root, sign, lagrange))
        return min(found, key=lambda f: (f[0], f[1]))[2]

    def bounds(
        self,
        search: _Search,
        levels: Ints,
        i: int,
        r: int,
        counts: Sequence[int],
        last: int,
    ) -> tuple[int, Ints]:
        """The bound on the score gained below the node, and below each of its first ``last``
        children (member i + j, then r - 1 from after it)."""
        reach = np.minimum(search.after[i].astype(np.int64), r)
        w = search.weight
        base = search.cumulative[levels]
        best = np.zeros(len(w), dtype=np.int64)
        highest = len(search.cumulative) - 1
        for t in range(1, r + 1):
            reached = search.cumulative[np.minimum(levels + t, highest)]
            value = w * (reached - base) - self.lam * t
            best = np.where((t <= reach) & (value > best), value, best)
        constant = int(best.sum())
        taken = [0] * len(self.limits)
        for p, k in enumerate(counts):
            for j in search.space.touches[p]:
                taken[j] += k
        for j, b in enumerate(self.limits):
            if b.hi is not None:
                constant += self.beta[j] * (b.hi - taken[j])
            constant += self.alpha[j] * (taken[j] - b.lo)
        price = self.price[i:]
        width = len(price)
        search._charge(_ENTRY_WORK * (len(w) * r + width * last))
        node = constant + int(np.partition(price, width - r)[width - r :].sum())
        if r < 2:
            return node, np.array([constant + int(price[0])], dtype=np.int64)
        rest = np.broadcast_to(price, (last, width)).copy()
        rest[np.tri(last, width, dtype=bool)] = -_HUGE
        best_rest = -np.partition(-rest, r - 2, axis=1)[:, : r - 1].sum(axis=1)
        return node, constant + price[:last] + best_rest


def _clamp(value: float, most: int) -> int:
    """``value`` rounded into [0, most] (0 when it is not a number)."""
    if not math.isfinite(value):
        return 0
    return min(most, max(0, round(value)))


def _tables(top: int, step: Sequence[int]) -> tuple[Ints, Ints, Ints]:
    """For s members already, curve point τ and reach T (indices [s, τ, T]): the a, b and c of
    the quadratic u(t) = c + a·t - b·C(t, 2) ≥ φ_s(t) = step(s) + … + step(s + t - 1) for
    0 ≤ t ≤ T, equal to it at τ and τ + 1, with the largest integer b that keeps it above."""
    shape = (top + 1, top + 1, top + 1)
    a_table = np.zeros(shape, dtype=np.int64)
    b_table = np.zeros(shape, dtype=np.int64)
    c_table = np.zeros(shape, dtype=np.int64)
    for s in range(top + 1):
        phi = [sum(step[s : s + t]) for t in range(top + 2)]
        for reach in range(2, top + 1):
            for tau in range(reach):
                slope = step[s + tau]
                curvature: int | None = None
                for t in range(reach + 1):
                    q = (t - tau) * (t - tau - 1) // 2
                    if q > 0:
                        gap = phi[tau] + slope * (t - tau) - phi[t]
                        curvature = gap // q if curvature is None else min(curvature, gap // q)
                b = curvature or 0
                a_table[s, tau, reach] = slope + b * tau
                b_table[s, tau, reach] = b
                c_table[s, tau, reach] = phi[tau] - slope * tau - b * (tau * (tau + 1) // 2)
    return a_table, b_table, c_table
