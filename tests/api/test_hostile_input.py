"""No input may produce a 500: every write route gets malformed and extreme bodies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.api.test_role_matrix import CASES, campaign_body, prepared
from tests.api.test_rounds_api import round_body

HOSTILE_BODIES: list[Any] = [
    None,
    [],
    "text",
    12,
    {"name": None},
    {"name": "x" * 100_000},
    {"name": {"nested": ["deep"] * 50}},
    {"title": "\x00\ud7ff"},
    {"organisation_id": 1e308},
    {"deadline": "voting_close", "new_at": "0001-01-01T00:00:00+01:00", "reason": "r"},
    {"deadline": "voting_close", "new_at": "9999-12-31T23:59:59-01:00", "reason": "r"},
    {"deadline": "soon", "new_at": "yesterday", "reason": ""},
    {"reason": "   "},
]


def _extreme_rounds(w: Any) -> list[dict[str, Any]]:
    bodies = []
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2027-02-30T10:00:00Z"):
        body = round_body(w)
        body["schedule"]["nominations_open_at"] = when
        bodies.append(body)
    body = round_body(w)
    body["participants"] = [{"constituency_id": w.constituency, "seats": 10**20}]
    bodies.append(body)
    body = round_body(w)
    body["participants"] *= 2
    bodies.append(body)
    return bodies


def _extreme_campaigns(statement_hash: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for when in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2027-02-30T10:00:00Z"):
        bodies.append({**campaign_body(), "opens_at": when})
        bodies.append({"closes_at": when, "reason": "r"})
    bodies += [
        {**campaign_body(), "milestones": [10**20]},
        {**campaign_body(), "milestones": list(range(1, 500))},
        {
            **campaign_body(),
            "statement": {f"l{i:02d}"[:3]: {"title": "t", "text": "x"} for i in range(30)},
        },
        {**campaign_body(), "statement": {"en": {"title": "t", "text": "x" * 1_000_000}}},
        {**campaign_body(), "signers": "members", "constituencies": ["no-such-constituency"]},
        {**campaign_body(), "contact": {"name": "x", "email": "not an address"}},
        {"statement": {"en": {"title": "t\x00", "text": "x"}}, "reason": "r"},
        {
            "statement_hash": statement_hash,
            "organisation": {"name": "!!!", "country": "MX", "type": "ngo"},
            "signer": {"name": "a", "role": "b"},
            "email": "a@example.org",
        },
        {
            "statement_hash": statement_hash,
            "organisation": {"name": "Org", "country": "XX", "type": "ngo"},
            "signer": {"name": "a", "role": "b"},
            "email": "a@example.org",
        },
        {
            "statement_hash": statement_hash,
            "organisation": {"name": "Org", "country": "MX", "type": "Bad Type"},
            "signer": {"name": "a", "role": "b"},
            "email": "a@example.org",
        },
        {"statement_hash": "ab" * 32, "email": "a@example.org"},
        {"code": "9" * 100},
        {"signer_token": "x" * 10_000},
        {"url": "javascript:alert(1)"},
        {"url": "http://" + "a" * 5000 + ".org/"},
        {"url": "https://partner.example.org/", "events": ["campaign.everything"]},
    ]
    return bodies


WRITES = [c for c in CASES if c.method in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.mark.parametrize("case", WRITES, ids=lambda c: f"{c.method} {c.path}")
async def test_malformed_bodies_get_a_clear_4xx(api: Api, case: Any) -> None:
    ids = await prepared(api)
    w = ids.w
    s = api.secretariat
    path = ids.path(case.path)
    token = (
        w.coordinator
        if "coordinator_own" in case.allowed
        else w.member
        if "member" in case.allowed
        else s
    )
    bodies = HOSTILE_BODIES + (_extreme_rounds(w) if "rounds" in path else [])
    if "campaigns" in path or "signatures" in path:
        bodies = bodies + _extreme_campaigns(ids.statement_hash)
    for body in bodies:
        r = await api.call(case.method, path, token, body)
        assert r.status_code < 500, (body, r.status_code, r.text)
        if r.status_code >= 400:
            assert set(r.json()) == {"error", "detail"}, r.text
    for raw in (b"{", b"\xff\xfe", b"[" * 10_000):
        r = await api.http.request(
            case.method,
            path,
            content=raw,
            headers={**api.auth(token), "content-type": "application/json"},
        )
        assert r.status_code < 500, (raw[:10], r.status_code, r.text)
        if r.status_code >= 400:
            assert set(r.json()) == {"error", "detail"}, r.text


async def test_nul_bytes_in_paths_and_bodies_are_refused_cleanly(api: Api) -> None:
    for path in ("/v1/organisations/%00", "/v1/rounds/a%00b", "/v1/constituencies/%00/x"):
        r = await api.call("GET", path)
        assert r.status_code in (404, 422), (path, r.text)
        assert set(r.json()) == {"error", "detail"}
    r = await api.call("POST", "/v1/constituencies", api.secretariat, {"name": "a\x00b"})
    assert r.status_code == 422
    assert "control characters (U+0000)" in r.json()["detail"]


async def test_an_undecodable_body_is_an_invalid_body_like_any_other(api: Api) -> None:
    for raw, detail in (
        (b"{", "body: not valid JSON (at character 1)"),
        (b'{"name": "\xff\xfe"}', "body: not valid JSON in UTF-8"),
    ):
        r = await api.http.post(
            "/v1/constituencies",
            content=raw,
            headers={**api.auth(api.secretariat), "content-type": "application/json"},
        )
        assert (r.status_code, r.json()) == (
            422,
            {"error": "validation_error", "detail": detail},
        )


@pytest.mark.parametrize("after", [2**31, 2**63, 2**64])
async def test_log_paging_past_the_largest_sequence_number_is_refused(api: Api, after: int) -> None:
    ids = await prepared(api)
    for path in (
        "/v1/log/registry",
        ids.path("/v1/rounds/{r}/log"),
        ids.path("/v1/campaigns/{g}/log"),
    ):
        r = await api.call("GET", f"{path}?after={after}")
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert r.json()["error"] == "validation_error"
        assert "query.after" in r.json()["detail"]
    r = await api.call("GET", f"/v1/log/registry?after={2**31 - 1}")
    assert r.status_code == 200, r.text
    assert r.json()["entries"] == []
