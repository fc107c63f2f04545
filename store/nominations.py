"""Nominations, consent, endorsements, screening, and the candidate list fixed at close."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update

from policies.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound
from policies.messages import N_
from policies.rules import Candidate, SelectionRules
from store import audit, profiles, registry, round_notices
from store import rules as rules_store
from store.credentials import hash_token
from store.db import utcnow
from store.ids import new_id
from store.rounds import NOMINATIONS, gate, gate_nomination
from store.tables import endorsement, nomination, organisation

CONSENT_PREFIX = "mdc_"
# Attributes that come from the nominee's organisation, never from the nomination itself.
DERIVED = ("region", "country", "organisation_type", "migrant_led", "grassroots")


@dataclass(frozen=True)
class Submitted:
    nomination: RowMapping
    consent_token: str


def derived_attributes(org: RowMapping) -> dict[str, str]:
    return {
        "region": org["region"],
        "country": org["country"],
        "organisation_type": org["type"],
        "migrant_led": "yes" if org["migrant_led"] else "no",
        "grassroots": "yes" if org["grassroots"] else "no",
    }


def nominate(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    data: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> Submitted:
    gate_nomination(conn, round_id, now)
    rules = rules_store.rules_for(conn, round_id, constituency_id)
    org_id = data["organisation_id"]
    org = registry.get_organisation(conn, org_id)
    if not registry.is_member(conn, constituency_id, org_id):
        raise Conflict(
            N_(
                "the nominee's organisation %(org_id)s is not a member of constituency "
                "%(constituency_id)s; only members' people may stand for it"
            ),
            org_id=org_id,
            constituency_id=constituency_id,
        )
    clash = sorted(set(data["attributes"]) & set(DERIVED))
    if clash:
        raise InvalidInput(
            N_(
                "attributes %(clash)s come from the nominee's organisation and cannot be given in "
                "a nomination"
            ),
            clash=", ".join(clash),
        )
    if rules.one_nominee_per_organisation:
        existing = conn.execute(
            select(nomination.c.id).where(
                nomination.c.round_id == round_id,
                nomination.c.constituency_id == constituency_id,
                nomination.c.organisation_id == org_id,
                nomination.c.consent.not_in(("declined", "withdrawn")),
                nomination.c.rejected_at.is_(None),
                nomination.c.withdrawn_at.is_(None),
            )
        ).first()
        if existing is not None:
            raise AlreadyExists(
                N_(
                    "organisation %(org_id)s already has a nominee (%(id)s) and the rules allow "
                    "one nominee per organisation"
                ),
                org_id=org_id,
                id=existing.id,
            )
    token = CONSENT_PREFIX + secrets.token_urlsafe(24)
    nid = new_id()
    attributes = {**data["attributes"], **derived_attributes(org)}
    # The log is public and permanent: it holds a salted commitment to the profile, not the
    # profile, which is published once the nominee consents (store/profiles.py).
    salt, commitment = profiles.seal(
        nid,
        {
            "nominee_name": data["nominee_name"],
            "statement": data["statement"],
            "attributes": attributes,
        },
    )
    conn.execute(
        nomination.insert().values(
            id=nid,
            round_id=round_id,
            constituency_id=constituency_id,
            nominee_name=data["nominee_name"],
            organisation_id=org_id,
            nominated_by=actor,
            attributes=attributes,
            statement=data["statement"],
            consent_token_hash=hash_token(token),
            consent="pending",
            created_at=utcnow(),
            nominee_email=data.get("nominee_email"),
            profile_commitment=commitment,
            profile_salt=salt,
        )
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "nomination.submitted",
        {
            "nomination_id": nid,
            "constituency_id": constituency_id,
            "organisation_id": org_id,
            "profile_commitment": commitment,
        },
        actor,
    )
    made = get(conn, nid)
    round_notices.nominated(conn, made, token, data.get("nominee_lang"), rules.reminder_seconds)
    return Submitted(made, token)


def get(conn: Connection, nomination_id: str, *, for_update: bool = False) -> RowMapping:
    query = select(nomination).where(nomination.c.id == nomination_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(N_("no nomination with id %(nomination_id)s"), nomination_id=nomination_id)
    return row._mapping


def respond(
    conn: Connection, nomination_id: str, token: str, accept: bool, now: datetime | None = None
) -> RowMapping:
    """The nominee's one-time answer, by POST with the consent token."""
    row = get(conn, nomination_id, for_update=True)
    gate(conn, row["round_id"], NOMINATIONS, now)
    if not hmac.compare_digest(row["consent_token_hash"], hash_token(token)):
        raise Forbidden(N_("the consent token does not belong to this nomination"))
    if row["consent"] != "pending":
        raise Conflict(
            N_("the nominee has already %(consent)s this nomination"), consent=row["consent"]
        )
    if row["erased_at"] is not None:
        raise Conflict(
            N_("this nomination's personal data were erased; it can no longer be accepted")
        )
    decision = "accepted" if accept else "declined"
    conn.execute(
        update(nomination)
        .where(nomination.c.id == nomination_id)
        .values(consent=decision, consent_at=utcnow())
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        f"nomination.{decision}",
        {"nomination_id": nomination_id, "constituency_id": row["constituency_id"]},
        "nominee",
    )
    answered = get(conn, nomination_id)
    round_notices.consent_answered(conn, answered)
    return answered


