"""Launching a sign-on campaign from the pages: a draft, then its publication. As in the API,
the secretariat launches any campaign and a coordinator one for their own constituency
(policies.access.campaign_owner), and each manages the campaigns it launched; publishing
starts the campaign's workflow (api/routes/campaigns.py)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api import campaign_schemas as cs
from api.deps import temporal_client
from api.routes.campaigns import _managed, _manages, restart_published, start_published
from policies.access import Principal, Role, campaign_owner
from policies.campaigns import CampaignPhase
from policies.errors import InvalidInput, InvalidSchedule, WrongPhase
from store import campaigns, registry
from web import i18n, words
from web.actions import write
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.validation import Words, moment, validated, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELDS = {
    "statement": N_("Give the statement's title and text in at least one language"),
    "signers": N_("Choose who may sign"),
    "constituencies": N_("Choose the constituencies whose members may sign"),
    "opens_at": N_("Enter a date and time like 2027-03-01 14:00"),
    "closes_at": N_("Enter a date and time like 2027-03-01 14:00, after the opening"),
    "milestones": N_("Enter numbers of signatories, like 50, 100, 500, each once"),
    "contact_name": N_("Enter the name people can write to about the campaign"),
    "contact_email": N_("Enter an e-mail address in the right format, like name@example.org"),
}
TITLE = N_("Enter a title for this language, or leave both empty")
TEXT = N_("Enter the text for this language, or leave both empty")
DONE = {
    "drafted": N_("The campaign is drafted. Check it, then publish it."),
}
PUBLISH_REFUSED = N_("Signing would already be closed: this draft can no longer be published.")
_MILESTONE = re.compile(r"^\d{1,7}$")


def _manager(who: Reader) -> Principal:
    caller = signed_in(who)
    if caller.role not in (Role.SECRETARIAT, Role.COORDINATOR):
        campaign_owner(caller, [])  # refuses, in the API's words
    return caller


def _managed_campaigns(conn: Connection, caller: Principal) -> list[RowMapping]:
    return [c for c in reversed(campaigns.list_campaigns(conn)) if _manages(caller, c)]


@router.get("/manage/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request, who: ReaderDep) -> Response:
    caller = _manager(who)
    found = await read(web_of(request), lambda conn: _managed_campaigns(conn, caller))
    return render(
        request,
        who,
        "manage/campaigns.html",
        campaigns=found,
        phases=words.CAMPAIGN_PHASES,
        pick=i18n.pick,
    )


def _choices(conn: Connection, caller: Principal) -> list[RowMapping]:
    """The constituencies a new campaign may name: every one, or the coordinator's own."""
    if caller.role is Role.COORDINATOR and caller.constituency_id is not None:
        return [registry.get_constituency(conn, caller.constituency_id)]
    return registry.list_constituencies(conn)


async def _new_page(
    request: Request, who: Reader, caller: Principal, form: Form | None = None, status: int = 200
) -> Response:
    choices = await read(web_of(request), lambda conn: _choices(conn, caller))
    return render(
        request,
        who,
        "manage/campaign_new.html",
        status,
        form=form or Form({"signers": "any"}),
        choices=choices,
        zone=zone_of(who).key,
    )


@router.get("/manage/campaigns/new", response_class=HTMLResponse)
async def new_page(request: Request, who: ReaderDep) -> Response:
    caller = _manager(who)
    return await _new_page(request, who, caller)


def _body(
    data: FormData, choices: list[RowMapping], who: Reader, say: Words
) -> tuple[Form, dict[str, Any]]:
    ids = [c["id"] for c in choices]
    texts = [f"{part}_{lang}" for lang in i18n.LANGUAGES for part in ("title", "text")]
    names = [
        *texts,
        "signers",
        *(f"con-{cid}" for cid in ids),
        "opens_at",
        "closes_at",
        "milestones",
        "contact_name",
        "contact_email",
    ]
    form = Form.of(data, names)
    statement = {}
    for lang in i18n.LANGUAGES:
        title, text = form.value(f"title_{lang}"), form.value(f"text_{lang}")
        if title or text:
            statement[lang] = {"title": title, "text": text}
    milestones: list[Any] = []
    for part in re.split(r"[,;\s]+", form.value("milestones")):
        if part:
            milestones.append(int(part) if _MILESTONE.match(part) else part)
    signers = form.value("signers")
    body: dict[str, Any] = {
        "statement": statement,
        "signers": signers,
        # Constituencies are named only for a members-only campaign.
        "constituencies": [cid for cid in ids if form.value(f"con-{cid}")]
        if signers == "members"
        else [],
        "opens_at": moment(form, "opens_at", who, say),
        "closes_at": moment(form, "closes_at", who, say),
        "milestones": milestones,
        "contact": {"name": form.value("contact_name"), "email": form.value("contact_email")},
    }
    return form, body


