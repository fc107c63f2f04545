"""The phases a selection round moves through."""

from __future__ import annotations

from enum import StrEnum


class Phase(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    NOMINATIONS_OPEN = "nominations_open"
    NOMINATIONS_CLOSED = "nominations_closed"
    VOTING_OPEN = "voting_open"
    VOTING_CLOSED = "voting_closed"
    COUNTING = "counting"
    DECIDED = "decided"
    CANCELLED = "cancelled"


# The order phases follow; CANCELLED may interrupt any phase before DECIDED.
ORDER: tuple[Phase, ...] = (
    Phase.DRAFT,
    Phase.PUBLISHED,
    Phase.NOMINATIONS_OPEN,
    Phase.NOMINATIONS_CLOSED,
    Phase.VOTING_OPEN,
    Phase.VOTING_CLOSED,
    Phase.COUNTING,
    Phase.DECIDED,
)

TERMINAL = frozenset({Phase.DECIDED, Phase.CANCELLED})


def is_before(phase: Phase, other: Phase) -> bool:
    """True when ``phase`` comes strictly before ``other`` in the round's order."""
    if phase is Phase.CANCELLED or other is Phase.CANCELLED:
        return False
    return ORDER.index(phase) < ORDER.index(other)
