"""The uniform lottery: every panel that meets the constraints is equally likely.

A *valid panel* is a set of ``rules.seats`` candidates that satisfies every constraint. The valid
panels are counted exactly (N, a big integer), numbered 0 … N − 1 in the fixed order below, and
the panel drawn is number ``draw_below(seed, "panel", N)`` (``policies.lot``: SHA-256 of the seed,
the label and a counter, by rejection, so every number is equally likely).

The order of the valid panels. Candidates are grouped by profile
(``policies.constraints.ProfileSpace``: for each constrained attribute, the bound their value
falls under, or none; members of one profile are interchangeable for every constraint). The
profiles are ordered by their value of each constrained attribute in turn — attributes with more
bounds first, ties by name; values by name, "no bound" last — and the members of a profile are
sorted by id (code-point order). A panel is the sequence (y₁, S₁, y₂, S₂, …, y_r, S_r), where
y_i is how many members of profile i it holds and S_i which (a y_i-subset of the profile's
sorted members, written as positions); panels are ordered lexicographically by that sequence —
y_i ascending, and subsets of one size in the order ``itertools.combinations`` lists them.

Counting is a dynamic programme over the profiles in that order. Its state is the number taken
so far and, for each bound, how many with its value were taken (capped at the bound's minimum
when it has no maximum); a bound is checked and forgotten after the last profile it touches, and
a state is dropped as soon as it exceeds a maximum or can no longer reach a minimum or the
panel's size. Within a profile, the y-subsets are counted by the binomial coefficient. The same
programme unranks the drawn number and gives each candidate's exact inclusion probability. With
many constrained attributes the states multiply; past ``STATES_PER_SECOND`` × ``rules.time_limit``
states the draw fails with ``SolverLimit`` — a fixed amount of work, so whether it fails never
depends on the machine.

When no valid panel of ``rules.seats`` exists, the largest size that has one is drawn the same
way and the rest are reported unfilled, with the reason (as in ``policies.phragmen``).
Alternates are the candidates not drawn, in the lot order of the same seed
(``policies.lot.lot_order``), without constraints. Winners are listed by id.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.constraints import ProfileSpace, check_rules, diagnose, largest_feasible_size
from policies.errors import InvalidInput, SolverLimit
from policies.lot import draw_below, lot_order
from policies.result import CountResult
from policies.rules import LOTTERY_UNIFORM, Candidate, Constraint, InvalidRules, SelectionRules

METHOD = LOTTERY_UNIFORM
METHOD_VERSION = "1"

PANEL_LABEL = "panel"
PANEL = "panel"
ALTERNATES = "alternates"
NOTE_ALTERNATES = "the candidates not drawn, in the lot order of the seed, without constraints"
STATES_PER_SECOND = 100_000  # states of the programme allowed per second of rules.time_limit


@dataclass(frozen=True)
class DrawStep:
    """One draw on the results sheet.

    The panel draw (``kind`` "panel") says among how many valid panels (``outcomes``) the number
    ``drawn`` was drawn under ``label``, and how the drawn panel is made up: for each profile, in
    the order of the count, its description, how many of it stand and how many were drawn. The
    alternates (``kind`` "alternates") list the rest in lot order. Big numbers are decimal
    strings, so the record never holds a number JSON cannot carry exactly.
    """

    number: int
    kind: str
    picked: tuple[str, ...]
    label: str | None
    outcomes: str | None
    drawn: str | None
    composition: tuple[tuple[str, int, int], ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "picked": list(self.picked),
            "label": self.label,
            "outcomes": self.outcomes,
            "drawn": self.drawn,
            "composition": [
                {"profile": p, "standing": standing, "taken": taken}
                for p, standing, taken in self.composition
            ],
            "note": self.note,
        }


def draw(
    candidates: Sequence[Candidate], rules: SelectionRules, seed: str
) -> CountResult[DrawStep]:
    """Draw a panel uniformly among all valid panels, with ``seed`` (64 hex digits)."""
    pool = _checked(candidates, rules)
    panels = Panels(pool, rules.constraints, _most_states(rules))
    seats = rules.seats
    size, reason = seats, None
    total = panels.count(seats)
    if total == 0:
        size = largest_feasible_size(pool, seats, rules.constraints)
        reason = diagnose(pool, seats, rules.constraints)
        if size == 0:
            reason += "; no smaller committee meets every constraint either"
        total = panels.count(size) if size else 0
    steps: list[DrawStep] = []
    winners: list[str] = []
    details: dict[str, Any] = {"panel_size": size}
    if size:
        index = draw_below(seed, PANEL_LABEL, total)
        taken = panels.unrank(size, index)
        winners = sorted(cid for members in taken for cid in members)
        composition = tuple(
            (panels.describe(i), len(panels.members[i]), len(members))
            for i, members in enumerate(taken)
        )
        steps.append(
            DrawStep(
                number=1,
                kind=PANEL,
                picked=tuple(winners),
                label=PANEL_LABEL,
                outcomes=str(total),
                drawn=str(index),
                composition=composition,
                note=f"panel {index} of the {total} valid panels of {size}, numbered from 0",
            )
        )
        details.update(valid_panels=str(total), drawn=str(index))
    alternates = _alternates(pool, winners, rules.alternates, seed)
    if alternates:
        steps.append(
            DrawStep(
                number=len(steps) + 1,
                kind=ALTERNATES,
                picked=tuple(alternates),
                label=None,
                outcomes=None,
                drawn=None,
                composition=(),
                note=NOTE_ALTERNATES,
            )
        )
    return CountResult(
        method=METHOD,
        method_version=METHOD_VERSION,
        seats=seats,
        winners=tuple(winners),
        alternates=tuple(alternates),
        steps=tuple(steps),
        unfilled=seats - size,
        unfilled_reason=reason,
        details=details,
    )


def valid_panel_count(candidates: Sequence[Candidate], rules: SelectionRules) -> int:
    """The exact number of sets of ``rules.seats`` candidates that meet every constraint."""
    pool = _checked(candidates, rules, method=False)
    return Panels(pool, rules.constraints, _most_states(rules)).count(rules.seats)


def inclusion_probabilities(
    candidates: Sequence[Candidate], rules: SelectionRules
) -> dict[str, Fraction]:
    """Each candidate's exact probability of being drawn by the uniform lottery.

    For the size the lottery fills: ``rules.seats``, or the largest size with a valid panel when
    there is none of that size (every probability 0 when there is none of any size).
    """
    pool = _checked(candidates, rules, method=False)
    panels = Panels(pool, rules.constraints, _most_states(rules))
    size = rules.seats
    if panels.count(size) == 0:
        size = largest_feasible_size(pool, rules.seats, rules.constraints)
    return panels.probabilities(size)


def _checked(
    candidates: Sequence[Candidate], rules: SelectionRules, *, method: bool = True
) -> list[Candidate]:
    """The candidates sorted by id, after refusing bad rules and repeated ids."""
    check_rules(rules)
    if method and rules.method != METHOD:
        raise InvalidRules(f"this draw is for method {METHOD!r}, got rules for {rules.method!r}")
    duplicates = sorted(i for i, n in Counter(c.id for c in candidates).items() if n > 1)
    if duplicates:
        raise InvalidInput(f"each candidate must stand once, got {duplicates} more than once")
    return sorted(candidates, key=lambda c: c.id)


def _most_states(rules: SelectionRules) -> int:
    return STATES_PER_SECOND * rules.time_limit


def _alternates(pool: Sequence[Candidate], winners: Sequence[str], n: int, seed: str) -> list[str]:
    drawn = set(winners)
    rest = lot_order(seed, [c.id for c in pool if c.id not in drawn])
    return rest[:n]


State = tuple[int, ...]  # (how many taken, then per bound how many with its value)


class Panels:
    """The valid panels of a pool, by profile: counted, numbered and unranked exactly.

    ``members[i]`` are the ids of the i-th profile in the order of the module docstring, sorted.
    The pool must not repeat an id. Counting a size that needs more than ``most_states`` states
    raises ``SolverLimit``.
    """

    def __init__(
        self,
        pool: Sequence[Candidate],
        constraints: Sequence[Constraint],
        most_states: int | None = None,
    ) -> None:
        self.most_states = most_states
        space = ProfileSpace(pool, constraints)
        self.space = space
        bounds = space.bounds
        order = sorted(
            range(len(space.groups)),
            key=lambda g: (-len(space.groups[g]), bounds[space.groups[g][0]].attribute),
        )
        self.attribute_order = tuple(order)
        index = {p: i for i, p in enumerate(space.profiles)}
        profiles = sorted(space.profiles, key=lambda p: tuple(p[g] for g in order))
        by_profile: dict[tuple[int, ...], list[str]] = {p: [] for p in profiles}
        for c in pool:
            by_profile[space.profile(c)].append(c.id)
        self.profiles = tuple(profiles)
        self.members: tuple[tuple[str, ...], ...] = tuple(
            tuple(sorted(by_profile[p])) for p in profiles
        )
        self.touches: tuple[tuple[int, ...], ...] = tuple(space.touches[index[p]] for p in profiles)
        self.lo = tuple(k.lo for k in bounds)
        self.hi = tuple(k.hi for k in bounds)
        r = len(profiles)
        last = [-1] * len(bounds)
        for i, touched in enumerate(self.touches):
            for j in touched:
                last[j] = i
        # bounds no profile touches: a minimum there can never be met
        self.unreachable = any(last[j] < 0 and self.lo[j] > 0 for j in range(len(bounds)))
        self.closing: tuple[tuple[int, ...], ...] = tuple(
            tuple(j for j in range(len(bounds)) if last[j] == i) for i in range(r)
        )
        # after profile i: members still to come, and per open bound with a minimum, its supply
        self.supply_after = [sum(len(m) for m in self.members[i + 1 :]) for i in range(r)]
        self.minimum_supply: list[tuple[tuple[int, int], ...]] = []
        for i in range(r):
            needs = []
            for j in range(len(bounds)):
                if last[j] > i and self.lo[j] > 0:
                    later = sum(
                        len(self.members[q]) for q in range(i + 1, r) if j in self.touches[q]
                    )
                    needs.append((j, later))
            self.minimum_supply.append(tuple(needs))
        self._cache: dict[
            int, tuple[list[dict[State, list[tuple[int, State]]]], list[dict[State, int]]]
        ] = {}

    # -- the dynamic programme

    def _programme(
        self, size: int
    ) -> tuple[list[dict[State, list[tuple[int, State]]]], list[dict[State, int]]]:
        """Per profile, each reachable state's moves (y, next state), and per profile boundary
        the number of ways to complete each state (``ways[r]`` is 1 for each finished state)."""
        if size in self._cache:
            return self._cache[size]
        r = len(self.profiles)
        start: State = (0,) * (1 + len(self.lo))
        moves: list[dict[State, list[tuple[int, State]]]] = []
        layer: dict[State, None] = {start: None} if not self.unreachable else {}
        states = len(layer)
        for i in range(r):
            here: dict[State, list[tuple[int, State]]] = {}
            following: dict[State, None] = {}
            for state in layer:
                options = []
                for y in range(self._most(i, state, size) + 1):
                    nxt = self._next(i, state, y, size)
                    if nxt is not None:
                        options.append((y, nxt))
                        following[nxt] = None
                here[state] = options
            moves.append(here)
            layer = following
            states += len(layer)
            if self.most_states is not None and states > self.most_states:
                raise SolverLimit(
                    f"uniform lottery: counting the valid panels of {size} needs more than "
                    f"{self.most_states} states ({STATES_PER_SECOND} per second of the rules' "
                    "time_limit); expected fewer: raise time_limit in the rules, or constrain "
                    "fewer attributes"
                )
        ways: list[dict[State, int]] = [{} for _ in range(r + 1)]
        ways[r] = {s: 1 for s in layer if s[0] == size}
        for i in range(r - 1, -1, -1):
            after = ways[i + 1]
            n = len(self.members[i])
            counted: dict[State, int] = {}
            for state, options in moves[i].items():
                total = 0
                for y, nxt in options:
                    w = after.get(nxt)
                    if w:
                        total += math.comb(n, y) * w
                if total:
                    counted[state] = total
            ways[i] = counted
        self._cache[size] = (moves, ways)
        return moves, ways

    def _most(self, i: int, state: State, size: int) -> int:
        most = min(len(self.members[i]), size - state[0])
        for j in self.touches[i]:
            h = self.hi[j]
            if h is not None:
                most = min(most, h - state[1 + j])
        return most

    def _next(self, i: int, state: State, y: int, size: int) -> State | None:
        taken = state[0] + y
        if taken + self.supply_after[i] < size:
            return None
        counts = list(state[1:])
        for j in self.touches[i]:
            c = counts[j] + y
            if self.hi[j] is None and c > self.lo[j]:
                c = self.lo[j]  # beyond its minimum, an unbounded count no longer matters
            counts[j] = c
        for j in self.closing[i]:
            if counts[j] < self.lo[j]:
                return None
            counts[j] = 0
        for j, later in self.minimum_supply[i]:
            if counts[j] + later < self.lo[j]:
                return None
        return (taken, *counts)

    # -- what the programme answers

    def count(self, size: int) -> int:
        """How many valid panels of ``size`` there are."""
        if size < 0:
            return 0
        _, ways = self._programme(size)
        start: State = (0,) * (1 + len(self.lo))
        return ways[0].get(start, 0)

    def unrank(self, size: int, index: int) -> list[tuple[str, ...]]:
        """The valid panel numbered ``index``: per profile, the members it holds."""
        total = self.count(size)
        if not 0 <= index < total:
            raise InvalidInput(f"a panel number must be in [0, {total}), got {index}")
        moves, ways = self._programme(size)
        state: State = (0,) * (1 + len(self.lo))
        taken: list[tuple[str, ...]] = []
        for i, members in enumerate(self.members):
            after = ways[i + 1]
            for y, nxt in moves[i][state]:
                w = after.get(nxt, 0)
                block = math.comb(len(members), y) * w
                if index < block:
                    subset, index = divmod(index, w)
                    taken.append(tuple(members[p] for p in _unrank_subset(len(members), y, subset)))
                    state = nxt
                    break
                index -= block
            else:  # pragma: no cover - the counts above sum to ways[i][state]
                raise RuntimeError(f"panel number out of range at profile {i}")
        return taken

    def probabilities(self, size: int) -> dict[str, Fraction]:
        """Each member's exact probability of being in a uniformly drawn valid panel of
        ``size`` (0 for everyone when there is none)."""
        everyone = [cid for members in self.members for cid in members]
        total = self.count(size)
        if total == 0:
            return {cid: Fraction(0) for cid in sorted(everyone)}
        moves, ways = self._programme(size)
        start: State = (0,) * (1 + len(self.lo))
        reach: dict[State, int] = {start: 1}  # ways to choose the profiles before i
        out: dict[str, Fraction] = {}
        for i, members in enumerate(self.members):
            after = ways[i + 1]
            n = len(members)
            expected = 0  # Σ over valid panels of how many of profile i they hold
            following: dict[State, int] = {}
            for state, before in reach.items():
                for y, nxt in moves[i][state]:
                    w = after.get(nxt, 0)
                    if not w:
                        continue
                    c = math.comb(n, y)
                    expected += before * c * y * w
                    following[nxt] = following.get(nxt, 0) + before * c
            reach = following
            for cid in members:
                out[cid] = Fraction(expected, n * total)
        return {cid: out[cid] for cid in sorted(out)}

    def describe(self, i: int) -> str:
        """A profile for people: "region=north, gender=woman, migrant (no bound)"."""
        space = self.space
        parts = []
        for g in self.attribute_order:
            group = space.groups[g]
            position = self.profiles[i][g]
            attribute = space.bounds[group[0]].attribute
            if position < len(group):
                parts.append(f"{attribute}={space.bounds[group[position]].value}")
            else:
                parts.append(f"{attribute} (no bound)")
        return ", ".join(parts) or "everyone"


def _unrank_subset(n: int, k: int, rank: int) -> list[int]:
    """The ``rank``-th k-subset of range(n) in the order of ``itertools.combinations``."""
    chosen: list[int] = []
    start = 0
    for left in range(k, 0, -1):
        for a in range(start, n):
            block = math.comb(n - a - 1, left - 1)  # subsets whose next element is a
            if rank < block:
                chosen.append(a)
                start = a + 1
                break
            rank -= block
    return chosen
