"""Public pages, no sign-in: home, a round, the directory, a receipt, the reader's language and
time zone, and the stylesheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection, RowMapping

from api import schemas as s
from api.routes.rounds import visible_round
from api.routes.selection import get_count
from policies.campaigns import CampaignPhase
from policies.phases import Phase, is_before
from store import campaigns, nominations, profiles, regions, registry, rounds
from store import rules as rules_store
from store.letters import Letter
from web import i18n, receipts, words
from web.deps import ReaderDep, read
from web.errors import not_found
from web.pages import LANG_COOKIE, YEAR, ZONE_COOKIE, PageRoute, Reader, render, set_cookie, web_of
from web.routes import letters

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class Deadline:
    label: str  # message id
    at: datetime


@dataclass(frozen=True)
class Listed:
    """A round or campaign on the home page."""

    kind: str  # round | campaign
    id: str
    title: str
    title_lang: str
    phase: str  # message id
    deadline: Deadline | None
    open: bool


def _round_deadline(row: RowMapping) -> Deadline | None:
    found = words.ROUND_DEADLINES.get(row["phase"])
    return None if found is None else Deadline(found[1], row[found[0]])


def _campaign_deadline(row: RowMapping) -> Deadline | None:
    found = words.CAMPAIGN_DEADLINES.get(row["phase"])
    return None if found is None else Deadline(found[1], row[found[0]])


def _listed(conn: Connection, lang: str) -> list[Listed]:
    found: list[Listed] = []
    for r in rounds.list_rounds(conn, include_drafts=False):
        found.append(
            Listed(
                "round",
                r["id"],
                r["title"],
                "",  # a round's title is one text, in the language it was written in
                words.ROUND_PHASES[r["phase"]],
                _round_deadline(r),
                r["phase"] in (Phase.NOMINATIONS_OPEN, Phase.VOTING_OPEN),
            )
        )
    for c in campaigns.list_campaigns(conn):
        if c["phase"] == CampaignPhase.DRAFT:
            continue
        title_lang, text = i18n.pick(c["texts"], lang)
        found.append(
            Listed(
                "campaign",
                c["id"],
                text["title"],
                title_lang,
                words.CAMPAIGN_PHASES[c["phase"]],
                _campaign_deadline(c),
                c["phase"] == CampaignPhase.OPEN,
            )
        )
    # What closes soonest first; then what has no deadline left, newest first.
    far = datetime.max.replace(tzinfo=None)
    return sorted(
        found,
        key=lambda x: (
            x.deadline is None,
            x.deadline.at.replace(tzinfo=None) if x.deadline else far,
        ),
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, who: ReaderDep) -> Response:
    listed = await read(web_of(request), lambda conn: _listed(conn, who.lang))
    return render(
        request,
        who,
        "home.html",
        current=[x for x in listed if x.deadline is not None],
        past=[x for x in listed if x.deadline is None],
    )


# -- a round


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str | None  # None: not public (not consented to, or erased)
    organisation: str
    statement: str | None
    statement_lang: str
    erased: bool = False


@dataclass(frozen=True)
class Part:
    """A constituency's part of a round: its rules, candidates and result."""

    constituency_id: str
    name: str
    seats: int
    rules: Any  # policies.rules.SelectionRules
    candidates: list[Candidate]
    count: s.CountOut | None = None


def _candidates(
    conn: Connection, round_id: str, constituency_id: str, lang: str
) -> list[Candidate]:
    found = []
    for n in nominations.list_for(conn, round_id, constituency_id):
        if not n["standing"]:
            continue
        org = registry.get_organisation(conn, n["organisation_id"])
        shown = profiles.PUBLIC_VIEWER.shown(n)  # the profile once consented to, until erased
        statement_lang, statement = (
            i18n.pick(shown["statement"], lang) if shown["statement"] else ("", None)
        )
        found.append(
            Candidate(
                n["id"],
                shown["nominee_name"],
                org["name"],
                statement,
                statement_lang,
                erased=shown["profile"] == profiles.ERASED,
            )
        )
    return sorted(found, key=lambda c: ((c.name or "").casefold(), c.id))


