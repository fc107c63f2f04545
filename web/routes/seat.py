"""Seats after the count, in pages: the selected nominee's page, opened with the nomination's
id and consent token (the link they were given; only a POST of its forms answers, as mail
scanners open links), and the coordinator's view of each seat of their constituency in a round.

The writes are the API's: ``seats.answer`` with the API's SeatAnswerIn (api/routes/seats.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping

from api.seat_schemas import SeatAnswerIn
from policies.access import Role, require_coordinator_of
from policies.errors import Conflict, Forbidden, NotFound
from policies.seats import SUBSTITUTION
from store import consent, names, registry, rounds, seats
from store.rules import seats_of
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.routes.nominee import link_unusable

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DONE = {
    "accepted": N_("You have accepted the seat. Thank you."),
    "declined": N_("You have declined the seat. It passes to the next alternate."),
}
STATUS = {
    "offered": N_("waiting for an answer"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "lapsed": N_("not answered in time"),
    "empty": N_("empty: no alternate could take it"),
}
# The substitution methods, in words (policies/seats.py).
SUBSTITUTIONS = {
    SUBSTITUTION: N_(
        "A seat declined, or not accepted in time, goes to the first alternate in the published "
        "order who has not been asked before and with whom every balance rule still holds; "
        "alternates passed over stay in line. When no alternate keeps the rules, the seat stays "
        "empty, and that is stated."
    ),
}


@dataclass(frozen=True)
class SeatView:
    nomination: RowMapping
    round: RowMapping
    constituency: RowMapping
    offer: RowMapping | None


def _view(conn: Connection, nomination_id: str, token: str) -> SeatView:
    row = consent.nomination_for_nominee(conn, nomination_id, token)
    return SeatView(
        row,
        rounds.get(conn, row["round_id"]),
        registry.get_constituency(conn, row["constituency_id"]),
        seats.offer_for(conn, nomination_id),
    )


def _here(nomination_id: str, token: str, done: str | None = None) -> str:
    path = f"/seat/{nomination_id}?token={quote(token, safe='')}"
    return path if done is None else f"{path}&done={done}"


@router.get("/seat/{nomination_id}", response_class=HTMLResponse)
async def seat_page(
    nomination_id: str, request: Request, who: ReaderDep, token: str = ""
) -> Response:
    """Opening the link shows the seat offered and asks; it never answers."""
    if not token or len(token) > 200:
        raise link_unusable()
    try:
        view = await read(web_of(request), lambda conn: _view(conn, nomination_id, token))
    except (Forbidden, NotFound):
        raise link_unusable() from None
    return _render(request, who, view, token)


def _render(request: Request, who: Reader, view: SeatView, token: str) -> Response:
    offer = view.offer
    open_ = offer is not None and offer["status"] == "offered" and who.now < offer["deadline"]
    return render(
        request,
        who,
        "nominee/seat.html",
        200,
        view=view,
        offer=offer,
        token=token,
        open=open_,
        states=STATUS,
        method=SUBSTITUTIONS[SUBSTITUTION],
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.post("/seat/{nomination_id}", response_class=HTMLResponse)
async def answer(nomination_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    try:
        body = SeatAnswerIn.model_validate(
            {"token": str(data.get("token", "")), "decision": data.get("decision", "")}
        )
    except ValidationError:
        raise link_unusable() from None
    accept = body.decision == "accept"
    try:
        await write(
            request, who, lambda conn: seats.answer(conn, nomination_id, body.token, accept)
        )
    except Forbidden:
        raise link_unusable() from None
    except (Conflict, NotFound):
        # Answered already (another tab), lapsed, or no seat: the page says what stands.
        return redirect(request, _here(nomination_id, body.token))
    done = "accepted" if accept else "declined"
    return redirect(request, _here(nomination_id, body.token, done))


# -- the coordinator's view


@dataclass(frozen=True)
class SeatsView:
    round: RowMapping
    constituency: RowMapping
    state: RowMapping | None
    seats: list[seats.SeatView]
    names: dict[str, str]  # nomination id -> the nominee's public name, where there is one


def _seats_view(conn: Connection, round_id: str, constituency_id: str) -> SeatsView:
    round_row = rounds.get(conn, round_id)
    seats_of(round_row, constituency_id)  # takes part in the round
    known = names.of_nominations(conn, round_id, constituency_id)
    shown = {
        nid: named.name
        for nid, by_id in known.items()
        for key, named in by_id.items()
        if key == nid and named.name
    }
    return SeatsView(
        round_row,
        registry.get_constituency(conn, constituency_id),
        seats.state(conn, round_id, constituency_id),
        seats.seats_of(conn, round_id, constituency_id),
        shown,
    )


@router.get("/coordinator/{constituency_id}/rounds/{round_id}/seats", response_class=HTMLResponse)
async def seats_page(
    constituency_id: str, round_id: str, request: Request, who: ReaderDep
) -> Response:
    """Each seat as it stands: who holds it or is asked, until when, and who declined or let
    it lapse before; for the constituency's coordinators and the secretariat."""
    caller = signed_in(who)
    if caller.role is not Role.SECRETARIAT:
        require_coordinator_of(caller, constituency_id)
    view = await read(web_of(request), lambda conn: _seats_view(conn, round_id, constituency_id))
    return render(
        request,
        who,
        "manage/seats.html",
        200,
        view=view,
        states=STATUS,
        method=SUBSTITUTIONS[SUBSTITUTION],
    )
