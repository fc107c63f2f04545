"""Minimum notice: the defaults make a 12 to 24 hour deadline impossible; a round may set its
own, and each refusal says which window is too short and what would do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policies.errors import InvalidSchedule
from policies.notice import (
    DAY,
    NO_MINIMUM,
    MinimumNotice,
    check_notice,
    last_nomination_at,
    spoken,
)
from policies.schedule import Schedule

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def schedule(nominations_hours: float, voting_hours: float, opens_hours: float = 0) -> Schedule:
    opens = NOW + timedelta(hours=opens_hours)
    closes = NOW + timedelta(hours=nominations_hours)
    return Schedule(opens, closes, closes, closes + timedelta(hours=voting_hours))


@pytest.mark.parametrize("hours", [12, 24, 24 * 13.9])
def test_the_defaults_refuse_a_nominations_deadline_within_14_days(hours: float) -> None:
    with pytest.raises(InvalidSchedule) as refused:
        check_notice(schedule(hours, 24 * 7), MinimumNotice(), NOW)
    assert "the minimum notice is 14 days" in refused.value.detail
    assert "move nominations_close_at to 2027-03-15T09:00:00Z or later" in refused.value.detail


def test_the_defaults_refuse_a_day_of_voting_and_accept_a_fair_schedule() -> None:
    with pytest.raises(InvalidSchedule, match=r"voting would be open for 1\.0 days; the minimum"):
        check_notice(schedule(24 * 14, 24), MinimumNotice(), NOW)
    check_notice(schedule(24 * 14, 24 * 3), MinimumNotice(), NOW)


def test_nominations_must_stay_open_longer_than_the_consent_minimum() -> None:
    notice = MinimumNotice(nominations=0, consent=3 * DAY, voting=0)
    with pytest.raises(InvalidSchedule, match="each nominee needs 3 days to consent"):
        check_notice(schedule(48, 1, opens_hours=0), notice, NOW)
    check_notice(schedule(96, 1), notice, NOW)
    assert last_nomination_at(schedule(96, 1), notice) == NOW + timedelta(hours=24)


def test_a_round_sets_its_own_minimums_over_the_defaults() -> None:
    own = MinimumNotice.from_json({"nominations": 3600}, MinimumNotice())
    assert own == MinimumNotice(nominations=3600, consent=3 * DAY, voting=3 * DAY)
    assert MinimumNotice.from_json({}, NO_MINIMUM) == NO_MINIMUM
    check_notice(schedule(2, 0.5, opens_hours=0), MinimumNotice.from_json({}, NO_MINIMUM), NOW)


def test_durations_are_said_as_people_say_them() -> None:
    assert [spoken(s) for s in (DAY, 14 * DAY, 3600, 36 * 3600, 90 * 60, 1, 45)] == [
        "1 day",
        "14 days",
        "1 hour",
        "36 hours",
        "90 minutes",
        "1 second",
        "45 seconds",
    ]
