"""The published criteria document: canonical, ordered, and hashed stably."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from policies.criteria import CRITERIA_FORMAT, round_criteria
from policies.rules import SelectionRules
from policies.schedule import Schedule
from records.canonical import canonical_hash, canonical_json, parse_canonical

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
SCHEDULE = Schedule(
    nominations_open_at=T0,
    nominations_close_at=T0 + timedelta(days=7),
    voting_open_at=T0 + timedelta(days=9),
    voting_close_at=T0 + timedelta(days=14, microseconds=500),
)
PARTICIPANTS = [
    {"constituency_id": "c-3", "seats": 2},
    {"constituency_id": "c-1", "seats": 1},
    {"constituency_id": "c-2", "seats": 3},
]
SEGMENTS = [{"id": "plenary", "label": "Plenary", "languages": ["en", "fr", "es", "ar"]}]


def criteria(
    participants: list[dict[str, Any]] | None = None, schedule: Schedule = SCHEDULE
) -> dict[str, Any]:
    return round_criteria(
        round_id="r-1",
        version=1,
        title="Civil society panel 2030",
        segments=SEGMENTS,
        participants=PARTICIPANTS if participants is None else participants,
        schedule=schedule,
        rules={
            str(p["constituency_id"]): SelectionRules(seats=cast(int, p["seats"])).to_json()
            for p in (PARTICIPANTS if participants is None else participants)
        },
    )


def _walk(value: object) -> list[object]:
    found = [value]
    if isinstance(value, dict):
        for k, v in value.items():
            found += [k, *_walk(v)]
    elif isinstance(value, list | tuple):
        for v in value:
            found += _walk(v)
    return found


def test_criteria_canonicalise() -> None:
    doc = criteria()
    data = canonical_json(doc)
    assert parse_canonical(data) == doc
    assert doc["format"] == CRITERIA_FORMAT
    assert doc["version"] == 1
    assert doc["segments"] == SEGMENTS


def test_no_floats_and_only_json_types() -> None:
    for value in _walk(criteria()):
        assert not isinstance(value, float), value
        assert value is None or isinstance(value, dict | list | str | int | bool), type(value)


def test_participants_sorted_by_constituency() -> None:
    doc = criteria()
    assert [p["constituency_id"] for p in doc["participants"]] == ["c-1", "c-2", "c-3"]
    assert doc["participants"][0] == {
        "constituency_id": "c-1",
        "seats": 1,
        "rules": SelectionRules(seats=1).to_json(),
    }


def test_participants_keep_only_id_seats_and_rules() -> None:
    extra = [{**PARTICIPANTS[0], "note": "internal"}]
    assert criteria(extra)["participants"] == [
        {"constituency_id": "c-3", "seats": 2, "rules": SelectionRules(seats=2).to_json()}
    ]


def test_schedule_times_are_utc_strings() -> None:
    assert criteria()["schedule"] == {
        "nominations_open_at": "2030-03-01T09:00:00Z",
        "nominations_close_at": "2030-03-08T09:00:00Z",
        "voting_open_at": "2030-03-10T09:00:00Z",
        "voting_close_at": "2030-03-15T09:00:00.000500Z",
    }


def test_hash_stable_across_participant_order() -> None:
    first = canonical_hash(criteria())
    assert canonical_hash(criteria(list(reversed(PARTICIPANTS)))) == first
    assert canonical_hash(criteria(sorted(PARTICIPANTS, key=lambda p: p["seats"]))) == first


def test_hash_changes_with_seats() -> None:
    changed = [dict(p) for p in PARTICIPANTS]
    changed[1]["seats"] = 2
    assert canonical_hash(criteria(changed)) != canonical_hash(criteria())


def test_hash_changes_with_schedule() -> None:
    later = Schedule(
        SCHEDULE.nominations_open_at,
        SCHEDULE.nominations_close_at + timedelta(seconds=1),
        SCHEDULE.voting_open_at,
        SCHEDULE.voting_close_at,
    )
    assert canonical_hash(criteria(schedule=later)) != canonical_hash(criteria())


def test_same_instants_in_another_zone_give_the_same_criteria() -> None:
    plus_two = timezone(timedelta(hours=2))
    shifted = Schedule(*(t.astimezone(plus_two) for t in vars(SCHEDULE).values()))
    assert shifted == SCHEDULE  # the same instants
    assert criteria(schedule=shifted) == criteria()
