"""A round's schedule: the order of its windows and the rules of extension."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from policies.errors import InvalidExtension, InvalidSchedule, WrongPhase
from policies.phases import Phase
from policies.schedule import (
    Deadline,
    Schedule,
    extend,
    validate_publishable,
    validate_schedule,
)

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def good() -> Schedule:
    return Schedule(
        nominations_open_at=T0,
        nominations_close_at=T0 + 7 * DAY,
        voting_open_at=T0 + 9 * DAY,
        voting_close_at=T0 + 14 * DAY,
    )


NOW = T0 + DAY  # while nominations are open


def test_good_schedule_is_valid() -> None:
    validate_schedule(good())
    validate_publishable(good(), T0 - DAY)


def test_voting_may_open_when_nominations_close() -> None:
    validate_schedule(dataclasses.replace(good(), voting_open_at=T0 + 7 * DAY))


def test_any_aware_time_zone_is_accepted() -> None:
    plus_two = timezone(timedelta(hours=2))
    s = good()
    validate_schedule(
        dataclasses.replace(s, nominations_open_at=s.nominations_open_at.astimezone(plus_two))
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"nominations_close_at": T0},
            "nominations must close after they open: open 2030-03-01T09:00:00Z, "
            "close 2030-03-01T09:00:00Z",
        ),
        (
            {"nominations_close_at": T0 - DAY},
            "nominations must close after they open: open 2030-03-01T09:00:00Z, "
            "close 2030-02-28T09:00:00Z",
        ),
        (
            {"voting_open_at": T0 + 6 * DAY},
            "voting must open when nominations close or later: nominations close "
            "2030-03-08T09:00:00Z, voting opens 2030-03-07T09:00:00Z",
        ),
        (
            {"voting_close_at": T0 + 9 * DAY},
            "voting must close after it opens: open 2030-03-10T09:00:00Z, "
            "close 2030-03-10T09:00:00Z",
        ),
        (
            {"voting_close_at": T0 + 8 * DAY},
            "voting must close after it opens: open 2030-03-10T09:00:00Z, "
            "close 2030-03-09T09:00:00Z",
        ),
    ],
)
def test_wrong_order_is_refused(changes: dict[str, datetime], expected: str) -> None:
    with pytest.raises(InvalidSchedule) as info:
        validate_schedule(dataclasses.replace(good(), **changes))
    assert info.value.detail == expected
    assert info.value.code == "invalid_schedule"


@pytest.mark.parametrize(
    "field",
    ["nominations_open_at", "nominations_close_at", "voting_open_at", "voting_close_at"],
)
def test_naive_times_are_refused(field: str) -> None:
    naive = getattr(good(), field).replace(tzinfo=None)
    with pytest.raises(InvalidSchedule) as info:
        validate_schedule(dataclasses.replace(good(), **{field: naive}))
    assert info.value.detail == f"{field} must carry a time zone, got {naive.isoformat()}"


def test_publishable_refuses_closed_nominations() -> None:
    with pytest.raises(InvalidSchedule) as info:
        validate_publishable(good(), T0 + 7 * DAY)
    assert info.value.detail == (
        "nominations would already be closed: they close 2030-03-08T09:00:00Z, "
        "it is now 2030-03-08T09:00:00Z"
    )
    # Publishing while nominations are already open (but not yet closed) is allowed.
    validate_publishable(good(), T0 + 7 * DAY - timedelta(seconds=1))


def test_publishable_also_checks_the_order() -> None:
    with pytest.raises(InvalidSchedule, match="voting must close after it opens"):
        validate_publishable(dataclasses.replace(good(), voting_close_at=T0), T0 - DAY)


# --- extend ------------------------------------------------------------------------------


def test_extend_nominations_close() -> None:
    new_at = T0 + 8 * DAY
    result = extend(good(), Phase.NOMINATIONS_OPEN, Deadline.NOMINATIONS_CLOSE, new_at, NOW)
    assert result == dataclasses.replace(good(), nominations_close_at=new_at)


def test_extend_nominations_close_up_to_voting_open() -> None:
    new_at = good().voting_open_at
    result = extend(good(), Phase.PUBLISHED, Deadline.NOMINATIONS_CLOSE, new_at, NOW)
    assert result.nominations_close_at == new_at
    validate_schedule(result)


@pytest.mark.parametrize(
    "phase",
    [Phase.PUBLISHED, Phase.NOMINATIONS_OPEN, Phase.NOMINATIONS_CLOSED, Phase.VOTING_OPEN],
)
def test_extend_voting_close(phase: Phase) -> None:
    new_at = T0 + 20 * DAY
    result = extend(good(), phase, Deadline.VOTING_CLOSE, new_at, NOW)
    assert result == dataclasses.replace(good(), voting_close_at=new_at)


@pytest.mark.parametrize("which", list(Deadline))
def test_extend_refused_in_draft(which: Deadline) -> None:
    with pytest.raises(WrongPhase) as info:
        extend(good(), Phase.DRAFT, which, T0 + 30 * DAY, NOW)
    assert "draft" in info.value.detail
    assert "edit its schedule" in info.value.detail


@pytest.mark.parametrize("phase", [Phase.CANCELLED, Phase.DECIDED])
@pytest.mark.parametrize("which", list(Deadline))
def test_extend_refused_when_terminal(phase: Phase, which: Deadline) -> None:
    with pytest.raises(InvalidExtension) as info:
        extend(good(), phase, which, T0 + 30 * DAY, NOW)
    assert info.value.detail == f"the round is {phase.value}; no deadline can be extended"


@pytest.mark.parametrize(
    ("which", "phase"),
    [
        (Deadline.NOMINATIONS_CLOSE, Phase.NOMINATIONS_CLOSED),
        (Deadline.NOMINATIONS_CLOSE, Phase.VOTING_OPEN),
        (Deadline.NOMINATIONS_CLOSE, Phase.COUNTING),
        (Deadline.VOTING_CLOSE, Phase.VOTING_CLOSED),
        (Deadline.VOTING_CLOSE, Phase.COUNTING),
    ],
)
def test_extend_refused_after_the_deadline_passed(which: Deadline, phase: Phase) -> None:
    with pytest.raises(InvalidExtension) as info:
        extend(good(), phase, which, T0 + 8 * DAY, NOW)
    assert info.value.detail == f"{which.value} has passed: the round is already {phase.value}"
    assert info.value.code == "invalid_extension"


def test_extend_refuses_a_time_in_the_past() -> None:
    now = T0 + 8 * DAY + timedelta(hours=12)
    with pytest.raises(InvalidExtension) as info:
        extend(good(), Phase.NOMINATIONS_OPEN, Deadline.NOMINATIONS_CLOSE, T0 + 8 * DAY, now)
    assert info.value.detail == (
        "the new deadline 2030-03-09T09:00:00Z is in the past; it is now 2030-03-09T21:00:00Z"
    )


def test_extend_refuses_now_itself() -> None:
    with pytest.raises(InvalidExtension, match="is in the past"):
        extend(good(), Phase.VOTING_OPEN, Deadline.VOTING_CLOSE, NOW, NOW)


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(hours=1)])
def test_extend_must_move_later(offset: timedelta) -> None:
    new_at = good().voting_close_at + offset
    with pytest.raises(InvalidExtension) as info:
        extend(good(), Phase.VOTING_OPEN, Deadline.VOTING_CLOSE, new_at, NOW)
    assert info.value.detail.startswith(
        "an extension must move voting_close later than 2030-03-15T09:00:00Z, got "
    )


def test_extend_nominations_not_past_voting_open() -> None:
    new_at = good().voting_open_at + timedelta(seconds=1)
    with pytest.raises(InvalidExtension) as info:
        extend(good(), Phase.NOMINATIONS_OPEN, Deadline.NOMINATIONS_CLOSE, new_at, NOW)
    assert info.value.detail == (
        "nominations cannot close after voting opens (2030-03-10T09:00:00Z), "
        "got 2030-03-10T09:00:01Z"
    )


def test_extend_refuses_a_naive_time() -> None:
    naive = (T0 + 8 * DAY).replace(tzinfo=None)
    with pytest.raises(InvalidExtension, match="must carry a time zone"):
        extend(good(), Phase.NOMINATIONS_OPEN, Deadline.NOMINATIONS_CLOSE, naive, NOW)


# --- property ----------------------------------------------------------------------------

_seconds = st.integers(min_value=1, max_value=60 * 24 * 3600)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    start = T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=365 * 24 * 3600)))
    close = start + timedelta(seconds=draw(_seconds))
    v_open = close + timedelta(seconds=draw(st.integers(min_value=0, max_value=30 * 24 * 3600)))
    v_close = v_open + timedelta(seconds=draw(_seconds))
    return Schedule(start, close, v_open, v_close)


_DEADLINE_FIELD = {
    Deadline.NOMINATIONS_CLOSE: "nominations_close_at",
    Deadline.VOTING_CLOSE: "voting_close_at",
}


_OPEN_FOR = {
    Deadline.NOMINATIONS_CLOSE: [Phase.PUBLISHED, Phase.NOMINATIONS_OPEN],
    Deadline.VOTING_CLOSE: [
        Phase.PUBLISHED,
        Phase.NOMINATIONS_OPEN,
        Phase.NOMINATIONS_CLOSED,
        Phase.VOTING_OPEN,
    ],
}


@st.composite
def extension_requests(draw: st.DrawFn) -> tuple[Schedule, Phase, Deadline, datetime, datetime]:
    """Mostly acceptable requests, with some of every kind of refusal mixed in."""
    schedule = draw(schedules())
    which = draw(st.sampled_from(list(Deadline)))
    phase = draw(st.one_of(st.sampled_from(_OPEN_FOR[which]), st.sampled_from(list(Phase))))
    new_at = schedule.deadline(which) + timedelta(
        seconds=draw(st.integers(min_value=-3600, max_value=5 * 24 * 3600))
    )
    now = new_at - timedelta(seconds=draw(st.integers(min_value=-3600, max_value=60 * 24 * 3600)))
    return schedule, phase, which, new_at, now


@settings(max_examples=100, deadline=None)
@given(request=extension_requests())
def test_accepted_extension_keeps_schedule_valid(
    request: tuple[Schedule, Phase, Deadline, datetime, datetime],
) -> None:
    schedule, phase, which, new_at, now = request
    validate_schedule(schedule)
    try:
        result = extend(schedule, phase, which, new_at, now)
    except (InvalidExtension, WrongPhase):
        event("refused")
        return
    event("accepted")
    validate_schedule(result)
    assert result.deadline(which) == new_at
    assert new_at > schedule.deadline(which)
    assert new_at > now
    for field in vars(schedule):
        if field != _DEADLINE_FIELD[which]:
            assert getattr(result, field) == getattr(schedule, field), field
