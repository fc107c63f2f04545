"""The nominee's page: the link the nominating organisation passes on (the nomination's id and
its one-time consent token) opens a page that says what accepting publishes and where; only
a POST of its forms accepts or declines (mail scanners open links). After declining, the
nominee can erase the nomination's personal data (store/erasure.py).

The writes are the API's: ``nominations.respond`` and ``erasure.by_nominee``, the API's
ConsentIn and ErasureIn, the same rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping

from api import schemas as s
from api.erasure_schemas import ErasureIn
from policies.errors import AlreadyErased, Conflict, Forbidden, NotFound
from policies.phases import Phase
from store import consent, erasure, nominations, registry, rounds, seats, withdrawals
from store import rules as rules_store
from web import i18n, words
from web.actions import write
from web.deps import FormDep, ReaderDep, read
from web.errors import N_, PageError
from web.pages import PageRoute, Reader, redirect, render, web_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DONE = {
    "accepted": N_("You have accepted the nomination. Your name and statement are now public."),
    "declined": N_("You have declined the nomination. Nothing about you is published."),
    "erased": N_("Your personal data in this nomination are erased."),
    "withdrawn": N_(
        "You have withdrawn your consent. Your name and statement are no longer shown."
    ),
}


def link_unusable() -> PageError:
    return PageError(
        403,
        N_("This link does not work"),
        N_(
            "Check that you opened the whole link you were given. If it still does not work, "
            "ask the organisation that nominated you for it again."
        ),
    )


@dataclass(frozen=True)
class ConsentView:
    nomination: RowMapping  # with its profile: the reader holds the consent token
    round: RowMapping
    constituency: RowMapping
    organisation: RowMapping
    counted: list[str]  # attributes the constituency's balance rules count
    seat: RowMapping | None = None  # the seat offered once selected (web/routes/seat.py)


def _view(conn: Connection, nomination_id: str, token: str) -> ConsentView:
    row = consent.nomination_for_nominee(conn, nomination_id, token)
    rules = rules_store.rules_for(conn, row["round_id"], row["constituency_id"])
    return ConsentView(
        row,
        rounds.get(conn, row["round_id"]),
        registry.get_constituency(conn, row["constituency_id"]),
        registry.get_organisation(conn, row["organisation_id"]),
        sorted({c.attribute for c in rules.constraints}),
        seats.offer_for(conn, nomination_id),
    )


async def _loaded(request: Request, nomination_id: str, token: str) -> ConsentView:
    if not token or len(token) > 200:
        raise link_unusable()
    try:
        return await read(web_of(request), lambda conn: _view(conn, nomination_id, token))
    except (Forbidden, NotFound):
        raise link_unusable() from None


def _here(nomination_id: str, token: str, done: str | None = None) -> str:
    path = f"/consent/{nomination_id}?token={quote(token, safe='')}"
    return path if done is None else f"{path}&done={done}"


@router.get("/consent/{nomination_id}", response_class=HTMLResponse)
async def consent_page(
    nomination_id: str, request: Request, who: ReaderDep, token: str = ""
) -> Response:
    """Opening the link shows the nomination and asks; it never consents."""
    view = await _loaded(request, nomination_id, token)
    return _render(request, who, view, token)


def _render(
    request: Request, who: Reader, view: ConsentView, token: str, status: int = 200
) -> Response:
    row = view.nomination
    shown, statement = i18n.pick(row["statement"], who.lang) if row["statement"] else ("", None)
    open_ = (
        view.round["phase"] == Phase.NOMINATIONS_OPEN
        and who.now < view.round["nominations_close_at"]
    )
    return render(
        request,
        who,
        "nominee/consent.html",
        status,
        view=view,
        row=row,
        token=token,
        statement=statement,
        statement_lang=shown,
        state="erased" if row["erased_at"] is not None else row["consent"],
        open=open_,
        attribute_names=words.ATTRIBUTES,
        types=words.ORGANISATION_TYPES,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.post("/consent/{nomination_id}", response_class=HTMLResponse)
async def answer(nomination_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    token = str(data.get("token", ""))
    try:
        body = s.ConsentIn.model_validate({"token": token, "decision": data.get("decision", "")})
    except ValidationError:
        raise link_unusable() from None
    accept = body.decision == "accept"

    def work(conn: Connection) -> object:
        if body.decision == "withdraw":
            return withdrawals.consent_by_nominee(conn, nomination_id, body.token)
        return nominations.respond(conn, nomination_id, body.token, accept)

    try:
        await write(request, who, work)
    except (Forbidden, NotFound):
        raise link_unusable() from None
    except Conflict as exc:
        if exc.code != Conflict.code:  # a closed phase: its page says so
            raise
        # Answered already (from another tab): the page says what stands.
        return redirect(request, _here(nomination_id, body.token))
    done = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}[body.decision]
    return redirect(request, _here(nomination_id, body.token, done))


@router.post("/consent/{nomination_id}/erasure", response_class=HTMLResponse)
async def erase(nomination_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    try:
        body = ErasureIn.model_validate({"token": data.get("token", "")})
    except ValidationError:
        raise link_unusable() from None
    token = body.token or ""
    try:
        await write(request, who, lambda conn: erasure.by_nominee(conn, nomination_id, token))
    except (Forbidden, NotFound):
        raise link_unusable() from None
    except AlreadyErased:
        pass  # from another tab: erased all the same
    return redirect(request, _here(nomination_id, token, "erased"))
