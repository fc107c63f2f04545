"""The uniform lottery: hand-counted panels, the documented numbering, properties, a chi-square
test of uniformity over many seeds, and determinism across input order and hash seeds."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from policies.constraints import check_rules, satisfies
from policies.errors import DomainError, InvalidInput, SolverLimit
from policies.lot import draw_below, lot_order, lot_seed
from policies.lottery import (
    METHOD,
    METHOD_VERSION,
    draw,
    inclusion_probabilities,
    valid_panel_count,
)
from policies.rules import (
    LOTTERY_UNIFORM,
    Candidate,
    Constraint,
    InvalidRules,
    SelectionRules,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = lot_seed("c" * 64, "b" * 64, ["alpha"])


def cand(cid: str, **attributes: str) -> Candidate:
    return Candidate(cid, attributes)


def rules(seats: int, *constraints: Constraint, alternates: int = 0) -> SelectionRules:
    return SelectionRules(
        seats=seats, alternates=alternates, method=LOTTERY_UNIFORM, constraints=constraints
    )


def seed(n: int) -> str:
    return lot_seed("c" * 64, "b" * 64, [str(n)])


# 4 women and 3 men; 3 seats; at least 1 and at most 2 women.
WOMEN = [cand(f"w{i}", gender="woman") for i in range(1, 5)]
MEN = [cand(f"m{i}", gender="man") for i in range(1, 4)]
MIXED = rules(3, Constraint("gender", "woman", min=1, max=2))


def test_no_constraints_every_subset_counts() -> None:
    pool = [cand(c) for c in "abcdef"]
    assert valid_panel_count(pool, rules(3)) == 20  # C(6, 3)
    assert inclusion_probabilities(pool, rules(3)) == dict.fromkeys("abcdef", Fraction(1, 2))


def test_hand_counted_gender_balance() -> None:
    # one woman and two men: 4 × C(3, 2) = 12; two women and one man: C(4, 2) × 3 = 18; 30 in all.
    pool = WOMEN + MEN
    assert valid_panel_count(pool, MIXED) == 30
    # a woman sits in 12 × 1/4 + 18 × 2/4 = 12 of the 30 panels: 2/5;
    # a man in 12 × 2/3 + 18 × 1/3 = 14 of them: 7/15 (and 4 × 2/5 + 3 × 7/15 = 3 seats).
    probabilities = inclusion_probabilities(pool, MIXED)
    assert probabilities == {
        **{w.id: Fraction(2, 5) for w in WOMEN},
        **{m.id: Fraction(7, 15) for m in MEN},
    }


def test_hand_counted_one_per_region() -> None:
    # north: 2, south: 2, east: 1; 2 seats, at most 1 per region: north–south 2 × 2 = 4,
    # north–east 2, south–east 2: 8 panels. The east candidate sits in 4 of them, the others in 3.
    pool = [
        cand("n1", region="north"),
        cand("n2", region="north"),
        cand("s1", region="south"),
        cand("s2", region="south"),
        cand("e1", region="east"),
    ]
    one_each = rules(2, Constraint("region", None, max=1))
    assert valid_panel_count(pool, one_each) == 8
    probabilities = inclusion_probabilities(pool, one_each)
    assert probabilities["e1"] == Fraction(1, 2)
    assert probabilities["n1"] == probabilities["s2"] == Fraction(3, 8)


def test_numbering_follows_the_documented_order() -> None:
    # Profiles: gender=woman, then the men (no bound). Panels ordered by (women taken, which
    # women, men taken, which men): number 0 is w1 + m1 m2, number 11 the last of the
    # one-woman panels, w4 + m2 m3, and number 12 the first two-women panel, w1 w2 + m1.
    wanted = {0: ("m1", "m2", "w1"), 11: ("m2", "m3", "w4"), 12: ("m1", "w1", "w2")}
    found = {}
    for n in range(400):
        s = seed(n)
        index = draw_below(s, "panel", 30)
        if index in wanted and index not in found:
            result = draw(WOMEN + MEN, MIXED, s)
            assert result.details["drawn"] == str(index)
            found[index] = result.winners
    assert found == wanted


def test_draw_record() -> None:
    pool = WOMEN + MEN
    result = draw(pool, rules(3, *MIXED.constraints, alternates=2), SEED)
    assert result.method == METHOD == "lottery.uniform"
    assert result.method_version == METHOD_VERSION == "1"
    assert len(result.winners) == 3
    assert list(result.winners) == sorted(result.winners)
    assert satisfies([c for c in pool if c.id in result.winners], MIXED.constraints)
    rest = [c.id for c in pool if c.id not in result.winners]
    assert list(result.alternates) == lot_order(SEED, rest)[:2]
    assert result.unfilled == 0
    assert result.unfilled_reason is None
    panel, alternates = result.steps
    index = draw_below(SEED, "panel", 30)
    assert (panel.number, panel.kind, panel.label) == (1, "panel", "panel")
    assert (panel.outcomes, panel.drawn) == ("30", str(index))
    assert panel.picked == result.winners
    assert [p for p, _, _ in panel.composition] == ["gender=woman", "gender (no bound)"]
    assert [standing for _, standing, _ in panel.composition] == [4, 3]
    women = sum(1 for w in result.winners if w.startswith("w"))
    assert [taken for _, _, taken in panel.composition] == [women, 3 - women]
    assert (alternates.number, alternates.kind, alternates.picked) == (
        2,
        "alternates",
        result.alternates,
    )
    assert result.details == {"panel_size": 3, "valid_panels": "30", "drawn": str(index)}
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["steps"][0]["composition"][0] == {
        "profile": "gender=woman",
        "standing": 4,
        "taken": women,
    }

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool)

    assert plain(data)


def test_big_counts_are_decimal_strings() -> None:
    pool = [cand(f"p{i:03d}") for i in range(200)]
    result = draw(pool, rules(20), SEED)
    total = 1_613_587_787_967_350_073_386_147_640  # C(200, 20), beyond any JSON double
    assert valid_panel_count(pool, rules(20)) == total
    assert result.details["valid_panels"] == str(total)
    assert result.steps[0].drawn == str(draw_below(SEED, "panel", total))


def test_reproducible_from_the_seed_and_changes_with_it() -> None:
    pool = [cand(f"p{i:02d}", region=("n", "s", "e")[i % 3]) for i in range(30)]
    capped = rules(5, Constraint("region", None, max=2), alternates=3)
    first = draw(pool, capped, SEED)
    assert draw(pool, capped, SEED) == first
    assert draw(list(reversed(pool)), capped, SEED) == first
    panels = {draw(pool, capped, seed(n)).winners for n in range(10)}
    assert len(panels) == 10  # 60,750 valid panels: a repeat among ten seeds is unlikely (0.07%)


def test_too_few_candidates_leave_seats_unfilled() -> None:
    result = draw([cand("a"), cand("b")], rules(3, alternates=2), SEED)
    assert result.winners == ("a", "b")
    assert result.unfilled == 1
    assert result.unfilled_reason == "only 2 candidates stand for 3 seats"
    assert result.alternates == ()
    nobody = draw([], rules(2), SEED)
    assert nobody.winners == ()
    assert nobody.steps == ()
    assert nobody.unfilled == 2
    assert valid_panel_count([], rules(2)) == 0


def test_unmeetable_minimum_draws_the_largest_feasible_panel() -> None:
    # at least 2 women but only one stands: no panel of any size meets it, nothing is drawn
    pool = [cand("w1", gender="woman"), cand("m1", gender="man"), cand("m2", gender="man")]
    two_women = rules(3, Constraint("gender", "woman", min=2), alternates=1)
    result = draw(pool, two_women, SEED)
    assert result.winners == ()
    assert result.unfilled == 3
    assert result.unfilled_reason == (
        "at least 2 with gender=woman is required but only 1 such candidate stands; "
        "no smaller committee meets every constraint either"
    )
    assert result.alternates == tuple(lot_order(SEED, ["m1", "m2", "w1"])[:1])
    assert inclusion_probabilities(pool, two_women) == dict.fromkeys(
        ["m1", "m2", "w1"], Fraction(0)
    )
    # at most 1 man and 3 seats: only 2 can sit (w1 and one man), drawn among the 2 such panels
    one_man = rules(3, Constraint("gender", "man", max=1))
    result = draw(pool, one_man, SEED)
    assert len(result.winners) == 2
    assert "w1" in result.winners
    assert result.unfilled == 1
    assert result.details["valid_panels"] == "2"
    assert valid_panel_count(pool, one_man) == 0
    assert inclusion_probabilities(pool, one_man) == {
        "m1": Fraction(1, 2),
        "m2": Fraction(1, 2),
        "w1": Fraction(1),
    }


def test_malformed_input_is_refused() -> None:
    with pytest.raises(InvalidRules, match="seats must be at least 1"):
        draw([cand("a")], rules(0), SEED)
    with pytest.raises(InvalidInput, match="stand once"):
        draw([cand("a"), cand("a")], rules(1), SEED)
    with pytest.raises(InvalidRules, match=r"lottery\.uniform"):
        draw([cand("a")], SelectionRules(seats=1), SEED)
    with pytest.raises(InvalidInput, match="64 hex digits"):
        draw([cand("a")], rules(1), "not a seed")


def test_too_many_states_fail_with_a_clear_error() -> None:
    # three attributes of four values, each bounded: more partial panels than a 1 s budget allows
    rng = random.Random(7)
    pool = [
        Candidate(f"x{i:03d}", {f"a{k}": f"v{rng.randrange(4)}" for k in range(3)})
        for i in range(200)
    ]
    bounds = tuple(Constraint(f"a{k}", f"v{v}", min=1, max=4) for k in range(3) for v in range(4))
    tight = SelectionRules(seats=10, method=LOTTERY_UNIFORM, constraints=bounds, time_limit=1)
    with pytest.raises(SolverLimit, match="more than 100000 states") as caught:
        draw(pool, tight, SEED)
    assert caught.value.code == "count_time_limit"


# -- the documented numbering, by brute force


def bounded_values(
    pool: Sequence[Candidate], constraints: Sequence[Constraint]
) -> dict[str, set[str]]:
    """Per constrained attribute, the values some bound falls on (as the docstring reads)."""
    out: dict[str, set[str]] = {}
    capped = {c.attribute for c in constraints if c.value is None and c.max is not None}
    for c in constraints:
        if c.value is not None and (c.min > 0 or c.max is not None):
            out.setdefault(c.attribute, set()).add(c.value)
    for a in capped:
        for member in pool:
            if a in member.attributes:
                out.setdefault(a, set()).add(member.attributes[a])
    return out


def numbered(pool: Sequence[Candidate], r: SelectionRules, size: int) -> list[tuple[str, ...]]:
    """Every valid panel of ``size``, in the documented order, each as sorted ids."""
    values = bounded_values(pool, r.constraints)
    attributes = sorted(values, key=lambda a: (-len(values[a]), a))

    def profile(c: Candidate) -> tuple[tuple[int, str], ...]:
        out = []
        for a in attributes:
            v = c.attributes.get(a)
            out.append((0, v) if v in values[a] else (1, ""))
        return tuple(out)

    profiles = sorted({profile(c) for c in pool})
    members = [sorted(c.id for c in pool if profile(c) == p) for p in profiles]
    valid = [
        panel
        for panel in itertools.combinations(pool, size)
        if satisfies(list(panel), r.constraints)
    ]

    def key(panel: Sequence[Candidate]) -> list[tuple[int, tuple[int, ...]]]:
        ids = {c.id for c in panel}
        out = []
        for ms in members:
            positions = tuple(i for i, cid in enumerate(ms) if cid in ids)
            out.append((len(positions), positions))
        return out

    return [tuple(sorted(c.id for c in panel)) for panel in sorted(valid, key=key)]


ATTRIBUTES = {"gender": ["w", "m"], "region": ["n", "s", "e"]}


@st.composite
def lotteries(draw_: st.DrawFn) -> tuple[list[Candidate], SelectionRules]:
    n = draw_(st.integers(0, 9))
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
        alternates=draw_(st.integers(0, 3)),
        method=LOTTERY_UNIFORM,
        constraints=tuple(constraints),
    )
    return pool, r


@settings(max_examples=150, deadline=None)
@given(lottery=lotteries(), n=st.integers(0, 10**6))
def test_draw_matches_brute_force(lottery: tuple[list[Candidate], SelectionRules], n: int) -> None:
    pool, r = lottery
    s = seed(n)
    try:
        check_rules(r)
    except DomainError:
        event("invalid rules")
        with pytest.raises(InvalidRules):
            draw(pool, r, s)
        return
    panels = numbered(pool, r, r.seats)
    event(f"{len(pool)} candidates, {len(panels)} valid panels" if panels else "no valid panel")
    assert valid_panel_count(pool, r) == len(panels)
    best = next((k for k in range(r.seats, 0, -1) if numbered(pool, r, k)), 0)
    result = draw(pool, r, s)
    assert result.unfilled == r.seats - best
    assert (result.unfilled_reason is None) == (best == r.seats)
    by_id = {c.id: c for c in pool}
    if best:
        listed = numbered(pool, r, best)
        index = draw_below(s, "panel", len(listed))
        assert result.winners == listed[index]
        assert result.details["valid_panels"] == str(len(listed))
        assert satisfies([by_id[w] for w in result.winners], r.constraints)
        probabilities = inclusion_probabilities(pool, r)
        for c in pool:
            held = sum(1 for panel in listed if c.id in panel)
            assert probabilities[c.id] == Fraction(held, len(listed))
        assert sum(probabilities.values()) == best
    else:
        assert result.winners == ()
    rest = [c.id for c in pool if c.id not in result.winners]
    assert list(result.alternates) == lot_order(s, rest)[: r.alternates]
    shuffled = list(pool)
    random.Random(n).shuffle(shuffled)
    assert draw(shuffled, r, s) == result


# -- uniformity


def test_frequencies_match_the_valid_panels() -> None:
    # 1,800 fixed seeds over the 30 valid panels of the gender example: 60 expected for each.
    # The chi-square statistic with 29 degrees of freedom exceeds 58.301 with probability 0.001.
    # The seeds are fixed, so the test cannot flake; it would fail for a lottery that drew the
    # number of women first (1 or 2, evenly) and then the people, which favours the 12
    # one-woman panels (1/24 each instead of 1/30).
    pool = WOMEN + MEN
    counts: dict[tuple[str, ...], int] = {panel: 0 for panel in numbered(pool, MIXED, 3)}
    assert len(counts) == 30
    draws = 1800
    for n in range(draws):
        counts[draw(pool, MIXED, seed(n)).winners] += 1
    expected = draws / 30
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 58.301, sorted(counts.values())
    # the one-woman panels came about 12/30 of the time, as they should
    one_woman = sum(c for panel, c in counts.items() if sum(p[0] == "w" for p in panel) == 1)
    assert abs(one_woman / draws - 12 / 30) < 0.05


# -- benchmark size, and determinism across hash seeds

BENCH_POOL = """
import random
from policies.rules import Candidate, Constraint, SelectionRules

