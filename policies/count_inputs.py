"""The checks every count makes on its inputs before it starts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from policies.constraints import check_rules
from policies.errors import InvalidInput
from policies.rules import Candidate, InvalidRules, SelectionRules


def lot_positions(
    method: str, candidates: Sequence[Candidate], rules: SelectionRules, order: Sequence[str]
) -> dict[str, int]:
    """Each candidate id's position in the lot order, once the rules (for ``method``), the
    candidates (each standing once) and the order (ranking each candidate once) are checked."""
    check_rules(rules)
    if rules.method != method:
        raise InvalidRules(f"this count is for method {method!r}, got rules for {rules.method!r}")
    ids = [c.id for c in candidates]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    if duplicates:
        raise InvalidInput(f"each candidate must stand once, got {duplicates} more than once")
    position: dict[str, int] = {}
    for i, cid in enumerate(order):
        if cid in position:
            raise InvalidInput(f"the lot order must list each id once, got {cid!r} twice")
        position[cid] = i
    missing = sorted(set(ids) - set(position))
    if missing:
        raise InvalidInput(f"the lot order must rank every candidate, got none for {missing}")
    return position
