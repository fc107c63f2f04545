"""A round's schedule: its rules of order and of extension."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from policies.errors import InvalidExtension, InvalidSchedule, WrongPhase
from policies.messages import N_
from policies.phases import TERMINAL, Phase, is_before
from policies.times import iso


class Deadline(StrEnum):
    """The deadlines the secretariat may extend."""

    NOMINATIONS_CLOSE = "nominations_close"
    VOTING_CLOSE = "voting_close"


@dataclass(frozen=True)
class Schedule:
    nominations_open_at: datetime
    nominations_close_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime

    def transitions(self) -> tuple[tuple[Phase, datetime], ...]:
        """Each timed phase and the moment it begins."""
        return (
            (Phase.NOMINATIONS_OPEN, self.nominations_open_at),
            (Phase.NOMINATIONS_CLOSED, self.nominations_close_at),
            (Phase.VOTING_OPEN, self.voting_open_at),
            (Phase.VOTING_CLOSED, self.voting_close_at),
        )

    def deadline(self, which: Deadline) -> datetime:
        if which is Deadline.NOMINATIONS_CLOSE:
            return self.nominations_close_at
        return self.voting_close_at


def validate_schedule(schedule: Schedule) -> None:
    """Windows must be in order: nominations open < close <= voting open < close."""
    for name, value in vars(schedule).items():
        if value.tzinfo is None:
            raise InvalidSchedule(
                N_("%(name)s must carry a time zone, got %(value)s"),
                name=name,
                value=value.isoformat(),
            )
    s = schedule
    if not s.nominations_open_at < s.nominations_close_at:
        raise InvalidSchedule(
            N_(
                "nominations must close after they open: open %(nominations_open_at)s, close "
                "%(nominations_close_at)s"
            ),
            nominations_open_at=iso(s.nominations_open_at),
            nominations_close_at=iso(s.nominations_close_at),
        )
    if not s.nominations_close_at <= s.voting_open_at:
        raise InvalidSchedule(
            N_(
                "voting must open when nominations close or later: nominations close "
                "%(nominations_close_at)s, voting opens %(voting_open_at)s"
            ),
            nominations_close_at=iso(s.nominations_close_at),
            voting_open_at=iso(s.voting_open_at),
        )
    if not s.voting_open_at < s.voting_close_at:
        raise InvalidSchedule(
            N_(
                "voting must close after it opens: open %(voting_open_at)s, close "
                "%(voting_close_at)s"
            ),
            voting_open_at=iso(s.voting_open_at),
            voting_close_at=iso(s.voting_close_at),
        )


def validate_publishable(schedule: Schedule, now: datetime) -> None:
    validate_schedule(schedule)
    if schedule.nominations_close_at <= now:
        raise InvalidSchedule(
            N_(
                "nominations would already be closed: they close %(nominations_close_at)s, it is "
                "now %(now)s"
            ),
            nominations_close_at=iso(schedule.nominations_close_at),
            now=iso(now),
        )


def extend(
    schedule: Schedule, phase: Phase, which: Deadline, new_at: datetime, now: datetime
) -> Schedule:
    """The schedule with ``which`` moved to ``new_at``, or InvalidExtension saying why not."""
    if phase is Phase.DRAFT:
        raise WrongPhase(N_("the round is a draft: edit its schedule instead of extending it"))
    if phase in TERMINAL:
        raise InvalidExtension(
            N_("the round is %(phase)s; no deadline can be extended"), phase=phase.value
        )
    closes = (
        Phase.NOMINATIONS_CLOSED if which is Deadline.NOMINATIONS_CLOSE else Phase.VOTING_CLOSED
    )
    if not is_before(phase, closes):
        raise InvalidExtension(
            N_("%(which)s has passed: the round is already %(phase)s"),
            which=which.value,
            phase=phase.value,
        )
    if new_at.tzinfo is None:
        raise InvalidExtension(
            N_("the new deadline must carry a time zone, got %(new_at)s"), new_at=new_at.isoformat()
        )
    if new_at <= now:
        raise InvalidExtension(
            N_("the new deadline %(new_at)s is in the past; it is now %(now)s"),
            new_at=iso(new_at),
            now=iso(now),
        )
    current = schedule.deadline(which)
    if new_at <= current:
        raise InvalidExtension(
            N_("an extension must move %(which)s later than %(current)s, got %(new_at)s"),
            which=which.value,
            current=iso(current),
            new_at=iso(new_at),
        )
    if which is Deadline.NOMINATIONS_CLOSE:
        if new_at > schedule.voting_open_at:
            raise InvalidExtension(
                N_(
                    "nominations cannot close after voting opens (%(voting_open_at)s), got "
                    "%(new_at)s"
                ),
                voting_open_at=iso(schedule.voting_open_at),
                new_at=iso(new_at),
            )
        return replace(schedule, nominations_close_at=new_at)
    return replace(schedule, voting_close_at=new_at)
