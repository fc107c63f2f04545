"""Sign-on campaigns: drafts, the frozen statement and its versions, the window's gate, and the
mirror of the workflow's phases."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from policies.campaigns import (
    CampaignPhase,
    Signers,
    Window,
    check_eligibility,
    check_milestones,
    is_before,
    validate_publishable,
    validate_window,
)
from policies.errors import InvalidInput, NotFound, PhaseClosed, WrongPhase
from policies.messages import N_
from policies.statement import statement_document
from policies.times import iso
from records import dsse
from records.canonical import canonical_json, sha256_hex
from store import audit
from store.db import keyring, utcnow
from store.ids import new_id
from store.registry import get_constituency
from store.tables import campaign, campaign_tally, statement_version

WORKFLOW_ACTOR = "workflow"
STATEMENT_TYPE = "statement"  # the DSSE payload type of a signed statement version


def workflow_id_for(campaign_id: str) -> str:
    return f"campaign-{campaign_id}"


def window_of(row: RowMapping) -> Window:
    return Window(opens_at=row["opens_at"], closes_at=row["closes_at"])


def _check_terms(conn: Connection, data: dict[str, Any]) -> None:
    signers = Signers(data["signers"])
    check_eligibility(signers, data["constituencies"])
    for cid in data["constituencies"]:
        get_constituency(conn, cid)
    check_milestones(data["milestones"])
    validate_window(Window(data["opens_at"], data["closes_at"]))


def create_draft(
    conn: Connection,
    data: dict[str, Any],
    actor: str,
    owner: str | None,
    *,
    lang: str | None = None,
) -> RowMapping:
    """``owner``: the constituency whose coordinators made it (None: the secretariat).
    ``lang``: the language of whoever drafts it, which the contact's notices speak."""
    _check_terms(conn, data)
    now = utcnow()
    cid = new_id()
    conn.execute(
        campaign.insert().values(
            id=cid,
            owner_constituency_id=owner,
            texts=data["statement"],
            signers=data["signers"],
            constituencies=data["constituencies"],
            opens_at=data["opens_at"],
            closes_at=data["closes_at"],
            milestones=sorted(data["milestones"]),
            contact_name=data["contact"]["name"],
            contact_email=data["contact"]["email"],
            phase=CampaignPhase.DRAFT.value,
            phase_seq=0,
            created_by=actor,
            created_at=now,
            updated_at=now,
            lang=lang,
        )
    )
    audit.append(
        conn,
        audit.campaign_scope(cid),
        "campaign.drafted",
        {"owner_constituency_id": owner},
        actor,
        now,
    )
    return get(conn, cid)


_EDITABLE = ("statement", "signers", "constituencies", "opens_at", "closes_at", "milestones")


def update_draft(
    conn: Connection, campaign_id: str, data: dict[str, Any], actor: str
) -> RowMapping:
    row = get(conn, campaign_id, for_update=True)
    if row["phase"] != CampaignPhase.DRAFT:
        raise WrongPhase(
            N_(
                "only a draft can be edited; campaign %(campaign_id)s is %(phase)s (publish a new "
                "version of the statement instead)"
            ),
            campaign_id=campaign_id,
            phase=row["phase"],
        )
    merged = {
        "statement": row["texts"],
        "signers": row["signers"],
        "constituencies": row["constituencies"],
        "opens_at": row["opens_at"],
        "closes_at": row["closes_at"],
        "milestones": row["milestones"],
        "contact": {"name": row["contact_name"], "email": row["contact_email"]},
    }
    merged.update({k: v for k, v in data.items() if v is not None})
    _check_terms(conn, merged)
    conn.execute(
        update(campaign)
        .where(campaign.c.id == campaign_id)
        .values(
            texts=merged["statement"],
            signers=merged["signers"],
            constituencies=merged["constituencies"],
            opens_at=merged["opens_at"],
            closes_at=merged["closes_at"],
            milestones=sorted(merged["milestones"]),
            contact_name=merged["contact"]["name"],
            contact_email=merged["contact"]["email"],
            updated_at=utcnow(),
        )
    )
    fields = sorted(k for k in data if data[k] is not None)
    audit.append(
        conn, audit.campaign_scope(campaign_id), "campaign.edited", {"fields": fields}, actor
    )
    return get(conn, campaign_id)


