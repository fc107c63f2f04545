"""The secretariat's pages: organisations, constituencies and their coordinators, rounds (draft,
edit, publish, extend, cancel) and each round's participation so far.

Every page checks the secretariat role as the API does. Writes go through the API's request
models and the same store functions; publishing a round starts its workflow, and extending or
cancelling one is a command its workflow carries out, as from the API (api/routes/rounds.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, RowMapping
from starlette.datastructures import FormData

from api import schemas as s
from api.deps import temporal_client
from api.routes.registry import appoint_coordinator
from api.routes.rounds import (
    _live_round,
    _update,
    _without_defaults,
    restart_published,
    start_published,
)
from policies.access import Principal, require_secretariat
from policies.errors import (
    AlreadyExists,
    Conflict,
    DuplicateOrganisation,
    InvalidExtension,
    InvalidInput,
    InvalidSchedule,
    NotFound,
    UnknownCountry,
    UnknownRegion,
    WrongPhase,
)
from policies.phases import TERMINAL, Phase
from policies.rules import InvalidRules
from policies.signatories import organisation_key
from store import participation, regions, registry, rounds
from store import rules as rules_store
from web import i18n, invitations, words
from web.actions import write
from web.commands import command
from web.deps import FormDep, ReaderDep, read, signed_in
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, redirect, render, web_of
from web.routes.coordinator import METHOD_NAMES
from web.validation import Words, moment, moment_value, number, validated, zone_of
from workflows.selection_round import CancelRound, ExtendDeadline, SelectionRoundWorkflow

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DONE = {
    "registered": N_("The organisation is registered."),
    "created": N_("The constituency is created. Appoint its coordinators below."),
    "drafted": N_("The round is drafted. Each constituency's coordinators now set its rules."),
    "edited": N_("The draft is saved."),
    "published": N_(
        "The round is published: its rules are frozen and signed, and its schedule runs."
    ),
    "extended": N_("The deadline is extended. The reason is logged."),
    "cancelled": N_("The round is cancelled. The reason is logged."),
}

ORGANISATION_FIELDS = {
    "name": N_("Enter the organisation's name"),
    "country": N_("Choose the country of the organisation"),
    "region": N_("Choose a region from the list, or leave it empty"),
    "org_type": N_("Choose the type of the organisation"),
    "contact_email": N_("Enter an e-mail address in the right format, like name@example.org"),
    "reason": N_("Say why this is another organisation, up to 2000 characters"),
}
_ORGANISATION_LOC = {
    "name": "name",
    "country": "country",
    "region": "region",
    "type": "org_type",
    "contact_email": "contact_email",
    "reason": "reason",
}
CONSTITUENCY_FIELDS = {
    "name": N_("Enter the constituency's name, up to 300 characters"),
    "description": N_("The description can have up to 5000 characters"),
}
CONSTITUENCY_EXISTS = N_("A constituency with this name exists already")
COORDINATOR_FIELDS = {
    "name": N_("Enter the coordinator's name"),
    "email": N_("Enter an e-mail address in the right format, like name@example.org"),
    "organisation_id": N_("Choose an organisation from the list, or none"),
}
ROUND_FIELDS = {
    "title": N_("Enter the round's title, up to 300 characters"),
    "segments": N_("Give at least one segment, each with a title and its own code"),
    "participants": N_("Give seats to at least one constituency"),
    "nominations_open_at": N_("Enter a date and time like 2027-03-01 14:00"),
    "nominations_close_at": N_("Enter a date and time like 2027-03-01 14:00"),
    "voting_open_at": N_("Enter a date and time like 2027-03-01 14:00"),
    "voting_close_at": N_("Enter a date and time like 2027-03-01 14:00"),
}
SEGMENT_KEY = N_("Use lower-case letters, digits, - and _, starting with a letter or digit")
SEGMENT_TITLE = N_("Enter the segment's title")
SEATS = N_("Enter the seats, from 1 to 100, or leave it empty")
SCHEDULE_FIELDS = (
    "nominations_open_at",
    "nominations_close_at",
    "voting_open_at",
    "voting_close_at",
)
# The round's own minimum notice, in whole days (policies/notice.py keeps seconds); empty: the
# deployment's default.
NOTICE_FIELDS = ("notice_nominations", "notice_consent", "notice_voting", "notice_acceptance")
NOTICE_DAYS = N_("Enter a whole number of days, like 14, or leave it empty for the default")
THRESHOLD = N_("Enter a percentage from 0 to 100, or leave it empty")
DAY = 86_400
# What the schedule's policy says, by how it begins: the field, and our words for it.
SCHEDULE_REFUSALS = (
    (
        "nominations must close after they open",
        "nominations_close_at",
        N_("Nominations must close after they open"),
    ),
    (
        "voting must open when nominations close",
        "voting_open_at",
        N_("Voting must open when nominations close, or later"),
    ),
    ("voting must close after it opens", "voting_close_at", N_("Voting must close after it opens")),
)
EXTENSION_FIELDS = {
    "deadline": N_("Choose which deadline to extend"),
    "new_at": N_("Enter a date and time like 2027-03-01 14:00"),
    "reason": N_("Say why the deadline moves, up to 2000 characters: it is logged"),
}
EXTENSION_REFUSALS = (
    ("the new deadline", N_("The new deadline must be in the future.")),
    ("an extension must move", N_("An extension must move the deadline later than it is now.")),
    (
        "nominations cannot close after voting opens",
        N_("Nominations cannot close after voting opens."),
    ),
    ("the round is", N_("This round's deadlines can no longer be extended.")),
)
DEADLINE_PASSED = N_("This deadline has passed.")
CANCEL_REASON = N_("Say why the round is cancelled, up to 2000 characters: it is published")
PUBLISH_REFUSALS = {
    "rules": N_(
        "Every participating constituency must save its rules before the round is published."
    ),
    "schedule": N_("Nominations would already be closed: move the schedule later, then publish."),
    "infeasible": N_(
        "A constituency's rules no longer fit the seats the round gives it. "
        "Its coordinators must change them:"
    ),
}
DEADLINES = {
    "nominations_close": N_("Nominations close"),
    "voting_close": N_("Voting closes"),
}
MIN_SEGMENT_ROWS = 3


def _secretariat(who: Reader) -> Principal:
    caller = signed_in(who)
    require_secretariat(caller)
    return caller


@router.get("/secretariat", response_class=HTMLResponse)
async def overview(request: Request, who: ReaderDep) -> Response:
    _secretariat(who)

    def load(conn: Connection) -> dict[str, int]:
        return {
            "organisations": len(registry.list_organisations(conn)),
            "constituencies": len(registry.list_constituencies(conn)),
            "rounds": len(rounds.list_rounds(conn, include_drafts=True)),
        }

    counts = await read(web_of(request), load)
    return render(request, who, "manage/secretariat.html", counts=counts)


# -- organisations


def _organisations(conn: Connection) -> tuple[list[RowMapping], list[tuple[str, str]]]:
    return registry.list_organisations(conn), [(r.code, r.name) for r in regions.current(conn)]


async def _organisations_page(
    request: Request,
    who: Reader,
    form: Form | None = None,
    status: int = 200,
    namesakes: list[RowMapping] | None = None,
) -> Response:
    web = web_of(request)
    found, region_list = await read(web, _organisations)
    fmt = who.formatter(web)
    return render(
        request,
        who,
        "manage/organisations.html",
        status,
        organisations=found,
        regions=[(code, fmt.region(code, name)) for code, name in region_list],
        region_names=dict(region_list),
        types=words.ORGANISATION_TYPES,
        type_options=[(k, who.gettext(web, v)) for k, v in words.ORGANISATION_TYPES.items()],
        form=form or Form(),
        namesakes=namesakes or [],
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/secretariat/organisations", response_class=HTMLResponse)
async def organisations_page(request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    return await _organisations_page(request, who)


@router.post("/secretariat/organisations", response_class=HTMLResponse)
async def register(request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    say = Words.of(web_of(request), who)
    form = Form.of(
        data,
        [
            "name",
            "country",
            "region",
            "org_type",
            "migrant_led",
            "grassroots",
            "contact_email",
            "namesake_of",
            "reason",
        ],
    )
    body = validated(
        s.OrganisationIn,
        {
            "name": form.value("name"),
            "country": form.value("country"),
            "region": form.value("region") or None,
            "type": form.value("org_type"),
            "migrant_led": bool(form.value("migrant_led")),
            "grassroots": bool(form.value("grassroots")),
            "contact_email": form.value("contact_email"),
            "namesake_of": form.value("namesake_of") or None,
            "reason": form.value("reason") or None,
        },
        form,
        lambda loc: _ORGANISATION_LOC.get(loc[0] if loc else "", "name"),
        ORGANISATION_FIELDS,
        say,
    )
    if body is None or body.type not in words.ORGANISATION_TYPES:
        if body is not None:
            form.fail("org_type", say(ORGANISATION_FIELDS["org_type"]))
        return await _organisations_page(request, who, form, 422)
    data_in = body.model_dump(exclude={"namesake_of", "reason"})
    try:
        await write(
            request,
            who,
            lambda conn: registry.register_organisation(
                conn,
                data_in,
                caller.credential_id,
                namesake_of=body.namesake_of,
                reason=body.reason,
            ),
        )
    except DuplicateOrganisation:
        key = organisation_key(body.name, body.country)
        same = await read(web_of(request), lambda conn: registry.organisations_named(conn, key))
        form.values["namesake_of"] = same[0]["id"] if same else ""
        return await _organisations_page(request, who, form, 409, same)
    except UnknownCountry:
        form.fail("country", say(ORGANISATION_FIELDS["country"]))
        return await _organisations_page(request, who, form, 422)
    except UnknownRegion:
        form.fail("region", say(ORGANISATION_FIELDS["region"]))
        return await _organisations_page(request, who, form, 422)
    except InvalidInput:  # a namesake without its reason, or of another organisation
        form.fail("reason", say(ORGANISATION_FIELDS["reason"]))
        key = organisation_key(body.name, body.country)
        same = await read(web_of(request), lambda conn: registry.organisations_named(conn, key))
        return await _organisations_page(request, who, form, 422, same)
    return redirect(request, "/secretariat/organisations?done=registered")


# -- constituencies and coordinators


@dataclass(frozen=True)
class ConstituencyRow:
    row: RowMapping
    members: int
    coordinators: list[RowMapping]


def _constituencies(conn: Connection) -> list[ConstituencyRow]:
    return [
        ConstituencyRow(
            c, len(registry.list_members(conn, c["id"])), registry.list_coordinators(conn, c["id"])
        )
        for c in registry.list_constituencies(conn)
    ]


async def _constituencies_page(
    request: Request, who: Reader, form: Form | None = None, status: int = 200
) -> Response:
    found = await read(web_of(request), _constituencies)
    return render(
        request,
        who,
        "manage/constituencies.html",
        status,
        constituencies=found,
        form=form or Form(),
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/secretariat/constituencies", response_class=HTMLResponse)
async def constituencies_page(request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    return await _constituencies_page(request, who)


@router.post("/secretariat/constituencies", response_class=HTMLResponse)
async def create_constituency(request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    say = Words.of(web_of(request), who)
    form = Form.of(data, ["name", "description"])
    body = validated(
        s.ConstituencyIn,
        form.values,
        form,
        lambda loc: "description" if loc and loc[0] == "description" else "name",
        CONSTITUENCY_FIELDS,
        say,
    )
    if body is None:
        return await _constituencies_page(request, who, form, 422)
    try:
        made = await write(
            request,
            who,
            lambda conn: registry.create_constituency(
                conn, body.name, body.description, caller.credential_id
            ),
        )
    except AlreadyExists:
        form.fail("name", say(CONSTITUENCY_EXISTS))
        return await _constituencies_page(request, who, form, 409)
    return redirect(request, f"/secretariat/constituencies/{made['id']}?done=created")


def _constituency(
    conn: Connection, constituency_id: str
) -> tuple[RowMapping, list[RowMapping], list[RowMapping], list[RowMapping]]:
    return (
        registry.get_constituency(conn, constituency_id),
        registry.list_coordinators(conn, constituency_id),
        registry.list_members(conn, constituency_id),
        registry.list_organisations(conn),
    )


async def _constituency_page(
    request: Request,
    who: Reader,
    constituency_id: str,
    form: Form | None = None,
    status: int = 200,
) -> Response:
    row, coordinators, members, organisations = await read(
        web_of(request), lambda conn: _constituency(conn, constituency_id)
    )
    return render(
        request,
        who,
        "manage/constituency.html",
        status,
        constituency=row,
        coordinators=coordinators,
        members=members,
        organisations=[(o["id"], o["name"]) for o in organisations],
        form=form or Form({"send_link": "yes", "mail_lang": who.lang}),
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/secretariat/constituencies/{constituency_id}", response_class=HTMLResponse)
async def constituency_page(constituency_id: str, request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    return await _constituency_page(request, who, constituency_id)


@router.post(
    "/secretariat/constituencies/{constituency_id}/coordinators", response_class=HTMLResponse
)
async def appoint(
    constituency_id: str, request: Request, who: ReaderDep, data: FormDep
) -> Response:
    """Appoint a coordinator: the page that answers shows their API token, once, and says
    whether a sign-in link went to their address."""
    caller = _secretariat(who)
    web = web_of(request)
    say = Words.of(web, who)
    form = Form.of(data, ["name", "email", "organisation_id", "send_link", "mail_lang"])
    body = validated(
        s.CoordinatorIn,
        {
            "name": form.value("name"),
            "email": form.value("email"),
            "organisation_id": form.value("organisation_id") or None,
        },
        form,
        lambda loc: loc[0] if loc and loc[0] in COORDINATOR_FIELDS else "name",
        COORDINATOR_FIELDS,
        say,
    )
    if body is None:
        return await _constituency_page(request, who, constituency_id, form, 422)
    lang = form.value("mail_lang") if form.value("mail_lang") in i18n.LANGUAGES else who.lang

    def work(conn: Connection) -> tuple[s.CoordinatorIssued, bool]:
        issued = appoint_coordinator(conn, constituency_id, body, caller.credential_id)
        mailed = False
        if form.value("send_link"):
            mailed = invitations.send(
                conn,
                web,
                email=str(body.email),
                lang=lang,
                inviter=web.translations[lang].gettext(N_("The secretariat")),
                constituency=registry.get_constituency(conn, constituency_id)["name"],
            )
        return issued, mailed

    try:
        issued, mailed = await write(request, who, work)
    except NotFound as exc:
        if "organisation" not in exc.detail:
            raise
        form.fail("organisation_id", say(COORDINATOR_FIELDS["organisation_id"]))
        return await _constituency_page(request, who, constituency_id, form, 422)
    return render(
        request,
        who,
        "manage/appointed.html",
        issued=issued,
        mailed=mailed,
        email=str(body.email),
        constituency_id=constituency_id,
    )


# -- rounds


@dataclass(frozen=True)
class RoundView:
    round: RowMapping | None  # None for a new round
    constituencies: list[RowMapping]  # every constituency, for the seats of each
    names: dict[str, str]  # constituency id -> name
    rules: dict[str, int | None]  # participant id -> saved rules' version, None if none


def _round_view(conn: Connection, round_id: str | None) -> RoundView:
    everyone = registry.list_constituencies(conn)
    names = {c["id"]: c["name"] for c in everyone}
    if round_id is None:
        return RoundView(None, everyone, names, {})
    row = rounds.get(conn, round_id)
    saved: dict[str, int | None] = {}
    for p in row["participants"]:
        try:
            saved[p["constituency_id"]] = rules_store.get(conn, round_id, p["constituency_id"])[
                "version"
            ]
        except NotFound:
            saved[p["constituency_id"]] = None
    return RoundView(row, everyone, names, saved)


def _round_form(row: RowMapping, who: Reader) -> Form:
    values = {"title": row["title"]}
    for i, segment in enumerate(row["segments"], start=1):
        values |= {f"seg{i}_key": segment["key"], f"seg{i}_title": segment["title"]}
    for p in row["participants"]:
        values[f"seats-{p['constituency_id']}"] = str(p["seats"])
    for name in SCHEDULE_FIELDS:
        values[name] = moment_value(row[name], who)
    for name in NOTICE_FIELDS:
        seconds = (row["minimum_notice"] or {}).get(name.removeprefix("notice_"))
        values[name] = "" if seconds is None else str(seconds // DAY)
    threshold = row["ratification_threshold"]
    values["ratification_threshold"] = "" if threshold is None else str(threshold)
    return Form(values)


def _segment_rows(form: Form) -> int:
    filled = [i for i in range(1, 51) if form.value(f"seg{i}_key") or form.value(f"seg{i}_title")]
    return max(MIN_SEGMENT_ROWS, (max(filled) if filled else 0) + 2)


def _round_form_body(
    data: FormData, constituencies: list[RowMapping], who: Reader, say: Words
) -> tuple[Form, dict[str, Any], dict[str, str]]:
    """The form, the body RoundIn reads, and which form field each pydantic location is."""
    ids = [c["id"] for c in constituencies]
    names = [
        "title",
        *(f"seg{i}_{part}" for i in range(1, 51) for part in ("key", "title")),
        *(f"seats-{cid}" for cid in ids),
        *SCHEDULE_FIELDS,
        *NOTICE_FIELDS,
        "ratification_threshold",
    ]
    form = Form.of(data, names)
    where: dict[str, str] = {}
    segments: list[dict[str, str]] = []
    for i in range(1, 51):
        key, title = form.value(f"seg{i}_key"), form.value(f"seg{i}_title")
        if not (key or title):
            continue
        where[f"segments.{len(segments)}.key"] = f"seg{i}_key"
        where[f"segments.{len(segments)}.title"] = f"seg{i}_title"
        segments.append({"key": key or f"segment-{i}", "title": title})
    participants: list[dict[str, Any]] = []
    for cid in ids:
        seats = number(form, f"seats-{cid}", say)
        if seats is None:
            continue
        where[f"participants.{len(participants)}.seats"] = f"seats-{cid}"
        participants.append({"constituency_id": cid, "seats": seats})
    schedule = {name: moment(form, name, who, say) for name in SCHEDULE_FIELDS}
    body: dict[str, Any] = {
        "title": form.value("title"),
        "segments": segments,
        "participants": participants,
        "schedule": schedule,
    }
    notice = {}
    for name in NOTICE_FIELDS:
        days = number(form, name, say)
        if days is not None:
            window = name.removeprefix("notice_")
            notice[window] = days * DAY
            where[f"minimum_notice.{window}"] = name
    if notice:
        body["minimum_notice"] = notice
    threshold = number(form, "ratification_threshold", say)
    if threshold is not None:
        body["ratification_threshold"] = threshold
        where["ratification_threshold"] = "ratification_threshold"
    return form, body, where


def _round_field(where: Mapping[str, str]) -> Any:
    def field_of(loc: tuple[str, ...]) -> str:
        dotted = ".".join(loc)
        for prefix, name in where.items():
            if dotted.startswith(prefix):
                return name
        first = loc[0] if loc else "title"
        if first == "schedule":
            return loc[1] if len(loc) > 1 and loc[1] in SCHEDULE_FIELDS else SCHEDULE_FIELDS[0]
        if first == "segments":
            return "seg1_title"
        return first if first in ROUND_FIELDS else "title"

    return field_of


def _round_messages(where: Mapping[str, str]) -> dict[str, str]:
    messages = dict(ROUND_FIELDS)
    messages["seg1_title"] = ROUND_FIELDS["segments"]
    for name in where.values():
        if name.startswith("notice_"):
            messages[name] = NOTICE_DAYS
        elif name == "ratification_threshold":
            messages[name] = THRESHOLD
        elif name.endswith("_key"):
            messages[name] = SEGMENT_KEY
        elif name.startswith("seg"):
            messages[name] = SEGMENT_TITLE
        else:
            messages[name] = SEATS
    return messages


def _schedule_refusal(form: Form, detail: str, say: Words) -> None:
    for start, field, message in SCHEDULE_REFUSALS:
        if detail.startswith(start):
            form.fail(field, say(message))
            return
    form.fail(SCHEDULE_FIELDS[0], say(ROUND_FIELDS[SCHEDULE_FIELDS[0]]))


@router.get("/secretariat/rounds", response_class=HTMLResponse)
async def rounds_page(request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    found = await read(web_of(request), lambda conn: rounds.list_rounds(conn, include_drafts=True))
    return render(
        request,
        who,
        "manage/rounds.html",
        rounds=list(reversed(found)),
        phases=words.ROUND_PHASES,
    )


async def _round_editor(
    request: Request,
    who: Reader,
    round_id: str | None,
    form: Form | None = None,
    status: int = 200,
    refusals: Mapping[str, str] | None = None,
    english: str | None = None,
    extend_form: Form | None = None,
    cancel_form: Form | None = None,
) -> Response:
    """A new round's form, or a round's page: its draft form, or its extension and
    cancellation forms; ``refusals`` say why publishing was refused, ``english`` names the
    field whose error is in the policies' words."""
    view = await read(web_of(request), lambda conn: _round_view(conn, round_id))
    template = "manage/round_new.html" if round_id is None else "manage/round.html"
    if form is None:
        form = Form() if view.round is None else _round_form(view.round, who)
    phase = Phase.DRAFT if view.round is None else Phase(view.round["phase"])
    return render(
        request,
        who,
        template,
        status,
        view=view,
        form=form,
        segment_rows=_segment_rows(form),
        zone=zone_of(who).key,
        notice_days={
            k: v // DAY for k, v in web_of(request).svc.settings.minimum_notice().to_json().items()
        },
        editable=phase is Phase.DRAFT,
        live=phase is not Phase.DRAFT and phase not in TERMINAL,
        phases=words.ROUND_PHASES,
        deadlines=DEADLINES,
        refusals=refusals or {},
        extend_form=extend_form or Form({"deadline": "voting_close"}),
        cancel_form=cancel_form or Form(),
        english_errors=frozenset({english} if english else ()),
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/secretariat/rounds/new", response_class=HTMLResponse)
async def new_round_page(request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    return await _round_editor(request, who, None)


async def _all_constituencies(request: Request) -> list[RowMapping]:
    return await read(web_of(request), registry.list_constituencies)


@router.post("/secretariat/rounds/new", response_class=HTMLResponse)
async def create_round(request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    say = Words.of(web_of(request), who)
    form, body, where = _round_form_body(data, await _all_constituencies(request), who, say)
    valid = validated(s.RoundIn, body, form, _round_field(where), _round_messages(where), say)
    if valid is None or form.errors:
        return await _round_editor(request, who, None, form, 422)
    draft = _without_defaults(valid.model_dump())
    try:
        made = await write(
            request, who, lambda conn: rounds.create_draft(conn, draft, caller.credential_id)
        )
    except InvalidSchedule as exc:
        _schedule_refusal(form, exc.detail, say)
        return await _round_editor(request, who, None, form, 422)
    return redirect(request, f"/secretariat/rounds/{made['id']}?done=drafted")


@router.get("/secretariat/rounds/{round_id}", response_class=HTMLResponse)
async def round_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    _secretariat(who)
    return await _round_editor(request, who, round_id)


@router.post("/secretariat/rounds/{round_id}", response_class=HTMLResponse)
async def edit_round(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    say = Words.of(web_of(request), who)
    form, body, where = _round_form_body(data, await _all_constituencies(request), who, say)
    # The form gives every part of the draft: RoundIn checks it whole.
    valid = validated(s.RoundIn, body, form, _round_field(where), _round_messages(where), say)
    if valid is None or form.errors:
        return await _round_editor(request, who, round_id, form, 422)
    changes = _without_defaults(valid.model_dump())
    try:
        await write(
            request,
            who,
            lambda conn: rounds.update_draft(conn, round_id, changes, caller.credential_id),
        )
    except InvalidSchedule as exc:
        _schedule_refusal(form, exc.detail, say)
        return await _round_editor(request, who, round_id, form, 422)
    return redirect(request, f"/secretariat/rounds/{round_id}?done=edited")


@router.post("/secretariat/rounds/{round_id}/publish", response_class=HTMLResponse)
async def publish(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    svc = web_of(request).svc
    say = Words.of(web_of(request), who)
    temporal_client(svc)  # 503 before anything is written, while Temporal is out of reach
    try:
        notice = svc.settings.minimum_notice()
        await write(
            request,
            who,
            lambda conn: rounds.publish(conn, round_id, caller.credential_id, notice=notice),
        )
    except InvalidRules as exc:  # a participant's seats changed since its rules were saved
        refused = {"publish": say(PUBLISH_REFUSALS["infeasible"]), "detail": exc.detail}
        return await _round_editor(request, who, round_id, None, 409, refused)
    except InvalidSchedule as exc:  # the detail says which window is too short, and by how much
        refused = {"publish": say(PUBLISH_REFUSALS["schedule"]), "detail": exc.detail}
        return await _round_editor(request, who, round_id, None, 422, refused)
    except WrongPhase:  # not a draft: published before, its workflow perhaps never started
        if await restart_published(svc, round_id) is None:
            raise
        return redirect(request, f"/secretariat/rounds/{round_id}?done=published")
    except Conflict as exc:
        if "must publish its rules" not in exc.detail:  # store/rules.py: no rules saved yet
            raise
        refused = {"publish": say(PUBLISH_REFUSALS["rules"])}
        return await _round_editor(request, who, round_id, None, 409, refused)
    await start_published(svc, round_id)
    return redirect(request, f"/secretariat/rounds/{round_id}?done=published")


@router.post("/secretariat/rounds/{round_id}/extension", response_class=HTMLResponse)
async def extend(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    svc = web_of(request).svc
    say = Words.of(web_of(request), who)
    form = Form.of(data, ["deadline", "new_at", "reason"])
    new_at = moment(form, "new_at", who, say)
    body = validated(
        s.ExtendIn,
        {"deadline": form.value("deadline"), "new_at": new_at, "reason": form.value("reason")},
        form,
        lambda loc: loc[0] if loc and loc[0] in EXTENSION_FIELDS else "reason",
        EXTENSION_FIELDS,
        say,
    )
    if body is None or form.errors:
        return await _round_editor(request, who, round_id, extend_form=form, status=422)
    row = await _live_round(svc, round_id)
    cmd = ExtendDeadline(
        deadline=body.deadline, new_at=body.new_at, reason=body.reason, actor=caller.credential_id
    )
    try:
        await command(
            request,
            who,
            lambda: _update(svc, row, SelectionRoundWorkflow.extend_deadline, cmd, None),
        )
    except InvalidExtension as exc:
        english = None
        if " has passed" in exc.detail:
            form.fail("deadline", say(DEADLINE_PASSED))
        else:
            for start, message in EXTENSION_REFUSALS:
                if exc.detail.startswith(start):
                    form.fail("new_at", say(message))
                    break
            else:
                form.fail("new_at", exc.detail)
                english = "new_at"
        return await _round_editor(
            request, who, round_id, extend_form=form, status=409, english=english
        )
    return redirect(request, f"/secretariat/rounds/{round_id}?done=extended")


@router.post("/secretariat/rounds/{round_id}/cancellation", response_class=HTMLResponse)
async def cancel(round_id: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    caller = _secretariat(who)
    svc = web_of(request).svc
    say = Words.of(web_of(request), who)
    form = Form.of(data, ["cancel_reason"])
    body = validated(
        s.CancelIn,
        {"reason": form.value("cancel_reason")},
        form,
        lambda loc: "cancel_reason",
        {"cancel_reason": CANCEL_REASON},
        say,
    )
    if body is None:
        return await _round_editor(request, who, round_id, cancel_form=form, status=422)
    row = await _live_round(svc, round_id)
    cmd = CancelRound(reason=body.reason, actor=caller.credential_id)
    await command(request, who, lambda: _update(svc, row, SelectionRoundWorkflow.cancel, cmd, None))
    return redirect(request, f"/secretariat/rounds/{round_id}?done=cancelled")


# -- participation


@router.get("/secretariat/rounds/{round_id}/participation", response_class=HTMLResponse)
async def participation_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    _secretariat(who)

    def load(conn: Connection) -> tuple[RowMapping, list[participation.ConstituencyParticipation]]:
        return rounds.get(conn, round_id), participation.of_round(conn, round_id)

    row, parts = await read(web_of(request), load)
    return render(
        request,
        who,
        "manage/participation.html",
        round=row,
        parts=parts,
        phases=words.ROUND_PHASES,
        methods=METHOD_NAMES,
    )
