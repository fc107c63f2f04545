"""Criteria ratified by the members: a coordinator puts the draft rules to the constituency's
member organisations, who approve or not, with a comment; the secretariat may publish without
the threshold, with a logged reason (store/ratification.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from api.deps import Caller, ServicesDep, WriterDep, read
from api.schemas import In
from policies.access import (
    Principal,
    Role,
    require_coordinator_of,
    require_member,
    require_secretariat,
)
from policies.errors import Forbidden
from policies.messages import N_
from policies.ratification import Ratification
from store import ratification, registry

router = APIRouter(tags=["rounds"])

BASE = "/rounds/{round_id}/constituencies/{constituency_id}/ratification"


class AnswerIn(In):
    approve: bool = Field(description="true: the organisation approves the rules as they stand")
    comment: str | None = Field(default=None, max_length=4000, description="public, logged")


class OverrideIn(In):
    reason: str = Field(min_length=3, max_length=2000, description="published in the log")


class AnswerOut(BaseModel):
    organisation_id: str
    organisation: str
    approve: bool
    comment: str | None
    rules_version: int
    answered_at: datetime


class RatificationOut(BaseModel):
    round_id: str
    constituency_id: str
    threshold: int = Field(description="percent of member organisations who must approve")
    members: int
    approvals: int = Field(description="of the rules as they stand now")
    needed: int
    met: bool
    rules_version: int | None = Field(description="the version put to the members, if any")
    override: str | None = Field(description="the secretariat's reason to publish without")
    answers: list[AnswerOut]


def answering_member(caller: Principal, constituency_id: str) -> str:
    """The organisation a member answers for; refused for anyone else."""
    require_member(caller)
    if caller.constituency_id != constituency_id or caller.organisation_id is None:
        raise Forbidden(
            N_("only members of %(constituency_id)s answer for its rules"),
            constituency_id=constituency_id,
        )
    return caller.organisation_id


def require_may_see(caller: Principal, constituency_id: str) -> None:
    """The secretariat, and the constituency's coordinators and members."""
    if caller.role is not Role.SECRETARIAT and caller.constituency_id != constituency_id:
        raise Forbidden(
            N_(
                "only the secretariat and the coordinators and members of %(constituency_id)s "
                "see its ratification"
            ),
            constituency_id=constituency_id,
        )


RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"description": "forbidden: not a coordinator (member, secretariat) of it"},
    404: {"description": "not_found: no such round, or the constituency takes no part"},
    409: {"description": "wrong_phase: the round is published; conflict: not put yet"},
}


@router.post(BASE, response_model=RatificationOut, responses=RESPONSES)
async def put_to_members(
    round_id: str, constituency_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Put the rules as they stand to the member organisations (again, if they changed)."""
    require_coordinator_of(caller, constituency_id)
    return await writer.run(
        lambda conn: _out(
            conn,
            round_id,
            constituency_id,
            ratification.put_to_members(conn, round_id, constituency_id, caller.credential_id),
        )
    )


@router.post(BASE + "/answers", response_model=RatificationOut, responses=RESPONSES)
async def answer(
    round_id: str, constituency_id: str, body: AnswerIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """A member organisation approves the rules, or not, with an optional public comment."""
    org = answering_member(caller, constituency_id)
    return await writer.run(
        lambda conn: _out(
            conn,
            round_id,
            constituency_id,
            ratification.respond(
                conn,
                round_id,
                constituency_id,
                org,
                body.approve,
                body.comment,
                caller.credential_id,
            ),
        )
    )


@router.post(BASE + "/override", response_model=RatificationOut, responses=RESPONSES)
async def override(
    round_id: str, constituency_id: str, body: OverrideIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """The secretariat lets the round be published without the threshold, with a reason."""
    require_secretariat(caller)
    return await writer.run(
        lambda conn: _out(
            conn,
            round_id,
            constituency_id,
            ratification.override(
                conn, round_id, constituency_id, body.reason, caller.credential_id
            ),
        )
    )


@router.get(BASE, response_model=RatificationOut, responses=RESPONSES)
async def get_ratification(
    round_id: str, constituency_id: str, caller: Caller, svc: ServicesDep
) -> RatificationOut:
    """The count so far and every answer: for the secretariat, the constituency's
    coordinators and its members while the round is a draft (then in the criteria)."""
    require_may_see(caller, constituency_id)

    def load(conn: Connection) -> RatificationOut:
        return _out(
            conn,
            round_id,
            constituency_id,
            ratification.summary(conn, round_id, constituency_id),
        )

    return await read(svc, load)


def _out(
    conn: Connection, round_id: str, constituency_id: str, found: Ratification
) -> RatificationOut:
    return RatificationOut(
        round_id=round_id,
        constituency_id=constituency_id,
        threshold=found.threshold,
        members=found.members,
        approvals=found.approvals,
        needed=found.needed,
        met=found.met,
        rules_version=found.rules_version,
        override=found.override,
        answers=[
            AnswerOut(
                organisation_id=a["organisation_id"],
                organisation=registry.get_organisation(conn, a["organisation_id"])["name"],
                approve=a["approve"],
                comment=a["comment"],
                rules_version=a["rules_version"],
                answered_at=a["answered_at"],
            )
            for a in ratification.answers(conn, round_id, constituency_id)
        ],
    )