def _field(loc: tuple[str, ...]) -> str:
    first = loc[0] if loc else "statement"
    if first == "statement":
        if len(loc) >= 3 and loc[1] in i18n.LANGUAGES:
            return f"{loc[2]}_{loc[1]}" if loc[2] in ("title", "text") else f"title_{loc[1]}"
        return "title_en"
    if first == "contact":
        return "contact_email" if "email" in loc else "contact_name"
    return first if first in FIELDS else "title_en"


def _messages() -> dict[str, str]:
    messages = dict(FIELDS)
    messages["title_en"] = FIELDS["statement"]
    for lang in i18n.LANGUAGES[1:]:
        messages[f"title_{lang}"] = TITLE
    for lang in i18n.LANGUAGES:
        messages[f"text_{lang}"] = TEXT
    return messages


@router.post("/manage/campaigns/new", response_class=HTMLResponse)
async def create(request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _manager(who)
    say = Words.of(web_of(request), who)
    choices = await read(web_of(request), lambda conn: _choices(conn, caller))
    form, body = _body(data, choices, who, say)
    valid = validated(cs.CampaignIn, body, form, _field, _messages(), say)
    if valid is None or form.errors:
        return await _new_page(request, who, caller, form, 422)
    owner = campaign_owner(caller, valid.constituencies)
    draft = valid.model_dump()
    try:
        made = await write(
            request,
            who,
            lambda conn: campaigns.create_draft(
                conn, draft, caller.credential_id, owner, lang=who.lang
            ),
        )
    except InvalidSchedule:
        form.fail("closes_at", say(FIELDS["closes_at"]))
        return await _new_page(request, who, caller, form, 422)
    except InvalidInput as exc:
        name = "milestones" if "milestone" in exc.detail else "constituencies"
        form.fail(name, say(FIELDS[name]))
        return await _new_page(request, who, caller, form, 422)
    return redirect(request, f"/manage/campaigns/{made['id']}?done=drafted")


async def _campaign_page(
    request: Request,
    who: Reader,
    campaign_id: str,
    caller: Principal,
    refused: str | None = None,
    status: int = 200,
) -> Response:
    def load(conn: Connection) -> tuple[RowMapping, dict[str, str]]:
        row = _managed(conn, campaign_id, caller)
        names = {c: registry.get_constituency(conn, c)["name"] for c in row["constituencies"]}
        return row, names

    row, names = await read(web_of(request), load)
    return render(
        request,
        who,
        "manage/campaign.html",
        status,
        campaign=row,
        names=names,
        texts=[(lang, row["texts"][lang]) for lang in sorted(row["texts"])],
        phases=words.CAMPAIGN_PHASES,
        draft=row["phase"] == CampaignPhase.DRAFT,
        refused=refused,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/manage/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(campaign_id: str, request: Request, who: ReaderDep) -> Response:
    caller = _manager(who)
    return await _campaign_page(request, who, campaign_id, caller)


@router.post("/manage/campaigns/{campaign_id}/publish", response_class=HTMLResponse)
async def publish(campaign_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _manager(who)
    svc = web_of(request).svc
    await read(web_of(request), lambda conn: _managed(conn, campaign_id, caller))
    temporal_client(svc)  # 503 before anything is written, while Temporal is out of reach

    def work(conn: Connection) -> RowMapping:
        _managed(conn, campaign_id, caller)
        return campaigns.publish(conn, campaign_id, caller.credential_id)

    try:
        await write(request, who, work)
    except WrongPhase:  # not a draft: published before, its workflow perhaps never started
        if await restart_published(svc, campaign_id, caller) is None:
            raise
    except InvalidSchedule:
        refused = Words.of(web_of(request), who)(PUBLISH_REFUSED)
        return await _campaign_page(request, who, campaign_id, caller, refused, 422)
    else:
        await start_published(svc, campaign_id)
    return redirect(request, f"/campaigns/{campaign_id}")
