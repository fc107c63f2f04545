"""Designation: coordinators propose and approve a decision while voting is open.

A proposal (``designation.proposed``, carrying the decision) counts as its proposer's approval;
``designation.approved`` approves one already proposed, by hash. Both are written behind the
voting window's gate, as ballots are; the count reads them in log order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from policies.designation import Approval, Decision, check_decision
from policies.errors import Conflict, NotFound
from policies.messages import N_
from policies.rules import DESIGNATION
from store import audit
from store import rules as rules_store
from store.db import utcnow
from store.nominations import candidates
from store.rounds import VOTING, gate
from store.tables import designation_approval, designation_decision


def _require_designation(conn: Connection, round_id: str, constituency_id: str) -> None:
    method = rules_store.rules_for(conn, round_id, constituency_id).method
    if method != DESIGNATION:
        raise Conflict(
            N_("constituency %(constituency_id)s selects by %(method)s, not by designation"),
            constituency_id=constituency_id,
            method=method,
        )


def propose(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    coordinator: str,
    data: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    gate(conn, round_id, VOTING, now)
    _require_designation(conn, round_id, constituency_id)
    decision = Decision.from_json(data)
    rules = rules_store.rules_for(conn, round_id, constituency_id)
    check_decision(decision, candidates(conn, round_id, constituency_id), rules)
    digest = decision.hash
    if _decision(conn, round_id, constituency_id, digest) is not None:
        raise Conflict(
            N_(
                "decision %(digest)s is already proposed: approve it at "
                ".../designation/%(digest)s/approval"
            ),
            digest=digest,
        )
    entry = audit.append(
        conn,
        audit.round_scope(round_id),
        "designation.proposed",
        {
            "constituency_id": constituency_id,
            "coordinator": coordinator,
            "decision": decision.to_json(),
            "decision_hash": digest,
        },
        actor,
        now,
    )
    conn.execute(
        designation_decision.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            decision_hash=digest,
            decision=decision.to_json(),
            proposed_by=coordinator,
            proposed_at=now,
        )
    )
    _approve_row(conn, round_id, constituency_id, coordinator, digest, now)
    return {**decision.to_json(), "decision_hash": digest, "receipt": entry.leaf_hash}


def approve(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    coordinator: str,
    decision_hash: str,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    gate(conn, round_id, VOTING, now)
    _require_designation(conn, round_id, constituency_id)
    found = _decision(conn, round_id, constituency_id, decision_hash)
    if found is None:
        raise NotFound(
            N_("no decision %(decision_hash)s is proposed in this selection"),
            decision_hash=decision_hash,
        )
    entry = audit.append(
        conn,
        audit.round_scope(round_id),
        "designation.approved",
        {
            "constituency_id": constituency_id,
            "coordinator": coordinator,
            "decision_hash": decision_hash,
        },
        actor,
        now,
    )
    _approve_row(conn, round_id, constituency_id, coordinator, decision_hash, now)
    return {**found, "decision_hash": decision_hash, "receipt": entry.leaf_hash}


def _approve_row(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    coordinator: str,
    decision_hash: str,
    now: datetime,
) -> None:
    conn.execute(
        designation_approval.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            coordinator=coordinator,
            decision_hash=decision_hash,
            approved_at=now,
        )
    )


def _decision(
    conn: Connection, round_id: str, constituency_id: str, decision_hash: str
) -> dict[str, Any] | None:
    row = conn.execute(
        select(designation_decision.c.decision).where(
            designation_decision.c.round_id == round_id,
            designation_decision.c.constituency_id == constituency_id,
            designation_decision.c.decision_hash == decision_hash,
        )
    ).first()
    return None if row is None else dict(row[0])


def inputs(
    conn: Connection, round_id: str, constituency_id: str
) -> tuple[list[Decision], list[Approval]]:
    """The proposed decisions and every approval, in the order they were logged."""
    decisions = conn.execute(
        select(designation_decision.c.decision)
        .where(
            designation_decision.c.round_id == round_id,
            designation_decision.c.constituency_id == constituency_id,
        )
        .order_by(designation_decision.c.proposed_at, designation_decision.c.decision_hash)
    )
    approvals = conn.execute(
        select(designation_approval.c.coordinator, designation_approval.c.decision_hash)
        .where(
            designation_approval.c.round_id == round_id,
            designation_approval.c.constituency_id == constituency_id,
        )
        .order_by(designation_approval.c.id)
    )
    return (
        [Decision.from_json(r[0]) for r in decisions],
        [Approval(r[0], r[1]) for r in approvals],
    )