rng = random.Random(2026)
regions = ["north", "south", "east", "west"]
genders = ["woman", "man", "nonbinary"]
pool = [
    Candidate(f"p{i:03d}", {
        "region": rng.choices(regions, [4, 3, 2, 1])[0],
        "gender": rng.choices(genders, [48, 48, 4])[0],
        "migrant": rng.choices(["yes", "no"], [2, 8])[0],
    })
    for i in range(500)
]
constraints = (
    Constraint("region", "north", min=2, max=4),
    Constraint("region", "south", min=2, max=4),
    Constraint("region", "east", min=2, max=3),
    Constraint("region", "west", min=1, max=3),
    Constraint("gender", "woman", min=4, max=6),
    Constraint("gender", "man", min=4, max=6),
    Constraint("gender", "nonbinary", min=1, max=2),
    Constraint("migrant", "yes", min=3),
)
"""

DETERMINISM = (
    BENCH_POOL
    + """
import json
from policies.lot import lot_seed
from policies.lottery import draw

ids = {c.id for c in pool}  # a set on purpose: its order varies with the hash seed
pool = sorted(pool, key=lambda c: hash(c.id))
rules = SelectionRules(seats=10, alternates=5, method="lottery.uniform", constraints=constraints)
print(json.dumps(draw(pool, rules, lot_seed("c" * 64, "b" * 64, sorted(ids)[:3])).to_json(),
                 sort_keys=True))
"""
)


def test_benchmark_pool_same_result_under_any_hash_seed() -> None:
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
    assert len(result["winners"]) == 10
    assert len(result["alternates"]) == 5
    assert int(result["details"]["valid_panels"]) > 10**18
