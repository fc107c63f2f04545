"""A round's deadlines as calendar events: what each one is, when, and how often it moved.

Pure: the store gathers the rounds and how many times each deadline was extended; the API
writes the events as iCalendar (RFC 5545). An event's uid stays the same when its deadline
moves and its sequence counts the moves, so a subscribed calendar updates it in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.notice import MinimumNotice, last_nomination_at
from policies.phases import Phase
from policies.schedule import Deadline, Schedule


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    at: datetime
    summary: str
    description: str
    sequence: int  # how many times this deadline moved
    cancelled: bool
    url: str


def round_events(
    *,
    round_id: str,
    title: str,
    phase: Phase,
    schedule: Schedule,
    notice: MinimumNotice,
    moved: Mapping[Deadline, int],
    url: str,
    host: str,
) -> list[CalendarEvent]:
    """Every deadline of a published round, in time order."""
    cancelled = phase is Phase.CANCELLED
    nominations = moved.get(Deadline.NOMINATIONS_CLOSE, 0)
    voting = moved.get(Deadline.VOTING_CLOSE, 0)
    rows: list[tuple[str, datetime, str, str, int]] = [
        (
            "nominations-open",
            schedule.nominations_open_at,
            "Nominations open",
            "Member organisations may nominate speakers from now on.",
            0,
        ),
    ]
    last = last_nomination_at(schedule, notice)
    if last < schedule.nominations_close_at:
        rows.append(
            (
                "last-nomination",
                last,
                "Last moment to nominate",
                f"New nominations close now, so that each nominee has "
                f"{_days(schedule.nominations_close_at - last)} to consent.",
                nominations,
            )
        )
    rows += [
        (
            "nominations-close",
            schedule.nominations_close_at,
            "Nominations close",
            "Last moment to nominate, endorse and consent; the candidate list is then fixed.",
            nominations,
        ),
        (
            "voting-open",
            schedule.voting_open_at,
            "Voting opens",
            "Member organisations may vote from now on.",
            0,
        ),
        (
            "voting-close",
            schedule.voting_close_at,
            "Voting closes",
            "Last moment to vote; the count follows.",
            voting,
        ),
    ]
    return [
        CalendarEvent(
            uid=f"{round_id}-{key}@{host}",
            at=at,
            summary=f"{summary}: {title}",
            description=description,
            sequence=sequence,
            cancelled=cancelled,
            url=url,
        )
        for key, at, summary, description, sequence in sorted(rows, key=lambda r: r[1])
    ]


def _days(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 24 and hours % 24 == 0:
        return f"{hours // 24} day{'s' if hours != 24 else ''}"
    return f"{int(delta.total_seconds())} seconds" if hours == 0 else f"{hours} hours"
