"""The outcome record of a constituency's selection, computed the same way by the count and
by an auditor's recount."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.lot import lot_order, lot_seed
from policies.phragmen import count as count_phragmen
from policies.rules import ApprovalBallot, Candidate, SelectionRules
from records.canonical import canonical_hash, sha256_hex
from records.canonical_fast import dumps_canonical_strings

OUTCOME_FORMAT = "mandate.outcome/2"


def ballot_set_hash(ballots: Sequence[ApprovalBallot]) -> str:
    """SHA-256 of the canonical list of counted ballots, sorted by voter."""
    rows = [
        {"voter": b.voter, "approvals": sorted(b.approvals)}
        for b in sorted(ballots, key=lambda b: b.voter)
    ]
    kinds = {type(b.voter) for b in ballots} | {type(a) for b in ballots for a in b.approvals}
    if kinds <= {str}:
        return sha256_hex(dumps_canonical_strings(rows))  # the same bytes, from json's C codec
    return canonical_hash(rows)


def outcome_statement(
    *,
    round_id: str,
    constituency_id: str,
    criteria_hash: str,
    criteria_version: int,
    rules: SelectionRules,
    candidates: Sequence[Candidate],
    ballots: Sequence[ApprovalBallot],
    checkpoint: Mapping[str, Any],
) -> dict[str, Any]:
    """Count and describe the result: everything an auditor needs to follow the count.

    ``checkpoint`` (``origin``, ``size``, ``root_hash``) names the log checkpoint that covers
    every counted ballot: the count ran only once the log had integrated them.
    """
    ballots_hash = ballot_set_hash(ballots)
    seed = lot_seed(criteria_hash, ballots_hash)
    order = lot_order(seed, [c.id for c in candidates])
    result = count_phragmen(candidates, ballots, rules, order)
    return {
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
        "ballot_set_hash": ballots_hash,
        "ballots_counted": len(ballots),
        "candidates": sorted(c.id for c in candidates),
        "seed": seed,
        "lot_order": order,
        "result": result.to_json(),
    }
