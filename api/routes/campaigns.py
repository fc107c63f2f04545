"""Sign-on campaigns: drafts, publication, extension, corrections, the signatory record,
the bundle, webhooks and the delivery log."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, RowMapping
from temporalio.service import RPCError

from api import campaign_schemas as cs
from api import schemas as s
from api.bundles import settled
from api.commands import run_update
from api.deps import (
    Caller,
    Language,
    MaybeCaller,
    Services,
    ServicesDep,
    WriterDep,
    read,
    temporal_client,
)
from api.paging import After, Limit
from api.routes.rounds import log_page
from mandate.reconcile import start_campaign_workflow
from policies.access import Principal, Role, campaign_owner, require_campaign_manager
from policies.campaigns import CampaignPhase
from policies.errors import NotFound, ServiceUnavailable, WrongPhase
from policies.messages import N_
from store import audit, bundles, campaigns, outbox, signatory_records, signatures, webhooks
from workflows.sign_on_campaign import CorrectStatement, ExtendClose, SignOnCampaignWorkflow

router = APIRouter(tags=["campaigns"])
BASE = "/campaigns/{campaign_id}"


def campaign_out(conn: Connection, row: RowMapping) -> cs.CampaignOut:
    counts = signatures.counts(conn, row["id"])
    return cs.CampaignOut.model_validate(
        {
            **row,
            "statement": row["texts"],
            "signatures": counts,
            "milestones_reached": [
                m["threshold"] for m in signatures.milestones_reached(conn, row["id"])
            ],
        }
    )


def _manages(caller: Principal | None, row: RowMapping) -> bool:
    if caller is None:
        return False
    if caller.role is Role.SECRETARIAT:
        return True
    return (
        caller.role is Role.COORDINATOR and caller.constituency_id == row["owner_constituency_id"]
    )


def visible(conn: Connection, campaign_id: str, caller: Principal | None) -> RowMapping:
    """The campaign; a draft only for those who manage it (to anyone else it does not exist)."""
    row = campaigns.get(conn, campaign_id)
    if row["phase"] == CampaignPhase.DRAFT and not _manages(caller, row):
        raise NotFound(N_("no campaign with id %(campaign_id)s"), campaign_id=campaign_id)
    return row


def _managed(conn: Connection, campaign_id: str, caller: Principal) -> RowMapping:
    row = campaigns.get(conn, campaign_id)
    require_campaign_manager(caller, row["owner_constituency_id"])
    return row


@router.post(
    "/campaigns",
    status_code=201,
    response_model=cs.CampaignOut,
    responses={404: {"description": "not_found: no constituency with an id the body names"}},
)
async def create_campaign(
    body: cs.CampaignIn, caller: Caller, writer: WriterDep, lang: Language
) -> JSONResponse:
    """A draft: the secretariat's, or a coordinator's for their own constituency. The notices
    to its contact address (milestones, the close) speak the language of this request."""
    owner = campaign_owner(caller, body.constituencies)
    data = body.model_dump()
    return await writer.run(
        lambda conn: campaign_out(
            conn, campaigns.create_draft(conn, data, caller.credential_id, owner, lang=lang)
        ),
        status=201,
    )


@router.patch(BASE, response_model=cs.CampaignOut)
async def edit_campaign(
    campaign_id: str, body: cs.CampaignPatch, caller: Caller, writer: WriterDep
) -> JSONResponse:
    data = body.model_dump(exclude_none=True)

    def work(conn: Connection) -> cs.CampaignOut:
        _managed(conn, campaign_id, caller)
        if "constituencies" in data:
            campaign_owner(caller, data["constituencies"])  # a coordinator's names only theirs
        return campaign_out(
            conn, campaigns.update_draft(conn, campaign_id, data, caller.credential_id)
        )

    return await writer.run(work)


@router.get("/campaigns", response_model=list[cs.CampaignOut])
async def list_campaigns(svc: ServicesDep, caller: MaybeCaller) -> list[cs.CampaignOut]:
    def load(conn: Connection) -> list[cs.CampaignOut]:
        return [
            campaign_out(conn, r)
            for r in campaigns.list_campaigns(conn)
            if r["phase"] != CampaignPhase.DRAFT or _manages(caller, r)
        ]

    return await read(svc, load)


@router.get(BASE, response_model=cs.CampaignOut)
async def get_campaign(campaign_id: str, svc: ServicesDep, caller: MaybeCaller) -> cs.CampaignOut:
    return await read(svc, lambda c: campaign_out(c, visible(c, campaign_id, caller)))


@router.post(BASE + "/publish", response_model=cs.CampaignOut)
async def publish_campaign(
    campaign_id: str, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    """Freeze the statement as version 1 (canonical, hashed, signed, logged) and start the
    campaign's workflow."""
    temporal_client(svc)  # 503 before anything is written, while Temporal is out of reach

    def work(conn: Connection) -> cs.CampaignOut:
        _managed(conn, campaign_id, caller)
        return campaign_out(conn, campaigns.publish(conn, campaign_id, caller.credential_id))

    try:
        response = await writer.run(work)
    except WrongPhase:
        row = await restart_published(svc, campaign_id, caller)
        if row is not None:
            return JSONResponse(
                (await read(svc, lambda c: campaign_out(c, row))).model_dump(mode="json")
            )
        raise
    await start_published(svc, campaign_id)
    return response


