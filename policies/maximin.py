"""The maximin lottery: the fairest chances, published as a list of equally likely panels.

Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens'
assemblies", Nature 596 (2021). A *valid panel* is a set of ``rules.seats`` candidates meeting
every constraint. A candidate is *eligible* when some valid panel holds them; the others can never
be drawn, and are left out of the minimum below (and named in the record).

1. The optimal lottery. Among all probability distributions over valid panels, one that
   maximises the smallest selection probability of an eligible candidate (z*), found by column
   generation: a master linear programme over a growing list of valid panels (maximise z subject
   to Σ_panels p = 1 and, for each eligible candidate, Σ_{panels holding them} p ≥ z) and, after
   each solve, a pricing integer programme that finds the valid panel of greatest weight under
   the master's duals (one row per constraint bound); when no panel weighs more than z (up to
   ``TOLERANCE``) the list is complete. After each solve of the master, up to ``EXTRA`` more
   panels are priced from the same duals, each time weighing down the members of the panel just
   added until it no longer prices in (as Flanigan et al. do). The list starts from panels found
   the same way with weight 1 on every eligible candidate no panel holds yet, until every one is
   held. Both programmes run on HiGHS (highspy): one thread, random seed 0, no output, primal
   simplex (a new panel keeps the basis feasible), zero MIP gaps, and all runs together may take
   ``rules.time_limit`` seconds of solver time; beyond that the count fails with
   ``SolverLimit``. Candidates are numbered by id before anything is built, so the order they
   arrive in changes nothing. Who is eligible is decided exactly, without the solver
   (``policies.constraints.ProfileSpace``: some valid panel holds a member of the profile).

2. The published list of m = ``rules.panels`` equally likely panels, computed exactly, without
   the solver. The optimal probabilities p_j are read to 12 decimals (``GRID``) and scaled to sum
   to 1 exactly; the panels with p_j > 0 are taken in list order (each a sorted tuple of ids,
   compared as lists); let x_j = m·p_j and π_i be candidate i's probability in that lottery. Each
   panel gets ⌊x_j⌋ or ⌈x_j⌉ copies, m in all, so a candidate's copies k_i differ from m·π_i by
   less than the number of their panels with a fractional x_j. Which panels get the extra copy:

   a. largest remainder (Hamilton) first: the panels with the largest x_j − ⌊x_j⌋, equal
      remainders to the panel first in list order. Let s be its largest |k_i − m·π_i| over the
      eligible candidates;
   b. then exchanges, each moving an extra copy from one panel to another, as long as one lifts a
      candidate holding the fewest copies (μ) while no one who loses a copy falls below μ + 1
      and every |k_i − m·π_i| stays within s; the exact order is in ``_exchange``. They end
      when no such exchange is left.

   The list's smallest probability is thus at least largest remainder's, and no list of m
   equally likely panels can give every eligible candidate more than ⌊m·z*⌋ copies (published as
   ``bound``; read within ``SLACK``, as the solver's z* is exact only to its precision); the
   rounding often reaches it. (Flanigan, Kehne and Procaccia, "Fair sortition made transparent",
   NeurIPS 2021, round with a guarantee of k/m per candidate, k the panel size; this rounding
   keeps everyone within the largest-remainder distance s, published as the deviation.) The list
   is the copies in list order, so it does not depend on the order the solver found the panels
   in. Every panel in it is checked exactly against every constraint. A candidate's probability
   in the list is k_i/m, exactly.

3. The draw. Panel number ``draw_below(seed, "panel", m)`` (``policies.lot``) of the list, counted
   from 0, is drawn. Alternates are the candidates not drawn, in the lot order of the same seed
   (``policies.lot.lot_order``), without constraints. Winners are listed by id.

When no valid panel of ``rules.seats`` exists, the largest size that has one is drawn the same
way and the rest are reported unfilled, with the reason (as in ``policies.phragmen``).

The list depends on which optimal lottery the solver finds (there are often many): recomputing
it needs the same HiGHS version. Once published, the draw from it is reproducible by anyone
from the list and the seed alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import highspy
import numpy as np

from policies.constraints import (
    ProfileSpace,
    check_rules,
    diagnose,
    largest_feasible_size,
    satisfies,
)
from policies.errors import InvalidInput, SolverLimit
from policies.lot import draw_below, lot_order
from policies.result import CountResult
from policies.rules import LOTTERY_MAXIMIN, Candidate, InvalidRules, SelectionRules

METHOD = LOTTERY_MAXIMIN
METHOD_VERSION = "1"

PANEL_LABEL = "panel"
PANEL = "panel"
ALTERNATES = "alternates"
NOTE_ALTERNATES = "the candidates not drawn, in the lot order of the seed, without constraints"

TOLERANCE = 1e-9  # a panel prices in when its weight exceeds z by more than this
GRID = 10**12  # the optimal probabilities are read as multiples of 1/GRID
EXTRA = 10  # more panels priced from one solve of the master
ROUNDING_NODES = 5  # branch-and-bound nodes the rounding may use (a fixed amount of work)
SLACK = Fraction(1, 10**6)  # how far below an integer m·z* may fall and still count as it


@dataclass(frozen=True)
class Portfolio:
    """The published list of equally likely panels and what it was computed from.

    ``panels`` is the list (m panels, sorted; each a sorted tuple of ids; a panel may appear
    more than once). ``probabilities`` holds every candidate's chance of being drawn from it,
    exactly (k/m, k = ``copies``). ``lp_value`` is the solver's optimal minimum probability z*
    over the eligible candidates, as a decimal string, and ``bound`` = ⌊m · that lottery's
    smallest probability⌋, the most copies the rounding could give every eligible candidate.
    ``columns`` is how many valid panels the master programme was given; ``lottery`` the optimal
    lottery as read (its panels in list order, each with p_j exactly), from which anyone can
    redo the rounding. ``deviation`` is the largest difference between a
    candidate's probability in the list and in that lottery (read to ``GRID``). ``size`` is the
    panel size (the seats, or fewer when ``unfilled_reason`` says why).
    """

    size: int
    m: int
    panels: tuple[tuple[str, ...], ...]
    probabilities: Mapping[str, Fraction]
    eligible: tuple[str, ...]
    excluded: tuple[str, ...]
    columns: int
    lottery: tuple[tuple[tuple[str, ...], Fraction], ...]
    lp_value: str
    deviation: Fraction
    bound: int
    unfilled_reason: str | None = None
    copies: Mapping[str, int] = field(default_factory=dict)  # per candidate, copies holding them

    @property
    def smallest(self) -> int:
        """The fewest copies holding an eligible candidate (0 when none is)."""
        return min((self.copies[c] for c in self.eligible), default=0)

    @property
    def minimum(self) -> Fraction:
        """The smallest probability in the list over the eligible candidates (0 if none)."""
        return Fraction(self.smallest, self.m)


@dataclass(frozen=True)
class DrawStep:
    """One draw on the results sheet.

    The panel draw (``kind`` "panel") shows how the list was made — ``columns`` valid panels given
    to the master programme, the solver's optimal minimum probability ``lp_value``, the list's
    ``panels`` (m) — every candidate's probability in the list as "k/m" (id order), who is in no
    valid panel, and the number ``drawn`` (counted from 0) under ``label``. The alternates
    (``kind`` "alternates") list the rest in lot order.
    """

    number: int
    kind: str
    picked: tuple[str, ...]
    label: str | None
    drawn: int | None
    panels: int | None
    columns: int | None
    lp_value: str | None
    probabilities: tuple[tuple[str, str], ...]
    excluded: tuple[str, ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "kind": self.kind,
            "picked": list(self.picked),
            "label": self.label,
            "drawn": self.drawn,
            "panels": self.panels,
            "columns": self.columns,
            "lp_value": self.lp_value,
            "probabilities": [{"candidate": c, "probability": p} for c, p in self.probabilities],
            "excluded": list(self.excluded),
            "note": self.note,
        }


def draw(
    candidates: Sequence[Candidate], rules: SelectionRules, seed: str
) -> CountResult[DrawStep]:
    """Draw a panel from the maximin lottery's published list with ``seed`` (64 hex digits)."""
    if rules.method != METHOD:
        check_rules(rules)
        raise InvalidRules(f"this draw is for method {METHOD!r}, got rules for {rules.method!r}")
    lot_order(seed, [])  # refuses a malformed seed before any work
    found = portfolio(candidates, rules)
    steps: list[DrawStep] = []
    winners: tuple[str, ...] = ()
    details: dict[str, Any] = {"panel_size": found.size}
    if found.panels:
        index = draw_below(seed, PANEL_LABEL, found.m)
        winners = found.panels[index]
        steps.append(
            DrawStep(
                number=1,
                kind=PANEL,
                picked=winners,
                label=PANEL_LABEL,
                drawn=index,
                panels=found.m,
                columns=found.columns,
                lp_value=found.lp_value,
                probabilities=tuple(
                    (c, f"{found.copies[c]}/{found.m}") for c in sorted(found.probabilities)
                ),
                excluded=found.excluded,
                note=_note(found, index),
            )
        )
        details.update(
            panels=[list(p) for p in found.panels],
            drawn=index,
            columns=found.columns,
            lp_value=found.lp_value,
            smallest=f"{found.smallest}/{found.m}",
            bound=f"{found.bound}/{found.m}",
            deviation=_decimal_up(found.deviation),
            lottery=[{"panel": list(p), "probability": str(q)} for p, q in found.lottery],
        )
    drawn = set(winners)
    rest = lot_order(seed, [c for c in sorted(found.probabilities) if c not in drawn])
    alternates = tuple(rest[: rules.alternates])
    if alternates:
        steps.append(
            DrawStep(
                number=len(steps) + 1,
                kind=ALTERNATES,
                picked=alternates,
                label=None,
                drawn=None,
                panels=None,
                columns=None,
                lp_value=None,
                probabilities=(),
                excluded=(),
                note=NOTE_ALTERNATES,
            )
        )
    return CountResult(
        method=METHOD,
        method_version=METHOD_VERSION,
        seats=rules.seats,
        winners=tuple(sorted(winners)),
        alternates=alternates,
        steps=tuple(steps),
        unfilled=rules.seats - found.size,
        unfilled_reason=found.unfilled_reason,
        details=details,
    )


