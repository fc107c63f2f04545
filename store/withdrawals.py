"""Withdrawals that stay visible: a nomination by the organisation that made it, an endorsement
by the organisation that gave it (both until nominations close), and a nominee's consent until
the candidate list is fixed (that is, also until nominations close). Nothing is deleted: each
row keeps when it was withdrawn, the log says so, and who stands is decided on what is left
(``store.nominations.why_not_standing``)."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update

from policies.errors import Conflict, Forbidden, NotFound
from policies.messages import N_
from store import audit
from store.credentials import hash_token
from store.db import utcnow
from store.nominations import get
from store.rounds import NOMINATIONS, gate
from store.tables import credential, endorsement, nomination

WITHDRAWN = "withdrawn"


def nomination_by_nominator(
    conn: Connection,
    nomination_id: str,
    organisation_id: str,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    """The organisation whose credential made the nomination withdraws it."""
    row = get(conn, nomination_id, for_update=True)
    now = now or utcnow()
    gate(conn, row["round_id"], NOMINATIONS, now)
    made_by = conn.execute(
        select(credential.c.organisation_id).where(credential.c.id == row["nominated_by"])
    ).scalar()
    if made_by != organisation_id:
        raise Forbidden(N_("only the organisation that made a nomination withdraws it"))
    if row["withdrawn_at"] is not None:
        raise Conflict(
            N_("nomination %(nomination_id)s was withdrawn already"), nomination_id=nomination_id
        )
    conn.execute(
        update(nomination).where(nomination.c.id == nomination_id).values(withdrawn_at=now)
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        "nomination.withdrawn",
        {"nomination_id": nomination_id, "constituency_id": row["constituency_id"]},
        actor,
        now,
    )
    return get(conn, nomination_id)


def endorsement_by_endorser(
    conn: Connection,
    nomination_id: str,
    organisation_id: str,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    row = get(conn, nomination_id)
    now = now or utcnow()
    gate(conn, row["round_id"], NOMINATIONS, now)
    given = conn.execute(
        select(endorsement.c.withdrawn_at).where(
            endorsement.c.nomination_id == nomination_id,
            endorsement.c.organisation_id == organisation_id,
        )
    ).first()
    if given is None or given.withdrawn_at is not None:
        raise NotFound(
            N_("organisation %(organisation_id)s does not endorse this nomination"),
            organisation_id=organisation_id,
        )
    conn.execute(
        update(endorsement)
        .where(
            endorsement.c.nomination_id == nomination_id,
            endorsement.c.organisation_id == organisation_id,
        )
        .values(withdrawn_at=now)
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        "endorsement.withdrawn",
        {
            "nomination_id": nomination_id,
            "constituency_id": row["constituency_id"],
            "organisation_id": organisation_id,
        },
        actor,
        now,
    )
    return get(conn, nomination_id)


def consent_by_nominee(
    conn: Connection, nomination_id: str, token: str, now: datetime | None = None
) -> RowMapping:
    """The nominee takes back an accepted consent, with the consent token: the nomination no
    longer stands, and the profile is no longer public."""
    row = get(conn, nomination_id, for_update=True)
    now = now or utcnow()
    gate(conn, row["round_id"], NOMINATIONS, now)
    if not hmac.compare_digest(row["consent_token_hash"], hash_token(token)):
        raise Forbidden(N_("the consent token does not belong to this nomination"))
    if row["consent"] != "accepted":
        raise Conflict(
            N_("the nominee has %(consent)s this nomination: only an accepted one is withdrawn"),
            consent=row["consent"],
        )
    conn.execute(
        update(nomination)
        .where(nomination.c.id == nomination_id)
        .values(consent=WITHDRAWN, consent_at=now)
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        "nomination.consent_withdrawn",
        {"nomination_id": nomination_id, "constituency_id": row["constituency_id"]},
        "nominee",
        now,
    )
    return get(conn, nomination_id)
