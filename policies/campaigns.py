"""Sign-on campaigns: their phases, who may sign, the sign-on window and its extension, and
milestones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from policies.errors import InvalidExtension, InvalidInput, InvalidSchedule, WrongPhase
from policies.messages import N_
from policies.times import iso

MAX_MILESTONES = 20
MAX_MILESTONE = 1_000_000


class CampaignPhase(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # the text is frozen; the window has not opened yet
    OPEN = "open"
    CLOSED = "closed"  # no more signatures; the signatory record is being made
    CONCLUDED = "concluded"  # the signed signatory record is published


ORDER: tuple[CampaignPhase, ...] = tuple(CampaignPhase)


def is_before(phase: CampaignPhase, other: CampaignPhase) -> bool:
    return ORDER.index(phase) < ORDER.index(other)


class Signers(StrEnum):
    """Who may sign: any organisation, or member organisations of named constituencies."""

    ANY = "any"
    MEMBERS = "members"


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime


def validate_window(window: Window) -> None:
    for name, value in vars(window).items():
        if value.tzinfo is None:
            raise InvalidSchedule(
                N_("%(name)s must carry a time zone, got %(value)s"),
                name=name,
                value=value.isoformat(),
            )
    if not window.opens_at < window.closes_at:
        raise InvalidSchedule(
            N_(
                "the sign-on window must close after it opens: opens %(opens_at)s, closes "
                "%(closes_at)s"
            ),
            opens_at=iso(window.opens_at),
            closes_at=iso(window.closes_at),
        )


def validate_publishable(window: Window, now: datetime) -> None:
    validate_window(window)
    if window.closes_at <= now:
        raise InvalidSchedule(
            N_(
                "the sign-on window would already be closed: it closes %(closes_at)s, it is now "
                "%(now)s"
            ),
            closes_at=iso(window.closes_at),
            now=iso(now),
        )


def extend_close(window: Window, phase: CampaignPhase, new_at: datetime, now: datetime) -> Window:
    """The window with its close moved to ``new_at``, or the reason why not."""
    if phase is CampaignPhase.DRAFT:
        raise WrongPhase(N_("the campaign is a draft: edit its window instead of extending it"))
    if not is_before(phase, CampaignPhase.CLOSED):
        raise InvalidExtension(
            N_("the campaign is %(phase)s; its close can no longer move"), phase=phase.value
        )
    if new_at.tzinfo is None:
        raise InvalidExtension(
            N_("the new close must carry a time zone, got %(new_at)s"), new_at=new_at.isoformat()
        )
    if window.closes_at <= now:
        raise InvalidExtension(
            N_("the sign-on window closed at %(closes_at)s; it is now %(now)s"),
            closes_at=iso(window.closes_at),
            now=iso(now),
        )
    if new_at <= now:
        raise InvalidExtension(
            N_("the new close %(new_at)s is in the past; it is now %(now)s"),
            new_at=iso(new_at),
            now=iso(now),
        )
    if new_at <= window.closes_at:
        raise InvalidExtension(
            N_("an extension must move the close later than %(closes_at)s, got %(new_at)s"),
            closes_at=iso(window.closes_at),
            new_at=iso(new_at),
        )
    return replace(window, closes_at=new_at)


def check_milestones(values: Iterable[int]) -> tuple[int, ...]:
    """Milestones (signatory counts that send a notice) sorted; refused if malformed."""
    found = list(values)
    if len(found) > MAX_MILESTONES:
        raise InvalidInput(
            N_("got %(n_found)s milestones, expected at most %(max_milestones)s"),
            n_found=len(found),
            max_milestones=MAX_MILESTONES,
        )
    for value in found:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MILESTONE:
            raise InvalidInput(
                N_("got milestone %(value)s, expected a whole number from 1 to %(max_milestone)s"),
                value=repr(value),
                max_milestone=MAX_MILESTONE,
            )
    if len(set(found)) != len(found):
        raise InvalidInput(N_("each milestone may be given once"))
    return tuple(sorted(found))


def crossed(milestones: Sequence[int], count: int, reached: Iterable[int]) -> list[int]:
    """The milestones that ``count`` signatories reach and that were not reached before."""
    done = set(reached)
    return [m for m in milestones if m <= count and m not in done]


def check_eligibility(signers: Signers, constituencies: Sequence[str]) -> None:
    if signers is Signers.MEMBERS and not constituencies:
        raise InvalidInput(N_("a members-only campaign must name at least one constituency"))
    if signers is Signers.ANY and constituencies:
        raise InvalidInput(
            N_(
                "constituencies are named only when signers is 'members'; any organisation may "
                "sign an open campaign"
            )
        )
    if len(set(constituencies)) != len(constituencies):
        raise InvalidInput(N_("each constituency may be named once"))
