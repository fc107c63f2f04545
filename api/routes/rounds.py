"""Selection rounds: drafts, publication, phases, deadline extension, cancellation, log."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, RowMapping
from temporalio.client import Client
from temporalio.service import RPCError

from api import schemas as s
from api.commands import run_update
from api.deps import (
    Caller,
    MaybeCaller,
    Services,
    ServicesDep,
    WriterDep,
    read,
    temporal_client,
)
from api.paging import After, Limit
from mandate.reconcile import start_round_workflow
from policies.access import Principal, Role, require_secretariat
from policies.errors import NotFound, ServiceUnavailable, WrongPhase
from policies.messages import N_
from policies.phases import TERMINAL, Phase
from store import audit, rounds
from workflows.selection_round import CancelRound, ExtendDeadline, SelectionRoundWorkflow

router = APIRouter(tags=["rounds"])


def _round(row: RowMapping) -> s.RoundOut:
    data: dict[str, Any] = dict(row)
    data["schedule"] = s.ScheduleOut.model_validate(row)
    return s.RoundOut.model_validate(data)


def _without_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """The minimum notice a draft sets itself: only the windows it names."""
    notice = data.get("minimum_notice")
    if notice is not None:
        data["minimum_notice"] = {k: v for k, v in notice.items() if v is not None}
    return data


def visible_round(row: RowMapping, caller: Principal | None) -> RowMapping:
    # Drafts are work in progress of the secretariat and the coordinators who shape them.
    if row["phase"] == Phase.DRAFT and (
        caller is None or caller.role not in (Role.SECRETARIAT, Role.COORDINATOR)
    ):
        raise NotFound(N_("no round with id %(id)s"), id=row["id"])
    return row


@router.post(
    "/rounds",
    status_code=201,
    response_model=s.RoundOut,
    responses={404: {"description": "not_found: no constituency with an id the body names"}},
)
async def create_round(body: s.RoundIn, caller: Caller, writer: WriterDep) -> JSONResponse:
    require_secretariat(caller)
    data = _without_defaults(body.model_dump())
    return await writer.run(
        lambda conn: _round(rounds.create_draft(conn, data, caller.credential_id)), status=201
    )


@router.patch("/rounds/{round_id}", response_model=s.RoundOut)
async def edit_round(
    round_id: str, body: s.RoundPatch, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    data = _without_defaults(body.model_dump(exclude_none=True))
    if "schedule" in data:
        data["schedule"] = {k: v for k, v in data["schedule"].items() if v is not None}
    return await writer.run(
        lambda conn: _round(rounds.update_draft(conn, round_id, data, caller.credential_id))
    )


@router.get("/rounds", response_model=list[s.RoundOut])
async def list_rounds(svc: ServicesDep, caller: MaybeCaller) -> list[s.RoundOut]:
    drafts = caller is not None and caller.role in (Role.SECRETARIAT, Role.COORDINATOR)
    rows = await read(svc, lambda c: rounds.list_rounds(c, include_drafts=drafts))
    return [_round(r) for r in rows]


@router.get("/rounds/{round_id}", response_model=s.RoundOut)
async def get_round(round_id: str, svc: ServicesDep, caller: MaybeCaller) -> s.RoundOut:
    row = await read(svc, lambda c: rounds.get(c, round_id))
    return _round(visible_round(row, caller))


@router.get("/rounds/{round_id}/phase", response_model=s.PhaseOut)
async def get_phase(round_id: str, svc: ServicesDep, caller: MaybeCaller) -> s.PhaseOut:
    row = visible_round(await read(svc, lambda c: rounds.get(c, round_id)), caller)
    return s.PhaseOut(
        round_id=round_id, phase=row["phase"], schedule=s.ScheduleOut.model_validate(row)
    )


@router.post("/rounds/{round_id}/publish", response_model=s.RoundOut)
async def publish_round(
    round_id: str, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    temporal_client(svc)  # 503 before anything is written, while Temporal is out of reach
    try:
        response = await writer.run(
            lambda conn: _round(
                rounds.publish(
                    conn, round_id, caller.credential_id, notice=svc.settings.minimum_notice()
                )
            )
        )
    except WrongPhase:
        row = await restart_published(svc, round_id)
        if row is not None:
            return JSONResponse(_round(row).model_dump(mode="json"))
        raise
    await start_published(svc, round_id)
    return response


async def start_published(svc: Services, round_id: str) -> None:
    """After the publishing write: start the round's workflow (its schedule)."""
    row = await read(svc, lambda c: rounds.get(c, round_id))
    await _start(temporal_client(svc), row, svc.settings.task_queue)


async def restart_published(svc: Services, round_id: str) -> RowMapping | None:
    """After a publish refused as not a draft: a round published before whose workflow never
    started (Temporal was down then) has it started now, and is returned, so that a retried
    publish succeeds; None when the round really is not a draft."""
    row = await read(svc, lambda c: rounds.get(c, round_id))
    started = row["phase"] == Phase.PUBLISHED and await _start(
        temporal_client(svc), row, svc.settings.task_queue
    )
    return row if started else None