def _decimal_up(value: Fraction, places: int = 6) -> str:
    """``value`` ≥ 0 as a decimal string, rounded up to ``places`` decimals (still a bound)."""
    scaled = math.ceil(value * 10**places)
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"


def _note(found: Portfolio, index: int) -> str:
    note = (
        f"panel {index} of the published list of {found.m}, numbered from 0; the solver's "
        f"optimal minimum probability over the {len(found.eligible)} eligible candidates is "
        f"{found.lp_value}, in the list {found.smallest}/{found.m}"
    )
    if found.excluded:
        note += (
            f"; in no valid panel, so never drawn and left out of the minimum: "
            f"{', '.join(found.excluded)}"
        )
    return note


def portfolio(candidates: Sequence[Candidate], rules: SelectionRules) -> Portfolio:
    """The maximin lottery's published list of ``rules.panels`` equally likely panels."""
    check_rules(rules)
    m = rules.panels
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InvalidRules(f"panels must be an integer, at least 1, got {m!r}")
    duplicates = sorted(i for i, n in Counter(c.id for c in candidates).items() if n > 1)
    if duplicates:
        raise InvalidInput(f"each candidate must stand once, got {duplicates} more than once")
    pool = sorted(candidates, key=lambda c: c.id)
    ids = [c.id for c in pool]
    space = ProfileSpace(pool, rules.constraints)
    counts = space.counts(pool)
    none = tuple(0 for _ in counts)
    size, reason = rules.seats, None
    if not space.feasible(none, counts, size):
        size = largest_feasible_size(pool, rules.seats, rules.constraints)
        reason = diagnose(pool, rules.seats, rules.constraints)
        if size == 0:
            reason += "; no smaller committee meets every constraint either"
    if size == 0:
        return Portfolio(
            size=0,
            m=m,
            panels=(),
            probabilities={c: Fraction(0) for c in ids},
            eligible=(),
            excluded=tuple(ids),
            columns=0,
            lottery=(),
            lp_value="0",
            deviation=Fraction(0),
            bound=0,
            unfilled_reason=reason,
            copies=dict.fromkeys(ids, 0),
        )
    eligible_profiles = set()
    for p in range(len(counts)):
        if counts[p]:
            chosen = tuple(1 if q == p else 0 for q in range(len(counts)))
            rest = tuple(n - c for n, c in zip(counts, chosen, strict=True))
            if space.feasible(chosen, rest, size):
                eligible_profiles.add(p)
    eligible = [c.id for c in pool if space.index(c) in eligible_profiles]
    excluded = [c.id for c in pool if space.index(c) not in eligible_profiles]
    optimum = _Optimum(pool, space, eligible_profiles, size, rules.time_limit)
    columns, weights, lp_value = optimum.run()
    by_id = {c.id: c for c in pool}
    rounded = _round(columns, weights, eligible, m)
    panels = rounded.panels
    for panel in columns:  # every panel the programme saw, so z* is over valid panels only
        members = [by_id[c] for c in panel]
        if len(set(panel)) != size or not satisfies(members, rules.constraints):
            raise RuntimeError(  # pragma: no cover - every column is built to be valid
                f"the solver's panel {list(panel)} is not a valid panel of {size}"
            )
    copies = dict.fromkeys(ids, 0)
    for panel in panels:
        for c in panel:
            copies[c] += 1
    return Portfolio(
        size=size,
        m=m,
        panels=tuple(panels),
        probabilities={c: Fraction(copies[c], m) for c in ids},
        eligible=tuple(eligible),
        excluded=tuple(excluded),
        columns=len(columns),
        lottery=rounded.lottery,
        lp_value=f"{lp_value:.12f}",
        deviation=rounded.deviation,
        bound=rounded.bound,
        unfilled_reason=reason,
        copies=copies,
    )


