"""Balance constraints: published rules checked, committees checked, completion decided exactly."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.constraints import (
    can_complete,
    check_rules,
    diagnose,
    largest_feasible_size,
    satisfies,
    violations,
)
from policies.rules import (
    Beacon,
    Candidate,
    CommitReveal,
    Constraint,
    Endorsements,
    InfeasibleRules,
    InvalidRules,
    SelectionRules,
)


def cand(cid: str, **attributes: str) -> Candidate:
    return Candidate(cid, attributes)


WOMAN = Constraint("gender", "woman", min=1)
PER_REGION = Constraint("region", None, max=1)
GOOD = SelectionRules(
    seats=3,
    alternates=2,
    max_approvals=5,
    endorsements=Endorsements(required=3, distinct_regions=2),
    constraints=(
        Constraint("gender", "woman", min=1, max=2),
        Constraint("gender", "man", max=2),
        PER_REGION,
        Constraint("sector", "youth", min=1),
    ),
)


# -- check_rules


def test_sensible_rules_pass() -> None:
    check_rules(GOOD)
    check_rules(SelectionRules(seats=1))
    check_rules(SelectionRules(seats=1, beacon=Beacon("ab" * 32, 1000, "8" + "f" * 191)))
    check_rules(SelectionRules(seats=2, constraints=(Constraint("gender", "woman", min=2),)))
    # a per-value cap of 0 is fine: candidates without the attribute can take the seats
    check_rules(SelectionRules(seats=3, constraints=(Constraint("region", None, max=0),)))
    check_rules(SelectionRules(seats=3, constraints=(Constraint("gender", "man", max=0),)))
    # minimums on different attributes add up beyond the seats: one candidate can meet several
    check_rules(
        SelectionRules(
            seats=2,
            constraints=(
                Constraint("gender", "woman", min=2),
                Constraint("age", "young", min=2),
                Constraint("region", "north", min=1),
            ),
        )
    )


def with_(**changes: object) -> SelectionRules:
    return dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (with_(seats=0), "seats must be at least 1, got 0"),
        (with_(seats=True), "seats must be an integer, got True"),
        (with_(alternates=-1), "alternates must be 0 or more, got -1"),
        (with_(method="approval.borda"), "method must be one of ['approval.equal_shares', "),
        (with_(max_approvals=0), "max_approvals must be at least 1, got 0"),
        (
            with_(endorsements=Endorsements(required=-1)),
            "endorsements.required must be 0 or more, got -1",
        ),
        (
            with_(endorsements=Endorsements(required=1, distinct_regions=2)),
            "endorsements from 2 distinct regions cannot come from 1 required endorsements",
        ),
        (
            with_(constraints=(Constraint("gender", "woman", min=-1),)),
            "constraint on gender=woman (min -1, max None): min must be 0 or more, got -1",
        ),
        (
            with_(constraints=(Constraint("gender", "man", max=-2),)),
            "constraint on gender=man (min 0, max -2): max must be 0 or more, got -2",
        ),
        (
            with_(constraints=(Constraint("gender", "woman", min=2, max=1),)),
            "constraint on gender=woman (min 2, max 1): min 2 is more than max 1",
        ),
        (
            with_(constraints=(Constraint("region", None, min=1, max=2),)),
            "constraint on each region (min 1, max 2): a per-value bound (no value) takes only",
        ),
        (
            with_(constraints=(Constraint("", "woman", min=1),)),
            "constraint on =woman (min 1, max None): expected a non-empty attribute name",
        ),
        (
            with_(constraints=(Constraint("gender", "", min=1),)),
            "constraint on gender= (min 1, max None): expected a non-empty value",
        ),
        (
            with_(constraints=(WOMAN, Constraint("gender", "woman", max=2))),
            "two constraints on gender=woman",
        ),
        (
            with_(constraints=(PER_REGION, Constraint("region", None, max=2))),
            "two constraints on each region",
        ),
        (
            # a 48-byte key on G1, as drand's pedersen-bls schemes use: not quicknet's
            with_(beacon=Beacon("ab" * 32, 1000, "8" + "f" * 95)),
            "beacon.public_key must be the 96-byte key of a drand network using quicknet's "
            "scheme bls-unchained-g1-rfc9380, the only one supported",
        ),
        (
            with_(beacon=Beacon("ab" * 32, 1000, "8" + "F" * 191)),
            "as 192 lowercase hex digits; got '8FFF",
        ),
        (
            with_(commit_reveal=CommitReveal(4)),
            "commit_reveal.reveal_window must be 5 or more, got 4",
        ),
        (
            with_(commit_reveal=CommitReveal(7 * 86400 + 1)),
            "commit_reveal.reveal_window must be at most 604800 seconds (7 days), got 604801",
        ),
    ],
)
def test_bad_rules_are_refused(rules: SelectionRules, message: str) -> None:
    with pytest.raises(InvalidRules) as caught:
        check_rules(rules)
    assert type(caught.value) is InvalidRules
    assert message in caught.value.detail
    assert caught.value.code == "invalid_rules"


@pytest.mark.parametrize(
    ("seats", "constraints", "message"),
    [
        (
            2,
            (Constraint("gender", "woman", min=3),),
            "at least 3 with gender=woman cannot be met with 2 seats",
        ),
        (
            3,
            (Constraint("gender", "woman", min=2), Constraint("gender", "man", min=2)),
            "at least 2 with gender=man and at least 2 with gender=woman need 4 seats together, "
            "but there are 3 seats",
        ),
        (
            5,
            (Constraint("region", "north", min=2), Constraint("region", None, max=1)),
            "at least 2 with region=north cannot be met under at most 1 per region",
        ),
    ],
)
def test_infeasible_rules_are_refused(
    seats: int, constraints: tuple[Constraint, ...], message: str
) -> None:
    with pytest.raises(InfeasibleRules) as caught:
        check_rules(SelectionRules(seats=seats, constraints=constraints))
    assert caught.value.detail == message
    assert caught.value.code == "infeasible_rules"


# -- satisfies / violations

ANA = cand("ana", gender="woman", region="north")
BEN = cand("ben", gender="man", region="north")
CHEN = cand("chen", gender="man", region="south")
DARA = cand("dara", gender="woman", region="east")
EMIL = cand("emil")  # no attributes: matches no value, exempt from per-region caps
FAYE = cand("faye", region="south")


def test_satisfies_and_violations() -> None:
    constraints = (WOMAN, PER_REGION, Constraint("gender", "man", max=1))
    assert satisfies([ANA, CHEN], constraints)
    assert violations([ANA, CHEN], constraints) == []
    assert satisfies([ANA, CHEN, EMIL], constraints)
    assert violations([BEN, CHEN, FAYE], constraints) == [
        "at least 1 with gender=woman required, got 0",
        "at most 1 per region allowed, got 2 with region=south",
        "at most 1 with gender=man allowed, got 2",
    ]
    assert not satisfies([ANA, BEN], constraints)
    assert violations([], constraints) == ["at least 1 with gender=woman required, got 0"]
    assert satisfies([], ())


# -- can_complete


def test_can_complete_by_hand() -> None:
    pool = [ANA, BEN, CHEN, DARA, EMIL, FAYE]
    # at most one per region: north, south, east and the region-less emil → at most 4
    assert can_complete([], pool, 4, (PER_REGION,))
    assert not can_complete([], pool, 5, (PER_REGION,))
    # ben took the north seat, so ana cannot join; dara, chen/faye and emil still can
    assert can_complete([BEN], [ANA, CHEN, DARA, EMIL, FAYE], 4, (PER_REGION,))
    assert not can_complete([BEN], [ANA, CHEN, FAYE, EMIL], 4, (PER_REGION,))
    # two women needed with two seats: only ana and dara will do
    two_women = (Constraint("gender", "woman", min=2),)
    assert can_complete([], pool, 2, two_women)
    assert can_complete([ANA], pool, 2, two_women)  # the pool may repeat the chosen: ignored
    assert not can_complete([BEN], pool, 2, two_women)
    # a chosen committee that already breaks a cap, or is larger than the size
    assert not can_complete([BEN, CHEN], pool, 3, (Constraint("gender", "man", max=1),))
    assert not can_complete([ANA, BEN, CHEN], [], 2, ())
    assert can_complete([ANA, BEN], [], 2, ())
    assert not can_complete([], [ANA], 2, ())


def test_can_complete_needs_branching() -> None:
    # Three attributes, each "y" on two of three profiles, each wanted exactly once, with
    # filler that has none. Every pair of attributes can be met, and the linear relaxation can
    # (half of each of the three and half a filler), but no committee can: any two of the three
    # share an attribute, one alone misses one, and the filler cannot help.
    one = 1
    constraints = tuple(Constraint(a, "y", min=one, max=one) for a in ("a", "b", "c"))
    pool = [
        cand("ab", a="y", b="y"),
        cand("bc", b="y", c="y"),
        cand("ac", a="y", c="y"),
        *(cand(f"filler{i}") for i in range(3)),
    ]
    for size in range(1, 6):
        assert not can_complete([], pool, size, constraints)
        assert largest_feasible_size(pool, size, constraints) == 0
    assert not brute_force([], pool, 2, constraints)
    # with a candidate carrying all three, it works at every size up to the fillers
    whole = [*pool, cand("abc", a="y", b="y", c="y")]
    assert can_complete([], whole, 4, constraints)
    assert not can_complete([], whole, 5, constraints)


def test_largest_feasible_size_and_diagnose() -> None:
    pool = [ANA, BEN, CHEN, DARA, EMIL, FAYE]
    assert largest_feasible_size(pool, 6, (PER_REGION,)) == 4
    assert largest_feasible_size(pool, 3, (PER_REGION,)) == 3
    assert largest_feasible_size(pool[:1], 2, ()) == 1
    assert largest_feasible_size([], 2, ()) == 0
    # not monotone: two women need two seats, so a single seat fails but two work
    assert largest_feasible_size([ANA, DARA], 2, (Constraint("gender", "woman", min=2),)) == 2
    # a minimum nobody can meet: no size works
    nb = (Constraint("gender", "nonbinary", min=1),)
    assert largest_feasible_size(pool, 3, nb) == 0

    assert diagnose([ANA], 2, ()) == "only 1 candidate stands for 2 seats"
    assert diagnose([], 1, ()) == "no candidate stands for 1 seat"
    assert diagnose(pool, 3, nb) == (
        "at least 1 with gender=nonbinary is required but no such candidate stands"
    )
    assert diagnose(pool, 2, (Constraint("gender", "woman", min=3),)) == (
        "at least 3 with gender=woman is required but only 2 such candidates stand; "
        "the minimums on gender need 3 seats together, but there are 2 seats"
    )
    assert diagnose(pool, 6, (PER_REGION,)) == (
        "under at most 1 per region, at most 4 of the 6 candidates standing can be seated, "
        "for 6 seats"
    )
    assert diagnose(pool, 4, (PER_REGION,)) == "all 4 seats can be filled"
    # only the combination fails: the women stand in north and east, the one seat must be south
    combined = (WOMAN, Constraint("region", "south", min=1))
    assert not can_complete([], pool, 1, combined)
    assert diagnose(pool, 1, combined) == (
        "no 1 of the 6 candidates standing meet all constraints together "
        "(at least 1 with gender=woman; at least 1 with region=south)"
    )


# -- can_complete against brute force


def brute_force(
    chosen: Sequence[Candidate],
    pool: Sequence[Candidate],
    size: int,
    constraints: Sequence[Constraint],
) -> bool:
    rest = [c for c in pool if c not in chosen]
    need = size - len(chosen)
    if need < 0:
        return False
    return any(
        satisfies([*chosen, *more], constraints) for more in itertools.combinations(rest, need)
    )


ATTRIBUTES = {"gender": ["w", "m", "x"], "region": ["n", "s", "e"], "age": ["y", "o"]}


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(0, 9))
    out = []
    for i in range(n):
        attributes = {}
        for attribute, values in ATTRIBUTES.items():
            value = draw(st.sampled_from([None, *values]))
            if value is not None:
                attributes[attribute] = value
        out.append(Candidate(f"c{i}", attributes))
    return out


@st.composite
def constraint_sets(draw: st.DrawFn) -> list[Constraint]:
    out = []
    for attribute, values in ATTRIBUTES.items():
        for value in values:
            if draw(st.integers(0, 2)) == 0:
                low = draw(st.integers(0, 2))
                high = draw(st.sampled_from([None, low, low + 1, low + 2]))
                out.append(Constraint(attribute, value, min=low, max=high))
        if draw(st.integers(0, 3)) == 0:
            out.append(Constraint(attribute, None, max=draw(st.integers(0, 2))))
    return out


@settings(max_examples=150, deadline=None)
@given(
    pool=candidates(),
    constraints=constraint_sets(),
    size=st.integers(0, 4),
    data=st.data(),
)
def test_can_complete_matches_brute_force(
    pool: list[Candidate], constraints: list[Constraint], size: int, data: st.DataObject
) -> None:
    taken = data.draw(st.integers(0, min(size, len(pool))))
    chosen = pool[:taken]
    assert can_complete(chosen, pool[taken:], size, constraints) == brute_force(
        chosen, pool[taken:], size, constraints
    )
    expected = next((k for k in range(size, 0, -1) if brute_force([], pool, k, constraints)), 0)
    assert largest_feasible_size(pool, size, constraints) == expected
