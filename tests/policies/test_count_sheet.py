"""The count as a person reads it: decimals equal to the record's fractions, and each seat's
score, from real counts of every method that has one."""

from __future__ import annotations

import copy
import json
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.count_sheet import (
    PLACES,
    decimal,
    details_with_decimals,
    scores,
    steps_with_decimals,
)
from policies.methods import Inputs, run
from policies.rules import (
    APPROVAL_EQUAL_SHARES,
    APPROVAL_PAV,
    APPROVAL_PHRAGMEN,
    LOTTERY_MAXIMIN,
    LOTTERY_UNIFORM,
    RANKED_STV,
    ApprovalBallot,
    Candidate,
    RankedBallot,
    SelectionRules,
)

SEED = "ab" * 32
HALF_UNIT = Fraction(1, 2 * 10**PLACES)


def test_decimals_by_hand() -> None:
    assert decimal("19/27") == "0.703704"
    assert decimal("1/3") == "0.333333"
    assert decimal("2/3") == "0.666667"
    assert decimal("-2/3") == "-0.666667"
    assert decimal("0") == "0.000000"
    assert decimal("5") == "5.000000"
    assert decimal("12.00000") == "12.000000"  # STV's fixed decimals read as they are
    assert decimal("1/2000000") == "0.000000"  # a tie goes to the even neighbour
    assert decimal("3/2000000") == "0.000002"
    assert decimal("19/27", 2) == "0.70"
    assert decimal("7/2", 0) == "4"


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=1, max_value=10**12),
)
def test_decimal_is_the_fraction_rounded_once(numerator: int, denominator: int) -> None:
    value = Fraction(numerator, denominator)
    shown = decimal(str(value))
    whole, _, places = shown.lstrip("-").partition(".")
    assert len(places) == PLACES
    assert whole.isdigit()
    assert abs(Fraction(Decimal(shown)) - value) <= HALF_UNIT
    # The same as Decimal's own division, carried far enough to be exact before it rounds.
    with localcontext() as ctx:
        ctx.prec = 80
        oracle = (Decimal(numerator) / Decimal(denominator)).quantize(
            Decimal(1).scaleb(-PLACES), rounding=ROUND_HALF_EVEN
        )
    assert Decimal(shown) == oracle


def _count(method: str, ballots: list[Any], seats: int = 2, alternates: int = 1) -> dict[str, Any]:
    candidates = [Candidate(c, {}) for c in "abcd"]
    rules = SelectionRules(seats=seats, alternates=alternates, method=method)
    out: dict[str, Any] = run(rules, Inputs(candidates, ballots), SEED).to_json()
    return out


def _approvals(*sets: str) -> list[ApprovalBallot]:
    return [ApprovalBallot(f"v{i}", frozenset(s)) for i, s in enumerate(sets)]


APPROVALS = _approvals("ab", "ab", "ac", "c", "cd", "abd", "d")


def _pairs(obj: Any) -> list[tuple[str, str]]:
    """Every (fraction, decimal) pair beside each other anywhere in ``obj``."""
    found: list[tuple[str, str]] = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key.endswith("_decimal"):
                found.append((obj[key.removesuffix("_decimal")], value))
            else:
                found += _pairs(value)
    elif isinstance(obj, list):
        for item in obj:
            found += _pairs(item)
    return found


@pytest.mark.parametrize(
    ("method", "step_keys", "detail_keys"),
    [
        (APPROVAL_PHRAGMEN, {"load", "loads"}, set()),
        (APPROVAL_EQUAL_SHARES, {"value", "considered"}, {"budget_per_voter"}),
        (APPROVAL_PAV, {"contribution"}, {"score"}),
    ],
)
def test_every_fraction_of_an_approval_count_has_its_decimal(
    method: str, step_keys: set[str], detail_keys: set[str]
) -> None:
    result = _count(method, APPROVALS)
    kept = copy.deepcopy(result)
    steps = steps_with_decimals(method, result["steps"])
    details = details_with_decimals(method, result.get("details", {}))
    assert result == kept  # the record's own objects are not touched
    pairs = _pairs(steps) + _pairs(details)
    fractions = [v for v in json.dumps(result).split('"') if "/" in v and v[0].isdigit()]
    assert any("/" in f for f, _ in pairs), pairs  # the example has true fractions
    assert len([f for f, _ in pairs if "/" in f]) == len(fractions)  # each one has a decimal
    for fraction, shown in pairs:
        assert abs(Fraction(Decimal(shown)) - Fraction(fraction)) <= HALF_UNIT, (fraction, shown)
    for step in steps:
        for key in step_keys:
            if isinstance(step[key], list):
                assert all("value_decimal" in x or "load_decimal" in x for x in step[key])
            else:
                assert f"{key}_decimal" in step
    assert {f"{k}_decimal" for k in detail_keys} <= set(details)


def test_maximin_probabilities_have_decimals() -> None:
    result = _count(LOTTERY_MAXIMIN, [])
    steps = steps_with_decimals(LOTTERY_MAXIMIN, result["steps"])
    details = details_with_decimals(LOTTERY_MAXIMIN, result["details"])
    probabilities = steps[0]["probabilities"]
    assert len(probabilities) == 4
    for p in probabilities:
        assert Fraction(p["probability"]) == Fraction(1, 2)  # two seats among four, evenly
        assert p["probability_decimal"] == "0.500000"
    assert details["smallest_decimal"] == "0.500000"
    assert all("probability_decimal" in x for x in details["lottery"])


def test_methods_without_fractions_are_left_as_they_are() -> None:
    rankings = [RankedBallot(f"v{i}", tuple(r)) for i, r in enumerate(["abc", "bac", "cab", "a"])]
    for method, ballots in ((RANKED_STV, rankings), (LOTTERY_UNIFORM, [])):
        result = _count(method, ballots)
        assert steps_with_decimals(method, result["steps"]) == result["steps"]
        assert details_with_decimals(method, result["details"]) == result["details"]


def test_scores_follow_the_count() -> None:
    phragmen = _count(APPROVAL_PHRAGMEN, APPROVALS)
    got = scores(phragmen)
    assert set(got) == {*phragmen["winners"], *phragmen["alternates"]}
    for step in phragmen["steps"]:
        assert got[step["picked"]].value == step["load"]
        assert got[step["picked"]].label == "load"
        assert got[step["picked"]].decimal == decimal(step["load"])

    pav = _count(APPROVAL_PAV, APPROVALS)
    got = scores(pav)
    assert {s.label for s in got.values()} == {"PAV score added"}
    # The winners' contributions add up to no more than the committee's score.
    assert sum(Fraction(got[w].value) for w in pav["winners"]) <= Fraction(pav["details"]["score"])

    rankings = [RankedBallot(f"v{i}", tuple(r)) for i, r in enumerate(["ab", "ab", "ba", "cd"])]
    stv = _count(RANKED_STV, rankings)
    got = scores(stv)
    assert set(stv["winners"]) <= set(got)
    assert all(s.label == "votes when elected" for s in got.values())
    assert Decimal(got[stv["winners"][0]].value) >= Decimal(stv["details"]["quota"])

    maximin = _count(LOTTERY_MAXIMIN, [])
    assert {s.decimal for s in scores(maximin).values()} == {"0.500000"}
    assert scores(_count(LOTTERY_UNIFORM, [])) == {}
