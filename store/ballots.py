"""Approval ballots: written straight to the database behind the voting window's gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, func, select

from policies.ballots import check_ballot
from policies.errors import Forbidden
from policies.rules import APPROVAL, ApprovalBallot, RankedBallot
from store import audit, registry
from store import rules as rules_store
from store.db import utcnow
from store.nominations import candidates
from store.rounds import VOTING, gate
from store.tables import ballot


@dataclass(frozen=True)
class Cast:
    ballot_id: int
    receipt: str  # the log entry's Merkle leaf hash: proof of inclusion is asked for by it


def cast(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    voter_organisation_id: str,
    approvals: list[str] | None,
    actor: str,
    now: datetime | None = None,
    *,
    ranking: list[str] | None = None,
) -> Cast:
    # One admission time: the deadline is judged at it, and the log and the ballot record it.
    now = now or utcnow()
    gate(conn, round_id, VOTING, now)
    if not registry.is_member(conn, constituency_id, voter_organisation_id):
        raise Forbidden(
            f"organisation {voter_organisation_id} is not a member of constituency "
            f"{constituency_id} and cannot vote in its selection"
        )
    rules = rules_store.rules_for(conn, round_id, constituency_id)
    standing = [c.id for c in candidates(conn, round_id, constituency_id)]
    shape, chosen = check_ballot(approvals, ranking, standing, rules)
    field = "approvals" if shape == APPROVAL else "ranking"
    entry = audit.append(
        conn,
        audit.round_scope(round_id),
        "ballot.cast",
        {"constituency_id": constituency_id, "voter": voter_organisation_id, field: chosen},
        actor,
        now,
    )
    result = conn.execute(
        ballot.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            voter_organisation_id=voter_organisation_id,
            approvals=chosen if shape == APPROVAL else [],
            ranking=None if shape == APPROVAL else chosen,
            entry_hash=entry.leaf_hash,  # the receipt: the entry's Merkle leaf hash
            cast_at=now,
        )
    )
    ballot_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
    return Cast(int(ballot_id), entry.leaf_hash)


def final_ballots(
    conn: Connection, round_id: str, constituency_id: str
) -> list[ApprovalBallot | RankedBallot]:
    """Each voter's last ballot; casting again replaces the previous one."""
    last = (
        select(func.max(ballot.c.id))
        .where(ballot.c.round_id == round_id, ballot.c.constituency_id == constituency_id)
        .group_by(ballot.c.voter_organisation_id)
    )
    rows = conn.execute(
        select(ballot.c.voter_organisation_id, ballot.c.approvals, ballot.c.ranking)
        .where(ballot.c.id.in_(last))
        .order_by(ballot.c.voter_organisation_id)
    )
    return [
        ApprovalBallot(voter=r[0], approvals=frozenset(r[1]))
        if r[2] is None
        else RankedBallot(voter=r[0], ranking=tuple(r[2]))
        for r in rows
    ]


def list_cast(conn: Connection, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(ballot)
        .where(ballot.c.round_id == round_id, ballot.c.constituency_id == constituency_id)
        .order_by(ballot.c.id)
    )
    return [r._mapping for r in rows]
