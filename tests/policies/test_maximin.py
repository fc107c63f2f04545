"""The maximin lottery: hand-checked optima, the published list, agreement with the full linear
programme over every valid panel, fairness against the uniform lottery, and determinism."""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import highspy
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from policies.constraints import check_rules, satisfies
from policies.errors import DomainError, InvalidInput, SolverLimit
from policies.lot import draw_below, lot_order, lot_seed
from policies.lottery import inclusion_probabilities
from policies.maximin import METHOD, METHOD_VERSION, Portfolio, draw, portfolio
from policies.rules import (
    LOTTERY_MAXIMIN,
    Candidate,
    Constraint,
    InvalidRules,
    SelectionRules,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = lot_seed("c" * 64, "b" * 64, ["alpha"])


def cand(cid: str, **attributes: str) -> Candidate:
    return Candidate(cid, attributes)


def rules(
    seats: int, *constraints: Constraint, alternates: int = 0, panels: int = 1000
) -> SelectionRules:
    return SelectionRules(
        seats=seats,
        alternates=alternates,
        method=LOTTERY_MAXIMIN,
        constraints=constraints,
        panels=panels,
    )


def seed(n: int) -> str:
    return lot_seed("c" * 64, "b" * 64, [str(n)])


WOMEN = [cand(f"w{i}", gender="woman") for i in range(1, 5)]
MEN = [cand(f"m{i}", gender="man") for i in range(1, 4)]
MIXED = rules(3, Constraint("gender", "woman", min=1, max=2))


def check_list(found: Portfolio, pool: Sequence[Candidate], r: SelectionRules) -> None:
    """What every published list must be: m valid panels, sorted, probabilities k/m."""
    by_id = {c.id: c for c in pool}
    assert len(found.panels) == found.m == r.panels
    assert list(found.panels) == sorted(found.panels)
    for panel in found.panels:
        assert list(panel) == sorted(set(panel))
        assert len(panel) == found.size
        assert satisfies([by_id[c] for c in panel], r.constraints)
    for c in pool:
        held = sum(1 for panel in found.panels if c.id in panel)
        assert found.copies[c.id] == held
        assert found.probabilities[c.id] == Fraction(held, found.m)
    assert sum(found.probabilities.values()) == found.size
    assert sorted([*found.eligible, *found.excluded]) == sorted(by_id)
    assert all(found.probabilities[c] == 0 for c in found.excluded)
    check_rounding(found)


def check_rounding(found: Portfolio) -> None:
    """The list against the optimal lottery it rounds, redone here from the published lottery."""
    m = found.m
    lottery = found.lottery
    assert [p for p, _ in lottery] == sorted({p for p, _ in lottery})
    assert sum(q for _, q in lottery) == 1
    assert all(q > 0 for _, q in lottery)
    x = [q * m for _, q in lottery]
    listed = {p: found.panels.count(p) for p, _ in lottery}
    assert sum(listed.values()) == m  # no panel outside the lottery
    for (panel, _), share in zip(lottery, x, strict=True):
        assert math.floor(share) <= listed[panel] <= math.ceil(share)
    target = dict.fromkeys(found.eligible, Fraction(0))
    for (panel, _), share in zip(lottery, x, strict=True):
        for c in panel:
            target[c] += share
    # largest remainder, by hand: floors, then one more for the largest remainders
    floors = [math.floor(share) for share in x]
    order = sorted(range(len(x)), key=lambda j: (-(x[j] - floors[j]), j))
    start = [f + (j in order[: m - sum(floors)]) for j, f in enumerate(floors)]
    held = dict.fromkeys(found.eligible, 0)
    for (panel, _), n in zip(lottery, start, strict=True):
        for c in panel:
            held[c] += n
    spread = max((abs(held[c] - target[c]) for c in found.eligible), default=Fraction(0))
    assert found.smallest >= min(held.values(), default=0)
    for c in found.eligible:
        assert abs(found.copies[c] - target[c]) <= spread
    assert found.deviation == max(
        (abs(found.probabilities[c] - target[c] / m) for c in found.eligible),
        default=Fraction(0),
    )
    least = min(target.values(), default=Fraction(0))
    assert found.bound == math.floor(least + Fraction(1, 10**6))
    assert found.smallest <= found.bound or found.bound == 0


def test_no_constraints_everyone_gets_the_same_chance() -> None:
    pool = [cand(c) for c in "abcd"]
    found = portfolio(pool, rules(2))
    check_list(found, pool, rules(2))
    assert found.lp_value == "0.500000000000"
    assert found.probabilities == dict.fromkeys("abcd", Fraction(1, 2))
    assert found.excluded == ()
    assert found.deviation == 0


def test_maximin_evens_out_what_the_uniform_lottery_does_not() -> None:
    # 4 women, 3 men, 3 seats, 1 or 2 women. The uniform lottery gives a woman 2/5 and a man 7/15.
    # Maximin gives everyone 3/7: the panel holds 4 × 3/7 = 12/7 women on average, between 1 and
    # 2, so some mix of one-woman and two-women panels does it, and no one can have more than the
    # average 3/7 without someone having less. In a list of 1,000: at most ⌊3000/7⌋ = 428 copies
    # for the least favoured, and the rounding reaches it.
    pool = WOMEN + MEN
    found = portfolio(pool, MIXED)
    check_list(found, pool, MIXED)
    assert found.lp_value == "0.428571428571"
    assert found.bound == 428
    assert found.smallest == 428
    assert found.minimum == Fraction(428, 1000) > min(inclusion_probabilities(pool, MIXED).values())
    assert found.deviation < Fraction(3, 1000)


def test_candidates_in_no_valid_panel_are_excluded_and_named() -> None:
    # two seats, both for women: m1 is in no valid panel. The three pairs of women share the
    # list: 1000/3 copies each, so each woman is in 2000/3 of them; rounded, 666 or 667.
    pool = [cand("w1", gender="woman"), cand("w2", gender="woman"), cand("w3", gender="woman")]
    pool.append(cand("m1", gender="man"))
    two_women = rules(2, Constraint("gender", "woman", min=2))
    found = portfolio(pool, two_women)
    check_list(found, pool, two_women)
    assert found.eligible == ("w1", "w2", "w3")
    assert found.excluded == ("m1",)
    assert found.lp_value == "0.666666666667"
    assert found.bound == 666
    assert sorted(found.copies[w] for w in found.eligible) == [666, 667, 667]
    result = draw(pool, two_women, SEED)
    assert "in no valid panel, so never drawn and left out of the minimum: m1" in (
        result.steps[0].note
    )
    assert result.steps[0].excluded == ("m1",)
    # with a list of 3, each pair once: 2/3 exactly
    exact = portfolio(pool, rules(2, *two_women.constraints, panels=3))
    assert exact.panels == (("w1", "w2"), ("w1", "w3"), ("w2", "w3"))
    assert exact.minimum == Fraction(2, 3)
    assert exact.deviation == 0


def test_draw_record() -> None:
    pool = WOMEN + MEN
    with_alternates = rules(3, *MIXED.constraints, alternates=2)
    found = portfolio(pool, with_alternates)
    result = draw(pool, with_alternates, SEED)
    assert result.method == METHOD == "lottery.maximin"
    assert result.method_version == METHOD_VERSION == "1"
    index = draw_below(SEED, "panel", 1000)
    assert result.winners == found.panels[index]
    rest = [c.id for c in pool if c.id not in result.winners]
    assert list(result.alternates) == lot_order(SEED, rest)[:2]
    assert (result.unfilled, result.unfilled_reason) == (0, None)
    panel, alternates = result.steps
    assert (panel.number, panel.kind, panel.label, panel.drawn) == (1, "panel", "panel", index)
    assert (panel.panels, panel.columns, panel.lp_value) == (1000, found.columns, found.lp_value)
    assert panel.probabilities == tuple(
        (c, f"{found.copies[c]}/1000") for c in ["m1", "m2", "m3", "w1", "w2", "w3", "w4"]
    )
    assert panel.note.startswith(
        f"panel {index} of the published list of 1000, numbered from 0; the solver's optimal "
        "minimum probability over the 7 eligible candidates is 0.428571428571, in the list "
        "428/1000"
    )
    assert (alternates.number, alternates.kind, alternates.picked) == (
        2,
        "alternates",
        result.alternates,
    )
    assert result.details["panels"] == [list(p) for p in found.panels]
    assert result.details["drawn"] == index
    assert result.details["smallest"] == result.details["bound"] == "428/1000"
    assert result.details["lp_value"] == "0.428571428571"
    assert result.details["lottery"] == [
        {"panel": list(p), "probability": str(q)} for p, q in found.lottery
    ]
    # the largest difference from the optimal lottery, rounded up to 6 decimals
    deviation = Fraction(result.details["deviation"])
    assert deviation >= found.deviation > deviation - Fraction(1, 10**6)
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool)

    assert plain(data)


