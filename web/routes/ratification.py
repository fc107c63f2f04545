"""The draft rules put to the members, in pages: one page per round and constituency, for the
secretariat, the constituency's coordinators and its member organisations.

Each reader sees the draft rules in words and the answers so far; each gets the form of their
role: a coordinator puts the rules to the members (again, after changing them), a member
organisation approves them or not with a public comment, the secretariat lets the round be
published without the threshold, with a reason that is logged. The writes are the API's
(store/ratification.py), with the API's request models (api/routes/ratification.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api.routes.ratification import AnswerIn, OverrideIn, answering_member, require_may_see
from policies import rules as r
from policies.access import Principal, require_coordinator_of, require_secretariat
from policies.errors import NotFound
from policies.phases import Phase
from policies.ratification import Ratification
from store import ratification, registry, rounds
from store import rules as rules_store
from store.rules import seats_of
from web import words
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.validation import Words, validated

router = APIRouter(route_class=PageRoute, include_in_schema=False)
BASE = "/ratification/{round_id}/{constituency_id}"

DONE = {
    "put": N_("The rules are put to the member organisations."),
    "answered": N_("Your organisation's answer is recorded. You can change it until publication."),
    "override": N_("The round may be published without the threshold. The reason is logged."),
}
ANSWER_FIELDS = {
    "approve": N_("Choose whether your organisation approves these rules"),
    "comment": N_("Write at most 4000 characters"),
}
OVERRIDE_FIELDS = {
    "reason": N_("Write the reason that will be published, from 3 to 2000 characters"),
}


@dataclass(frozen=True)
class Answer:
    organisation: str
    row: RowMapping


@dataclass(frozen=True)
class View:
    round: RowMapping
    constituency: RowMapping
    seats: int
    rules: r.SelectionRules | None
    version: int | None  # of the rules as they stand
    found: Ratification | None  # None while no rules are saved
    answers: list[Answer]
    own: RowMapping | None  # the member organisation's own answer

    @property
    def draft(self) -> bool:
        return bool(self.round["phase"] == Phase.DRAFT)

    @property
    def changed(self) -> bool:
        """The rules changed since they were put to the members."""
        asked = None if self.found is None else self.found.rules_version
        return asked is not None and asked != self.version


def _view(conn: Connection, round_id: str, constituency_id: str, caller: Principal) -> View:
    row = rounds.get(conn, round_id)
    seats = seats_of(row, constituency_id)  # not_found when the constituency takes no part
    try:
        saved: RowMapping | None = rules_store.get(conn, round_id, constituency_id)
    except NotFound:
        saved = None  # nothing to put to the members yet
    found = None if saved is None else ratification.summary(conn, round_id, constituency_id)
    answers = [
        Answer(registry.get_organisation(conn, a["organisation_id"])["name"], a)
        for a in ratification.answers(conn, round_id, constituency_id)
    ]
    own = next((a.row for a in answers if a.row["organisation_id"] == caller.organisation_id), None)
    return View(
        row,
        registry.get_constituency(conn, constituency_id),
        seats,
        rules_store.rules_for(conn, round_id, constituency_id) if saved else None,
        None if saved is None else saved["version"],
        found,
        answers,
        own,
    )


async def _page(
    request: Request,
    who: Reader,
    round_id: str,
    constituency_id: str,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    caller = signed_in(who)
    require_may_see(caller, constituency_id)
    view = await read(web_of(request), lambda conn: _view(conn, round_id, constituency_id, caller))
    return render(
        request,
        who,
        "manage/ratification.html",
        status,
        view=view,
        role=caller.role.value,
        form=form or Form(),
        done=DONE.get(request.query_params.get("done", "")),
        phases=words.ROUND_PHASES,
        methods=words.METHODS,
        attributes=words.ATTRIBUTES,
    )


def _back(request: Request, round_id: str, constituency_id: str, done: str) -> Response:
    return redirect(request, f"/ratification/{round_id}/{constituency_id}?done={done}")


@router.get(BASE, response_class=HTMLResponse)
async def ratification_page(
    round_id: str, constituency_id: str, request: Request, who: ReaderDep
) -> Response:
    return await _page(request, who, round_id, constituency_id)


@router.post(BASE + "/put", response_class=HTMLResponse)
async def put_to_members(
    round_id: str, constituency_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = signed_in(who)
    require_coordinator_of(caller, constituency_id)
    await write(
        request,
        who,
        lambda conn: ratification.put_to_members(
            conn, round_id, constituency_id, caller.credential_id
        ),
    )
    return _back(request, round_id, constituency_id, "put")


def _answer_body(data: FormData, say: Words) -> tuple[Form, AnswerIn | None]:
    form = Form.of(data, ["approve", "comment"])
    choice = form.value("approve")
    body = validated(
        AnswerIn,
        {
            "approve": {"yes": True, "no": False}.get(choice, ""),
            "comment": form.value("comment") or None,
        },
        form,
        lambda loc: loc[0] if loc and loc[0] in ANSWER_FIELDS else "approve",
        ANSWER_FIELDS,
        say,
    )
    return form, body


@router.post(BASE + "/answer", response_class=HTMLResponse)
async def answer(
    round_id: str, constituency_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = signed_in(who)
    org = answering_member(caller, constituency_id)
    form, body = _answer_body(data, Words.of(web_of(request), who))
    if body is None:
        return await _page(request, who, round_id, constituency_id, form, 422)
    await write(
        request,
        who,
        lambda conn: ratification.respond(
            conn,
            round_id,
            constituency_id,
            org,
            body.approve,
            body.comment,
            caller.credential_id,
        ),
    )
    return _back(request, round_id, constituency_id, "answered")


@router.post(BASE + "/override", response_class=HTMLResponse)
async def override(
    round_id: str, constituency_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    caller = signed_in(who)
    require_secretariat(caller)
    form = Form.of(data, ["reason"])
    body = validated(
        OverrideIn,
        {"reason": form.value("reason")},
        form,
        lambda loc: "reason",
        OVERRIDE_FIELDS,
        Words.of(web_of(request), who),
    )
    if body is None:
        return await _page(request, who, round_id, constituency_id, form, 422)
    await write(
        request,
        who,
        lambda conn: ratification.override(
            conn, round_id, constituency_id, body.reason, caller.credential_id
        ),
    )
    return _back(request, round_id, constituency_id, "override")
