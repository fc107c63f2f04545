"""Sign-on campaigns: their phases, who may sign, the sign-on window and its extension, and
milestones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from policies.errors import InvalidExtension, InvalidInput, InvalidSchedule, WrongPhase
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
            raise InvalidSchedule(f"{name} must carry a time zone, got {value.isoformat()}")
    if not window.opens_at < window.closes_at:
        raise InvalidSchedule(
            f"the sign-on window must close after it opens: opens {iso(window.opens_at)}, "
            f"closes {iso(window.closes_at)}"
        )


def validate_publishable(window: Window, now: datetime) -> None:
    validate_window(window)
    if window.closes_at <= now:
        raise InvalidSchedule(
            f"the sign-on window would already be closed: it closes {iso(window.closes_at)}, "
            f"it is now {iso(now)}"
        )


def extend_close(window: Window, phase: CampaignPhase, new_at: datetime, now: datetime) -> Window:
    """The window with its close moved to ``new_at``, or the reason why not."""
    if phase is CampaignPhase.DRAFT:
        raise WrongPhase("the campaign is a draft: edit its window instead of extending it")
    if not is_before(phase, CampaignPhase.CLOSED):
        raise InvalidExtension(f"the campaign is {phase.value}; its close can no longer move")
    if new_at.tzinfo is None:
        raise InvalidExtension(f"the new close must carry a time zone, got {new_at.isoformat()}")
    if window.closes_at <= now:
        raise InvalidExtension(
            f"the sign-on window closed at {iso(window.closes_at)}; it is now {iso(now)}"
        )
    if new_at <= now:
        raise InvalidExtension(f"the new close {iso(new_at)} is in the past; it is now {iso(now)}")
    if new_at <= window.closes_at:
        raise InvalidExtension(
            f"an extension must move the close later than {iso(window.closes_at)}, "
            f"got {iso(new_at)}"
        )
    return replace(window, closes_at=new_at)


def check_milestones(values: Iterable[int]) -> tuple[int, ...]:
    """Milestones (signatory counts that send a notice) sorted; refused if malformed."""
    found = list(values)
    if len(found) > MAX_MILESTONES:
        raise InvalidInput(f"got {len(found)} milestones, expected at most {MAX_MILESTONES}")
    for value in found:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MILESTONE:
            raise InvalidInput(
                f"got milestone {value!r}, expected a whole number from 1 to {MAX_MILESTONE}"
            )
    if len(set(found)) != len(found):
        raise InvalidInput("each milestone may be given once")
    return tuple(sorted(found))


def crossed(milestones: Sequence[int], count: int, reached: Iterable[int]) -> list[int]:
    """The milestones that ``count`` signatories reach and that were not reached before."""
    done = set(reached)
    return [m for m in milestones if m <= count and m not in done]


def check_eligibility(signers: Signers, constituencies: Sequence[str]) -> None:
    if signers is Signers.MEMBERS and not constituencies:
        raise InvalidInput("a members-only campaign must name at least one constituency")
    if signers is Signers.ANY and constituencies:
        raise InvalidInput(
            "constituencies are named only when signers is 'members'; any organisation may "
            "sign an open campaign"
        )
    if len(set(constituencies)) != len(constituencies):
        raise InvalidInput("each constituency may be named once")
