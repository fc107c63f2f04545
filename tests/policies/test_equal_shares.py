"""The Method of Equal Shares with constraints: hand-counted elections, properties, determinism,
agreement with abcvoting."""

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
from policies.equal_shares import (
    METHOD,
    METHOD_VERSION,
    PHASE_EQUAL_SHARES,
    PHASE_PHRAGMEN,
    CountStep,
    count,
)
from policies.errors import DomainError, InvalidInput
from policies.lot import lot_order, lot_seed
from policies.result import CountResult
from policies.rules import (
    APPROVAL_PHRAGMEN,
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


def rules(seats: int, **kwargs: Any) -> SelectionRules:
    return SelectionRules(seats=seats, method=METHOD, **kwargs)


def run(
    candidates: Sequence[Candidate],
    cast: Sequence[ApprovalBallot],
    seats: int,
    *,
    alternates: int = 0,
    constraints: Sequence[Constraint] = (),
    order: Sequence[str] | None = None,
) -> CountResult[CountStep]:
    ids = [c.id for c in candidates]
    return count(
        candidates,
        cast,
        rules(seats, alternates=alternates, constraints=tuple(constraints)),
        sorted(ids) if order is None else order,
    )


ABCD = [cand(c) for c in "abcd"]


def test_lackner_skowron_example_2_12() -> None:
    # Lackner & Skowron, "Multi-Winner Voting with Approval Preferences", Example 2.12: Equal
    # Shares elects {a, c, d} where sequential Phragmén elects {b, c, d}.
    # 3 × {c,d}, 2 × {a,b}, 2 × {a,c}, 1 × {b,d}; k = 3, n = 8: every budget is 3/8.
    # round 1: a 4 approvers → ρ 1/4; b 3 → 1/3; c 5 → 1/5; d 4 → 1/4. c is bought:
    #   {c,d} and {a,c} voters keep 3/8 - 1/5 = 7/40.
    # round 2: a: 2 × 7/40 + 2 × 3/8 = 11/10 ≥ 1; the {a,c} voters cannot pay 1/4, so they give
    #   7/40 each and the {a,b} voters pay (1 - 14/40)/2 = 13/40 ≤ 3/8: ρ = 13/40.
    #   b: 3 × 3/8 ≥ 1, ρ = 1/3 > 13/40. d: 3 × 7/40 + 3/8 = 9/10 < 1, unaffordable. a is bought.
    # round 3: b: 2 × 1/20 + 3/8 < 1, d: 9/10 < 1: nothing is affordable. Completion by
    #   Phragmén from loads = -budget: {c,d} -7/40, {a,b} -1/20, {a,c} 0, {b,d} -3/8.
    #   b: (1 - 2/20 - 3/8)/3 = 7/40; d: (1 - 21/40 - 15/40)/4 = 1/40. d is elected.
    cast = ballots("cd", "cd", "cd", "ab", "ab", "ac", "ac", "bd")
    result = run(ABCD, cast, 3)
    assert result.method == METHOD == "approval.equal_shares"
    assert result.method_version == METHOD_VERSION == "1"
    assert result.winners == ("c", "a", "d")
    assert result.unfilled == 0
    first, second, third = result.steps
    assert (first.phase, first.picked, first.value) == (PHASE_EQUAL_SHARES, "c", "1/5")
    assert first.considered == (("c", "1/5"), ("a", "1/4"), ("d", "1/4"), ("b", "1/3"))
    assert first.note == "lowest price per voter"
    assert (second.picked, second.value) == ("a", "13/40")
    assert second.considered == (("a", "13/40"), ("b", "1/3"))
    assert (third.phase, third.picked, third.value) == (PHASE_PHRAGMEN, "d", "1/40")
    assert third.considered == (("d", "1/40"), ("b", "7/40"))
    assert third.note.startswith("no candidate is affordable: completed by sequential Phragmén")
    assert result.details == {
        "voters": 8,
        "budget_per_voter": "3/8",
        "bought_with_equal_shares": 2,
        "completion": "sequential Phragmén from the budgets left",
    }


def test_lackner_skowron_running_example_2_11() -> None:
    # Example 2.11 (the running example of Example 2.1), k = 4, n = 12: budgets 1/3.
    # 3 × {a,b}, 3 × {a,c}, 2 × {a,d}, {b,c,f}, {e}, {f}, {g}; h stands unapproved.
    # round 1: a (8 approvers) ρ = 1/8; b, c (4 each) 1/4; d, e, f, g cannot afford 1. a bought:
    #   its approvers keep 1/3 - 1/8 = 5/24.
    # round 2: b: 3 × 5/24 + 1/3 = 23/24 < 1, likewise c; nothing is affordable. Completion:
    #   b: (1 - 15/24 - 8/24)/4 = 1/96, c likewise: tie, broken by lot; then the other at
    #   (1 - 15/24 + 1/96)/4 = 37/384; then d at (1 - 10/24)/2 = 7/24 (f: 293/768, e, g: 2/3).
    candidates = [cand(c) for c in "abcdefgh"]
    cast = ballots("ab", "ab", "ab", "ac", "ac", "ac", "ad", "ad", "bcf", "e", "f", "g")
    result = run(candidates, cast, 4, order=list("cbadefgh"))
    assert result.winners == ("a", "c", "b", "d")
    assert [s.phase for s in result.steps] == [PHASE_EQUAL_SHARES] + [PHASE_PHRAGMEN] * 3
    assert [s.value for s in result.steps] == ["1/8", "1/96", "37/384", "7/24"]
    tie = result.steps[1]
    assert tie.tied == ("c", "b")
    assert "tie at load 1/96 between c, b broken by lot order" in tie.note
    assert result.steps[3].considered == (
        ("d", "7/24"),
        ("f", "293/768"),
        ("e", "2/3"),
        ("g", "2/3"),
    )
    # the book's committee, whichever way the tie goes
    assert set(run(candidates, cast, 4).winners) == {"a", "b", "c", "d"}


def test_party_lists_get_their_exact_share_by_equal_shares_alone() -> None:
    # 6 voters approve party A's four candidates, 4 voters party B's three; 5 seats: budgets
    # 1/2, so A holds 3 and B 2 in total. A's candidates cost 1/6 per voter, B's 1/4: A buys
    # three (its voters then hold 0), B buys two; no completion is needed.
    candidates = [cand(c) for c in ["a1", "a2", "a3", "a4", "b1", "b2", "b3"]]
    a, b = {"a1", "a2", "a3", "a4"}, {"b1", "b2", "b3"}
    result = run(candidates, ballots(*[a] * 6, *[b] * 4), 5, alternates=2)
    assert result.winners == ("a1", "a2", "a3", "b1", "b2")
    assert [s.value for s in result.steps[:5]] == ["1/6", "1/6", "1/6", "1/4", "1/4"]
    assert {s.phase for s in result.steps[:5]} == {PHASE_EQUAL_SHARES}
    assert result.steps[0].tied == ("a1", "a2", "a3", "a4")
    assert result.details["bought_with_equal_shares"] == 5
    # alternates: both parties hold 0 now, so nothing is affordable; Phragmén from loads 0
    # takes a4 at 1/6, then b3 at 1/4
    assert result.alternates == ("a4", "b3")
    assert [(s.phase, s.value) for s in result.steps[5:]] == [
        (PHASE_PHRAGMEN, "1/6"),
        (PHASE_PHRAGMEN, "1/4"),
    ]


def test_ballots_approving_nobody_still_hold_budget() -> None:
    # 2 voters for a, 2 who approve nobody standing: n = 4, k = 1, budgets 1/4. a's voters
    # hold 1/2 < 1: a is not affordable and is elected by the completion, at load
    # (1 - 1/2)/2 = 1/4.
    candidates = [cand("a"), cand("b")]
    cast = [
        *ballots("a", "a"),
        ApprovalBallot("v3", frozenset()),
        ApprovalBallot("v4", frozenset({"zed"})),
    ]
    result = run(candidates, cast, 1)
    assert result.winners == ("a",)
    assert result.steps[0].phase == PHASE_PHRAGMEN
    assert result.steps[0].value == "1/4"
    assert result.details["budget_per_voter"] == "1/4"


def test_minimum_skips_the_cheapest() -> None:
    men_and_a_woman = [cand("a", gender="man"), cand("b", gender="man"), cand("w", gender="woman")]
    # 3 × {a,b}, {a}, {w}; k = 2, budgets 2/5.
    # round 1: a (4) ρ 1/4, b (3) 1/3, w unaffordable; a bought, its voters keep 3/20.
    # round 2: b: 3 × 3/20 < 1 unaffordable, w: 2/5 < 1: completion from loads -3/20 ({a,b},
    #   {a}) and -2/5 ({w}): b = (1 - 9/20)/3 = 11/60 leads, but a and b would leave no
    #   woman: skipped; w at (1 - 2/5)/1 = 3/5. Alternate, without constraints: b at 11/60.
    cast = ballots("ab", "ab", "ab", "a", "w")
    result = run(
        men_and_a_woman,
        cast,
        2,
        alternates=1,
        constraints=[Constraint("gender", "woman", min=1)],
    )
    assert result.winners == ("a", "w")
    assert result.alternates == ("b",)
    step = result.steps[1]
    assert (step.phase, step.picked, step.value, step.skipped) == (
        PHASE_PHRAGMEN,
        "w",
        "3/5",
        ("b",),
    )
    assert "skipped b" in step.note
    assert result.steps[2].value == "11/60"
    assert run(men_and_a_woman, cast, 2).winners == ("a", "b")


def test_minimum_skips_an_affordable_candidate() -> None:
    # 2 × {a}, 2 × {b}; w stands unapproved; k = 2, budgets 1/2. a and b cost 1/2 each: a is
    # bought (lot order); b is still affordable, but a and b would leave no woman: skipped, and
    # nothing else is affordable. The completion skips b again (load (1 - 1/2 - 1/2)/2 = 0)
    # and takes w, whom nobody approved, by lot.
    candidates = [cand("a", g="m"), cand("b", g="m"), cand("w", g="w")]
    result = run(
        candidates, ballots("a", "a", "b", "b"), 2, constraints=[Constraint("g", "w", min=1)]
    )
    assert result.winners == ("a", "w")
    step = result.steps[1]
    assert (step.phase, step.value, step.skipped) == (PHASE_PHRAGMEN, None, ("b",))
    assert step.considered == (("b", "0"),)
    assert step.note == (
        "no affordable candidate keeps the constraints satisfiable: completed by sequential "
        "Phragmén from the budgets left; skipped b: electing them would leave the constraints "
        "unsatisfiable; no approvals; chosen by lot order"
    )


def test_at_most_one_per_region_and_unfilled_seats() -> None:
    candidates = [
        cand("n1", region="north"),
        cand("n2", region="north"),
        cand("s1", region="south"),
        cand("x"),  # no region: exempt from the cap
    ]
    north = {"n1", "n2"}
    cast = ballots(north, north, north, {"n1"}, {"s1"}, {"x"})
    per_region = [Constraint("region", None, max=1)]
    result = run(candidates, cast, 3, constraints=per_region)
    assert result.winners[0] == "n1"
    assert set(result.winners) == {"n1", "s1", "x"}
    assert satisfies([c for c in candidates if c.id in result.winners], per_region)
    short = run(candidates, cast, 4, constraints=per_region)
    assert set(short.winners) == {"n1", "s1", "x"}
    assert short.unfilled == 1
    assert short.unfilled_reason == (
        "under at most 1 per region, at most 3 of the 4 candidates standing can be seated, "
        "for 4 seats"
    )


def test_unmeetable_minimum_and_too_few_candidates() -> None:
    result = run(
        ABCD[:3],
        ballots("a", "b"),
        2,
        alternates=1,
        constraints=[Constraint("gender", "woman", min=1)],
    )
    assert result.winners == ()
    assert result.unfilled == 2
    assert result.unfilled_reason is not None
    assert result.unfilled_reason.endswith("no smaller committee meets every constraint either")
    assert len(result.alternates) == 1
    few = run(ABCD[:2], ballots("a", "b", "ab"), 3, alternates=2)
    assert set(few.winners) == {"a", "b"}
    assert few.unfilled == 1
    assert few.unfilled_reason == "only 2 candidates stand for 3 seats"
    nobody = run([], ballots("a"), 2)
    assert (nobody.winners, nobody.steps, nobody.unfilled) == ((), (), 2)
    no_ballots = run(ABCD, [], 2, order=list("dcba"))
    assert no_ballots.winners == ("d", "c")
    assert all(s.value is None for s in no_ballots.steps)


def test_json_is_plain_and_malformed_input_is_refused() -> None:
    result = run(ABCD, ballots("ab", "c", "cd"), 2, alternates=2)
    data = result.to_json()
    assert json.loads(json.dumps(data)) == data

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | bool)

    assert plain(data)
    assert set(data["steps"][0]) == {
        "number",
        "picked",
        "phase",
        "value",
        "considered",
        "skipped",
        "tied",
        "note",
    }
    with pytest.raises(InvalidRules, match="this count is for method"):
        count(ABCD, [], SelectionRules(seats=1, method=APPROVAL_PHRAGMEN), list("abcd"))
    with pytest.raises(InvalidRules, match="seats must be at least 1"):
        count(ABCD, [], rules(0), list("abcd"))
    with pytest.raises(InvalidInput, match="stand once"):
        count([*ABCD, cand("a")], [], rules(1), list("abcd"))
    with pytest.raises(InvalidInput, match="rank every candidate"):
        count(ABCD, [], rules(1), list("abc"))
    with pytest.raises(InvalidInput, match="each id once"):
        count(ABCD, [], rules(1), list("abcda"))


