"""One entry point for every selection method: the count reads the same inputs whichever it is.

Method modules load when first used, so a verifier that recounts only approval methods never
loads the solver that PAV and the maximin lottery need.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policies.designation import Approval, Decision
from policies.designation import count as designate
from policies.errors import InvalidInput
from policies.lot import lot_order
from policies.result import CountResult
from policies.rules import (
    APPROVAL_METHODS,
    DESIGNATION,
    LOTTERY_METHODS,
    RANKED_METHODS,
    ApprovalBallot,
    Candidate,
    InvalidRules,
    RankedBallot,
    SelectionRules,
)

# method -> the module that counts it
MODULES = {
    "approval.phragmen": "policies.phragmen",
    "approval.equal_shares": "policies.equal_shares",
    "approval.pav": "policies.pav",
    "ranked.stv": "policies.stv",
    "lottery.uniform": "policies.lottery",
    "lottery.maximin": "policies.maximin",
}


def available(method: str) -> bool:
    """Whether this installation can count ``method``."""
    if method == DESIGNATION:
        return True
    name = MODULES.get(method)
    return name is not None and importlib.util.find_spec(name) is not None


def require_available(method: str) -> None:
    if not available(method):
        ready = sorted(m for m in [*MODULES, DESIGNATION] if available(m))
        raise InvalidRules(f"method {method!r} cannot be counted here; available: {ready}")


@dataclass(frozen=True)
class Inputs:
    """Everything a count reads besides the rules and the seed."""

    candidates: Sequence[Candidate]
    ballots: Sequence[ApprovalBallot | RankedBallot] = ()
    decisions: Sequence[Decision] = ()  # designation only
    approvals: Sequence[Approval] = ()  # designation only


def run(rules: SelectionRules, inputs: Inputs, seed: str) -> CountResult[Any]:
    """Count under ``rules``; ``seed`` orders every tie and draws every lottery."""
    method = rules.method
    candidates = inputs.candidates
    if method == DESIGNATION:
        return designate(candidates, inputs.decisions, inputs.approvals, rules)
    if method not in MODULES:
        raise InvalidRules(
            f"method must be one of {sorted([*MODULES, DESIGNATION])}, got {method!r}"
        )
    module: Any = importlib.import_module(MODULES[method])
    if method in LOTTERY_METHODS:
        result: CountResult[Any] = module.draw(candidates, rules, seed)
        return result
    order = lot_order(seed, [c.id for c in candidates])
    if method in APPROVAL_METHODS:
        wanted: type = ApprovalBallot
    else:
        assert method in RANKED_METHODS
        wanted = RankedBallot
    wrong = [b.voter for b in inputs.ballots if not isinstance(b, wanted)]
    if wrong:
        raise InvalidInput(
            f"{method} counts {wanted.__name__}s; got other ballots from {', '.join(wrong[:5])}"
        )
    result = module.count(candidates, inputs.ballots, rules, order)
    return result
