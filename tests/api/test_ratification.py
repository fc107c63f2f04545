"""Criteria ratified by the members: the round cannot be published until enough member
organisations approve their constituency's rules as they stand (or the secretariat overrides,
with a logged reason); changing the rules asks again; the count is in the signed criteria."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.api.conftest import Api, make_world
from tests.api.test_methods_journey import _member
from tests.api.test_rounds_api import at


def _body(constituency: str, threshold: int) -> dict[str, Any]:
    return {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(60),
            "nominations_close_at": at(120),
            "voting_open_at": at(180),
            "voting_close_at": at(240),
        },
        "ratification_threshold": threshold,
    }


async def test_rules_are_published_only_once_the_members_ratify_them(api: Api) -> None:
    w = await make_world(api)
    members = [(w.member_org, w.member), await _member(api, w), await _member(api, w)]
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, _body(w.constituency, 60)))["id"]
    rules = f"/v1/rounds/{rid}/constituencies/{w.constituency}/rules"
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}/ratification"
    await api.ok("PUT", rules, w.coordinator, {"alternates": 1})

    def refused(r: Any, status: int, error: str, words: str = "") -> None:
        assert (r.status_code, r.json()["error"]) == (status, error), r.text
        assert words in r.json()["detail"], r.text

    refused(
        await api.call("POST", f"/v1/rounds/{rid}/publish", api.secretariat),
        409,
        "conflict",
        f"{w.constituency} 0/2",
    )
    early = await api.call("POST", f"{base}/answers", members[0][1], {"approve": True})
    refused(early, 409, "conflict", "have not been put to the members yet")
    refused(await api.call("POST", base, members[0][1]), 403, "forbidden")

    put = await api.ok("POST", base, w.coordinator)
    assert (put["rules_version"], put["members"], put["needed"], put["met"]) == (1, 3, 2, False)
    await api.ok("POST", f"{base}/answers", members[0][1], {"approve": True, "comment": "Fair"})
    got = await api.ok(
        "POST", f"{base}/answers", members[1][1], {"approve": False, "comment": "Too few seats"}
    )
    assert (got["approvals"], got["met"]) == (1, False)
    assert [a["comment"] for a in got["answers"]] == ["Fair", "Too few seats"]
    refused(
        await api.call("POST", f"/v1/rounds/{rid}/publish", api.secretariat),
        409,
        "conflict",
        f"{w.constituency} 1/2",
    )

    # Changing the rules asks the members again: earlier approvals no longer count.
    await api.ok("PUT", rules, w.coordinator, {"alternates": 2})
    stale = await api.call("POST", f"{base}/answers", members[2][1], {"approve": True})
    refused(stale, 409, "conflict", "the rules changed")
    assert (await api.ok("GET", base, w.coordinator))["approvals"] == 0
    await api.ok("POST", base, w.coordinator)
    for _, token in (members[0], members[2]):
        done = await api.ok("POST", f"{base}/answers", token, {"approve": True})
    assert (done["rules_version"], done["approvals"], done["met"]) == (2, 2, True)

    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    criteria = json.loads((await api.ok("GET", f"/v1/rounds/{rid}/criteria"))["canonical"])
    [p] = criteria["participants"]
    assert p["ratification"] == {
        "threshold": 60,
        "members": 3,
        "approvals": 2,
        "rules_version": 2,
        "override": None,
    }
    log = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    answered = [json.loads(e["statement"])["data"] for e in log if e["type"] == "rules.answered"]
    assert {a["comment"] for a in answered} >= {"Fair", "Too few seats"}


async def test_the_secretariat_may_publish_without_saying_why_in_public(api: Api) -> None:
    w = await make_world(api)
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, _body(w.constituency, 100)))["id"]
    await api.ok(
        "PUT", f"/v1/rounds/{rid}/constituencies/{w.constituency}/rules", w.coordinator, {}
    )
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}/ratification"
    no = await api.call("POST", f"{base}/override", w.coordinator, {"reason": "urgent"})
    assert (no.status_code, no.json()["error"]) == (403, "forbidden")
    other = await api.call("POST", f"{base}/answers", w.other_coordinator, {"approve": True})
    assert other.status_code == 403
    await api.ok(
        "POST", f"{base}/override", api.secretariat, {"reason": "the forum moved its date"}
    )
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    criteria = json.loads((await api.ok("GET", f"/v1/rounds/{rid}/criteria"))["canonical"])
    assert criteria["participants"][0]["ratification"]["override"] == "the forum moved its date"
    # A round that asks for no ratification says nothing of it, as before.
    plain = (await api.ok("POST", "/v1/rounds", api.secretariat, _body(w.constituency, 0)))["id"]
    await api.ok(
        "PUT", f"/v1/rounds/{plain}/constituencies/{w.constituency}/rules", w.coordinator, {}
    )
    await api.ok("POST", f"/v1/rounds/{plain}/publish", api.secretariat)
    criteria = json.loads((await api.ok("GET", f"/v1/rounds/{plain}/criteria"))["canonical"])
    assert "ratification" not in criteria["participants"][0]