def get(
    conn: Connection, campaign_id: str, *, for_update: bool = False, for_share: bool = False
) -> RowMapping:
    query = select(campaign).where(campaign.c.id == campaign_id)
    if for_update:
        query = query.with_for_update()
    elif for_share:
        query = query.with_for_update(read=True)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(N_("no campaign with id %(campaign_id)s"), campaign_id=campaign_id)
    return row._mapping


def list_campaigns(conn: Connection) -> list[RowMapping]:
    return [r._mapping for r in conn.execute(select(campaign).order_by(campaign.c.created_at))]


def list_unfinished(conn: Connection) -> list[RowMapping]:
    """Published campaigns whose workflow may still have work to do."""
    done = [CampaignPhase.DRAFT.value, CampaignPhase.CONCLUDED.value]
    return [r._mapping for r in conn.execute(select(campaign).where(campaign.c.phase.not_in(done)))]


def _freeze(
    conn: Connection,
    row: RowMapping,
    texts: dict[str, Any],
    reason: str | None,
    actor: str,
    now: datetime,
) -> RowMapping:
    """Sign and store the next version of the statement, and log it."""
    version = (row["version"] or 0) + 1
    document = statement_document(
        campaign_id=row["id"],
        version=version,
        texts=texts,
        previous_hash=row["statement_hash"],
        reason=reason,
    )
    payload = canonical_json(document)
    digest = sha256_hex(payload)
    # Signed by the records key valid at the time of the entry that publishes it.
    signer = keyring(conn).signer_for(conn, "records", now)
    envelope = dsse.sign(signer, dsse.payload_type_for(STATEMENT_TYPE), payload)
    conn.execute(
        statement_version.insert().values(
            campaign_id=row["id"],
            version=version,
            canonical=payload.decode(),
            statement_hash=digest,
            envelope=json.dumps(envelope.to_json()),
            reason=reason,
            published_by=actor,
            published_at=now,
        )
    )
    conn.execute(
        update(campaign)
        .where(campaign.c.id == row["id"])
        .values(texts=texts, version=version, statement_hash=digest, updated_at=now)
    )
    audit.append(
        conn,
        audit.campaign_scope(row["id"]),
        "statement.published",
        {
            "version": version,
            "statement_hash": digest,
            "previous_hash": row["statement_hash"],
            "reason": reason,
            "key_id": signer.key_id,
        },
        actor,
        now,
    )
    return get_version(conn, row["id"], version)


def publish(conn: Connection, campaign_id: str, actor: str) -> RowMapping:
    """Freeze the statement as version 1 and the campaign's terms; the workflow starts next."""
    row = get(conn, campaign_id, for_update=True)
    if row["phase"] != CampaignPhase.DRAFT:
        raise WrongPhase(
            N_("campaign %(campaign_id)s is already %(phase)s; only a draft is published"),
            campaign_id=campaign_id,
            phase=row["phase"],
        )
    now = utcnow()
    validate_publishable(window_of(row), now)
    for cid in row["constituencies"]:
        get_constituency(conn, cid)
    frozen = _freeze(conn, row, row["texts"], None, actor, now)
    if row["milestones"]:
        conn.execute(
            campaign_tally.insert().values(campaign_id=campaign_id, confirmed=0, reached=0)
        )
    conn.execute(
        update(campaign)
        .where(campaign.c.id == campaign_id)
        .values(
            phase=CampaignPhase.PUBLISHED.value,
            phase_seq=1,
            workflow_id=workflow_id_for(campaign_id),
            published_at=now,
            updated_at=now,
        )
    )
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "campaign.published",
        {
            "statement_hash": frozen["statement_hash"],
            "signers": row["signers"],
            "constituencies": sorted(row["constituencies"]),
            "opens_at": iso(row["opens_at"]),
            "closes_at": iso(row["closes_at"]),
            "milestones": sorted(row["milestones"]),
        },
        actor,
        now,
    )
    return get(conn, campaign_id)