async def start_published(svc: Services, campaign_id: str) -> None:
    """After the publishing write: start the campaign's workflow (its window)."""
    row = await read(svc, lambda c: campaigns.get(c, campaign_id))
    await _start(svc, row)


async def restart_published(
    svc: Services, campaign_id: str, caller: Principal
) -> RowMapping | None:
    """After a publish refused as not a draft: a campaign published before whose workflow
    never started (Temporal was down then) has it started now, and is returned; None when the
    campaign really is not a draft."""
    row = await read(svc, lambda c: _managed(c, campaign_id, caller))
    started = row["phase"] == CampaignPhase.PUBLISHED and await _start(svc, row)
    return row if started else None


async def _start(svc: Services, row: RowMapping) -> bool:
    try:
        return await start_campaign_workflow(temporal_client(svc), row, svc.settings.task_queue)
    except RPCError as exc:
        raise ServiceUnavailable(
            N_(
                "campaign %(id)s is published, but its window could not be started in Temporal "
                "(%(message)s); retry the publish request, or restart a worker"
            ),
            id=row["id"],
            message=exc.message,
        ) from exc


async def _live(svc: Services, campaign_id: str, caller: Principal) -> RowMapping:
    row = await read(svc, lambda c: _managed(c, campaign_id, caller))
    phase = CampaignPhase(row["phase"])
    if phase is CampaignPhase.DRAFT:
        raise WrongPhase(
            N_("campaign %(campaign_id)s is a draft; edit it instead, or publish it"),
            campaign_id=campaign_id,
        )
    if phase in (CampaignPhase.CLOSED, CampaignPhase.CONCLUDED):
        raise WrongPhase(
            N_("campaign %(campaign_id)s is %(phase)s; it takes no more commands"),
            campaign_id=campaign_id,
            phase=phase.value,
        )
    return row


def _state(campaign_id: str, state: Any) -> cs.CampaignStateOut:
    return cs.CampaignStateOut(
        campaign_id=campaign_id,
        phase=state.phase,
        opens_at=state.opens_at,
        closes_at=state.closes_at,
        version=state.version,
        statement_hash=state.statement_hash,
    )


