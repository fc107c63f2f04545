"""Sequential Phragmén with constraints: hand-counted elections, properties, determinism, oracle."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.constraints import check_rules, satisfies
from policies.errors import DomainError, InvalidInput
from policies.lot import lot_order, lot_seed
from policies.phragmen import METHOD, METHOD_VERSION, CountStep, count
from policies.result import CountResult
from policies.rules import (
    ApprovalBallot,
    Candidate,
    Constraint,
    InvalidRules,
    SelectionRules,
)
from tests.policies.support import run_oracle, same_output_under_hash_seeds


def cand(cid: str, **attributes: str) -> Candidate:
    return Candidate(cid, attributes)


def ballots(*approvals: str | set[str]) -> list[ApprovalBallot]:
    """One ballot per argument: "ab" approves candidates "a" and "b", as does {"a", "b"}."""
    return [ApprovalBallot(f"v{i + 1}", frozenset(a)) for i, a in enumerate(approvals)]


def run(
    candidates: Sequence[Candidate],
    cast: Sequence[ApprovalBallot],
    seats: int,
    *,
    alternates: int = 0,
    constraints: Sequence[Constraint] = (),
    order: Sequence[str] | None = None,
) -> CountResult[CountStep]:
    rules = SelectionRules(seats=seats, alternates=alternates, constraints=tuple(constraints))
    ids = [c.id for c in candidates]
    return count(candidates, cast, rules, sorted(ids) if order is None else order)


ABC = [cand("a"), cand("b"), cand("c")]


def test_three_candidates_four_voters_two_seats() -> None:
    # v1 {a,b}  v2 {a,b}  v3 {a,c}  v4 {c}
    # step 1, all loads 0:  a = (1+0)/3 = 1/3   b = (1+0)/2 = 1/2   c = (1+0)/2 = 1/2
    #   a is elected; v1, v2, v3 now carry 1/3 each.
    # step 2:  b = (1 + 1/3 + 1/3)/2 = 5/6   c = (1 + 1/3 + 0)/2 = 2/3
    #   c is elected (approval voting would have tied b and c); v3, v4 now carry 2/3.
    # alternate: b = (1 + 1/3 + 1/3)/2 = 5/6.
    result = run(ABC, ballots("ab", "ab", "ac", "c"), 2, alternates=1)
    assert result.method == METHOD == "approval.phragmen"
    assert result.method_version == METHOD_VERSION == "1"
    assert result.winners == ("a", "c")
    assert result.alternates == ("b",)
    assert result.unfilled == 0
    assert result.unfilled_reason is None
    first, second, alternate = result.steps
    assert (first.number, first.picked, first.load) == (1, "a", "1/3")
    assert first.loads == (("a", "1/3"), ("b", "1/2"), ("c", "1/2"))
    assert first.skipped == first.tied == ()
    assert first.note == "lowest load"
    assert (second.picked, second.load) == ("c", "2/3")
    assert second.loads == (("c", "2/3"), ("b", "5/6"))
    assert (alternate.number, alternate.picked, alternate.load) == (3, "b", "5/6")
    assert alternate.note == "alternate"


def test_phragmen_spreads_the_load() -> None:
    # v1..v3 {a,b}  v4 {a}  v5, v6 {c}
    # step 1: a = 1/4, b = 1/3, c = 1/2 → a; v1..v4 carry 1/4.
    # step 2: b = (1 + 3/4)/3 = 7/12, c = (1 + 0)/2 = 1/2 → c (b has the most approvals left).
    result = run(ABC, ballots("ab", "ab", "ab", "a", "c", "c"), 2)
    assert result.winners == ("a", "c")
    assert [s.load for s in result.steps] == ["1/4", "1/2"]
    assert result.steps[1].loads == (("c", "1/2"), ("b", "7/12"))


def test_integral_loads_render_without_denominator() -> None:
    result = run(ABC, ballots("a", "b", "bc"), 1, alternates=2)
    # a = 1/1, b = 1/2, c = 1/1 → b; then a = 1, c = (1 + 1/2)/1 = 3/2 → a; then c = 3/2
    assert result.winners == ("b",)
    assert result.alternates == ("a", "c")
    assert [s.load for s in result.steps] == ["1/2", "1", "3/2"]


def test_tie_broken_by_lot_order() -> None:
    # x and y each have one approver: both would carry load 1.
    candidates = [cand("x"), cand("y")]
    cast = ballots("x", "y")
    result = run(candidates, cast, 1, order=["y", "x"])
    assert result.winners == ("y",)
    step = result.steps[0]
    assert step.tied == ("y", "x")
    assert step.note == "tie at load 1 between y, x broken by lot order"
    assert run(candidates, cast, 1, order=["x", "y"]).winners == ("x",)
    # with the real lot: the winner is whoever comes first in it
    order = lot_order(lot_seed("c" * 64, "b" * 64), ["x", "y"])
    assert run(candidates, cast, 1, order=order).winners == (order[0],)


def test_minimum_skips_the_leader() -> None:
    men_and_a_woman = [cand("a", gender="man"), cand("b", gender="man"), cand("w", gender="woman")]
    # v1..v3 {a,b}  v4 {a}  v5 {w}
    # step 1: a = 1/4, b = 1/3, w = 1 → a (w can still take the second seat).
    # step 2: b = (1 + 3/4)/3 = 7/12 leads, but a and b would leave no woman: skipped; w at 1.
    # alternate, without constraints: b at 7/12.
    result = run(
        men_and_a_woman,
        ballots("ab", "ab", "ab", "a", "w"),
        2,
        alternates=1,
        constraints=[Constraint("gender", "woman", min=1)],
    )
    assert result.winners == ("a", "w")
    assert result.alternates == ("b",)
    step = result.steps[1]
    assert (step.picked, step.load, step.skipped) == ("w", "1", ("b",))
    assert step.loads == (("b", "7/12"), ("w", "1"))
    assert "skipped b" in step.note
    # without the constraint b wins
    assert run(men_and_a_woman, ballots("ab", "ab", "ab", "a", "w"), 2).winners == ("a", "b")


def test_unapproved_candidate_is_chosen_by_lot_when_needed() -> None:
    candidates = [cand("a", gender="man"), cand("b", gender="man"), cand("w", gender="woman")]
    result = run(
        candidates, ballots("ab", "a"), 2, constraints=[Constraint("gender", "woman", min=1)]
    )
    assert result.winners == ("a", "w")
    step = result.steps[1]
    assert step.picked == "w"
    assert step.load is None
    assert step.skipped == ("b",)
    assert "no approvals; chosen by lot order" in step.note


def test_at_most_one_per_region() -> None:
    candidates = [
        cand("n1", region="north"),
        cand("n2", region="north"),
        cand("s1", region="south"),
        cand("x"),  # no region: exempt from the cap
    ]
    # v1..v3 {n1,n2}  v4 {n1}  v5 {s1}  v6 {x}
    # step 1: n1 = 1/4, n2 = 1/3, s1 = 1, x = 1 → n1
    # step 2: n2 = 7/12 (north again: skipped), then s1 and x tie at 1 → lot order: s1
    # step 3: x = 1
    north = {"n1", "n2"}
    cast = ballots(north, north, north, {"n1"}, {"s1"}, {"x"})
    per_region = [Constraint("region", None, max=1)]
    result = run(candidates, cast, 3, constraints=per_region, order=["n1", "n2", "s1", "x"])
    assert result.winners == ("n1", "s1", "x")
    assert result.steps[1].skipped == ("n2",)
    assert result.steps[1].tied == ("s1", "x")
    assert satisfies([c for c in candidates if c.id in result.winners], per_region)
    # four seats cannot be filled under the cap: three are, and the reason is given
    short = run(candidates, cast, 4, constraints=per_region, order=["n1", "n2", "s1", "x"])
    assert short.winners == ("n1", "s1", "x")
    assert short.unfilled == 1
    assert short.unfilled_reason == (
        "under at most 1 per region, at most 3 of the 4 candidates standing can be seated, "
        "for 4 seats"
    )


def test_too_few_candidates_leave_seats_unfilled() -> None:
    result = run(ABC[:2], ballots("a", "b", "ab"), 3, alternates=2)
    assert set(result.winners) == {"a", "b"}
    assert result.alternates == ()
    assert result.unfilled == 1
    assert result.unfilled_reason == "only 2 candidates stand for 3 seats"
    nobody = run([], ballots("a"), 2)
    assert nobody.winners == ()
    assert nobody.steps == ()
    assert nobody.unfilled == 2
    assert nobody.unfilled_reason is not None
    assert nobody.unfilled_reason.startswith("no candidate stands for 2 seats")


def test_unmeetable_minimum_leaves_every_seat_unfilled() -> None:
    result = run(
        ABC, ballots("a", "b"), 2, alternates=1, constraints=[Constraint("gender", "woman", min=1)]
    )
    assert result.winners == ()
    assert result.unfilled == 2
    assert result.unfilled_reason == (
        "at least 1 with gender=woman is required but no such candidate stands; "
        "no smaller committee meets every constraint either"
    )
    assert result.alternates == ("a",)  # the alternates' order is still published
    assert result.to_json()["unfilled"] == 2


def test_alternates_continue_the_count_then_follow_the_lot() -> None:
    candidates = [cand(c) for c in "abcdef"]
    # a = 1/3, b = 1/2, c = 1/1 at the start; e and f have no approvals.
    # winner a (1/3) → v1, v2, v3 carry 1/3.
    # alternates: b = (1 + 1/3 + 0)/2 = 2/3 → b; then d = 1, c = (1 + 1/3)/1 = 4/3 → d; then c;
    # then the unapproved, in lot order: f before e.
    cast = ballots("ab", "ac", "a", "b", "d")
    result = run(candidates, cast, 1, alternates=5, order=["a", "b", "c", "d", "f", "e"])
    assert result.winners == ("a",)
    assert result.alternates == ("b", "d", "c", "f", "e")
    assert [s.load for s in result.steps] == ["1/3", "2/3", "1", "4/3", None, None]
    assert result.steps[-1].note == "alternate; no approvals; chosen by lot order"
    assert [s.number for s in result.steps] == [1, 2, 3, 4, 5, 6]
    fewer = run(candidates, cast, 1, alternates=2, order=["a", "b", "c", "d", "f", "e"])
    assert fewer.alternates == ("b", "d")


def test_unknown_approvals_are_ignored_and_json_is_plain() -> None:
    cast = [*ballots("ab", "c"), ApprovalBallot("v9", frozenset({"zed", "a"}))]
    result = run(ABC, cast, 2, alternates=1)
    assert "zed" not in json.dumps(result.to_json())
    data = result.to_json()
    assert list(data) == [
        "method",
        "method_version",
        "seats",
        "winners",
        "alternates",
        "steps",
        "unfilled",
        "unfilled_reason",
    ]
    assert json.loads(json.dumps(data)) == data

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool)

    assert plain(data)
    assert data["steps"][0]["loads"][0] == {"candidate": "a", "load": "1/2"}


def test_malformed_input_is_refused() -> None:
    with pytest.raises(InvalidRules, match="seats must be at least 1"):
        count(ABC, [], SelectionRules(seats=0), ["a", "b", "c"])
    with pytest.raises(InvalidInput, match="stand once"):
        count([*ABC, cand("a")], [], SelectionRules(seats=1), ["a", "b", "c"])
    with pytest.raises(InvalidInput, match="rank every candidate"):
        count(ABC, [], SelectionRules(seats=1), ["a", "b"])
    with pytest.raises(InvalidInput, match="each id once"):
        count(ABC, [], SelectionRules(seats=1), ["a", "b", "c", "a"])
    # ids in the order that do not stand (withdrawn) are fine
    assert count(ABC, [], SelectionRules(seats=1), ["gone", "c", "b", "a"]).winners == ("c",)


# -- properties


ATTRIBUTES = {"gender": ["w", "m"], "region": ["n", "s", "e"]}


@st.composite
def elections(
    draw: st.DrawFn,
) -> tuple[list[Candidate], list[ApprovalBallot], SelectionRules, list[str]]:
    n = draw(st.integers(0, 8))
    candidates = []
    for i in range(n):
        attributes = {}
        for attribute, values in ATTRIBUTES.items():
            value = draw(st.sampled_from([None, *values]))
            if value is not None:
                attributes[attribute] = value
        candidates.append(Candidate(f"c{i}", attributes))
    ids = [c.id for c in candidates]
    cast = [
        ApprovalBallot(f"v{v}", frozenset(draw(st.lists(st.sampled_from(ids), max_size=4))))
        for v in range(draw(st.integers(0, 7)))
        if ids
    ]
    constraints = []
    for attribute, values in ATTRIBUTES.items():
        for value in values:
            if draw(st.booleans()):
                low = draw(st.integers(0, 2))
                high = draw(st.sampled_from([None, low, low + 1]))
                constraints.append(Constraint(attribute, value, min=low, max=high))
        if draw(st.integers(0, 2)) == 0:
            constraints.append(Constraint(attribute, None, max=draw(st.integers(0, 2))))
    rules = SelectionRules(
        seats=draw(st.integers(1, 4)),
        alternates=draw(st.integers(0, 3)),
        constraints=tuple(constraints),
    )
    order = draw(st.permutations(ids))
    return candidates, cast, rules, list(order)


def reference(
    candidates: list[Candidate], cast: list[ApprovalBallot], rules: SelectionRules, order: list[str]
) -> tuple[list[str], list[str]]:
    """The count as the design states it, naively: brute force instead of the exact search."""
    by_id = {c.id: c for c in candidates}
    ids = [i for i in order if i in by_id]
    approvers = {c: [v for v, b in enumerate(cast) if c in b.approvals] for c in ids}
    load = [Fraction(0)] * len(cast)

    def completable(chosen: list[str], k: int) -> bool:
        rest = [by_id[c] for c in ids if c not in chosen]
        return any(
            satisfies([*(by_id[c] for c in chosen), *more], rules.constraints)
            for more in itertools.combinations(rest, k - len(chosen))
        )

    size = next((k for k in range(rules.seats, 0, -1) if completable([], k)), 0)
    picked: list[str] = []
    for step in range(size + rules.alternates):
        rest = [c for c in ids if c not in picked]
        if not rest:
            break
        scored = sorted(
            (
                (1 + sum((load[v] for v in approvers[c]), Fraction(0))) / len(approvers[c]),
                ids.index(c),
                c,
            )
            for c in rest
            if approvers[c]
        )
        queue: list[tuple[Fraction | None, str]] = [(new, c) for new, _, c in scored]
        queue += [(None, c) for c in rest if not approvers[c]]
        if step < size:
            queue = [(new, c) for new, c in queue if completable([*picked, c], size)]
        new, chosen = queue[0]
        if new is not None:
            for v in approvers[chosen]:
                load[v] = new
        picked.append(chosen)
    return picked[:size], picked[size:]


@settings(max_examples=150, deadline=None)
@given(elections())
def test_outcome_is_feasible_whenever_possible(
    election: tuple[list[Candidate], list[ApprovalBallot], SelectionRules, list[str]],
) -> None:
    candidates, cast, rules, order = election
    try:
        check_rules(rules)
    except DomainError:
        with pytest.raises(InvalidRules):
            count(candidates, cast, rules, order)
        return
    result = count(candidates, cast, rules, order)
    by_id = {c.id: c for c in candidates}

    def feasible(k: int) -> bool:
        return any(
            satisfies(list(committee), rules.constraints)
            for committee in itertools.combinations(candidates, k)
        )

    best = next((k for k in range(rules.seats, 0, -1) if feasible(k)), 0)
    assert len(result.winners) == best
    assert result.unfilled == rules.seats - best
    assert (result.unfilled_reason is None) == (best == rules.seats)
    if best:
        assert satisfies([by_id[w] for w in result.winners], rules.constraints)
    everyone = [*result.winners, *result.alternates]
    assert len(set(everyone)) == len(everyone)
    assert set(everyone) <= set(by_id)
    assert len(result.alternates) == min(rules.alternates, len(candidates) - best)
    assert [s.picked for s in result.steps] == everyone
    assert [s.number for s in result.steps] == list(range(1, len(everyone) + 1))
    assert (list(result.winners), list(result.alternates)) == reference(
        candidates, cast, rules, order
    )


# -- determinism across hash seeds

DETERMINISM = """
import json
from policies.lot import lot_order, lot_seed
from policies.phragmen import count
from policies.rules import ApprovalBallot, Candidate, Constraint, SelectionRules