def record_version(
    conn: Connection,
    campaign_id: str,
    version: int,
    texts: dict[str, Any],
    reason: str,
    actor: str,
) -> tuple[RowMapping, bool]:
    """A correction of the published statement: ``version``, with its reason.

    The workflow names the version it expects to make, so a retried activity finds the version
    it made before and changes nothing.
    """
    row = get(conn, campaign_id, for_update=True)
    if row["version"] is not None and row["version"] >= version:
        made = get_version(conn, campaign_id, version)
        if json.loads(made["canonical"])["texts"] != texts:
            raise WrongPhase(
                N_("campaign %(campaign_id)s already has a version %(version)s with another text"),
                campaign_id=campaign_id,
                version=version,
            )
        return made, False
    phase = CampaignPhase(row["phase"])
    now = utcnow()
    if phase is CampaignPhase.DRAFT or not is_before(phase, CampaignPhase.CLOSED):
        raise WrongPhase(
            N_(
                "campaign %(campaign_id)s is %(phase)s; a correction is published between "
                "publication and close"
            ),
            campaign_id=campaign_id,
            phase=phase.value,
        )
    if now >= row["closes_at"]:
        raise PhaseClosed(
            N_("the sign-on window closed at %(closes_at)s"), closes_at=iso(row["closes_at"])
        )
    if row["version"] + 1 != version:
        raise WrongPhase(
            N_(
                "campaign %(campaign_id)s is at version %(version)s; cannot make version "
                "%(version2)s"
            ),
            campaign_id=campaign_id,
            version=row["version"],
            version2=version,
        )
    if texts == row["texts"]:
        raise InvalidInput(N_("the corrected statement is the same as the current version"))
    return _freeze(conn, row, texts, reason, actor, now), True


def get_version(conn: Connection, campaign_id: str, version: int) -> RowMapping:
    row = conn.execute(
        select(statement_version).where(
            statement_version.c.campaign_id == campaign_id, statement_version.c.version == version
        )
    ).first()
    if row is None:
        raise NotFound(
            N_("campaign %(campaign_id)s has no statement version %(version)s"),
            campaign_id=campaign_id,
            version=version,
        )
    return row._mapping


def versions(conn: Connection, campaign_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(statement_version)
        .where(statement_version.c.campaign_id == campaign_id)
        .order_by(statement_version.c.version)
    )
    return [r._mapping for r in rows]


def mirror_phase(
    conn: Connection, campaign_id: str, phase: CampaignPhase, seq: int, at: datetime
) -> bool:
    """Record the workflow's phase change; a repeated or stale call changes nothing.

    Closing is an UPDATE of the campaign row, so it waits for every signature admitted under
    the row's shared lock to commit: nothing acknowledged before the close is left out.
    """
    result = conn.execute(
        update(campaign)
        .where(campaign.c.id == campaign_id, campaign.c.phase_seq < seq)
        .values(phase=phase.value, phase_seq=seq, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "phase.changed",
        {"phase": phase.value, "seq": seq, "scheduled_at": iso(at)},
        WORKFLOW_ACTOR,
    )
    return True


def record_extension(
    conn: Connection, campaign_id: str, new_at: datetime, reason: str, actor: str
) -> bool:
    row = get(conn, campaign_id, for_update=True)
    if row["closes_at"] == new_at:
        return False  # already recorded: a retried activity
    if not is_before(CampaignPhase(row["phase"]), CampaignPhase.CLOSED):
        raise WrongPhase(
            N_("campaign %(campaign_id)s is %(phase)s; its close is final"),
            campaign_id=campaign_id,
            phase=row["phase"],
        )
    conn.execute(
        update(campaign)
        .where(campaign.c.id == campaign_id)
        .values(closes_at=new_at, updated_at=utcnow())
    )
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "deadline.extended",
        {"deadline": "close", "from": iso(row["closes_at"]), "to": iso(new_at), "reason": reason},
        actor,
    )
    return True


def gate(conn: Connection, campaign_id: str, now: datetime) -> RowMapping:
    """Admit a signature, a confirmation or a withdrawal only while the window is open,
    judged at write time.

    The campaign row is read FOR SHARE: the workflow's close (an UPDATE of the same row) waits
    for every admitted write to commit, and nothing after the close gets in. SQLite's
    IMMEDIATE transaction gives the same order.
    """
    row = get(conn, campaign_id, for_share=True)
    phase = CampaignPhase(row["phase"])
    if phase is CampaignPhase.DRAFT:
        raise WrongPhase(
            N_("campaign %(campaign_id)s is not published; nobody can sign it yet"),
            campaign_id=campaign_id,
        )
    if now < row["opens_at"]:
        raise WrongPhase(
            N_(
                "the sign-on window of campaign %(campaign_id)s opens at %(opens_at)s; it is now "
                "%(now)s"
            ),
            campaign_id=campaign_id,
            opens_at=iso(row["opens_at"]),
            now=iso(now),
        )
    if now >= row["closes_at"] or not is_before(phase, CampaignPhase.CLOSED):
        raise PhaseClosed(
            N_("the sign-on window closed at %(closes_at)s; it is now %(now)s"),
            closes_at=iso(row["closes_at"]),
            now=iso(now),
        )
    return row