def endorse(
    conn: Connection,
    nomination_id: str,
    organisation_id: str,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    row = get(conn, nomination_id)
    gate(conn, row["round_id"], NOMINATIONS, now)
    registry.require_member(conn, row["constituency_id"], organisation_id)
    if organisation_id == row["organisation_id"]:
        raise Conflict(N_("an organisation cannot endorse its own nominee"))
    done = conn.execute(
        select(endorsement.c.created_at, endorsement.c.withdrawn_at).where(
            endorsement.c.nomination_id == nomination_id,
            endorsement.c.organisation_id == organisation_id,
        )
    ).first()
    if done is not None and done.withdrawn_at is not None:
        # Endorsed again after a withdrawal: the log keeps both.
        conn.execute(
            delete(endorsement).where(
                endorsement.c.nomination_id == nomination_id,
                endorsement.c.organisation_id == organisation_id,
            )
        )
    elif done is not None:
        raise AlreadyExists(
            N_("organisation %(organisation_id)s has already endorsed this nomination"),
            organisation_id=organisation_id,
        )
    conn.execute(
        endorsement.insert().values(
            nomination_id=nomination_id, organisation_id=organisation_id, created_at=utcnow()
        )
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        "nomination.endorsed",
        {
            "nomination_id": nomination_id,
            "constituency_id": row["constituency_id"],
            "organisation_id": organisation_id,
        },
        actor,
    )
    return get(conn, nomination_id)


def reject(conn: Connection, nomination_id: str, code: str, text: str, actor: str) -> RowMapping:
    row = get(conn, nomination_id, for_update=True)
    gate(conn, row["round_id"], NOMINATIONS)
    if row["rejected_at"] is not None:
        raise Conflict(N_("this nomination has already been rejected"))
    conn.execute(
        update(nomination)
        .where(nomination.c.id == nomination_id)
        .values(rejection_code=code, rejection_text=text, rejected_at=utcnow())
    )
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        "nomination.rejected",
        {
            "nomination_id": nomination_id,
            "constituency_id": row["constituency_id"],
            "reason_code": code,
            "reason": text,
        },
        actor,
    )
    return get(conn, nomination_id)


def endorsers(conn: Connection, nomination_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(organisation.c.id, organisation.c.region, endorsement.c.created_at)
        .join(endorsement, endorsement.c.organisation_id == organisation.c.id)
        .where(endorsement.c.nomination_id == nomination_id, endorsement.c.withdrawn_at.is_(None))
        .order_by(organisation.c.id)
    )
    return [r._mapping for r in rows]


def list_for(conn: Connection, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(nomination)
        .where(nomination.c.round_id == round_id, nomination.c.constituency_id == constituency_id)
        .order_by(nomination.c.created_at, nomination.c.id)
    )
    return [r._mapping for r in rows]


def why_not_standing(
    row: RowMapping, endorsed_by: list[RowMapping], rules: SelectionRules
) -> str | None:
    """None when the nomination stands; else the published reason."""
    if row["rejected_at"] is not None:
        return f"rejected ({row['rejection_code']}): {row['rejection_text']}"
    if row["withdrawn_at"] is not None:
        return "withdrawn by the organisation that made the nomination"
    if row["consent"] == "declined":
        return "the nominee declined"
    if row["consent"] == "withdrawn":
        return "the nominee withdrew their consent"
    if rules.consent_required and row["consent"] != "accepted":
        return "the nominee did not consent before nominations closed"
    need = rules.endorsements
    if len(endorsed_by) < need.required:
        return f"endorsed by {len(endorsed_by)} member organisation(s); {need.required} required"
    regions = {e["region"] for e in endorsed_by}
    if len(regions) < need.distinct_regions:
        return (
            f"endorsements come from {len(regions)} region(s); "
            f"{need.distinct_regions} distinct regions required"
        )
    return None


def fix_candidates(conn: Connection, round_id: str, constituency_id: str) -> bool:
    """At nominations close: decide who stands and log the list. Idempotent."""
    rows = list_for(conn, round_id, constituency_id)
    if any(r["standing"] is not None for r in rows):
        return False
    rules = rules_store.rules_for(conn, round_id, constituency_id)
    standing, not_standing = [], []
    for r in rows:
        reason = why_not_standing(r, endorsers(conn, r["id"]), rules)
        conn.execute(
            update(nomination)
            .where(nomination.c.id == r["id"])
            .values(standing=reason is None, not_standing_reason=reason)
        )
        if reason is None:
            # No name: the attributes are published (the recount needs them) only for those
            # who consented and stand; the rest of the profile by its commitment.
            candidate = {
                "id": r["id"],
                "organisation_id": r["organisation_id"],
                "attributes": r["attributes"],
            }
            if r["profile_commitment"] is not None:
                candidate["profile_commitment"] = r["profile_commitment"]
            standing.append(candidate)
        else:
            not_standing.append({"id": r["id"], "reason": reason})
    audit.append(
        conn,
        audit.round_scope(round_id),
        "candidates.fixed",
        {
            "constituency_id": constituency_id,
            "standing": standing,
            "not_standing": not_standing,
        },
        "workflow",
    )
    return True


def candidates(conn: Connection, round_id: str, constituency_id: str) -> list[Candidate]:
    return [
        Candidate(id=r["id"], attributes=dict(r["attributes"]))
        for r in list_for(conn, round_id, constituency_id)
        if r["standing"]
    ]
