"""Minimum notice: the least time people are given to act, published in the criteria.

Past forums gave constituencies 12 to 24 hours to propose speakers. Each round's criteria
carry these minimums (in seconds); publishing a schedule that breaks one is refused, and an
extension can only lengthen a window. The deployment's defaults (``MANDATE_NOTICE_*``) apply
where a round does not set its own; a round may set shorter ones, and then says so in public.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from policies.errors import InvalidSchedule
from policies.messages import N_, NP_, Phrase, phrase
from policies.schedule import Schedule
from policies.times import iso

DAY = 86_400


@dataclass(frozen=True)
class MinimumNotice:
    """Seconds. ``nominations``: from publication to the nominations deadline; ``consent``: the
    least time a nominee has to answer (nominations close this long before the deadline);
    ``voting``: how long voting stays open; ``acceptance``: the least time a selected speaker
    has to accept a seat."""

    nominations: int = 14 * DAY
    consent: int = 3 * DAY
    voting: int = 3 * DAY
    acceptance: int = 3 * DAY

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @staticmethod
    def from_json(data: Mapping[str, Any], defaults: MinimumNotice) -> MinimumNotice:
        """``data`` over ``defaults``: a round sets only what it changes."""
        return MinimumNotice(**{**defaults.to_json(), **{k: int(v) for k, v in data.items()}})


NO_MINIMUM = MinimumNotice(0, 0, 0, 0)


def spoken(seconds: int) -> str:
    """A duration as people say it: 14 days, 36 hours, 90 minutes."""
    if seconds % DAY == 0 and seconds >= DAY:
        return f"{seconds // DAY} day{'s' if seconds != DAY else ''}"
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60} minute{'s' if seconds != 60 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def check_notice(schedule: Schedule, notice: MinimumNotice, published_at: datetime) -> None:
    """Refuse a schedule, about to be published at ``published_at``, that gives less time
    than the minimums; each refusal says which window, how long it is and the least allowed."""
    given = schedule.nominations_close_at - published_at
    if given < timedelta(seconds=notice.nominations):
        raise InvalidSchedule(
            N_(
                "nominations would close %(given)s after publication (%(close)s); the minimum "
                "notice is %(minimum)s: move nominations_close_at to %(earliest)s or later"
            ),
            given=_short(given),
            close=iso(schedule.nominations_close_at),
            minimum=said(notice.nominations),
            earliest=iso(published_at + timedelta(seconds=notice.nominations)),
        )
    window = schedule.nominations_close_at - max(schedule.nominations_open_at, published_at)
    if window <= timedelta(seconds=notice.consent):
        raise InvalidSchedule(
            N_(
                "nominations are open for %(window)s, and each nominee needs %(consent)s to "
                "consent: nominations must stay open longer than that"
            ),
            window=_short(window),
            consent=said(notice.consent),
        )
    voting = schedule.voting_close_at - schedule.voting_open_at
    if voting < timedelta(seconds=notice.voting):
        raise InvalidSchedule(
            N_(
                "voting would be open for %(voting)s; the minimum is %(minimum)s: move "
                "voting_close_at to %(earliest)s or later"
            ),
            voting=_short(voting),
            minimum=said(notice.voting),
            earliest=iso(schedule.voting_open_at + timedelta(seconds=notice.voting)),
        )


def last_nomination_at(schedule: Schedule, notice: MinimumNotice) -> datetime:
    """The last moment a nomination is accepted: its nominee still has the consent minimum."""
    return schedule.nominations_close_at - timedelta(seconds=notice.consent)


def said(seconds: int) -> Phrase:
    """``spoken``, as a part of a sentence said in the reader's language (policies/messages)."""
    if seconds % DAY == 0 and seconds >= DAY:
        return phrase(NP_("%(n)s day", "%(n)s days"), n=seconds // DAY)
    if seconds % 3600 == 0 and seconds >= 3600:
        return phrase(NP_("%(n)s hour", "%(n)s hours"), n=seconds // 3600)
    if seconds % 60 == 0 and seconds >= 60:
        return phrase(NP_("%(n)s minute", "%(n)s minutes"), n=seconds // 60)
    return phrase(NP_("%(n)s second", "%(n)s seconds"), n=seconds)


def _short(delta: timedelta) -> Phrase:
    """A length of time to a tenth of a day or hour; in English "2.5 days", "3.0 hours"."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds >= DAY:
        return phrase(N_("%(n)s days"), n=f"{seconds / DAY:.1f}")
    if seconds >= 3600:
        return phrase(N_("%(n)s hours"), n=f"{seconds / 3600:.1f}")
    return said(seconds)
