"""The notices of a round, as pages: a coordinator sees every notice of their constituency
(to show that everyone was told), a member organisation the notices it was sent. The same
store reads as the API's ``GET /v1/rounds/{r}/notices``; no address is ever shown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping

from policies.access import require_coordinator_of, require_member
from policies.errors import Forbidden
from store import registry, round_notices, rounds
from web import words
from web.deps import ReaderDep, read, signed_in
from web.errors import N_
from web.pages import PageRoute, render, web_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

KINDS = {
    round_notices.PUBLISHED: N_("The round was published"),
    round_notices.PHASE_OPENED: N_("A phase opened"),
    round_notices.DEADLINE_EXTENDED: N_("A deadline was extended"),
    round_notices.REMINDER: N_("Reminder before a deadline"),
    round_notices.OUTCOME: N_("The outcome was published"),
    round_notices.CONSENT_REQUEST: N_("Consent request to the nominee"),
    round_notices.CONSENT_ANSWERED: N_("The nominee answered"),
}
STATUSES = {
    "waiting": N_("Due later"),
    "queued": N_("Being sent"),
    "sent": N_("Sent"),
    "skipped": N_("Not sent"),
    "failed": N_("Could not be delivered"),
}
SKIP_REASONS = {
    round_notices.SKIP_ACTED: N_("already done"),
    round_notices.SKIP_CLOSED: N_("the window had closed"),
    round_notices.SKIP_MOVED: N_("moved with the deadline"),
    round_notices.SKIP_ERASED: N_("the address was erased"),
}
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


def _page(
    request: Request, who: ReaderDep, row: RowMapping, notices: list[RowMapping], **context: Any
) -> Response:
    return render(
        request,
        who,
        "notices.html",
        round=row,
        notices=[{**n, "status": round_notices.status_of(n)} for n in notices],
        kinds=KINDS,
        statuses=STATUSES,
        reasons=SKIP_REASONS,
        language_names=LANGUAGE_NAMES,
        phases=words.ROUND_PHASES,
        **context,
    )


@router.get("/coordinator/{constituency_id}/rounds/{round_id}/notices", response_class=HTMLResponse)
async def coordinator_notices(
    constituency_id: str, round_id: str, request: Request, who: ReaderDep
) -> Response:
    caller = signed_in(who)
    require_coordinator_of(caller, constituency_id)

    def load(conn: Connection) -> tuple[RowMapping, RowMapping, list[RowMapping]]:
        row = rounds.get(conn, round_id)
        if constituency_id not in {p["constituency_id"] for p in row["participants"]}:
            raise Forbidden(
                N_("constituency %(constituency_id)s takes no part in round %(round_id)s"),
                constituency_id=constituency_id,
                round_id=round_id,
            )
        place = registry.get_constituency(conn, constituency_id)
        return row, place, round_notices.for_round(conn, round_id, constituency_id)

    row, place, notices = await read(web_of(request), load)
    return _page(request, who, row, notices, constituency=place, manager=True)


@router.get("/member/rounds/{round_id}/notices", response_class=HTMLResponse)
async def member_notices(round_id: str, request: Request, who: ReaderDep) -> Response:
    caller = signed_in(who)
    require_member(caller)
    org = caller.organisation_id
    assert org is not None  # every member credential names one

    def load(conn: Connection) -> tuple[RowMapping, list[RowMapping]]:
        row = rounds.get(conn, round_id)
        if caller.constituency_id not in {p["constituency_id"] for p in row["participants"]}:
            raise Forbidden(
                N_("constituency %(constituency_id)s takes no part in round %(round_id)s"),
                constituency_id=caller.constituency_id,
                round_id=round_id,
            )
        return row, round_notices.for_organisation(conn, org, round_id)

    row, notices = await read(web_of(request), load)
    return _page(request, who, row, notices, manager=False)
