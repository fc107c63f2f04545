"""Designation: the coordinators propose and approve their constituency's decision."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from api import schemas as s
from api.deps import Caller, WriterDep
from api.routes.selection import BASE
from policies.access import require_coordinator_of
from store import designation

router = APIRouter(tags=["designation"])


@router.post(BASE + "/designation", status_code=201, response_model=s.DecisionOut)
async def propose(
    round_id: str, constituency_id: str, body: s.DecisionIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Propose a decision (winners, alternates, in order); it is its proposer's approval."""
    require_coordinator_of(caller, constituency_id)
    assert caller.coordinator_id is not None
    coordinator = caller.coordinator_id

    def work(conn: Connection) -> s.DecisionOut:
        done = designation.propose(
            conn, round_id, constituency_id, coordinator, body.model_dump(), caller.credential_id
        )
        return s.DecisionOut.model_validate(done)

    return await writer.run(work, status=201)


@router.post(BASE + "/designation/{decision_hash}/approval", response_model=s.DecisionOut)
async def approve(
    round_id: str, constituency_id: str, decision_hash: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Approve a proposed decision; a coordinator's latest approval is the one that counts."""
    require_coordinator_of(caller, constituency_id)
    assert caller.coordinator_id is not None
    coordinator = caller.coordinator_id

    def work(conn: Connection) -> s.DecisionOut:
        done = designation.approve(
            conn, round_id, constituency_id, coordinator, decision_hash, caller.credential_id
        )
        return s.DecisionOut.model_validate(done)

    return await writer.run(work)
