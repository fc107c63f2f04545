"""What a valid ballot looks like under a constituency's rules."""

from __future__ import annotations

from collections.abc import Sequence

from policies.errors import InvalidInput
from policies.rules import SelectionRules


class InvalidBallot(InvalidInput):
    code = "invalid_ballot"


def check_approval_ballot(
    approvals: Sequence[str], standing: Sequence[str], rules: SelectionRules
) -> list[str]:
    """The ballot's approvals, sorted; InvalidBallot saying what is wrong otherwise."""
    if len(set(approvals)) != len(approvals):
        raise InvalidBallot("an approval ballot names each candidate at most once")
    unknown = sorted(set(approvals) - set(standing))
    if unknown:
        raise InvalidBallot(
            f"not on the candidate list: {', '.join(unknown)}; "
            f"standing: {', '.join(sorted(standing)) or 'nobody'}"
        )
    if rules.max_approvals is not None and len(approvals) > rules.max_approvals:
        raise InvalidBallot(
            f"a ballot may approve at most {rules.max_approvals} candidates, got {len(approvals)}"
        )
    return sorted(approvals)