regions = ["north", "south", "east", "west"]
candidates = [
    Candidate(f"cand-{i:02d}", {"gender": ("woman", "man", "nonbinary")[i % 3],
                                "region": regions[i % 4]} if i % 5 else {"gender": "man"})
    for i in range(14)
]
ids = {c.id for c in candidates}  # a set on purpose: its order varies with the hash seed
ballots = [
    ApprovalBallot(f"voter-{v}", frozenset(c for c in ids if int(c[-2:]) * (v + 3) % 4 == 0))
    for v in range(25)
]
rules = SelectionRules(
    seats=5,
    alternates=4,
    constraints=(
        Constraint("gender", "woman", min=2),
        Constraint("gender", "man", max=2),
        Constraint("region", None, max=2),
    ),
)
order = lot_order(lot_seed("c" * 64, "b" * 64, ["contribution"]), ids)
print(json.dumps(count(candidates, ballots, rules, order).to_json(), sort_keys=True))
"""


def test_same_result_under_any_hash_seed() -> None:
    result = json.loads(same_output_under_hash_seeds(DETERMINISM))
    assert len(result["winners"]) == 5
    assert len(result["alternates"]) == 4


# -- abcvoting as an oracle, where no constraint applies


def oracle_elections(n: int) -> list[dict[str, Any]]:
    """Random elections where every candidate has an approval (so none is picked by lot)."""
    rng = random.Random(20300301)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        num_cand = rng.randint(2, 9)
        committeesize = rng.randint(1, min(num_cand, 5))
        ballots = [
            sorted(rng.sample(range(num_cand), rng.randint(1, min(3, num_cand))))
            for _ in range(rng.randint(2, 12))
        ]
        approved = {c for b in ballots for c in b}
        for c in range(num_cand):
            if c not in approved:
                ballots[rng.randrange(len(ballots))].append(c)
        out.append(
            {
                "num_cand": num_cand,
                "committeesize": committeesize,
                "ballots": [sorted(b) for b in ballots],
            }
        )
    return out


def test_agrees_with_abcvoting() -> None:
    elections = oracle_elections(40)
    answers = run_oracle("oracle_seqphragmen.py", elections, timeout=120)
    assert len(answers) == len(elections)
    ties = 0
    for election, committees in zip(elections, answers, strict=True):
        ids = [f"c{i}" for i in range(election["num_cand"])]
        cast = [
            ApprovalBallot(f"v{v}", frozenset(f"c{c}" for c in ballot))
            for v, ballot in enumerate(election["ballots"])
        ]
        for seed in ("first", "second"):
            order = lot_order(lot_seed("c" * 64, "b" * 64, [seed]), ids)
            result = count(
                [Candidate(i, {}) for i in ids],
                cast,
                SelectionRules(seats=election["committeesize"]),
                order,
            )
            ours = sorted(int(w[1:]) for w in result.winners)
            assert ours in committees, (election, result.winners, committees)
        ties += len(committees) > 1
    assert ties > 0  # the sample does exercise ties
