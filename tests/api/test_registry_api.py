"""Organisations, constituencies, coordinators, members and tokens over HTTP."""

from __future__ import annotations

from records.chain import verify_chain
from store import audit
from tests.api.conftest import Api, make_world, org_body


async def test_self_organisation_of_a_constituency(api: Api) -> None:
    w = await make_world(api)
    detail = await api.ok("GET", f"/v1/constituencies/{w.constituency}")
    assert [m["organisation_id"] for m in detail["members"]] == [w.member_org]
    assert len(detail["coordinators"]) == 1
    me = await api.ok("GET", "/v1/me", w.member)
    assert me["role"] == "member"
    assert me["constituency_id"] == w.constituency
    # Removing a member revokes its tokens for that constituency at once.
    await api.ok(
        "DELETE", f"/v1/constituencies/{w.constituency}/members/{w.member_org}", w.coordinator
    )
    r = await api.call("GET", "/v1/me", w.member)
    assert r.status_code == 401
    assert r.json() == {"error": "unauthenticated", "detail": "the bearer token has been revoked"}
    detail = await api.ok("GET", f"/v1/constituencies/{w.constituency}")
    assert detail["members"] == []


async def test_tokens_are_shown_once_and_revocable(api: Api) -> None:
    w = await make_world(api)
    listed = await api.ok("GET", "/v1/credentials", w.coordinator)
    assert all("token" not in c for c in listed)
    assert w.member_credential in {c["id"] for c in listed}
    revoked = await api.ok("DELETE", f"/v1/credentials/{w.member_credential}", w.coordinator)
    assert revoked["revoked_at"] is not None
    assert (await api.call("GET", "/v1/me", w.member)).status_code == 401


async def test_contact_email_is_for_the_secretariat_only(api: Api) -> None:
    org = await api.ok("POST", "/v1/organisations", api.secretariat, org_body())
    assert org["contact_email"] == "contact@example.org"
    public = await api.ok("GET", f"/v1/organisations/{org['id']}")
    assert public["contact_email"] is None
    assert public["name"] == org["name"]


async def test_registry_changes_are_logged_in_a_valid_chain(api: Api) -> None:
    await make_world(api)
    log = await api.ok("GET", "/v1/log/registry?limit=1000")
    types = {e["type"] for e in log["entries"]}
    assert {"organisation.registered", "constituency.created", "coordinator.named"} <= types
    assert {"member.admitted", "credential.issued"} <= types
    with api.db.read() as conn:
        verify_chain(audit.as_chain(audit.entries(conn, audit.REGISTRY, limit=100_000)))


async def test_validation_errors_name_the_field(api: Api) -> None:
    r = await api.call(
        "POST", "/v1/organisations", api.secretariat, org_body(country="Kenya", contact_email="x")
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_error"
    assert "country" in body["detail"]
    assert "contact_email" in body["detail"]


async def test_unknown_fields_and_non_json_are_refused(api: Api) -> None:
    r = await api.call("POST", "/v1/constituencies", api.secretariat, {"name": "x", "colour": 1})
    assert r.status_code == 422
    assert "colour" in r.json()["detail"]
    r = await api.http.post(
        "/v1/constituencies",
        content=b"{not json",
        headers={**api.auth(api.secretariat), "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["error"] == "validation_error"


async def test_unknown_ids_are_404(api: Api) -> None:
    w = await make_world(api)
    for method, path, token, body in [
        ("GET", "/v1/organisations/nope", None, None),
        ("GET", "/v1/constituencies/nope", None, None),
        ("GET", "/v1/rounds/nope", None, None),
        (
            "POST",
            f"/v1/constituencies/{w.constituency}/members",
            w.coordinator,
            {"organisation_id": "nope"},
        ),
        ("DELETE", "/v1/credentials/nope", api.secretariat, None),
        ("GET", "/v1/no-such-route", None, None),
    ]:
        r = await api.call(method, path, token, body)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"] == "not_found"


async def test_duplicate_admission_is_409(api: Api) -> None:
    w = await make_world(api)
    r = await api.call(
        "POST",
        f"/v1/constituencies/{w.constituency}/members",
        w.coordinator,
        {"organisation_id": w.member_org},
    )
    assert r.status_code == 409
    assert r.json()["error"] == "already_exists"


async def test_bad_tokens_are_401(api: Api) -> None:
    for headers in ({"Authorization": "Bearer mdt_nope"}, {"Authorization": "Basic abc"}, {}):
        r = await api.http.post("/v1/constituencies", json={"name": "x"}, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"] == "unauthenticated"
        assert r.headers["www-authenticate"] == "Bearer"


async def test_idempotency_key_returns_the_first_result(api: Api) -> None:
    body = org_body()
    key = {"Idempotency-Key": "register-once"}
    first = await api.call("POST", "/v1/organisations", api.secretariat, body, key)
    again = await api.call("POST", "/v1/organisations", api.secretariat, body, key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    listed = await api.ok("GET", "/v1/organisations")
    assert [o["name"] for o in listed].count(body["name"]) == 1
    other = await api.call("POST", "/v1/organisations", api.secretariat, org_body(), key)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