# -- properties


ATTRIBUTES = {"gender": ["w", "m"], "region": ["n", "s", "e"]}


@st.composite
def elections(
    draw: st.DrawFn,
) -> tuple[list[Candidate], list[ApprovalBallot], SelectionRules, list[str]]:
    n = draw(st.integers(0, 7))
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
        for v in range(draw(st.integers(0, 9)))
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
    return (
        candidates,
        cast,
        rules(
            draw(st.integers(1, 4)),
            alternates=draw(st.integers(0, 3)),
            constraints=tuple(constraints),
        ),
        list(draw(st.permutations(ids))),
    )


def reference(
    candidates: list[Candidate], cast: list[ApprovalBallot], rules: SelectionRules, order: list[str]
) -> tuple[list[str], list[str]]:
    """The count as the module docstring states it, naively: one budget per ballot, prices as
    abcvoting finds them, brute force for the constraints."""
    by_id = {c.id: c for c in candidates}
    ids = [i for i in order if i in by_id]
    approvers = {c: [v for v, b in enumerate(cast) if c in b.approvals] for c in ids}
    budget = [Fraction(rules.seats, len(cast))] * len(cast) if cast else []
    load: list[Fraction] = []

    def price(c: str) -> Fraction | None:
        rich, poor = set(approvers[c]), set[int]()
        while rich:
            rho = (1 - sum((budget[v] for v in poor), Fraction(0))) / len(rich)
            broke = {v for v in rich if budget[v] < rho}
            if not broke:
                return rho
            rich -= broke
            poor |= broke
        return None

    def completable(chosen: list[str], k: int) -> bool:
        rest = [by_id[c] for c in ids if c not in chosen]
        return any(
            satisfies([*(by_id[c] for c in chosen), *more], rules.constraints)
            for more in itertools.combinations(rest, k - len(chosen))
        )

    size = next((k for k in range(rules.seats, 0, -1) if completable([], k)), 0)
    picked: list[str] = []
    shares = True
    for step in range(size + rules.alternates):
        rest = [c for c in ids if c not in picked]
        if not rest:
            break

        def allowed(c: str, step: int = step) -> bool:
            return step >= size or completable([*picked, c], size)

        chosen = None
        if shares:
            priced = [(p, ids.index(c), c) for c in rest if (p := price(c)) is not None]
            for rho, _, c in sorted(priced):
                if allowed(c):
                    chosen = c
                    for v in approvers[c]:
                        budget[v] -= min(budget[v], rho)
                    break
            if chosen is None:
                shares = False
                load = [-b for b in budget]
        if chosen is None:
            loads = sorted(
                (
                    (1 + sum((load[v] for v in approvers[c]), Fraction(0))) / len(approvers[c]),
                    ids.index(c),
                    c,
                )
                for c in rest
                if approvers[c]
            )
            queue: list[tuple[Fraction | None, str]] = [(t, c) for t, _, c in loads]
            queue += [(None, c) for c in rest if not approvers[c]]
            new, chosen = next((t, c) for t, c in queue if allowed(c))
            if new is not None:
                for v in approvers[chosen]:
                    load[v] = new
        picked.append(chosen)
    return picked[:size], picked[size:]


