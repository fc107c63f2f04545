"""Every endpoint × secretariat / own coordinator / other coordinator / member / no token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from api.app import create_app
from mandate.settings import Settings
from tests.api.conftest import Api, World, make_world, org_body
from tests.api.test_rounds_api import at, round_body

ROLES = ("secretariat", "coordinator_own", "coordinator_other", "member", "none")
PUBLIC = frozenset(ROLES)
SIGNED_IN = PUBLIC - {"none"}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # {c} own constituency, {o} member organisation, {m} member credential, {r} round
    allowed: frozenset[str]
    body: Any = None


def _body(case: Case, w: World) -> Any:
    if callable(case.body):
        return case.body(w)
    return case.body


CASES = [
    Case("POST", "/v1/organisations", frozenset({"secretariat"}), lambda w: org_body()),
    Case("GET", "/v1/organisations", PUBLIC),
    Case("GET", "/v1/organisations/{o}", PUBLIC),
    Case(
        "POST",
        "/v1/constituencies",
        frozenset({"secretariat"}),
        lambda w: {"name": f"Youth {w.spare_org}"},
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
        lambda w: {"organisation_id": w.spare_org},
    ),
    Case("DELETE", "/v1/constituencies/{c}/members/{o}", frozenset({"coordinator_own"})),
    Case("POST", "/v1/constituencies/{c}/members/{o}/tokens", frozenset({"coordinator_own"}), {}),
    Case("GET", "/v1/me", SIGNED_IN),
    Case(
        "GET", "/v1/credentials", frozenset({"secretariat", "coordinator_own", "coordinator_other"})
    ),
    Case("DELETE", "/v1/credentials/{m}", frozenset({"secretariat", "coordinator_own"})),
    Case("POST", "/v1/rounds", frozenset({"secretariat"}), round_body),
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
        lambda w: {"deadline": "voting_close", "new_at": at(5000), "reason": "matrix"},
    ),
    Case("POST", "/v1/rounds/{r}/cancel", frozenset({"secretariat"}), {"reason": "matrix"}),
    Case("GET", "/v1/log/registry", PUBLIC),
    Case("GET", "/v1/keys", PUBLIC),
    Case("GET", "/healthz", PUBLIC),
]


def test_every_route_is_in_the_matrix(api_routes: set[tuple[str, str]]) -> None:
    listed = {(c.method, c.path) for c in CASES}
    normalised = set()
    for method, path in api_routes:
        for name, short in [
            ("{constituency_id}", "{c}"),
            ("{organisation_id}", "{o}"),
            ("{credential_id}", "{m}"),
        ]:
            path = path.replace(name, short)
        if "{round_id}" in path:
            draft_style = path.replace("{round_id}", "{d}")
            path = (
                draft_style
                if (method, draft_style) in listed
                else path.replace("{round_id}", "{r}")
            )
        normalised.add((method, path))
    assert normalised == listed


@pytest.fixture
def api_routes(tmp_path: Path) -> set[tuple[str, str]]:
    """Every operation the app publishes in its OpenAPI document."""
    app = create_app(Settings(data_dir=tmp_path, database_url=SecretStr("sqlite://")))
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
async def test_role_boundaries(api: Api, case: Case) -> None:
    w = await make_world(api)
    s = api.secretariat
    published = await api.ok("POST", "/v1/rounds", s, round_body(w, opens=30))
    await api.ok("POST", f"/v1/rounds/{published['id']}/publish", s)
    draft = await api.ok("POST", "/v1/rounds", s, round_body(w))
    tokens = {
        "secretariat": s,
        "coordinator_own": w.coordinator,
        "coordinator_other": w.other_coordinator,
        "member": w.member,
        "none": None,
    }
    path = case.path.format(
        c=w.constituency, o=w.member_org, m=w.member_credential, r=published["id"], d=draft["id"]
    )
    # Refused roles first, so an allowed call's effects cannot change their answers.
    for role in sorted(ROLES, key=lambda r: r in case.allowed):
        r = await api.call(case.method, path, tokens[role], _body(case, w))
        if role in case.allowed:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text)
            assert r.status_code < 300, (role, r.status_code, r.text)
        else:
            expected = 401 if role == "none" else 403
            assert r.status_code == expected, (role, r.status_code, r.text)
            assert r.json()["error"] == ("unauthenticated" if role == "none" else "forbidden")
