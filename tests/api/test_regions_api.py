"""One meaning of region over HTTP: the published list, organisations choosing from it, and
the same region in a round's rules and in a campaign's signatory list."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from policies.regions import DEFAULT_REGIONS
from records.campaign_bundle import verify_campaign_bundle
from tests.api.conftest import Api, make_world, org_body, serving
from tests.api.test_campaign_journey import _settled_bundle, member, wait_campaign
from tests.api.test_rounds_api import at, wait_phase
from tests.store.fresh import BACKENDS, fresh_keyed

DEFAULT = [r.to_json() for r in DEFAULT_REGIONS]


def expect(r: httpx.Response, status: int, error: str, detail: str = "") -> dict[str, Any]:
    body: dict[str, Any] = r.json()
    assert (r.status_code, body.get("error")) == (status, error), r.text
    assert detail in body["detail"], r.text
    return body


async def test_organisations_choose_a_listed_region_or_get_their_countrys(api: Api) -> None:
    s = api.secretariat
    listed = await api.ok("GET", "/v1/regions")
    assert listed["regions"] == DEFAULT
    # As the README registers them: with a region of the list, and without one.
    named = await api.ok(
        "POST",
        "/v1/organisations",
        s,
        org_body(name="Red de Migrantes", country="MX", region="americas", type="network"),
    )
    assert named["region"] == "americas"
    assert (await api.ok("GET", f"/v1/organisations/{named['id']}"))["region"] == "americas"
    plain = await api.ok("POST", "/v1/organisations", s, org_body(country="MX"))
    assert plain["region"] == "americas"
    sub = await api.ok(
        "POST", "/v1/organisations", s, org_body(country="MX", region="northern-america")
    )
    assert sub["region"] == "northern-america"  # a code of the list, not checked against MX

    refused = expect(
        await api.call("POST", "/v1/organisations", s, org_body(country="MX", region="latam")),
        422,
        "unknown_region",
        "region 'latam' is not in the region list; expected one of: africa, northern-africa",
    )
    assert all(r["code"] in refused["detail"] for r in DEFAULT)
    expect(
        await api.call("POST", "/v1/organisations", s, org_body(region="Americas")),
        422,
        "unknown_region",
    )
    expect(
        await api.call("POST", "/v1/organisations", s, org_body(country="ZZ")),
        422,
        "unknown_country",
        "'ZZ' is not an ISO 3166-1 alpha-2 code",
    )
    expect(
        await api.call("POST", "/v1/organisations", s, org_body(country="mx")),
        422,
        "validation_error",
    )
    names = {o["name"] for o in await api.ok("GET", "/v1/organisations")}
    assert "Red de Migrantes" in names


@pytest.fixture(params=BACKENDS)
async def own_api(
    request: pytest.FixtureRequest, dev_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Api]:
    """The API on a database of its own: publishing a list must not change the shared one."""
    with fresh_keyed(request.param, tmp_path) as db:
        async with serving(db, dev_env, tmp_path) as found:
            yield found


async def test_the_secretariat_publishes_a_list_that_keeps_every_used_code(own_api: Api) -> None:
    api, s = own_api, own_api.secretariat
    w = await make_world(api)  # its organisations are in africa (KE)
    caribbean = {"code": "caribbean", "name": "Caribbean", "parent": "americas"}
    new = {"regions": [*DEFAULT, caribbean]}
    for token, status in ((w.coordinator, 403), (w.member, 403), (None, 401)):
        r = await api.call("PUT", "/v1/regions", token, new)
        assert r.status_code == status, r.text
    assert (await api.ok("GET", "/v1/regions"))["regions"] == DEFAULT

    r = await api.call("PUT", "/v1/regions", s, new)
    assert r.status_code == 200, r.text
    assert r.json()["regions"][-1] == caribbean
    assert (await api.ok("GET", "/v1/regions"))["regions"] == [*DEFAULT, caribbean]
    last = (await api.ok("GET", "/v1/log/registry"))["entries"][-1]
    statement = json.loads(last["statement"])
    me = await api.ok("GET", "/v1/me", s)
    assert (statement["type"], statement["actor"]) == ("regions.published", me["credential_id"])
    assert (statement["data"]["added"], statement["data"]["removed"]) == (["caribbean"], [])
    assert statement["data"]["regions"] == [*DEFAULT, caribbean]
    assert last["leaf_hash"] == r.headers["Mandate-Receipt"]
    made = await api.ok("POST", "/v1/organisations", s, org_body(region="caribbean"))
    assert made["region"] == "caribbean"

    without_africa = [x for x in DEFAULT if "africa" not in x["code"]] + [caribbean]
    expect(
        await api.call("PUT", "/v1/regions", s, {"regions": without_africa}),
        409,
        "region_in_use",
        "africa (",
    )
    expect(
        await api.call(
            "PUT", "/v1/regions", s, {"regions": [x for x in DEFAULT if x["code"] != "caribbean"]}
        ),
        409,
        "region_in_use",
        "caribbean (1 organisation(s))",
    )
    expect(
        await api.call("PUT", "/v1/regions", s, {"regions": [*DEFAULT, caribbean, caribbean]}),
        422,
        "invalid_region_list",
        "code 'caribbean' appears more than once",
    )
    expect(
        await api.call(
            "PUT", "/v1/regions", s, {"regions": [{"code": "x", "name": "X", "parent": "nowhere"}]}
        ),
        422,
        "invalid_region_list",
        "the parent 'nowhere' of 'x' is not in the list",
    )
    expect(
        await api.call("PUT", "/v1/regions", s, {"regions": [{"code": "Bad Code", "name": "X"}]}),
        422,
        "validation_error",
    )
    # Nothing refused was published.
    assert (await api.ok("GET", "/v1/regions"))["regions"] == [*DEFAULT, caribbean]
    types = [e["type"] for e in (await api.ok("GET", "/v1/log/registry"))["entries"]]
    assert types.count("regions.published") == 1


async def test_a_member_counts_under_one_region_in_rounds_and_campaigns(api: Api) -> None:
    """A Kenyan organisation that registered as sub-saharan-africa is that in the round's
    endorsement and balance rules and in the campaign's signatory list: a rule on it seats its
    nominee, and two Kenyan endorsers of different registered regions are two regions."""
    s = api.secretariat
    w = await make_world(api)
    c, k = w.constituency, w.coordinator
    sub_id, sub_token = await member(api, c, k, country="KE", region="sub-saharan-africa")
    mx_id, mx_token = await member(api, c, k, country="MX")  # americas
    _, ke_token = await member(api, c, k, country="KE")  # africa

    campaign = await api.ok(
        "POST",
        "/v1/campaigns",
        s,
        {
            "statement": {"en": {"title": f"Regions {uuid.uuid4().hex[:6]}", "text": "We..."}},
            "opens_at": at(0.5),
            "closes_at": at(6),
            "contact": {"name": "Desk", "email": "desk@example.org"},
        },
    )
    cid = campaign["id"]
    await api.ok("POST", f"/v1/campaigns/{cid}/publish", s)
    body = {
        "title": f"Regions {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": c, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(5),
            "voting_open_at": at(5.5),
            "voting_close_at": at(6.5),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{c}"
    rules = {
        "alternates": 1,
        "method": "lottery.uniform",
        "endorsements": {"required": 2, "distinct_regions": 2},
        "constraints": [{"attribute": "region", "value": "sub-saharan-africa", "min": 1}],
    }
    await api.ok("PUT", f"{base}/rules", k, rules)
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")

    async def nominate(token: str, name: str, org: str) -> str:
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            token,
            {"nominee_name": name, "organisation_id": org, "statement": {"en": name}},
        )
        await api.ok(
            "POST",
            f"/v1/nominations/{made['nomination']['id']}/consent",
            None,
            {"token": made["consent_token"], "decision": "accept"},
        )
        assert made["nomination"]["attributes"]["region"] in ("sub-saharan-africa", "americas")
        return str(made["nomination"]["id"])

    amina = await nominate(sub_token, "Amina", sub_id)
    bruno = await nominate(mx_token, "Bruno", mx_id)
    for nid, by in ((amina, mx_token), (amina, ke_token), (bruno, sub_token), (bruno, ke_token)):
        await api.ok("POST", f"/v1/nominations/{nid}/endorsements", by)

    v1 = (await wait_campaign(api, cid, "open"))["statement_hash"]
    signed = {
        token: await api.ok(
            "POST", f"/v1/campaigns/{cid}/signatures", token, {"statement_hash": v1}
        )
        for token in (sub_token, mx_token, ke_token)
    }
    assert signed[sub_token]["signature"]["region"] == "sub-saharan-africa"
    assert signed[ke_token]["signature"]["region"] == "africa"

    await wait_phase(api, rid, "nominations_closed")
    fixed = await api.ok("GET", f"{base}/candidates")
    standing = {n["nominee_name"]: n for n in fixed["standing"]}
    # Bruno's endorsers are both Kenyan: two regions only as registered.
    assert set(standing) == {"Amina", "Bruno"}, fixed
    assert standing["Amina"]["attributes"]["region"] == "sub-saharan-africa"

    await wait_phase(api, rid, "decided", within=30)
    result = (await api.ok("GET", f"{base}/outcome"))["record"]["result"]
    assert (result["winners"], result["alternates"], result["unfilled"]) == ([amina], [bruno], 0)

    await wait_campaign(api, cid, "concluded")
    record = (await api.ok("GET", f"/v1/campaigns/{cid}/signatories"))["record"]
    assert record["region_scheme"] == "registry"
    assert record["counts"]["by_region"] == {"africa": 1, "americas": 1, "sub-saharan-africa": 1}
    report = verify_campaign_bundle(await _settled_bundle(api, cid), workers=0)
    assert report.ok, report.problems


async def test_without_a_region_each_country_gets_its_m49_region(api: Api) -> None:
    made = [
        await api.ok("POST", "/v1/organisations", api.secretariat, org_body(country=country))
        for country in ("MX", "KE", "FJ", "AQ", "TW")
    ]
    assert [o["region"] for o in made] == ["americas", "africa", "oceania", "antarctica", "asia"]