@router.post(BASE + "/extend", response_model=cs.CampaignStateOut)
async def extend_close(
    campaign_id: str, body: cs.ExtendCloseIn, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    """Move the close later, with a reason that is logged."""
    await _live(svc, campaign_id, caller)
    cmd = ExtendClose(new_at=body.closes_at, reason=body.reason, actor=caller.credential_id)

    async def work() -> cs.CampaignStateOut:
        state = await run_update(
            svc,
            campaigns.workflow_id_for(campaign_id),
            SignOnCampaignWorkflow.extend_close,
            cmd,
            writer.operation_id,
        )
        writer.receipts.extend(state.receipts)
        return _state(campaign_id, state)

    return await writer.run_remote(work)


@router.post(BASE + "/versions", status_code=201, response_model=cs.CampaignStateOut)
async def correct_statement(
    campaign_id: str, body: cs.CorrectionIn, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    """Publish a corrected statement as the next version, with its reason. Signatures stand
    under the version their signers saw; those signers are told of the new one by mail."""
    await _live(svc, campaign_id, caller)
    texts = {lang: part.model_dump() for lang, part in body.statement.items()}
    cmd = CorrectStatement(texts=texts, reason=body.reason, actor=caller.credential_id)

    async def work() -> cs.CampaignStateOut:
        state = await run_update(
            svc,
            campaigns.workflow_id_for(campaign_id),
            SignOnCampaignWorkflow.correct_statement,
            cmd,
            writer.operation_id,
        )
        writer.receipts.extend(state.receipts)
        return _state(campaign_id, state)

    return await writer.run_remote(work, status=201)


def _version(row: RowMapping) -> cs.VersionOut:
    return cs.VersionOut(
        campaign_id=row["campaign_id"],
        version=row["version"],
        statement=json.loads(row["canonical"]),
        canonical=row["canonical"],
        statement_hash=row["statement_hash"],
        envelope=json.loads(row["envelope"]),
        reason=row["reason"],
        published_at=row["published_at"],
    )


@router.get(BASE + "/versions", response_model=list[cs.VersionOut])
async def list_versions(
    campaign_id: str, svc: ServicesDep, caller: MaybeCaller
) -> list[cs.VersionOut]:
    def load(conn: Connection) -> list[cs.VersionOut]:
        visible(conn, campaign_id, caller)
        return [_version(v) for v in campaigns.versions(conn, campaign_id)]

    return await read(svc, load)


@router.get(BASE + "/statement", response_model=cs.VersionOut)
async def get_statement(
    campaign_id: str,
    svc: ServicesDep,
    caller: MaybeCaller,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> cs.VersionOut:
    """The current version of the statement (or ``?version=N``): the bytes that were signed."""

    def load(conn: Connection) -> cs.VersionOut:
        row = visible(conn, campaign_id, caller)
        if row["version"] is None:
            raise NotFound(
                N_("campaign %(campaign_id)s is not published yet"), campaign_id=campaign_id
            )
        return _version(campaigns.get_version(conn, campaign_id, version or row["version"]))

    return await read(svc, load)


@router.get(BASE + "/log", response_model=s.LogOut)
async def campaign_log(
    campaign_id: str,
    svc: ServicesDep,
    caller: MaybeCaller,
    after: After = 0,
    limit: Limit = 500,
) -> s.LogOut:
    scope = audit.campaign_scope(campaign_id)

    def load(conn: Connection) -> list[audit.LoggedEntry]:
        visible(conn, campaign_id, caller)
        return audit.entries(conn, scope, after, limit)

    return log_page(scope, await read(svc, load), limit)


@router.get(BASE + "/signatories", response_model=cs.SignatoriesOut, tags=["verification"])
async def get_signatories(campaign_id: str, svc: ServicesDep) -> cs.SignatoriesOut:
    """The signed signatory list, published when the window closes."""

    def load(conn: Connection) -> cs.SignatoriesOut:
        row = signatory_records.get(conn, campaign_id)
        return cs.SignatoriesOut(
            campaign_id=campaign_id,
            record=json.loads(row["record"]),
            canonical=row["record"],
            record_hash=row["record_hash"],
            envelope=json.loads(row["envelope"]),
        )

    return await read(svc, load)


CSV_COLUMNS = ("organisation", "country", "type", "region", "signed_on", "version", "signature_id")


def _cell(value: object) -> str:
    # A cell a spreadsheet would read as a formula is written as text.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get(
    BASE + "/signatories.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    tags=["verification"],
)
async def get_signatories_csv(campaign_id: str, svc: ServicesDep) -> Response:
    """The same list as CSV; the signed JSON record is the one to verify."""
    row = await read(svc, lambda c: signatory_records.get(c, campaign_id))
    record = json.loads(row["record"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in record["signatories"]:
        writer.writerow([_cell(line[c]) for c in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="signatories-{campaign_id}.csv"',
            "Mandate-Record-Hash": row["record_hash"],
        },
    )


@router.get(BASE + "/bundle", tags=["verification"])
async def campaign_bundle(
    campaign_id: str,
    svc: ServicesDep,
    since: Annotated[
        list[int],
        Query(description="tree sizes of checkpoints you kept (`mandate verify --since`)"),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> dict[str, Any]:
    """Everything an auditor needs offline: `mandate verify` checks it and recounts the list."""
    return await settled(svc, lambda conn: bundles.export_campaign(conn, campaign_id, since))


# -- webhooks and the delivery log


def _webhook(row: RowMapping) -> cs.WebhookOut:
    return cs.WebhookOut.model_validate(dict(row))


@router.post(BASE + "/webhooks", status_code=201, response_model=cs.WebhookRegistered)
async def register_webhook(
    campaign_id: str, body: cs.WebhookIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """The URL gets a POST per milestone and at the close, signed with the secret shown
    once here; a failed delivery is retried with a growing pause."""

    def work(conn: Connection) -> cs.WebhookRegistered:
        _managed(conn, campaign_id, caller)
        row, secret = webhooks.register(
            conn, campaign_id, str(body.url), list(body.events), caller.credential_id
        )
        return cs.WebhookRegistered(webhook=_webhook(row), secret=secret)

    return await writer.run(work, status=201)


@router.get(BASE + "/webhooks", response_model=list[cs.WebhookOut])
async def list_webhooks(campaign_id: str, caller: Caller, svc: ServicesDep) -> list[cs.WebhookOut]:
    def load(conn: Connection) -> list[cs.WebhookOut]:
        _managed(conn, campaign_id, caller)
        return [_webhook(w) for w in webhooks.active(conn, campaign_id)]

    return await read(svc, load)


@router.delete(BASE + "/webhooks/{webhook_id}", response_model=cs.WebhookOut)
async def remove_webhook(
    campaign_id: str, webhook_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    def work(conn: Connection) -> cs.WebhookOut:
        _managed(conn, campaign_id, caller)
        return _webhook(webhooks.remove(conn, campaign_id, webhook_id, caller.credential_id))

    return await writer.run(work)


@router.get(BASE + "/deliveries", response_model=cs.DeliveriesOut)
async def deliveries(campaign_id: str, caller: Caller, svc: ServicesDep) -> cs.DeliveriesOut:
    """Every notice the campaign sent, by mail and by webhook, with each attempt."""

    def load(conn: Connection) -> cs.DeliveriesOut:
        _managed(conn, campaign_id, caller)
        return cs.DeliveriesOut(
            campaign_id=campaign_id,
            mail=[
                cs.MailDelivery.model_validate(dict(m))
                for m in outbox.for_campaign(conn, campaign_id)
            ],
            webhooks=[
                cs.WebhookAttempt.model_validate(dict(d))
                for d in webhooks.deliveries(conn, campaign_id)
            ],
        )

    return await read(svc, load)