async def _start(client: Client, row: RowMapping, task_queue: str) -> bool:
    try:
        return await start_round_workflow(client, row, task_queue)
    except RPCError as exc:
        raise ServiceUnavailable(
            N_(
                "round %(id)s is published, but its schedule could not be started in Temporal "
                "(%(message)s); retry the publish request, or restart a worker, to start it"
            ),
            id=row["id"],
            message=exc.message,
        ) from exc


@router.get("/rounds/{round_id}/criteria", response_model=s.CriteriaOut)
async def get_criteria(round_id: str, svc: ServicesDep) -> s.CriteriaOut:
    row = await read(svc, lambda c: rounds.get(c, round_id))
    if row["criteria"] is None:
        raise NotFound(N_("round %(round_id)s has no published criteria yet"), round_id=round_id)
    return s.CriteriaOut(
        round_id=round_id,
        version=row["criteria_version"],
        criteria=json.loads(row["criteria"]),
        canonical=row["criteria"],
        criteria_hash=row["criteria_hash"],
        envelope=json.loads(row["criteria_envelope"]),
    )


async def _live_round(svc: ServicesDep, round_id: str) -> RowMapping:
    row = await read(svc, lambda c: rounds.get(c, round_id))
    phase = Phase(row["phase"])
    if phase is Phase.DRAFT:
        raise WrongPhase(
            N_("round %(round_id)s is a draft; publish it first or edit it instead"),
            round_id=round_id,
        )
    if phase in TERMINAL:
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s; it takes no more commands"),
            round_id=round_id,
            phase=phase.value,
        )
    return row


async def _update(
    svc: ServicesDep, row: RowMapping, update: Any, arg: Any, op_id: str | None
) -> Any:
    return await run_update(svc, rounds.workflow_id_for(row["id"]), update, arg, op_id)


@router.post("/rounds/{round_id}/extend", response_model=s.PhaseOut)
async def extend_deadline(
    round_id: str, body: s.ExtendIn, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    row = await _live_round(svc, round_id)
    cmd = ExtendDeadline(
        deadline=body.deadline, new_at=body.new_at, reason=body.reason, actor=caller.credential_id
    )

    async def work() -> s.PhaseOut:
        state = await _update(
            svc, row, SelectionRoundWorkflow.extend_deadline, cmd, writer.operation_id
        )
        writer.receipts.extend(state.receipts)
        return s.PhaseOut(
            round_id=round_id,
            phase=state.phase,
            schedule=s.ScheduleOut.model_validate(state.schedule, from_attributes=True),
        )

    return await writer.run_remote(work)


@router.post("/rounds/{round_id}/cancel", response_model=s.RoundOut)
async def cancel_round(
    round_id: str, body: s.CancelIn, caller: Caller, svc: ServicesDep, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    row = await _live_round(svc, round_id)
    cmd = CancelRound(reason=body.reason, actor=caller.credential_id)

    async def work() -> s.RoundOut:
        done = await _update(svc, row, SelectionRoundWorkflow.cancel, cmd, writer.operation_id)
        writer.receipts.extend(done.receipts)
        return _round(await read(svc, lambda c: rounds.get(c, round_id)))

    return await writer.run_remote(work)


@router.get("/rounds/{round_id}/log", response_model=s.LogOut)
async def round_log(
    round_id: str,
    svc: ServicesDep,
    caller: MaybeCaller,
    after: After = 0,
    limit: Limit = 500,
) -> s.LogOut:
    def load(conn: Connection) -> list[audit.LoggedEntry]:
        visible_round(rounds.get(conn, round_id), caller)
        return audit.entries(conn, audit.round_scope(round_id), after, limit)

    return log_page(audit.round_scope(round_id), await read(svc, load), limit)


def log_page(scope: str, entries: list[audit.LoggedEntry], limit: int) -> s.LogOut:
    return s.LogOut(
        scope=scope,
        entries=[
            s.LogEntryOut(
                seq=e.seq,
                type=e.type,
                statement=e.statement.decode(),
                prev_hash=e.prev_hash,
                entry_hash=e.entry_hash,
                envelope=e.envelope.decode(),
                leaf_hash=e.leaf_hash,
                index=e.index,
            )
            for e in entries
        ],
        next_after=entries[-1].seq if len(entries) == limit else None,
    )


@router.get("/log/registry", response_model=s.LogOut, tags=["log"])
async def registry_log(
    svc: ServicesDep,
    after: After = 0,
    limit: Limit = 500,
) -> s.LogOut:
    entries = await read(svc, lambda c: audit.entries(c, audit.REGISTRY, after, limit))
    return log_page(audit.REGISTRY, entries, limit)
