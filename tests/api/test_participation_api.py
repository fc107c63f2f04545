"""GET /v1/rounds/{id}/participation: who has not yet acted, for the secretariat."""

from __future__ import annotations

from tests.api.conftest import Api, make_world, new_round
from tests.api.test_rounds_api import round_body


async def test_the_secretariat_reads_who_has_not_yet_acted(api: Api) -> None:
    w = await make_world(api)
    made = await new_round(api, w, round_body(w), {"method": "lottery.uniform"})
    found = await api.ok("GET", f"/v1/rounds/{made['id']}/participation", api.secretariat)
    assert found["round_id"] == made["id"]
    assert found["phase"] == "draft"
    [part] = found["constituencies"]
    assert part["constituency_id"] == w.constituency
    assert part["method"] == "lottery.uniform"
    assert part["ballots"] is False
    assert [m["organisation_id"] for m in part["members"]] == [w.member_org]
    assert part["members"][0]["nominated"] == 0
    assert part["not_nominated"] == part["not_endorsed"] == part["not_voted"] == [w.member_org]
    r = await api.call("GET", f"/v1/rounds/{made['id']}/participation", w.coordinator)
    assert r.status_code == 403
    r = await api.call("GET", "/v1/rounds/nope/participation", api.secretariat)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    document = (await api.http.get("/openapi.json")).json()
    operation = document["paths"]["/v1/rounds/{round_id}/participation"]["get"]
    assert {"401", "403", "404"} <= set(operation["responses"])
