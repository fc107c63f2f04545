"""The outcome record of a constituency's selection, computed the same way by the count and
by an auditor's recount."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.designation import Approval, Decision
from policies.lot import LOT_DOMAIN, LOT_DOMAIN_V1, lot_order, lot_seed
from policies.methods import Inputs, run
from policies.randomness import Randomness
from policies.rules import (
    NO_BALLOT,
    ApprovalBallot,
    Candidate,
    RankedBallot,
    SelectionRules,
    ballot_shape,
)
from records.canonical import canonical_hash, sha256_hex
from records.canonical_fast import dumps_canonical_strings

OUTCOME_FORMAT = "mandate.outcome/2"


def ballot_set_hash(ballots: Sequence[ApprovalBallot | RankedBallot]) -> str:
    """SHA-256 of the canonical list of counted ballots, sorted by voter: ``{voter, approvals}``
    (approvals sorted) or ``{voter, ranking}`` (in order of preference)."""
    rows: list[dict[str, Any]] = [
        {"voter": b.voter, "approvals": sorted(b.approvals)}
        if isinstance(b, ApprovalBallot)
        else {"voter": b.voter, "ranking": list(b.ranking)}
        for b in sorted(ballots, key=lambda b: b.voter)
    ]
    kinds = {type(b.voter) for b in ballots} | {
        type(a) for row in rows for a in row.get("approvals", row.get("ranking", []))
    }
    if kinds <= {str}:
        return sha256_hex(dumps_canonical_strings(rows))  # the same bytes, from json's C codec
    return canonical_hash(rows)


def nominee_set_hash(candidates: Sequence[Candidate]) -> str:
    """SHA-256 of the canonical final nominee list ``[{id, attributes}]`` sorted by id: what a
    method without ballots (a lottery, a designation) seeds its lot order with."""
    return canonical_hash(
        [
            {"id": c.id, "attributes": dict(c.attributes)}
            for c in sorted(candidates, key=lambda c: c.id)
        ]
    )


def outcome_statement(
    *,
    round_id: str,
    constituency_id: str,
    criteria_hash: str,
    criteria_version: int,
    rules: SelectionRules,
    candidates: Sequence[Candidate],
    ballots: Sequence[ApprovalBallot | RankedBallot],
    checkpoint: Mapping[str, Any],
    lot: str = LOT_DOMAIN,
    randomness: Randomness | None = None,
    decisions: Sequence[Decision] = (),
    approvals: Sequence[Approval] = (),
) -> dict[str, Any]:
    """Count and describe the result: everything an auditor needs to follow the count.

    ``checkpoint`` (``origin``, ``size``, ``root_hash``) names the log checkpoint that covers
    every counted ballot: the count ran only once the log had integrated them. ``randomness``
    is the settled commit-reveal (and beacon); its contributions join the seed in order.
    ``lot`` is the lot domain the round's criteria name (``policies.criteria.lot_of``).
    """
    ballotless = ballot_shape(rules.method) == NO_BALLOT
    set_hash = nominee_set_hash(candidates) if ballotless else ballot_set_hash(ballots)
    contributions = randomness.contributions if randomness is not None else []
    seed = lot_seed(criteria_hash, set_hash, contributions, domain=lot)
    order = lot_order(seed, [c.id for c in candidates])
    result = run(rules, Inputs(candidates, ballots, decisions, approvals), seed)
    statement: dict[str, Any] = {
        "format": OUTCOME_FORMAT,
        "round_id": round_id,
        "constituency_id": constituency_id,
        "criteria_hash": criteria_hash,
        "criteria_version": criteria_version,
        "checkpoint": {
            "origin": checkpoint["origin"],
            "size": checkpoint["size"],
            "root_hash": checkpoint["root_hash"],
        },
    }
    if ballotless:
        statement["nominee_set_hash"] = set_hash
    else:
        statement["ballot_set_hash"] = set_hash
        statement["ballots_counted"] = len(ballots)
    statement.update(
        {
            "candidates": sorted(c.id for c in candidates),
            "seed": seed,
            "lot_order": order,
            "result": result.to_json(),
        }
    )
    if lot != LOT_DOMAIN_V1:  # older records name no domain: their bytes stay as signed
        statement["lot"] = lot
    if randomness is not None and not randomness.is_empty():
        statement["randomness"] = randomness.to_json()
    return statement