def test_reproducible_from_the_seed_and_changes_with_it() -> None:
    pool = [cand(f"p{i:02d}", region=("n", "s", "e")[i % 3]) for i in range(12)]
    capped = rules(4, Constraint("region", None, max=2), alternates=2)
    first = draw(pool, capped, SEED)
    assert draw(pool, capped, SEED) == first
    assert draw(list(reversed(pool)), capped, SEED) == first
    drawn = {draw(pool, capped, seed(n)).details["drawn"] for n in range(8)}
    assert len(drawn) >= 7  # 1,000 numbers: eight seeds give at most one repeat by chance


def test_too_few_candidates_and_unmeetable_minimums() -> None:
    result = draw([cand("a"), cand("b")], rules(3, alternates=1), SEED)
    assert result.winners == ("a", "b")
    assert result.unfilled == 1
    assert result.unfilled_reason == "only 2 candidates stand for 3 seats"
    pool = [cand("w1", gender="woman"), cand("m1", gender="man"), cand("m2", gender="man")]
    result = draw(pool, rules(3, Constraint("gender", "woman", min=2), alternates=1), SEED)
    assert result.winners == ()
    assert result.steps[0].kind == "alternates"
    assert result.unfilled == 3
    assert result.unfilled_reason == (
        "at least 2 with gender=woman is required but only 1 such candidate stands; "
        "no smaller committee meets every constraint either"
    )
    assert result.alternates == tuple(lot_order(SEED, ["m1", "m2", "w1"])[:1])
    assert draw([], rules(2), SEED).unfilled == 2