@settings(max_examples=150, deadline=None)
@given(elections())
def test_outcome_is_feasible_and_as_stated(
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
    best = next(
        (
            k
            for k in range(rules.seats, 0, -1)
            if any(
                satisfies(list(committee), rules.constraints)
                for committee in itertools.combinations(candidates, k)
            )
        ),
        0,
    )
    assert len(result.winners) == best
    assert result.unfilled == rules.seats - best
    assert (result.unfilled_reason is None) == (best == rules.seats)
    if best:
        assert satisfies([by_id[w] for w in result.winners], rules.constraints)
    everyone = [*result.winners, *result.alternates]
    assert len(set(everyone)) == len(everyone)
    assert len(result.alternates) == min(rules.alternates, len(candidates) - best)
    assert [s.picked for s in result.steps] == everyone
    phases = [s.phase for s in result.steps]
    assert phases == sorted(phases, key=[PHASE_EQUAL_SHARES, PHASE_PHRAGMEN].index)
    assert (list(result.winners), list(result.alternates)) == reference(
        candidates, cast, rules, order
    )


@settings(max_examples=60, deadline=None)
@given(elections(), st.randoms(use_true_random=False))
def test_order_of_ballots_and_candidates_does_not_matter(
    election: tuple[list[Candidate], list[ApprovalBallot], SelectionRules, list[str]],
    rng: random.Random,
) -> None:
    candidates, cast, rules, order = election
    try:
        check_rules(rules)
    except DomainError:
        return
    shuffled_candidates, shuffled_cast = list(candidates), list(cast)
    rng.shuffle(shuffled_candidates)
    rng.shuffle(shuffled_cast)
    assert (
        count(shuffled_candidates, shuffled_cast, rules, order).to_json()
        == count(candidates, cast, rules, order).to_json()
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    st.integers(1, 3),
    st.randoms(use_true_random=False),
)
def test_party_lists_with_whole_quotas_are_filled_by_equal_shares(
    sizes: list[int], scale: int, rng: random.Random
) -> None:
    # Parties of s_p × scale voters, each approving its own list of at least s_p × scale
    # candidates; with k = Σ s_p... budgets k/n = 1/scale: party p holds exactly s_p, buys
    # exactly s_p of its candidates, and every seat is bought by Equal Shares.
    seats = sum(sizes)
    candidates = [cand(f"p{p}-{i}") for p, s in enumerate(sizes) for i in range(s + 1)]
    cast = [
        ApprovalBallot(f"v{p}-{v}", frozenset(f"p{p}-{i}" for i in range(s + 1)))
        for p, s in enumerate(sizes)
        for v in range(s * scale)
    ]
    rng.shuffle(cast)
    result = count(candidates, cast, rules(seats), [c.id for c in candidates])
    assert all(s.phase == PHASE_EQUAL_SHARES for s in result.steps)
    for p, s in enumerate(sizes):
        assert sum(1 for w in result.winners if w.startswith(f"p{p}-")) == s


# -- determinism across hash seeds

DETERMINISM = """
import json
from policies.equal_shares import count
from policies.lot import lot_order, lot_seed
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
    method="approval.equal_shares",
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
    rng = random.Random(20300302)
    out: list[dict[str, Any]] = []
    for _ in range(n):
        num_cand = rng.randint(2, 8)
        voters = rng.randint(1, 14)
        out.append(
            {
                "rule": "equal_shares",
                "num_cand": num_cand,
                "committeesize": rng.randint(1, min(num_cand, 5)),
                "ballots": [
                    sorted(rng.sample(range(num_cand), rng.randint(1, min(4, num_cand))))
                    for _ in range(voters)
                ],
            }
        )
    return out


def test_agrees_with_abcvoting() -> None:
    elections = oracle_elections(60)
    answers = run_oracle("oracle_abc.py", elections, timeout=120)
    assert len(answers) == len(elections)
    ties = completed = 0
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
                rules(election["committeesize"]),
                order,
            )
            ours = sorted(int(w[1:]) for w in result.winners)
            assert ours in committees, (election, result.winners, committees)
            completed += any(s.phase == PHASE_PHRAGMEN for s in result.steps)
        ties += len(committees) > 1
    assert ties > 0  # the sample does exercise ties
    assert completed > 0  # ... and the completion
