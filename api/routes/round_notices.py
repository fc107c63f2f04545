"""A round's notices: the log of who was told what and when, and a constituency's webhooks.

A coordinator reads every notice of their constituency in a round (to show that everyone was
told), a member organisation the notices it was sent, the secretariat all. Addresses are never
shown. A coordinator (or the secretariat) registers webhooks that receive the constituency's
round events in the Standard Webhooks format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import Connection, RowMapping

from api.deps import Caller, ServicesDep, WriterDep, read
from api.routes.rounds import visible_round
from api.schemas import In
from policies.access import Principal, Role, require_coordinator_of
from policies.errors import Forbidden
from policies.messages import N_
from store import registry, round_notices, round_webhooks, rounds

router = APIRouter(tags=["notices"])

Status = Literal["waiting", "queued", "sent", "skipped", "failed"]


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(
        description="published, phase_opened, deadline_extended, reminder, outcome, "
        "consent_request, consent_answered, or another engine's kind"
    )
    constituency_id: str | None
    organisation_id: str | None = Field(description="the recipient organisation, if one")
    organisation_name: str | None
    person: str | None = Field(description="a recipient person, e.g. nominee:<nomination id>")
    channel: str
    lang: str = Field(description="the language the notice is written in")
    subject: str | None = Field(description="once written (when it is due)")
    condition: str | None = Field(
        description="a reminder's: nominate, vote or consent; skipped if done by then"
    )
    status: Status
    queued_at: datetime
    due_at: datetime
    sent_at: datetime | None
    skipped_at: datetime | None
    skip_reason: str | None = Field(description="acted, phase_over or rescheduled")


class NoticesOut(BaseModel):
    round_id: str
    notices: list[NoticeOut]


def notice_out(row: RowMapping) -> NoticeOut:
    return NoticeOut.model_validate(
        {**row, "status": round_notices.status_of(row), "queued_at": row["created_at"]}
    )


def _participants(row: RowMapping) -> list[str]:
    return [str(p["constituency_id"]) for p in row["participants"]]


def _visible(conn: Connection, round_id: str, caller: Principal) -> list[RowMapping]:
    row = visible_round(rounds.get(conn, round_id), caller)
    if caller.role is Role.SECRETARIAT:
        return round_notices.for_round(conn, round_id)
    if caller.role is Role.COORDINATOR:
        if caller.constituency_id not in _participants(row):
            raise Forbidden(
                N_("constituency %(constituency_id)s takes no part in round %(round_id)s"),
                constituency_id=caller.constituency_id,
                round_id=round_id,
            )
        return round_notices.for_round(conn, round_id, caller.constituency_id)
    assert caller.organisation_id is not None
    return round_notices.for_organisation(conn, caller.organisation_id, round_id)


@router.get(
    "/rounds/{round_id}/notices",
    response_model=NoticesOut,
    responses={
        401: {"description": "unauthorized: no valid token"},
        403: {"description": "forbidden: a coordinator of a constituency not in the round"},
        404: {"description": "not_found: no such round"},
    },
)
async def list_notices(round_id: str, caller: Caller, svc: ServicesDep) -> NoticesOut:
    """The notices of the round: a coordinator's constituency's, a member organisation's own,
    or (secretariat) all; when each was queued, due, sent, or skipped and why."""

    def load(conn: Connection) -> NoticesOut:
        rows = _visible(conn, round_id, caller)
        return NoticesOut(round_id=round_id, notices=[notice_out(r) for r in rows])

    return await read(svc, load)


# -- webhooks


class RoundWebhookIn(In):
    url: HttpUrl = Field(description="http(s) address that receives a signed POST per event")


class RoundWebhookOut(BaseModel):
    id: str
    constituency_id: str
    url: str
    created_at: datetime
    removed_at: datetime | None


class DeliveryCounts(BaseModel):
    sent: int
    waiting: int = Field(description="not delivered yet: due, or to be tried again")
    failed: int = Field(description="given up")


class RoundWebhookListed(RoundWebhookOut):
    deliveries: DeliveryCounts


class RoundWebhookRegistered(BaseModel):
    webhook: RoundWebhookOut
    secret: str = Field(
        description="shown once: verify each delivery as Standard Webhooks say (webhook-id, "
        "webhook-timestamp, webhook-signature), e.g. with standardwebhooks' Webhook(secret)"
    )


def _may_manage(conn: Connection, caller: Principal, constituency_id: str) -> None:
    registry.get_constituency(conn, constituency_id)
    if caller.role is not Role.SECRETARIAT:
        require_coordinator_of(caller, constituency_id)


def _hook(row: RowMapping) -> RoundWebhookOut:
    return RoundWebhookOut.model_validate(dict(row))


HOOK_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "unauthorized: no valid token"},
    403: {"description": "forbidden: not a coordinator of the constituency or the secretariat"},
    404: {"description": "not_found: no such constituency or webhook"},
}


@router.post(
    "/constituencies/{constituency_id}/webhooks",
    status_code=201,
    response_model=RoundWebhookRegistered,
    responses=HOOK_ERRORS,
)
async def register_round_webhook(
    constituency_id: str, body: RoundWebhookIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """The URL gets a POST for each round event of the constituency (round.published,
    round.phase_opened, round.deadline_extended, round.outcome), signed with the secret shown
    once here; a failed delivery is tried again with a growing pause."""

    def work(conn: Connection) -> RoundWebhookRegistered:
        _may_manage(conn, caller, constituency_id)
        row, secret = round_webhooks.register(
            conn, constituency_id, str(body.url), caller.credential_id
        )
        return RoundWebhookRegistered(webhook=_hook(row), secret=secret)

    return await writer.run(work, status=201)


@router.get(
    "/constituencies/{constituency_id}/webhooks",
    response_model=list[RoundWebhookListed],
    responses=HOOK_ERRORS,
)
async def list_round_webhooks(
    constituency_id: str, caller: Caller, svc: ServicesDep
) -> list[RoundWebhookListed]:
    """The constituency's webhooks still in use, with how their deliveries went."""

    def load(conn: Connection) -> list[RoundWebhookListed]:
        _may_manage(conn, caller, constituency_id)
        return [
            RoundWebhookListed.model_validate(
                {**row, "deliveries": round_webhooks.counts(conn, row["id"])}
            )
            for row in round_webhooks.active(conn, constituency_id)
        ]

    return await read(svc, load)


@router.delete(
    "/constituencies/{constituency_id}/webhooks/{webhook_id}",
    response_model=RoundWebhookOut,
    responses=HOOK_ERRORS,
)
async def remove_round_webhook(
    constituency_id: str, webhook_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    def work(conn: Connection) -> RoundWebhookOut:
        _may_manage(conn, caller, constituency_id)
        return _hook(round_webhooks.remove(conn, constituency_id, webhook_id))

    return await writer.run(work)
