"""Seat acceptance and substitution: who takes a seat its holder declined or let lapse.

After the count each selected person is asked to accept their seat within the acceptance window
(the round's ``minimum_notice.acceptance``). A decline, or no answer by the deadline, vacates the
seat; the method below names who is asked next, and each change is an amendment to the outcome
(``outcome.amended``) that an auditor recomputes from the published alternate order and the
constraints (records/seat_check.py).

Method ``seats.next_alternate/1`` (what the criteria name under ``substitution``): the seat goes
to the first alternate, in the published order, who has not been asked before and with whom the
panel (every other seat as it stands, the new person in the vacated one) still keeps each
balance constraint: no maximum exceeded, and no minimum the panel met before falls short
(a minimum that was already short may not fall further). Alternates passed over for a
constraint stay in line for a later vacancy. When no alternate keeps the constraints, or none
is left, the seat stays empty and is stated as such.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.rules import Constraint

SUBSTITUTION = "seats.next_alternate/1"
SUBSTITUTIONS = frozenset({SUBSTITUTION})

# What vacated a seat.
DECLINED = "declined"
LAPSED = "lapsed"
REASONS = frozenset({DECLINED, LAPSED})

Attributes = Mapping[str, Mapping[str, str]]  # by candidate id


@dataclass(frozen=True)
class Substitution:
    """One amendment's content: ``seat`` (1-based) vacated by ``vacated`` for ``reason``;
    ``successor`` the alternate now asked (None: the seat stays empty); ``skipped`` the
    alternates passed over, in order, because they would break a constraint."""

    seat: int
    vacated: str
    reason: str
    successor: str | None
    skipped: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "seat": self.seat,
            "vacated": self.vacated,
            "reason": self.reason,
            "successor": self.successor,
            "skipped": list(self.skipped),
        }


def _counts(panel: Sequence[str], attributes: Attributes, c: Constraint) -> Counter[str]:
    return Counter(
        attributes.get(p, {}).get(c.attribute, "")
        for p in panel
        if c.attribute in attributes.get(p, {})
    )


def keeps(
    before: Sequence[str],
    after: Sequence[str],
    attributes: Attributes,
    constraints: Sequence[Constraint],
    empty: int = 0,
) -> bool:
    """True when the panel ``after`` keeps every constraint ``before`` kept: no maximum
    exceeded, no minimum below ``min(c.min, what before had)``. With ``empty`` seats left
    empty, a minimum may fall short by as many (the seats no alternate could take)."""
    for c in constraints:
        now, then = _counts(after, attributes, c), _counts(before, attributes, c)
        if c.value is None:
            if c.max is not None and any(n > c.max for n in now.values()):
                return False
            continue
        n, m = now[c.value], then[c.value]
        if c.max is not None and n > c.max:
            return False
        if n + empty < min(c.min, m):
            return False
    return True


def meets(
    panel: Sequence[str], attributes: Attributes, constraints: Sequence[Constraint]
) -> list[str]:
    """The constraints ``panel`` does not meet, described (empty: it meets them all)."""
    out = []
    for c in constraints:
        counts = _counts(panel, attributes, c)
        if c.value is None:
            if c.max is not None and any(n > c.max for n in counts.values()):
                out.append(c.describe())
            continue
        n = counts[c.value]
        if n < c.min or (c.max is not None and n > c.max):
            out.append(c.describe())
    return out


def substitute(
    *,
    panel: Sequence[str | None],
    seat: int,
    reason: str,
    alternates: Sequence[str],
    asked: frozenset[str] | set[str],
    attributes: Attributes,
    constraints: Sequence[Constraint],
) -> Substitution:
    """Who is asked to take seat ``seat`` (1-based) of ``panel`` (the seats as they stand, None
    for an empty one) once its holder has ``reason``; ``asked`` everyone asked so far (the
    winners and the alternates already offered a seat)."""
    vacated = panel[seat - 1]
    if vacated is None:
        raise ValueError(f"seat {seat} is empty")
    before = [p for p in panel if p is not None]
    rest = [p for i, p in enumerate(panel) if p is not None and i != seat - 1]
    skipped: list[str] = []
    for a in alternates:
        if a in asked:
            continue
        if keeps(before, [*rest, a], attributes, constraints):
            return Substitution(seat, vacated, reason, a, tuple(skipped))
        skipped.append(a)
    return Substitution(seat, vacated, reason, None, tuple(skipped))
