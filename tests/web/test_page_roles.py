"""Every coordinator, secretariat, campaign-desk, member and nominee page × secretariat / own
coordinator / other coordinator / member / member of another constituency / nobody signed in:
a session cannot act outside its role, as the API's role matrix (tests/api/test_role_matrix.py)
shows for the API. A nominee's page is anyone's who holds the consent token, and nobody's
without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr

from mandate import keyfile
from mandate.settings import Settings
from store import campaigns, credentials, nominations
from store.db import Database
from tests import campaign_support as cs
from tests.keys import ORIGIN
from tests.web.manage_support import (
    Constituency,
    constituency,
    draft_round,
    nominate,
    open_round,
    secretariat,
    sign_in_with_token,
)
from tests.web.support import hidden, pages
from web.app import create_app
from web.pages import PageRoute

ROLES = ("secretariat", "coordinator_own", "coordinator_other", "member", "member_other", "none")
SECRETARIAT = frozenset({"secretariat"})
OWN = frozenset({"coordinator_own"})
COORDINATORS = frozenset({"coordinator_own", "coordinator_other"})
LAUNCHERS = frozenset({"secretariat", "coordinator_own", "coordinator_other"})
MANAGERS = frozenset({"secretariat", "coordinator_own"})
MEMBERS = frozenset({"member", "member_other"})
OWN_MEMBER = frozenset({"member"})
TOKEN_HOLDERS = frozenset(ROLES)  # the nominee's pages: whoever holds the consent token
PREFIXES = (
    "/coordinator",
    "/secretariat",
    "/manage",
    "/member",
    "/consent",
    "/ratification",
    "/seat",
)
# The draft rules put to the members: the secretariat, and the constituency's own.
RATIFIERS = frozenset({"secretariat", "coordinator_own", "member"})


@dataclass(frozen=True)
class Case:
    method: str
    # {c} own constituency, {o} its member organisation, {d} a draft round it takes part in,
    # {r} a round whose nominations are open, {n} a nomination there, {q} a draft campaign of
    # the own constituency, {k} another nomination there and {t} its consent token
    path: str
    allowed: frozenset[str]
    body: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("GET", "/coordinator", COORDINATORS),
    Case("GET", "/coordinator/{c}", OWN),
    Case("POST", "/coordinator/{c}/members", OWN, {"organisation_id": "{spare}"}),
    Case("POST", "/coordinator/{c}/members/{o}/invitation", OWN),
    Case("GET", "/coordinator/{c}/members/{o}/removal", OWN),
    Case("GET", "/coordinator/{c}/rounds/{d}/rules", OWN),
    Case("POST", "/coordinator/{c}/rounds/{d}/rules", OWN, {"method": "approval.phragmen"}),
    Case("GET", "/coordinator/{c}/rounds/{r}/nominations", OWN),
    Case("GET", "/coordinator/{c}/rounds/{r}/notices", OWN),
    Case("GET", "/coordinator/{c}/rounds/{r}/seats", MANAGERS),
    Case(
        "POST",
        "/coordinator/{c}/nominations/{n}/rejection",
        OWN,
        {"reason_code": "other", "reason": "matrix"},
    ),
    Case("GET", "/secretariat", SECRETARIAT),
    Case("GET", "/secretariat/organisations", SECRETARIAT),
    Case(
        "POST",
        "/secretariat/organisations",
        SECRETARIAT,
        {"name": "Org {tag}", "country": "KE", "org_type": "ngo", "contact_email": "o@x.org"},
    ),
    Case("GET", "/secretariat/constituencies", SECRETARIAT),
    Case("POST", "/secretariat/constituencies", SECRETARIAT, {"name": "C {tag}"}),
    Case("GET", "/secretariat/constituencies/{c}", SECRETARIAT),
    Case(
        "POST",
        "/secretariat/constituencies/{c}/coordinators",
        SECRETARIAT,
        {"name": "Li Wei", "email": "li@example.org"},
    ),
    Case("GET", "/secretariat/rounds", SECRETARIAT),
    Case("GET", "/secretariat/rounds/new", SECRETARIAT),
    Case("POST", "/secretariat/rounds/new", SECRETARIAT, {"title": "Incomplete"}),
    Case("GET", "/secretariat/rounds/{d}", SECRETARIAT),
    Case("POST", "/secretariat/rounds/{d}", SECRETARIAT, {"title": "Incomplete"}),
    Case("POST", "/secretariat/rounds/{d}/publish", SECRETARIAT),
    Case("POST", "/secretariat/rounds/{r}/extension", SECRETARIAT, {"reason": "matrix"}),
    Case("POST", "/secretariat/rounds/{r}/cancellation", SECRETARIAT, {"cancel_reason": ""}),
    Case("GET", "/secretariat/rounds/{r}/participation", SECRETARIAT),
    Case("GET", "/manage/campaigns", LAUNCHERS),
    Case("GET", "/manage/campaigns/new", LAUNCHERS),
    Case("POST", "/manage/campaigns/new", LAUNCHERS, {"title_en": "Incomplete"}),
    Case("GET", "/manage/campaigns/{q}", MANAGERS),
    Case("POST", "/manage/campaigns/{q}/publish", MANAGERS),
    Case("GET", "/ratification/{d}/{c}", RATIFIERS),
    Case("POST", "/ratification/{d}/{c}/put", OWN),
    Case("POST", "/ratification/{d}/{c}/answer", OWN_MEMBER, {"approve": "yes"}),
    Case("POST", "/ratification/{d}/{c}/override", SECRETARIAT, {"reason": "matrix"}),
    Case("GET", "/member", MEMBERS),
    Case("GET", "/member/rounds/{r}", OWN_MEMBER),
    Case("GET", "/member/rounds/{r}/nominate", OWN_MEMBER),
    Case(
        "POST",
        "/member/rounds/{r}/nominate",
        OWN_MEMBER,
        {"nominee_name": "Matrix", "organisation_id": "{o}", "statement_en": "x"},
    ),
    Case("POST", "/member/nominations/{n}/endorsement", OWN_MEMBER),
    Case("GET", "/member/rounds/{r}/ballot", OWN_MEMBER),
    Case("GET", "/member/rounds/{r}/notices", OWN_MEMBER),
    Case("POST", "/member/rounds/{r}/ballot", OWN_MEMBER, {"approve": "{n}"}),
    Case("GET", "/consent/{k}?token={t}", TOKEN_HOLDERS),
    Case("POST", "/consent/{k}", TOKEN_HOLDERS, {"token": "{t}", "decision": "decline"}),
    Case("POST", "/consent/{k}/erasure", TOKEN_HOLDERS, {"token": "{t}"}),
    Case("GET", "/seat/{k}?token={t}", TOKEN_HOLDERS),
    Case("POST", "/seat/{k}", TOKEN_HOLDERS, {"token": "{t}", "decision": "accept"}),
    # Withdrawals near the end: they change the nomination the cases above act on.
    Case("POST", "/member/nominations/{w}/endorsement-withdrawal", OWN_MEMBER),
    Case("POST", "/member/nominations/{w}/withdrawal", OWN_MEMBER),
    # Last: the member is removed, and its session ends with its credential.
    Case("POST", "/coordinator/{c}/members/{o}/removal", OWN),
]


@dataclass
class World:
    ids: dict[str, str]
    clients: dict[str, httpx.AsyncClient]
    csrf: dict[str, str]

    def fill(self, template: str) -> str:
        return template.format(**self.ids)


def _made_by_member(db: Database, round_id: str, own: Constituency) -> str:
    """A nomination its member organisation made with its own token: the one it may withdraw."""
    with db.write() as conn:
        me = credentials.authenticate(conn, own.member_token)
        made = nominations.nominate(
            conn,
            round_id,
            own.id,
            {
                "nominee_name": "Wanjiru Kamau",
                "organisation_id": own.member,
                "attributes": {},
                "statement": {"en": "Wanjiru will speak."},
            },
            me.credential_id,
        )
    return str(made.nomination["id"])


@pytest.fixture
async def world(db: Database, tmp_path: Path) -> AsyncIterator[World]:
    own, other = constituency(db), constituency(db)
    draft = draft_round(db, own.id)
    rid = open_round(db, own.id, {"one_nominee_per_organisation": False})
    now = datetime.now(UTC)
    with db.write() as conn:
        drafted = campaigns.create_draft(
            conn, cs.campaign_data(now + timedelta(days=1), now + timedelta(days=9)), "t", own.id
        )
    with db.write() as conn:
        other_nomination = nominations.nominate(
            conn,
            rid,
            own.id,
            {
                "nominee_name": "Ana Lima",
                "organisation_id": own.member,
                "attributes": {},
                "statement": {"en": "Ana will speak."},
            },
            "t",
        )
    ids = {
        "c": own.id,
        "o": own.member,
        "d": draft["id"],
        "r": rid,
        "n": nominate(db, rid, own),
        "q": drafted["id"],
        "k": other_nomination.nomination["id"],
        "w": _made_by_member(db, rid, own),
        "t": other_nomination.consent_token,
        "spare": cs.member(db, cs.constituency(db)),
        "tag": own.id[:8],
    }
    tokens = {
        "secretariat": secretariat(db),
        "coordinator_own": own.coordinator,
        "coordinator_other": other.coordinator,
        "member": own.member_token,
        "member_other": other.member_token,
    }
    async with AsyncExitStack() as stack:
        clients, csrf = {}, {}
        for role in ROLES:
            http = await stack.enter_async_context(pages(db, tmp_path))
            if role in tokens:
                await sign_in_with_token(http, tokens[role])
            csrf[role] = hidden((await http.get("/sign-in")).text, "csrf")
            clients[role] = http
        yield World(ids, clients, csrf)


async def _call(w: World, case: Case, role: str) -> httpx.Response:
    http = w.clients[role]
    path = w.fill(case.path)
    if case.method == "GET":
        return await http.get(path)
    body: dict[str, Any] = {k: w.fill(v) for k, v in case.body.items()}
    return await http.post(path, data={"csrf": w.csrf[role], **body})


async def test_no_session_acts_outside_its_role(world: World) -> None:
    problems = []
    for case in CASES:
        # Refused roles first, so an allowed call's effects cannot change their answers.
        for role in sorted(ROLES, key=lambda r: r in case.allowed):
            r = await _call(world, case, role)
            where = f"{case.method} {case.path} as {role}: {r.status_code}"
            if role in case.allowed:
                # Allowed, it may still be refused for another reason (a form left incomplete,
                # a phase, Temporal out of reach), never for the role.
                if r.status_code in (401, 403) or (r.status_code >= 500 and r.status_code != 503):
                    problems.append(where)
            else:
                expected = 401 if role == "none" else 403
                title = "Please sign in" if role == "none" else "Not allowed"
                if r.status_code != expected or title not in r.text:
                    problems.append(where)
    assert not problems, "\n".join(problems)


async def test_without_the_consent_token_no_session_reaches_a_nominees_page(
    world: World, db: Database
) -> None:
    tries = [
        Case("GET", "/consent/{k}", TOKEN_HOLDERS),
        Case("GET", "/consent/{k}?token=mdc_not-this-one", TOKEN_HOLDERS),
        Case("POST", "/consent/{k}", TOKEN_HOLDERS, {"decision": "accept"}),
        Case("POST", "/consent/{k}", TOKEN_HOLDERS, {"token": "{o}", "decision": "accept"}),
        Case("POST", "/consent/{k}/erasure", TOKEN_HOLDERS, {"token": "mdc_not-this-one"}),
        Case("GET", "/seat/{k}?token=mdc_not-this-one", TOKEN_HOLDERS),
        Case("POST", "/seat/{k}", TOKEN_HOLDERS, {"token": "{o}", "decision": "accept"}),
    ]
    problems = []
    for case in tries:
        for role in ROLES:
            r = await _call(world, case, role)
            if r.status_code != 403 or "This link does not work" not in r.text:
                problems.append(f"{case.method} {case.path} {case.body} as {role}: {r.status_code}")
    assert not problems, "\n".join(problems)
    with db.read() as conn:
        row = nominations.get(conn, world.ids["k"])
    assert row["consent"] == "pending"
    assert row["erased_at"] is None


def test_every_management_page_is_in_the_matrix(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=SecretStr("sqlite://"), log_origin=ORIGIN)
    keyfile.ensure_server_secret(settings)
    app = create_app(settings)
    # Routes of included routers, with their prefixes, as FastAPI itself walks them.
    served = {
        (method, route.path_format)
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, PageRoute)
        and (route.path_format or "").startswith(PREFIXES)
        for method in route.methods or ()
    }
    names = (
        ("{constituency_id}", "{c}"),
        ("{organisation_id}", "{o}"),
        ("{nomination_id}", "{n}"),
        ("{nomination_id}", "{k}"),
        ("{nomination_id}", "{w}"),
        ("{campaign_id}", "{q}"),
    )
    listed = set()
    for case in CASES:
        path = case.path
        for long, short in names:
            path = path.replace(short, long)
        path = path.replace("{d}", "{round_id}").replace("{r}", "{round_id}").split("?")[0]
        listed.add((case.method, path))
    assert served == listed
