"""A selection's randomness terms, from its round's published criteria, its rules and its
schedule as extended: when commitments and reveals are taken, which beacon round the count
waits for (``policies.randomness.randomness_terms``); and the ``beacon.scheduled`` entries
that publish that round when the round is published and whenever voting close moves.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, RowMapping

from policies.criteria import lot_of
from policies.lot import LOT_DOMAIN, LOT_DOMAIN_V1
from policies.randomness import RandomnessTerms, randomness_terms
from policies.times import iso
from store import audit
from store import rules as rules_store


def lot_of_round(round_row: RowMapping) -> str:
    """The lot domain the round's criteria name; a draft will be published under today's."""
    criteria = round_row["criteria"]
    return LOT_DOMAIN if criteria is None else lot_of(json.loads(criteria))


def terms_for(conn: Connection, round_row: RowMapping, constituency_id: str) -> RandomnessTerms:
    return randomness_terms(
        rules_store.rules_for(conn, round_row["id"], constituency_id),
        lot_of_round(round_row),
        round_row["nominations_close_at"],
        round_row["voting_close_at"],
    )


def log_beacon_rounds(
    conn: Connection, round_row: RowMapping, actor: str, now: datetime | None = None
) -> None:
    """Log the beacon round each constituency's rules call for under the current schedule."""
    for p in round_row["participants"]:
        cid = p["constituency_id"]
        terms = terms_for(conn, round_row, cid)
        due = terms.beacon
        if terms.lot == LOT_DOMAIN_V1 or due is None or due.at is None:
            continue  # older rules named their round themselves
        audit.append(
            conn,
            audit.round_scope(round_row["id"]),
            "beacon.scheduled",
            {
                "constituency_id": cid,
                "chain_hash": due.chain_hash,
                "round": due.round,
                "at": iso(due.at),
                "voting_close_at": iso(round_row["voting_close_at"]),
                "reveals_close_at": None if terms.reveals is None else iso(terms.reveals[1]),
            },
            actor,
            now,
        )