# ---------------------------------------------------------------------------------------------
# Rounding to m equally likely panels


@dataclass(frozen=True)
class _Rounded:
    panels: list[tuple[str, ...]]  # the m copies, sorted
    deviation: Fraction  # largest |probability in the list − in the lottery| over the eligible
    bound: int  # ⌊m · the lottery's smallest probability⌋ (within SLACK)
    lottery: tuple[tuple[tuple[str, ...], Fraction], ...]  # its panels, in list order, and p_j


def _round(
    columns: Sequence[tuple[str, ...]], weights: Sequence[float], eligible: Sequence[str], m: int
) -> _Rounded:
    """The optimal lottery as m copies of its panels (the module docstring, step 2)."""
    grid = {panel: max(0, round(w * GRID)) for panel, w in zip(columns, weights, strict=True)}
    panels = sorted(p for p, g in grid.items() if g)  # the lottery's panels, in list order
    total = sum(grid.values())
    scaled = [Fraction(grid[p] * m, total) for p in panels]  # m·p_j, exactly
    floors = [int(x) for x in scaled]
    row = {c: i for i, c in enumerate(eligible)}
    target = [Fraction(0)] * len(eligible)  # m·π_i
    for x, panel in zip(scaled, panels, strict=True):
        for c in panel:
            target[row[c]] += x
    # the start: largest remainder, equal remainders to the panel first in list order
    fractional = [j for j, x in enumerate(scaled) if x.denominator != 1]
    by_remainder = sorted(fractional, key=lambda j: -(scaled[j] - floors[j]))  # stable
    extra = set(by_remainder[: m - sum(floors)])
    copies = [f + (j in extra) for j, f in enumerate(floors)]
    held = [0] * len(eligible)  # k_i
    for n, panel in zip(copies, panels, strict=True):
        for c in panel:
            held[row[c]] += n
    spread = max((abs(k - t) for k, t in zip(held, target, strict=True)), default=Fraction(0))
    lowest = [math.ceil(t - spread) for t in target]
    highest = [math.floor(t + spread) for t in target]
    members = [[row[c] for c in panel] for panel in panels]
    _exchange(members, fractional, extra, held, lowest, highest)
    copies = [f + (j in extra) for j, f in enumerate(floors)]
    if sum(copies) != m:  # pragma: no cover - every exchange keeps the number of copies
        raise RuntimeError(f"the rounding gives {sum(copies)} copies, expected {m}")
    deviation = max((abs(k - t) for k, t in zip(held, target, strict=True)), default=Fraction(0))
    return _Rounded(
        panels=[p for n, p in zip(copies, panels, strict=True) for _ in range(n)],
        deviation=deviation / m,
        bound=math.floor(min(target, default=Fraction(0)) + SLACK),
        lottery=tuple((p, Fraction(grid[p], total)) for p in panels),
    )