def test_malformed_input_is_refused() -> None:
    with pytest.raises(InvalidRules, match="seats must be at least 1"):
        draw([cand("a")], rules(0), SEED)
    with pytest.raises(InvalidRules, match="panels must be"):
        draw([cand("a")], rules(1, panels=0), SEED)
    with pytest.raises(InvalidInput, match="stand once"):
        draw([cand("a"), cand("a")], rules(1), SEED)
    with pytest.raises(InvalidRules, match=r"lottery\.maximin"):
        draw([cand("a")], SelectionRules(seats=1), SEED)
    with pytest.raises(InvalidInput, match="64 hex digits"):
        draw([cand("a"), cand("b")], rules(1), "not a seed")


def test_time_limit_fails_with_a_clear_error() -> None:
    # 60 seats from 1,000 under three attributes: over a minute on the machine this was written
    # on, so a limit of 1 s is hit whatever the machine
    rng = random.Random(2026)
    pool = [
        cand(
            f"p{i:04d}",
            region=rng.choice("nsewc"),
            gender=rng.choice(["woman", "man"]),
            age=rng.choice("abcd"),
        )
        for i in range(1000)
    ]
    one_second = SelectionRules(
        seats=60,
        method=LOTTERY_MAXIMIN,
        time_limit=1,
        constraints=(
            Constraint("region", None, max=14),
            Constraint("gender", "woman", min=29, max=31),
            *(Constraint("age", a, min=13, max=17) for a in "abcd"),
        ),
    )
    with pytest.raises(SolverLimit, match="time limit of 1 s set in the rules") as caught:
        draw(pool, one_second, SEED)
    assert caught.value.code == "count_time_limit"


# -- against the full programme over every valid panel, and against the uniform lottery


def full_maximin(pool: Sequence[Candidate], r: SelectionRules, size: int) -> float:
    """z* by the linear programme over every valid panel (enumerated), no column generation."""
    valid = [
        [c.id for c in panel]
        for panel in itertools.combinations(pool, size)
        if satisfies(list(panel), r.constraints)
    ]
    eligible = sorted({c for panel in valid for c in panel})
    row = {c: 1 + i for i, c in enumerate(eligible)}
    inf = highspy.kHighsInf
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.addVar(-inf, inf)
    h.changeColCost(0, 1.0)
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.addRow(1.0, 1.0, 0, np.array([], dtype=np.int32), np.array([], dtype=float))
    for _ in eligible:
        h.addRow(0.0, inf, 1, np.array([0], dtype=np.int32), np.array([-1.0]))
    for panel in valid:
        index = np.array([0, *(row[c] for c in panel)], dtype=np.int32)
        h.addCol(0.0, 0.0, inf, len(index), index, np.ones(len(index)))
    h.run()
    return float(h.getInfo().objective_function_value)


ATTRIBUTES = {"gender": ["w", "m"], "region": ["n", "s", "e"]}


