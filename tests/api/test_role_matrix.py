"""Every endpoint × secretariat / own coordinator / other coordinator / member / no token."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from api.app import create_app
from mandate import keyfile
from mandate.settings import Settings
from policies.regions import DEFAULT_REGIONS
from store import log
from store.db import Database
from tests.api.conftest import Api, World, make_world, new_round, org_body
from tests.api.test_rounds_api import at, round_body
from tests.keys import ORIGIN

ROLES = ("secretariat", "coordinator_own", "coordinator_other", "member", "none")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"none"}
MANAGERS = frozenset({"secretariat", "coordinator_own"})  # of a campaign of the own constituency
COORDINATORS = frozenset({"secretariat", "coordinator_own", "coordinator_other"})


@dataclass(frozen=True)
class Case:
    method: str
    # {c} own constituency, {o} member organisation, {m} member credential, {r} published round
    # with nominations open, {d} draft round, {n} a nomination in {r}, {i} an index in the log
    path: str
    allowed: frozenset[str]
    body: Any = None
    # False where an allowed caller may still be refused for another reason (wrong phase...).
    succeeds: bool = True
    query: str = ""  # appended to the path when calling, e.g. "?index=0"


@dataclass(frozen=True)
class Ids:
    w: World
    r: str
    d: str
    n: str
    consent_token: str
    g: str  # an open campaign of the own constituency
    q: str  # a draft campaign of the own constituency
    sig: str  # the member's signature of {g}
    hook: str  # a webhook of {g}
    statement_hash: str  # {g}'s

    def path(self, template: str) -> str:
        w = self.w
        return template.format(
            c=w.constituency,
            o=w.member_org,
            m=w.member_credential,
            r=self.r,
            d=self.d,
            n=self.n,
            i=0,
            h="ab" * 32,
            g=self.g,
            q=self.q,
            s=self.sig,
            k=self.hook,
            l="0000-0000-0000",  # a letter code no letter has
        )


async def prepared(api: Api) -> Ids:
    """A world, a draft round, and a published round whose nominations are open."""
    w = await make_world(api)
    s = api.secretariat
    published = await new_round(
        api,
        w,
        round_body(w, opens=0.05),
        {"one_nominee_per_organisation": False, "commit_reveal": {}},
    )
    await api.ok("POST", f"/v1/rounds/{published['id']}/publish", s)
    await asyncio.sleep(0.1)
    nominated = await api.ok(
        "POST",
        f"/v1/rounds/{published['id']}/constituencies/{w.constituency}/nominations",
        w.member,
        {"nominee_name": "Grace", "organisation_id": w.member_org, "statement": {"en": "Hi"}},
    )
    draft = await new_round(api, w, round_body(w))
    campaign = await api.ok("POST", "/v1/campaigns", w.coordinator, campaign_body(opens=0.05))
    await api.ok("POST", f"/v1/campaigns/{campaign['id']}/publish", w.coordinator)
    statement_hash = (await api.ok("GET", f"/v1/campaigns/{campaign['id']}"))["statement_hash"]
    await asyncio.sleep(0.1)
    signed = await api.ok(
        "POST",
        f"/v1/campaigns/{campaign['id']}/signatures",
        w.member,
        {"statement_hash": statement_hash},
    )
    hook = await api.ok(
        "POST",
        f"/v1/campaigns/{campaign['id']}/webhooks",
        w.coordinator,
        {"url": "http://127.0.0.1:9/never"},
    )
    draft_campaign = await api.ok("POST", "/v1/campaigns", w.coordinator, campaign_body())
    # A signed checkpoint over all of it, so every log read has something to show.
    await asyncio.to_thread(_integrate, api.db)
    return Ids(
        w,
        published["id"],
        draft["id"],
        nominated["nomination"]["id"],
        nominated["consent_token"],
        campaign["id"],
        draft_campaign["id"],
        signed["signature"]["id"],
        hook["webhook"]["id"],
        statement_hash,
    )


def campaign_body(opens: float = 60, closes: float = 600) -> dict[str, Any]:
    return {
        "statement": {"en": {"title": "A joint statement", "text": "We, the undersigned..."}},
        "opens_at": at(opens),
        "closes_at": at(closes),
        "milestones": [100],
        "contact": {"name": "Desk", "email": "desk@example.org"},
    }


def _integrate(db: Database) -> None:
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)


def _body(case: Case, ids: Ids) -> Any:
    if callable(case.body):
        return case.body(ids)
    return case.body


DEFAULT_REGION_LIST = [r.to_json() for r in DEFAULT_REGIONS]
NOMINATION = {"nominee_name": "Ana", "organisation_id": "{o}", "statement": {"es": "Hola"}}


CASES = [
    Case("POST", "/v1/organisations", frozenset({"secretariat"}), lambda i: org_body()),
    Case("GET", "/v1/organisations", PUBLIC),
    Case("GET", "/v1/organisations/{o}", PUBLIC),
    Case("GET", "/v1/regions", PUBLIC),
    # The list in force again: nothing changes for the other tests sharing the database.
    Case("PUT", "/v1/regions", frozenset({"secretariat"}), {"regions": DEFAULT_REGION_LIST}),
    Case(
        "POST",
        "/v1/constituencies",
        frozenset({"secretariat"}),
        lambda i: {"name": f"Youth {i.w.spare_org}"},
    ),
    Case("GET", "/v1/constituencies", PUBLIC),
    Case("GET", "/v1/constituencies/{c}", PUBLIC),
    Case(
        "POST",
        "/v1/constituencies/{c}/coordinators",
        frozenset({"secretariat"}),
        {"name": "Li Wei", "email": "li@example.org"},
    ),
    Case(
        "POST",
        "/v1/constituencies/{c}/members",
        frozenset({"coordinator_own"}),
        lambda i: {"organisation_id": i.w.spare_org},
    ),
    Case("DELETE", "/v1/constituencies/{c}/members/{o}", frozenset({"coordinator_own"})),
    Case("POST", "/v1/constituencies/{c}/members/{o}/tokens", frozenset({"coordinator_own"}), {}),
    Case("GET", "/v1/me", SIGNED_IN),
    Case(
        "GET", "/v1/credentials", frozenset({"secretariat", "coordinator_own", "coordinator_other"})
    ),
    Case("DELETE", "/v1/credentials/{m}", frozenset({"secretariat", "coordinator_own"})),
    Case("POST", "/v1/rounds", frozenset({"secretariat"}), lambda i: round_body(i.w)),
    Case("GET", "/v1/rounds", PUBLIC),
    Case("GET", "/v1/rounds/{r}", PUBLIC),
    Case("GET", "/v1/rounds/{r}/phase", PUBLIC),
    Case("GET", "/v1/rounds/{r}/criteria", PUBLIC),
    Case("GET", "/v1/rounds/{r}/log", PUBLIC),
    Case("PATCH", "/v1/rounds/{d}", frozenset({"secretariat"}), {"title": "Renamed"}),
    Case("POST", "/v1/rounds/{d}/publish", frozenset({"secretariat"})),
    Case(
        "POST",
        "/v1/rounds/{r}/extend",
        frozenset({"secretariat"}),
        lambda i: {"deadline": "voting_close", "new_at": at(5000), "reason": "matrix"},
    ),
    Case("POST", "/v1/rounds/{r}/cancel", frozenset({"secretariat"}), {"reason": "matrix"}),
    Case("GET", "/v1/rounds/{r}/participation", frozenset({"secretariat"})),
    Case("PUT", "/v1/rounds/{d}/constituencies/{c}/rules", frozenset({"coordinator_own"}), {}),
    Case("POST", "/v1/rounds/{d}/constituencies/{c}/ratification", frozenset({"coordinator_own"})),
    Case(
        "POST",
        "/v1/rounds/{d}/constituencies/{c}/ratification/answers",
        frozenset({"member"}),
        {"approve": True},
        succeeds=False,  # answered once the rules are put to the members
    ),
    Case(
        "POST",
        "/v1/rounds/{d}/constituencies/{c}/ratification/override",
        frozenset({"secretariat"}),
        {"reason": "matrix"},
    ),
    Case(
        "GET",
        "/v1/rounds/{d}/constituencies/{c}/ratification",
        frozenset({"secretariat", "coordinator_own", "member"}),
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/rules", PUBLIC),
    Case(
        "POST",
        "/v1/rounds/{r}/constituencies/{c}/nominations",
        frozenset({"member", "coordinator_own"}),
        lambda i: {**NOMINATION, "organisation_id": i.w.member_org},
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/nominations", PUBLIC),
    Case(
        "POST",
        "/v1/nominations/{n}/consent",
        PUBLIC,
        lambda i: {"token": i.consent_token, "decision": "accept"},
        succeeds=False,  # the first answer is final: later ones are 409
    ),
    Case(
        "POST",
        "/v1/nominations/{n}/seat",
        PUBLIC,
        lambda i: {"token": i.consent_token, "decision": "accept"},
        succeeds=False,  # the round is not decided: no seat is offered (404)
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/seats", MANAGERS),
    # Without a bearer token the nominee erases with the consent token (tested elsewhere).
    Case("POST", "/v1/nominations/{n}/erasure", frozenset({"secretariat"}), {"reason": "matrix"}),
    # The only member is the nominating organisation, which may not endorse its own nominee.
    Case("POST", "/v1/nominations/{n}/endorsements", frozenset({"member"}), succeeds=False),
    Case(
        "POST",
        "/v1/nominations/{n}/endorsements/withdrawal",
        frozenset({"member"}),
        succeeds=False,  # the member has not endorsed it
    ),
    Case("POST", "/v1/nominations/{n}/withdrawal", frozenset({"member"}), succeeds=False),
    Case(
        "POST",
        "/v1/nominations/{n}/rejection",
        frozenset({"coordinator_own"}),
        {"reason_code": "not_eligible", "reason": "matrix"},
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/candidates", PUBLIC, succeeds=False),
    Case(
        "PUT",
        "/v1/rounds/{r}/constituencies/{c}/ballot",
        frozenset({"member"}),
        {"approvals": []},
        succeeds=False,  # voting is not open
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/ballots", PUBLIC, succeeds=False),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/voters", PUBLIC, succeeds=False),
    Case("GET", "/v1/rounds/{r}/calendar.ics", PUBLIC),
    Case("GET", "/v1/rounds/{r}/exports", PUBLIC),
    Case("GET", "/v1/rounds/{r}/exports/nominations.csv", PUBLIC),
    Case("GET", "/v1/campaigns/{g}/exports", PUBLIC, succeeds=False),  # listed once it closes
    Case("GET", "/v1/campaigns/{g}/exports/signatories.csv", PUBLIC, succeeds=False),
    Case("GET", "/v1/constituencies/{c}/calendar.ics", PUBLIC),
    Case("GET", "/v1/organisations/{o}/calendar.ics", PUBLIC),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/outcome", PUBLIC, succeeds=False),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/count", PUBLIC, succeeds=False),
    Case(
        "POST",
        "/v1/rounds/{r}/constituencies/{c}/randomness/commitments",
        frozenset({"secretariat", "coordinator_own"}),
        {"commitment": "ab" * 32},
    ),
    Case(
        "POST",
        "/v1/rounds/{r}/constituencies/{c}/randomness/reveals",
        frozenset({"secretariat", "coordinator_own"}),
        {"secret": "cd" * 32},
        succeeds=False,  # reveals open when voting closes
    ),
    Case(
        "PUT",
        "/v1/rounds/{r}/constituencies/{c}/randomness/beacon",
        frozenset({"secretariat"}),
        {"round": 7, "randomness": "ef" * 32, "signature": "aa" * 48},
        succeeds=False,  # the rules name no beacon
    ),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/randomness", PUBLIC),
    Case(
        "POST",
        "/v1/rounds/{r}/constituencies/{c}/designation",
        frozenset({"coordinator_own"}),
        {"winners": []},
        succeeds=False,  # voting is not open
    ),
    Case(
        "POST",
        "/v1/rounds/{r}/constituencies/{c}/designation/{h}/approval",
        frozenset({"coordinator_own"}),
        succeeds=False,  # voting is not open
    ),
    Case("GET", "/v1/rounds/{r}/bundle", PUBLIC),
    # Designation letters are public, once the round is decided ({r} is not yet).
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/letters", PUBLIC, succeeds=False),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/letters/{n}", PUBLIC, succeeds=False),
    Case("GET", "/v1/rounds/{r}/constituencies/{c}/letters/{n}/pdf", PUBLIC, succeeds=False),
    Case("GET", "/v1/letters/{l}", PUBLIC, succeeds=False),  # no letter has the code
    Case("GET", "/v1/log/registry", PUBLIC),
    Case("GET", "/v1/log", PUBLIC),
    Case("GET", "/v1/log/checkpoint", PUBLIC),
    Case("GET", "/v1/log/entries", PUBLIC),
    Case("GET", "/v1/log/proof/inclusion", PUBLIC, query="?index={i}"),
    Case("GET", "/v1/log/proof/consistency", PUBLIC, query="?old=1"),
    Case("GET", "/v1/log/entries/{i}/tlog-proof", PUBLIC),
    Case("GET", "/v1/keys", PUBLIC),
    Case("POST", "/v1/campaigns", COORDINATORS, lambda i: campaign_body()),
    Case("GET", "/v1/campaigns", PUBLIC),
    Case("GET", "/v1/campaigns/{g}", PUBLIC),
    Case("PATCH", "/v1/campaigns/{q}", MANAGERS, {"milestones": [5, 50]}),
    Case("POST", "/v1/campaigns/{q}/publish", MANAGERS, succeeds=False),  # once only
    Case(
        "POST",
        "/v1/campaigns/{g}/extend",
        MANAGERS,
        lambda i: {"closes_at": at(5000), "reason": "matrix"},
    ),
    Case(
        "POST",
        "/v1/campaigns/{g}/versions",
        MANAGERS,
        {"statement": {"en": {"title": "Corrected", "text": "We..."}}, "reason": "matrix"},
        succeeds=False,  # the second is the same text again
    ),
    Case("GET", "/v1/campaigns/{g}/versions", PUBLIC),
    Case("GET", "/v1/campaigns/{g}/statement", PUBLIC),
    Case("GET", "/v1/campaigns/{g}/log", PUBLIC),
    Case("GET", "/v1/campaigns/{g}/signatories", PUBLIC, succeeds=False),  # once concluded
    Case("GET", "/v1/campaigns/{g}/signatories.csv", PUBLIC, succeeds=False),
    Case("GET", "/v1/campaigns/{g}/bundle", PUBLIC),
    Case(
        "POST",
        "/v1/campaigns/{g}/webhooks",
        MANAGERS,
        {"url": "https://partner.example.org/hook"},
    ),
    Case("GET", "/v1/campaigns/{g}/webhooks", MANAGERS),
    Case("DELETE", "/v1/campaigns/{g}/webhooks/{k}", MANAGERS),
    Case("GET", "/v1/campaigns/{g}/deliveries", MANAGERS),
    # Round notices: the log (a member sees its own), a constituency's round webhooks.
    Case("GET", "/v1/rounds/{r}/notices", frozenset({"secretariat", "coordinator_own", "member"})),
    Case("POST", "/v1/constituencies/{c}/webhooks", MANAGERS, {"url": "http://127.0.0.1:9/x"}),
    Case("GET", "/v1/constituencies/{c}/webhooks", MANAGERS),
    # {k} is a campaign's webhook, not a round webhook of {c}: 404 to those allowed.
    Case("DELETE", "/v1/constituencies/{c}/webhooks/{k}", MANAGERS, succeeds=False),
    Case(
        "POST",
        "/v1/campaigns/{g}/signatures",
        frozenset({"member", "none"}),  # without a token: an outside organisation
        lambda i: {"statement_hash": i.statement_hash},
        succeeds=False,  # the member signed already; without a token the body is incomplete
    ),
    Case("GET", "/v1/signatures/{s}", PUBLIC),
    Case("POST", "/v1/signatures/{s}/confirmation", PUBLIC, {"code": "123456"}, succeeds=False),
    Case("POST", "/v1/signatures/{s}/code", PUBLIC, {"signer_token": "x"}, succeeds=False),
    Case("POST", "/v1/signatures/{s}/withdrawal", frozenset({"member"}), {}),
    Case(
        "POST",
        "/v1/campaigns/{g}/signatures/{s}/erasure",
        frozenset({"secretariat"}),
        {"reason": "matrix"},
    ),
    Case("GET", "/v1/signatures/{s}/proof", PUBLIC, succeeds=False),  # once concluded
    Case("GET", "/healthz", PUBLIC),
    Case("GET", "/readyz", PUBLIC),
    Case("GET", "/metrics", PUBLIC),
]


def test_every_route_is_in_the_matrix(api_routes: set[tuple[str, str]]) -> None:
    listed = {(c.method, c.path) for c in CASES}
    normalised = set()
    for method, path in api_routes:
        # The matrix asks for one file of each export listing.
        path = path.replace(
            "/exports/{name}",
            "/exports/"
            + ("nominations.csv" if path.startswith("/v1/rounds/") else "signatories.csv"),
        )
        for name, short in [
            ("{constituency_id}", "{c}"),
            ("{organisation_id}", "{o}"),
            ("{credential_id}", "{m}"),
            ("{nomination_id}", "{n}"),
            ("{index}", "{i}"),
            ("{decision_hash}", "{h}"),
            ("{signature_id}", "{s}"),
            ("{webhook_id}", "{k}"),
            ("{code}", "{l}"),
        ]:
            path = path.replace(name, short)
        if "{round_id}" in path:
            draft_style = path.replace("{round_id}", "{d}")
            path = (
                draft_style
                if (method, draft_style) in listed
                else path.replace("{round_id}", "{r}")
            )
        if "{campaign_id}" in path:
            draft_style = path.replace("{campaign_id}", "{q}")
            path = (
                draft_style
                if (method, draft_style) in listed
                else path.replace("{campaign_id}", "{g}")
            )
        normalised.add((method, path))
    assert normalised == listed


@pytest.fixture
def api_routes(tmp_path: Path) -> set[tuple[str, str]]:
    """Every operation the app publishes in its OpenAPI document."""
    settings = Settings(data_dir=tmp_path, database_url=SecretStr("sqlite://"))
    keyfile.ensure_server_secret(settings)  # every API process holds the deployment's secret
    app = create_app(settings)
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
async def test_role_boundaries(api: Api, case: Case) -> None:
    ids = await prepared(api)
    w = ids.w
    tokens = {
        "secretariat": api.secretariat,
        "coordinator_own": w.coordinator,
        "coordinator_other": w.other_coordinator,
        "member": w.member,
        "none": None,
    }
    path = ids.path(case.path + case.query)
    # Refused roles first, so an allowed call's effects cannot change their answers.
    for role in sorted(ROLES, key=lambda r: r in case.allowed):
        r = await api.call(case.method, path, tokens[role], _body(case, ids))
        if role in case.allowed:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text)
            if case.succeeds:
                assert r.status_code < 300, (role, r.status_code, r.text)
            else:
                assert r.status_code < 500, (role, r.status_code, r.text)
        else:
            expected = 401 if role == "none" else 403
            assert r.status_code == expected, (role, r.status_code, r.text)
            assert r.json()["error"] == ("unauthenticated" if role == "none" else "forbidden")
