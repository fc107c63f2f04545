"""What the calendar feeds read: published rounds, by round, constituency or organisation,
and how many times each of their deadlines was extended (from the log)."""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import Connection, RowMapping, select

from policies.errors import NotFound
from policies.messages import N_
from policies.phases import Phase
from policies.schedule import Deadline
from store import audit, registry
from store.tables import log_entry, membership, round_


def published(conn: Connection) -> list[RowMapping]:
    rows = conn.execute(
        select(round_).where(round_.c.phase != Phase.DRAFT.value).order_by(round_.c.created_at)
    )
    return [r._mapping for r in rows]


def of_round(conn: Connection, round_id: str) -> list[RowMapping]:
    found = [r for r in published(conn) if r["id"] == round_id]
    if not found:
        raise NotFound(N_("no published round with id %(round_id)s"), round_id=round_id)
    return found


def of_constituency(conn: Connection, constituency_id: str) -> list[RowMapping]:
    registry.get_constituency(conn, constituency_id)
    return [
        r
        for r in published(conn)
        if any(p["constituency_id"] == constituency_id for p in r["participants"])
    ]


def of_organisation(conn: Connection, organisation_id: str) -> list[RowMapping]:
    """The rounds of every constituency the organisation is a member of now."""
    registry.get_organisation(conn, organisation_id)
    mine = set(
        conn.execute(
            select(membership.c.constituency_id).where(
                membership.c.organisation_id == organisation_id,
                membership.c.removed_at.is_(None),
            )
        ).scalars()
    )
    return [
        r for r in published(conn) if any(p["constituency_id"] in mine for p in r["participants"])
    ]


def moves(conn: Connection, round_id: str) -> Counter[Deadline]:
    """How many times each deadline of the round was extended."""
    statements = conn.execute(
        select(log_entry.c.statement).where(
            log_entry.c.scope == audit.round_scope(round_id),
            log_entry.c.type == "deadline.extended",
        )
    ).scalars()
    return Counter(Deadline(json.loads(s)["data"]["deadline"]) for s in statements)