@st.composite
def lotteries(draw_: st.DrawFn) -> tuple[list[Candidate], SelectionRules]:
    n = draw_(st.integers(1, 9))
    pool = []
    for i in range(n):
        attributes = {}
        for attribute, values in ATTRIBUTES.items():
            value = draw_(st.sampled_from([None, *values, *values]))
            if value is not None:
                attributes[attribute] = value
        pool.append(Candidate(f"c{i}", attributes))
    constraints = []
    for attribute, values in ATTRIBUTES.items():
        for value in values:
            if draw_(st.integers(0, 2)) == 0:
                low = draw_(st.integers(0, 2))
                high = draw_(st.sampled_from([None, low, low + 1, low + 2]))
                constraints.append(Constraint(attribute, value, min=low, max=high))
        if draw_(st.integers(0, 3)) == 0:
            constraints.append(Constraint(attribute, None, max=draw_(st.integers(1, 2))))
    r = SelectionRules(
        seats=draw_(st.integers(1, 4)),
        alternates=draw_(st.integers(0, 2)),
        method=LOTTERY_MAXIMIN,
        constraints=tuple(constraints),
        panels=draw_(st.sampled_from([1, 7, 100, 1000])),
    )
    return pool, r


@settings(max_examples=100, deadline=None)
@given(lottery=lotteries(), n=st.integers(0, 10**6))
def test_optimal_fair_and_valid(lottery: tuple[list[Candidate], SelectionRules], n: int) -> None:
    pool, r = lottery
    s = seed(n)
    try:
        check_rules(r)
    except DomainError:
        event("invalid rules")
        with pytest.raises(InvalidRules):
            draw(pool, r, s)
        return
    found = portfolio(pool, r)

    def fits(k: int) -> bool:
        return any(
            satisfies(list(panel), r.constraints) for panel in itertools.combinations(pool, k)
        )

    best = next((k for k in range(r.seats, 0, -1) if fits(k)), 0)
    assert found.size == best
    result = draw(pool, r, s)
    assert result.unfilled == r.seats - best
    if not best:
        event("no valid panel")
        assert found.panels == ()
        assert result.winners == ()
        return
    check_list(found, pool, r)
    event(f"panel of {best}, {len(found.eligible)} eligible, {len(found.excluded)} excluded")
    in_some = {
        c.id
        for panel in itertools.combinations(pool, best)
        if satisfies(list(panel), r.constraints)
        for c in panel
    }
    assert set(found.eligible) == in_some
    # column generation reaches the optimum of the whole programme
    z = full_maximin(pool, r, best)
    assert abs(float(found.lp_value) - z) < 1e-9
    assert found.bound == math.floor(z * r.panels + 1e-6)
    # at least as fair as the uniform lottery: the optimum, and the list up to its rounding
    uniform = inclusion_probabilities(pool, r)
    least = min(uniform[c] for c in found.eligible)
    assert z >= float(least) - 1e-9
    assert found.minimum >= least - found.deviation - Fraction(1, 10**9)
    # the draw is the published panel the seed picks
    assert result.winners == found.panels[draw_below(s, "panel", r.panels)]
    shuffled = list(pool)
    random.Random(n).shuffle(shuffled)
    assert portfolio(shuffled, r) == found


# -- benchmark-like pool, and determinism across hash seeds

DETERMINISM = """
import json, random
from policies.lot import lot_seed
from policies.maximin import draw
from policies.rules import Candidate, Constraint, SelectionRules

rng = random.Random(2026)
pool = [
    Candidate(f"p{i:02d}", {
        "region": rng.choice(["north", "south", "east", "west"]),
        "gender": rng.choices(["woman", "man", "nonbinary"], [45, 45, 10])[0],
        "migrant": rng.choices(["yes", "no"], [2, 8])[0],
    })
    for i in range(60)
]
pool.sort(key=lambda c: hash(c.id))  # an order that varies with the hash seed
rules = SelectionRules(
    seats=6, alternates=3, method="lottery.maximin", panels=200,
    constraints=(
        Constraint("region", None, max=2),
        Constraint("gender", "woman", min=2, max=3),
        Constraint("gender", "man", min=2, max=3),
        Constraint("migrant", "yes", min=1),
    ),
)
print(json.dumps(draw(pool, rules, lot_seed("c" * 64, "b" * 64, ["x"])).to_json(), sort_keys=True))
"""


def test_same_result_under_any_hash_seed() -> None:
    outputs = []
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", DETERMINISM],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    result = json.loads(outputs[0])
    assert len(result["winners"]) == 6
    assert len(result["details"]["panels"]) == 200