def _round(conn: Connection, round_id: str, who: Reader) -> tuple[RowMapping, list[Part]]:
    row = visible_round(rounds.get(conn, round_id), who.principal)
    phase = Phase(row["phase"])
    fixed = phase is not Phase.CANCELLED and not is_before(phase, Phase.NOMINATIONS_CLOSED)
    parts = []
    for p in row["participants"]:
        cid = p["constituency_id"]
        parts.append(
            Part(
                cid,
                registry.get_constituency(conn, cid)["name"],
                p["seats"],
                rules_store.rules_for(conn, round_id, cid),
                _candidates(conn, round_id, cid, who.lang) if fixed else [],
            )
        )
    return row, parts


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
async def round_page(round_id: str, request: Request, who: ReaderDep) -> Response:
    web = web_of(request)
    row, parts = await read(web, lambda conn: _round(conn, round_id, who))
    if row["phase"] == Phase.DECIDED:
        parts = [
            Part(**{**p.__dict__, "count": await get_count(round_id, p.constituency_id, web.svc)})
            for p in parts
        ]
    issued: dict[str, list[Letter]] = {}  # designation letters, once the seats are confirmed
    if row["phase"] == Phase.DECIDED:
        cids = [p.constituency_id for p in parts]
        issued = await read(web, lambda conn: letters.of_round(conn, round_id, cids))
    return render(
        request,
        who,
        "round.html",
        round=row,
        parts=parts,
        phase_name=words.ROUND_PHASES[row["phase"]],
        deadline=_round_deadline(row),
        methods=words.METHODS,
        attributes=words.ATTRIBUTES,
        score_labels=words.SCORE_LABELS,
        step_values=words.STEP_VALUES,
        decided=row["phase"] == Phase.DECIDED,
        letters=issued,
        letter_path=letters.page_path,
    )


# -- the directory


@dataclass(frozen=True)
class Constituency:
    id: str
    name: str
    description: str
    members: list[RowMapping]
    coordinators: list[str]


def _directory(conn: Connection) -> tuple[list[Constituency], list[RowMapping], dict[str, str]]:
    found = [
        Constituency(
            c["id"],
            c["name"],
            c["description"],
            registry.list_members(conn, c["id"]),
            [k["name"] for k in registry.list_coordinators(conn, c["id"])],
        )
        for c in registry.list_constituencies(conn)
    ]
    region_names = {r.code: r.name for r in regions.current(conn)}
    return found, registry.list_organisations(conn), region_names


@router.get("/directory", response_class=HTMLResponse)
async def directory(request: Request, who: ReaderDep) -> Response:
    constituencies, organisations, region_names = await read(web_of(request), _directory)
    return render(
        request,
        who,
        "directory.html",
        constituencies=constituencies,
        organisations=organisations,
        region_names=region_names,
        types=words.ORGANISATION_TYPES,
    )


# -- a receipt


@router.get("/receipt", response_class=HTMLResponse)
async def receipt(request: Request, who: ReaderDep, r: str = "") -> Response:
    given = r.strip().lower()
    checked = None
    error = None
    if given:
        if not receipts.well_formed(given):
            error = "format"
        else:
            web = web_of(request)
            checked = await read(
                web, lambda conn: receipts.check(conn, given, web.svc.settings.log_origin)
            )
    return render(request, who, "receipt.html", given=r[:200], checked=checked, error=error)


# -- the reader's choices


def _local(target: str) -> str:
    """Only a path on this site: never somewhere else (an open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/language")
async def language(request: Request, lang: str = "", next: str = "/") -> Response:
    response = RedirectResponse(_local(next), status_code=303)
    if lang in i18n.LANGUAGES:
        set_cookie(web_of(request), response, LANG_COOKIE, lang, YEAR)
    return response


@router.get("/preferences", response_class=HTMLResponse)
async def preferences(
    request: Request,
    who: ReaderDep,
    tz: str | None = None,
    next: str = "/",
) -> Response:
    """The time zone dates are shown in: a plain GET form, stored in a cookie."""
    web = web_of(request)
    if tz is not None:
        response = RedirectResponse(_local(next), status_code=303)
        if tz in web.zones:
            set_cookie(web, response, ZONE_COOKIE, tz, YEAR)
        elif tz == "":
            response.delete_cookie(ZONE_COOKIE, path="/")
        return response
    return render(request, who, "preferences.html", zones=sorted(web.zones), next=_local(next))


@router.get("/static/{name}")
async def asset(name: str, request: Request) -> Response:
    for found in web_of(request).assets.values():
        if found.hashed == name:
            return Response(
                found.body,
                media_type=found.media_type,
                headers={"Cache-Control": "public, max-age=31536000, immutable"},
            )
    raise not_found()
