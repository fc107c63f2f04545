"""The offline checks of seats, on entries made by hand: a sound chain passes; a lapse before
the deadline, an answer after it, a broken chain and a confirmation of a seat nobody accepted
are each reported with their entry."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import Candidate, Constraint, SelectionRules
from policies.seats import SUBSTITUTION
from records.canonical import canonical_hash
from records.seat_check import SeatLog

CID = "c-1"
RULES = SelectionRules(seats=2, alternates=2, constraints=(Constraint("gender", "woman", min=1),))
CRITERIA = {
    "substitution": SUBSTITUTION,
    "participants": [{"constituency_id": CID, "seats": 2, "rules": RULES.to_json()}],
}
CANDIDATES = {
    CID: (
        3,
        [
            Candidate("a", {"gender": "man"}),
            Candidate("b", {"gender": "woman"}),
            Candidate("c", {"gender": "man"}),
            Candidate("d", {"gender": "woman"}),
        ],
    )
}
OUTCOME = {
    "constituency_id": CID,
    "outcome_hash": "0" * 64,
    "winners": ["a", "b"],
    "alternates": ["c", "d"],
}
T = "2026-01-0{}T12:00:00Z"


def _entries(**change: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """a accepts; b declines and d (c skipped) accepts; then confirmed."""
    amended = {
        "constituency_id": CID,
        "outcome_hash": OUTCOME["outcome_hash"],
        "previous": OUTCOME["outcome_hash"],
        "substitution": SUBSTITUTION,
        "seat": 2,
        "vacated": "b",
        "reason": "declined",
        "successor": "d",
        "skipped": ["c"],
        "deadline": T.format(6),
        "seats": ["a", "d"],
        **change.get("amended", {}),
    }
    return [
        (
            "seats.offered",
            T.format(1),
            {
                "constituency_id": CID,
                "outcome_hash": OUTCOME["outcome_hash"],
                "substitution": SUBSTITUTION,
                "seats": [
                    {"seat": 1, "nomination_id": "a", "deadline": T.format(4)},
                    {"seat": 2, "nomination_id": "b", "deadline": T.format(4)},
                ],
            },
        ),
        (
            "seat.accepted",
            change.get("a_at", T.format(2)),
            {"constituency_id": CID, "seat": 1, "nomination_id": "a"},
        ),
        ("seat.declined", T.format(3), {"constituency_id": CID, "seat": 2, "nomination_id": "b"}),
        ("outcome.amended", T.format(3), amended),
        *(
            []
            if change.get("d_silent")
            else [
                (
                    "seat.accepted",
                    T.format(5),
                    {"constituency_id": CID, "seat": 2, "nomination_id": "d"},
                )
            ]
        ),
        (
            "seats.confirmed",
            T.format(5),
            {
                "constituency_id": CID,
                "outcome_hash": OUTCOME["outcome_hash"],
                "head": canonical_hash(amended),
                "seats": ["a", "d"],
                "empty": 0,
            },
        ),
    ]


def _problems(entries: list[tuple[str, str, dict[str, Any]]]) -> tuple[list[str], list[str]]:
    seats = SeatLog()
    for i, (kind, at, data) in enumerate(entries, start=10):
        assert seats.read(i, kind, at, data) is None
    problems: list[str] = []
    checked: list[str] = []
    seats.check(
        lambda where, what: problems.append(f"{where}: {what}"),
        checked,
        [(5, OUTCOME)],
        CANDIDATES,
        CRITERIA,
    )
    return problems, checked


def test_a_sound_chain_passes() -> None:
    problems, checked = _problems(_entries())
    assert problems == []
    assert "1 amendment(s) recomputed" in checked[0]
    assert "constraints met" in checked[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"a_at": T.format(4)}, "entry 11: a answered at"),  # at the deadline: too late
        ({"amended": {"successor": "c", "skipped": []}}, "the published alternates"),
        ({"amended": {"previous": "1" * 64}}, "does not chain"),
        ({"amended": {"reason": "lapsed"}}, "before their deadline"),
        ({"amended": {"substitution": "seats.anyone/1"}}, "not the criteria's"),
        ({"d_silent": True}, "confirms seats not accepted: d"),
    ],
)
def test_each_fault_is_reported(change: dict[str, Any], expected: str) -> None:
    problems, _ = _problems(_entries(**change))
    assert any(expected in p for p in problems), problems