def _exchange(
    members: list[list[int]],
    fractional: list[int],
    extra: set[int],
    held: list[int],
    lowest: list[int],
    highest: list[int],
) -> None:
    """Move extra copies between fractional panels while that helps the least favoured.

    An exchange takes the extra copy from panel a and gives it to panel b (both fractional, a
    holding one, b not). It is allowed when everyone who loses a copy keeps at least μ + 1 and at
    least ``lowest``, and everyone who gains stays at most ``highest`` (μ = the fewest copies
    anyone eligible holds). The exchange made is the first found going through the candidates
    holding μ copies by id, for each the panels b holding them, then the panels a not holding
    them, both in list order. Each one lifts a candidate off μ and puts nobody on it, so the
    exchanges end. ``extra`` and ``held`` are updated in place.
    """
    holding: list[list[int]] = [[] for _ in held]  # per candidate, its fractional panels
    for j in fractional:
        for i in members[j]:
            holding[i].append(j)
    spots = {j: set(members[j]) for j in fractional}
    while True:
        least = min(held, default=0)
        # per panel with the extra copy, the members who could not spare one
        short = {
            a: {i for i in members[a] if held[i] - 1 < max(lowest[i], least + 1)}
            for a in sorted(extra)
        }
        found: tuple[int, int] | None = None
        for i in (i for i, k in enumerate(held) if k == least):
            for b in holding[i]:
                if b in extra:
                    continue
                full = {x for x in members[b] if held[x] + 1 > highest[x]}
                found = next(
                    (
                        (a, b)
                        for a, lacking in short.items()
                        if i not in spots[a] and lacking <= spots[b] and full <= spots[a]
                    ),
                    None,
                )
                if found:
                    break
            if found:
                break
        if found is None:
            return
        a, b = found
        extra.remove(a)
        extra.add(b)
        for i in members[a]:
            held[i] -= 1
        for i in members[b]:
            held[i] += 1


