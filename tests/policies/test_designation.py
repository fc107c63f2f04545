"""Designation: a decision takes effect when a quorum of coordinators approves it."""

from __future__ import annotations

import pytest

from policies.designation import Approval, Decision, InvalidDecision, check_decision, count
from policies.rules import Candidate, Constraint, SelectionRules

POOL = [
    Candidate("ana", {"gender": "woman", "region": "africa"}),
    Candidate("ben", {"gender": "man", "region": "africa"}),
    Candidate("cai", {"gender": "man", "region": "asia"}),
    Candidate("dee", {"gender": "woman", "region": "europe"}),
]
RULES = SelectionRules(
    seats=2,
    alternates=1,
    method="designation",
    quorum=2,
    constraints=(Constraint("gender", "woman", min=1), Constraint("region", None, max=1)),
)


def test_the_first_decision_to_reach_the_quorum_takes_effect() -> None:
    first = Decision(("ana", "cai"), ("dee",))
    second = Decision(("dee", "ben"))
    approvals = [
        Approval("k1", first.hash),
        Approval("k2", second.hash),
        Approval("k3", second.hash),  # second reaches 2 first
        Approval("k2", first.hash),  # first reaches 2 later: too late
    ]
    result = count(POOL, [first, second], approvals, RULES)
    assert result.winners == ("dee", "ben")
    assert result.alternates == ()
    assert result.unfilled == 0
    assert result.details["decision_hash"] == second.hash
    assert [s.approvals for s in result.steps] == [1, 1, 2, 2]
    assert "takes effect" in result.steps[2].note
    assert "withdrawing" in result.steps[3].note


def test_a_coordinator_who_changes_their_mind_counts_once() -> None:
    first = Decision(("ana", "cai"))
    second = Decision(("dee", "ben"))
    approvals = [
        Approval("k1", first.hash),
        Approval("k1", second.hash),
        Approval("k2", first.hash),  # first has only k2 now
    ]
    result = count(POOL, [first, second], approvals, RULES)
    assert result.winners == ()
    assert result.unfilled == 2
    assert result.unfilled_reason is not None
    assert "quorum of 2" in result.unfilled_reason


@pytest.mark.parametrize(
    ("decision", "why"),
    [
        (Decision(("ben", "cai")), "at least 1 with gender=woman"),
        (Decision(("ana", "ben")), "at most 1 per region"),
        (Decision(("ana",)), "seats 1, expected 2"),
        (Decision(("ana", "zed")), "not standing: zed"),
        (Decision(("ana", "ana")), "twice"),
        (Decision(("ana", "cai"), ("dee", "ben")), "allow 1"),
    ],
)
def test_decisions_the_rules_do_not_allow_are_refused(decision: Decision, why: str) -> None:
    with pytest.raises(InvalidDecision, match=why):
        check_decision(decision, POOL, RULES)


def test_fewer_seats_when_the_constraints_allow_no_more() -> None:
    pool = POOL[:2]  # two from africa, one seat per region
    rules = SelectionRules(
        seats=2, method="designation", quorum=1, constraints=(Constraint("region", None, max=1),)
    )
    check_decision(Decision(("ana",)), pool, rules)
    result = count(pool, [Decision(("ana",))], [Approval("k1", Decision(("ana",)).hash)], rules)
    assert result.winners == ("ana",)
    assert result.unfilled == 1


def test_the_decision_hash_is_its_canonical_json() -> None:
    import hashlib

    d = Decision(("b", "a"), ("c",))
    text = '{"alternates":["c"],"winners":["b","a"]}'
    assert d.hash == hashlib.sha256(text.encode()).hexdigest()
    assert Decision.from_json(d.to_json()) == d
    with pytest.raises(InvalidDecision):
        Decision.from_json({"winners": "ab"})
