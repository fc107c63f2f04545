"""The count at voting close: one signed outcome record per constituency."""

from __future__ import annotations

import json

from sqlalchemy import Connection, RowMapping, func, or_, select

from policies.errors import NotFound
from policies.messages import N_
from records import dsse
from records.canonical import canonical_json, sha256_hex
from records.outcome import outcome_statement
from store import audit, ballots, designation, nominations, randomness, round_notices
from store import rules as rules_store
from store.db import keyring, utcnow
from store.log import SignedCheckpoint
from store.lot_terms import lot_of_round
from store.rounds import get as get_round
from store.tables import log_entry, outcome


class BallotsNotCovered(Exception):
    """Some ballot of the round is not in the checkpoint yet: count later (a retry)."""


def publish_outcomes(conn: Connection, round_id: str, covering: SignedCheckpoint) -> int:
    """Count every constituency without an outcome yet; returns how many were published.

    ``covering`` is the checkpoint each outcome names; every ballot of the round must be in it.
    """
    round_row = get_round(conn, round_id, for_update=True)
    late = conn.execute(
        select(func.count()).where(
            log_entry.c.scope == audit.round_scope(round_id),
            log_entry.c.type.in_(("ballot.cast", "ballots.opened")),
            or_(log_entry.c.idx.is_(None), log_entry.c.idx >= covering.size),
        )
    ).scalar_one()
    if late:
        raise BallotsNotCovered(
            f"{late} ballot(s) of round {round_id} are not in the checkpoint of size "
            f"{covering.size} yet"
        )
    done = 0
    for p in round_row["participants"]:
        cid = p["constituency_id"]
        if _get(conn, round_id, cid) is not None:
            continue  # a retried activity: already counted
        decisions, approvals = designation.inputs(conn, round_id, cid)
        statement = outcome_statement(
            round_id=round_id,
            constituency_id=cid,
            criteria_hash=round_row["criteria_hash"],
            criteria_version=round_row["criteria_version"],
            rules=rules_store.rules_for(conn, round_id, cid),
            candidates=nominations.candidates(conn, round_id, cid),
            ballots=ballots.final_ballots(conn, round_id, cid),
            checkpoint=covering.to_json(),
            lot=lot_of_round(round_row),
            randomness=randomness.settled(conn, round_id, cid),
            decisions=decisions,
            approvals=approvals,
        )
        payload = canonical_json(statement)
        digest = sha256_hex(payload)
        # Signed by the records key valid at the time of the entry that publishes it.
        at = utcnow()
        signer = keyring(conn).signer_for(conn, "records", at)
        envelope = dsse.sign(signer, dsse.payload_type_for("outcome"), payload)
        conn.execute(
            outcome.insert().values(
                round_id=round_id,
                constituency_id=cid,
                record=payload.decode(),
                record_hash=digest,
                envelope=json.dumps(envelope.to_json()),
                created_at=at,
            )
        )
        result = statement["result"]
        audit.append(
            conn,
            audit.round_scope(round_id),
            "outcome.published",
            {
                "constituency_id": cid,
                "outcome_hash": digest,
                "key_id": signer.key_id,
                "winners": result["winners"],
                "alternates": result["alternates"],
                "unfilled": result["unfilled"],
                "checkpoint": covering.to_json(),
            },
            "workflow",
            at,
        )
        round_notices.outcome(
            conn,
            round_id,
            cid,
            {
                "outcome_hash": digest,
                "winners": result["winners"],
                "alternates": result["alternates"],
            },
        )
        done += 1
    return done


def _get(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    row = conn.execute(
        select(outcome).where(
            outcome.c.round_id == round_id, outcome.c.constituency_id == constituency_id
        )
    ).first()
    return None if row is None else row._mapping


def get(conn: Connection, round_id: str, constituency_id: str) -> RowMapping:
    row = _get(conn, round_id, constituency_id)
    if row is None:
        raise NotFound(
            N_("no outcome yet for constituency %(constituency_id)s in round %(round_id)s"),
            constituency_id=constituency_id,
            round_id=round_id,
        )
    return row


def list_for(conn: Connection, round_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(outcome).where(outcome.c.round_id == round_id).order_by(outcome.c.constituency_id)
    )
    return [r._mapping for r in rows]
