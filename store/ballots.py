"""Ballots: written straight to the database behind the voting window's gate, sealed in the log.

While voting is open the log holds only each ballot's commitment (``records.ballot_seal``);
:func:`open_sealed`, run in the same transaction as the close, publishes the contents. Under a
secret ballot the close also publishes who voted apart from the ballots, and deletes the link
between each ballot and its voter: the voter column, the replaced ballots, and the stored
idempotent answers that name a ballot's receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, select, update

from policies.ballots import check_ballot
from policies.errors import Forbidden
from policies.messages import N_
from policies.rules import APPROVAL, ApprovalBallot, RankedBallot, SelectionRules
from records.ballot_seal import (
    OPEN,
    SECRET,
    ballot_commitment,
    new_salt,
    opening,
    opening_parts,
    secret_ballot_names,
)
from store import audit, registry
from store import rules as rules_store
from store.db import frozen, utcnow
from store.nominations import list_for
from store.rounds import VOTING, gate
from store.tables import ballot, idempotency_record, log_entry


@dataclass(frozen=True)
class Cast:
    ballot_id: int
    receipt: str  # the log entry's Merkle leaf hash: proof of inclusion is asked for by it


_INSERT = ballot.insert()


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
            N_(
                "organisation %(voter_organisation_id)s is not a member of constituency "
                "%(constituency_id)s and cannot vote in its selection"
            ),
            voter_organisation_id=voter_organisation_id,
            constituency_id=constituency_id,
        )
    rules, standing = _frame(conn, round_id, constituency_id)
    shape, chosen = check_ballot(approvals, ranking, standing, rules)
    approvals_cast = chosen if shape == APPROVAL else None
    ranking_cast = None if shape == APPROVAL else chosen
    salt = new_salt()
    commitment = ballot_commitment(constituency_id, approvals_cast, ranking_cast, salt)
    data: dict[str, object] = {"constituency_id": constituency_id, "commitment": commitment}
    logged_actor: str | None = actor
    if rules.ballot_secrecy == SECRET:
        # No voter and no credential: the log must not link the ballot to who cast it. A
        # replacement names the commitment it replaces, so the close knows which one counts.
        previous = _last_commitment(conn, round_id, constituency_id, voter_organisation_id)
        if previous is not None:
            data["replaces"] = previous
        logged_actor = None
    else:
        data["voter"] = voter_organisation_id
    entry = audit.append(conn, audit.round_scope(round_id), "ballot.cast", data, logged_actor, now)
    result = conn.execute(  # one statement, compiled once; the values as parameters
        _INSERT,
        {
            "round_id": round_id,
            "constituency_id": constituency_id,
            "voter_organisation_id": voter_organisation_id,
            "approvals": chosen if shape == APPROVAL else [],
            "ranking": None if shape == APPROVAL else chosen,
            "entry_hash": entry.leaf_hash,  # the receipt: the entry's Merkle leaf hash
            "cast_at": now,
            "commitment": commitment,
            "salt": salt,
        },
    )
    ballot_id = result.inserted_primary_key[0] if result.inserted_primary_key else 0
    return Cast(int(ballot_id), entry.leaf_hash)


def _frame(
    conn: Connection, round_id: str, constituency_id: str
) -> tuple[SelectionRules, list[str]]:
    """The selection's rules and its standing candidates. The rules are frozen when the round
    is published, and the candidate list when nominations close (``fix_candidates`` decides
    every nomination at once, and never again); from then on they are read once per database
    handle, not once per ballot."""
    memo = frozen(conn)
    key = ("ballot-frame", round_id, constituency_id)
    found: tuple[SelectionRules, list[str]] | None = memo.get(key)
    if found is not None:
        return found
    rules = rules_store.rules_for(conn, round_id, constituency_id)
    rows = list_for(conn, round_id, constituency_id)
    found = (rules, [r["id"] for r in rows if r["standing"]])
    if any(r["standing"] is not None for r in rows):
        memo[key] = found
    return found


def _last_commitment(
    conn: Connection, round_id: str, constituency_id: str, voter: str
) -> str | None:
    return conn.execute(
        select(ballot.c.commitment)
        .where(
            ballot.c.round_id == round_id,
            ballot.c.constituency_id == constituency_id,
            ballot.c.voter_organisation_id == voter,
        )
        .order_by(ballot.c.id.desc())
        .limit(1)
    ).scalar()


def _last_ids(round_id: str, constituency_id: str) -> Any:
    """Each voter's last ballot (casting again replaces the previous one); after a secret
    ballot's close every ballot left is a last one."""
    return (
        select(func.max(ballot.c.id))
        .where(ballot.c.round_id == round_id, ballot.c.constituency_id == constituency_id)
        .group_by(func.coalesce(ballot.c.voter_organisation_id, ballot.c.commitment))
    )