# ---------------------------------------------------------------------------------------------
# The optimal lottery, by column generation on HiGHS


class _Budget:
    """One time budget, in the solver's own seconds, shared by every HiGHS run of a count.

    HiGHS measures time_limit against a model's run time since it was made, so each run is
    given that run time plus what is left of the budget."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0.0
        self.runs = 0

    def run(self, h: highspy.Highs) -> None:
        remaining = self.limit - self.used
        if remaining <= 0:
            self._fail()
        before = h.getRunTime()
        h.setOptionValue("time_limit", before + remaining)
        h.run()
        self.runs += 1
        self.used += h.getRunTime() - before
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            self._fail()

    def _fail(self) -> None:
        raise SolverLimit(
            f"maximin lottery: the solver did not finish within the time limit of {self.limit} s "
            f"set in the rules (after {self.runs} runs); expected it to finish within it: raise "
            "time_limit in the rules, or draw from fewer candidates"
        )


def _highs() -> highspy.Highs:
    h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's __init__ has no annotations
    for option, value in (
        ("output_flag", False),
        ("threads", 1),
        ("random_seed", 0),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 0.0),
        ("simplex_strategy", 4),
    ):
        h.setOptionValue(option, value)
    return h


class _Optimum:
    """Column generation for the maximin lottery over the valid panels of ``size``."""

    def __init__(
        self,
        pool: Sequence[Candidate],
        space: ProfileSpace,
        eligible_profiles: set[int],
        size: int,
        limit: int,
    ) -> None:
        self.size = size
        self.budget = _Budget(limit)
        # per eligible profile (in the space's order), its members by id
        self.profiles = sorted(eligible_profiles)
        members: dict[int, list[str]] = {p: [] for p in self.profiles}
        for c in pool:
            p = space.index(c)
            if p in members:
                members[p].append(c.id)
        self.members = [members[p] for p in self.profiles]
        self.eligible = sorted(c for ms in self.members for c in ms)
        self.row = {c: 1 + i for i, c in enumerate(self.eligible)}  # master rows
        self._pricing_model(space)
        self._master_model()
        self.columns: list[tuple[str, ...]] = []
        self.known: set[tuple[str, ...]] = set()

    # -- the pricing programme: the valid panel of greatest weight

    def _pricing_model(self, space: ProfileSpace) -> None:
        """Binary x_{p,r}: "the r-th heaviest member of profile p is in the panel". Weights fall
        with r, so an optimum takes a prefix of each profile; the matrix never changes."""
        inf = highspy.kHighsInf
        slots: list[tuple[int, int]] = []  # (profile position, rank)
        for q, p in enumerate(self.profiles):
            most = min(len(self.members[q]), self.size)
            for j in space.touches[p]:
                hi = space.bounds[j].hi
                if hi is not None:
                    most = min(most, hi)
            slots += [(q, r) for r in range(most)]
        self.slots = slots
        rows: list[tuple[list[int], float, float]] = [
            (list(range(len(slots))), float(self.size), float(self.size))
        ]
        for j, bound in enumerate(space.bounds):
            touching = [v for v, (q, _) in enumerate(slots) if j in space.touches[self.profiles[q]]]
            if touching:
                upper = inf if bound.hi is None else float(bound.hi)
                rows.append((touching, float(bound.lo), upper))
        lp = highspy.HighsLp()
        lp.num_col_ = len(slots)
        lp.num_row_ = len(rows)
        lp.col_cost_ = np.zeros(len(slots))
        lp.col_lower_ = np.zeros(len(slots))
        lp.col_upper_ = np.ones(len(slots))
        lp.row_lower_ = np.array([lo for _, lo, _ in rows])
        lp.row_upper_ = np.array([hi for _, _, hi in rows])
        start, index = [0], []
        for columns, _, _ in rows:
            index += columns
            start.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(len(index))
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(slots)
        self.pricing = _highs()
        self.pricing.passModel(lp)

    def _heaviest(self, weight: Mapping[str, float]) -> tuple[tuple[str, ...], float]:
        """The valid panel of greatest total weight, and that weight."""
        ranked = [sorted(ms, key=lambda c: (-weight[c], c)) for ms in self.members]
        costs = np.array([weight[ranked[q][r]] for q, r in self.slots])
        self.pricing.changeColsCost(
            len(self.slots), np.arange(len(self.slots), dtype=np.int32), costs
        )
        self.budget.run(self.pricing)
        status = self.pricing.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:  # pragma: no cover - feasible by now
            raise RuntimeError(f"the pricing programme ended {status}, expected an optimum")
        x = self.pricing.getSolution().col_value
        taken = [0] * len(self.members)
        for v, (q, _) in enumerate(self.slots):
            if x[v] > 0.5:
                taken[q] += 1
        panel = tuple(sorted(c for q, n in enumerate(taken) for c in ranked[q][:n]))
        return panel, sum(weight[c] for c in panel)

    # -- the master programme

    def _master_model(self) -> None:
        inf = highspy.kHighsInf
        h = _highs()
        h.addVar(-inf, inf)  # z
        h.changeColCost(0, 1.0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        empty_i, empty_v = np.array([], dtype=np.int32), np.array([], dtype=float)
        h.addRow(1.0, 1.0, 0, empty_i, empty_v)  # Σ p = 1
        for _ in self.eligible:  # Σ_{panels holding c} p − z ≥ 0
            h.addRow(0.0, inf, 1, np.array([0], dtype=np.int32), np.array([-1.0]))
        self.master = h

    def _add(self, panel: tuple[str, ...]) -> None:
        index = np.array([0, *(self.row[c] for c in panel)], dtype=np.int32)
        self.master.addCol(0.0, 0.0, highspy.kHighsInf, len(index), index, np.ones(len(index)))
        self.columns.append(panel)
        self.known.add(panel)

    def run(self) -> tuple[list[tuple[str, ...]], list[float], float]:
        """The valid panels generated, the optimal lottery's probability for each, and z*."""
        uncovered = set(self.eligible)
        while uncovered:
            panel, _ = self._heaviest({c: 1.0 if c in uncovered else 0.0 for c in self.eligible})
            if not uncovered.intersection(panel):  # pragma: no cover - each one is coverable
                raise RuntimeError("no valid panel holds an eligible candidate")
            uncovered.difference_update(panel)
            self._add(panel)
        while True:
            self.budget.run(self.master)
            status = self.master.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:  # pragma: no cover
                raise RuntimeError(f"the master programme ended {status}, expected an optimum")
            solution = self.master.getSolution()
            z = solution.col_value[0]
            duals = solution.row_dual
            weight = {c: max(0.0, -duals[self.row[c]]) for c in self.eligible}
            panel, value = self._heaviest(weight)
            if value <= z + TOLERANCE or panel in self.known:
                break
            self._add(panel)
            # More panels from the same duals (as Flanigan et al. do): weigh the members of the
            # panel just added down until it no longer prices in, rescale, and price again.
            for _ in range(EXTRA):
                for c in panel:
                    weight[c] *= z / value
                scale = sum(weight.values())
                weight = {c: w / scale for c, w in weight.items()}
                z /= scale
                panel, value = self._heaviest(weight)
                if value <= z + TOLERANCE or panel in self.known:
                    break
                self._add(panel)
        return list(self.columns), [max(0.0, p) for p in solution.col_value[1:]], z