def open_sealed(conn: Connection, round_id: str, actor: str, now: datetime | None = None) -> int:
    """At the close, in its transaction: log each constituency's ballot openings
    (``ballots.opened``, in parts of bounded size); returns how many constituencies had sealed
    ballots. Run once: the close that calls it happens once."""
    constituencies = conn.execute(
        select(ballot.c.constituency_id)
        .where(ballot.c.round_id == round_id, ballot.c.commitment.is_not(None))
        .distinct()
        .order_by(ballot.c.constituency_id)
    ).scalars()
    opened = 0
    for cid in list(constituencies):
        secret = rules_store.rules_for(conn, round_id, cid).ballot_secrecy == SECRET
        rows = list_cast(conn, round_id, cid)
        last = set(conn.execute(_last_ids(round_id, cid)).scalars())
        counted = sorted((r for r in rows if r["id"] in last), key=lambda r: r["commitment"])
        parts = opening_parts(
            cid,
            SECRET if secret else OPEN,
            [
                opening(
                    r["commitment"],
                    None if r["ranking"] is not None else list(r["approvals"]),
                    r["ranking"],
                    r["salt"],
                    None if secret else r["voter_organisation_id"],
                )
                for r in counted
            ],
            sorted(r["commitment"] for r in rows if r["id"] not in last),
            sorted({r["voter_organisation_id"] for r in rows}) if secret else None,
        )
        for data in parts:
            audit.append(conn, audit.round_scope(round_id), "ballots.opened", data, actor, now)
        if secret:
            _unlink_voters(conn, round_id, cid, [r for r in rows if r["id"] not in last], rows)
        opened += 1
    return opened


def _unlink_voters(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    replaced: list[RowMapping],
    rows: list[RowMapping],
) -> None:
    """A secret ballot's close: nothing the server keeps links a ballot to its voter any more."""
    receipts = [r["entry_hash"] for r in rows]
    for start in range(0, len(receipts), 500):
        conn.execute(
            delete(idempotency_record).where(
                idempotency_record.c.receipts.in_(receipts[start : start + 500])
            )
        )
    gone = [r["id"] for r in replaced]
    for start in range(0, len(gone), 500):
        conn.execute(delete(ballot).where(ballot.c.id.in_(gone[start : start + 500])))
    conn.execute(
        update(ballot)
        .where(ballot.c.round_id == round_id, ballot.c.constituency_id == constituency_id)
        .values(voter_organisation_id=None)
    )


def final_ballots(
    conn: Connection, round_id: str, constituency_id: str
) -> list[ApprovalBallot | RankedBallot]:
    """What the count counts: each voter's last ballot, sorted by voter. A secret ballot is
    counted under the name its contents give it (``records.ballot_seal.secret_ballot_names``),
    as the verifier recounts it from the opening."""
    rows = conn.execute(
        select(
            ballot.c.voter_organisation_id,
            ballot.c.commitment,
            ballot.c.approvals,
            ballot.c.ranking,
        ).where(ballot.c.id.in_(_last_ids(round_id, constituency_id)))
    ).all()
    secret = rules_store.rules_for(conn, round_id, constituency_id).ballot_secrecy == SECRET
    names = {str(r.voter_organisation_id): str(r.voter_organisation_id) for r in rows}
    if secret:
        names = secret_ballot_names(
            {
                str(r.commitment): ("approvals", tuple(sorted(r.approvals)))
                if r.ranking is None
                else ("ranking", tuple(r.ranking))
                for r in rows
            }
        )
    found = [
        ApprovalBallot(
            voter=names[str(r.commitment if secret else r.voter_organisation_id)],
            approvals=frozenset(r.approvals),
        )
        if r.ranking is None
        else RankedBallot(
            voter=names[str(r.commitment if secret else r.voter_organisation_id)],
            ranking=tuple(r.ranking),
        )
        for r in rows
    ]
    return sorted(found, key=lambda b: b.voter)


def voters(conn: Connection, round_id: str, constituency_id: str) -> list[str]:
    """Who voted: the voters of the ballots kept, and after a secret ballot's close (when the
    ballots no longer name them) the list its opening published."""
    found = set(
        conn.execute(
            select(ballot.c.voter_organisation_id)
            .where(
                ballot.c.round_id == round_id,
                ballot.c.constituency_id == constituency_id,
                ballot.c.voter_organisation_id.is_not(None),
            )
            .distinct()
        ).scalars()
    )
    for statement in conn.execute(
        select(log_entry.c.statement).where(
            log_entry.c.scope == audit.round_scope(round_id), log_entry.c.type == "ballots.opened"
        )
    ).scalars():
        data = json.loads(statement)["data"]
        if data["constituency_id"] == constituency_id:
            found.update(data.get("voters", ()))
    return sorted(str(v) for v in found)


def list_cast(conn: Connection, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(ballot)
        .where(ballot.c.round_id == round_id, ballot.c.constituency_id == constituency_id)
        .order_by(ballot.c.id)
    )
    return [r._mapping for r in rows]
