"""Withdrawals that stay visible: a nomination by the organisation that made it, an endorsement
by its giver, a nominee's consent; each until nominations close, each logged, and who stands is
decided on what is left; the bundle still verifies."""

from __future__ import annotations

import uuid
from typing import Any

from records.bundle import verify_bundle
from tests.api.conftest import Api, make_world
from tests.api.test_log_api import integrate
from tests.api.test_methods_journey import _member
from tests.api.test_rounds_api import at, wait_phase


async def test_withdrawals_until_nominations_close_and_what_stands_after(api: Api) -> None:
    w = await make_world(api)
    (a, ta), (b, tb), (c, tc) = [
        (w.member_org, w.member),
        await _member(api, w),
        await _member(api, w),
    ]
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(7),
            "voting_open_at": at(7.5),
            "voting_close_at": at(9),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    await api.ok("PUT", f"{base}/rules", w.coordinator, {"endorsements": {"required": 1}})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")

    async def nominate(org: str, token: str) -> tuple[str, str]:
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            token,
            {"nominee_name": f"N {org[:5]}", "organisation_id": org, "statement": {"en": "Hi"}},
        )
        nid, consent = made["nomination"]["id"], made["consent_token"]
        await api.ok(
            "POST", f"/v1/nominations/{nid}/consent", None, {"token": consent, "decision": "accept"}
        )
        return nid, consent

    def expect(r: Any, status: int, error: str) -> None:
        assert (r.status_code, r.json()["error"]) == (status, error), r.text

    na, _ = await nominate(a, ta)
    nb, consent_b = await nominate(b, tb)
    nc, _ = await nominate(c, tc)
    for nid, token in ((na, tb), (na, tc), (nb, tc), (nc, ta)):
        await api.ok("POST", f"/v1/nominations/{nid}/endorsements", token)

    shown = await api.ok("POST", f"/v1/nominations/{na}/endorsements/withdrawal", tb)
    assert shown["endorsed_by"] == [c]
    expect(
        await api.call("POST", f"/v1/nominations/{na}/endorsements/withdrawal", tb),
        404,
        "not_found",
    )
    expect(await api.call("POST", f"/v1/nominations/{na}/withdrawal", tb), 403, "forbidden")
    withdrawn = await api.ok("POST", f"/v1/nominations/{na}/withdrawal", ta)
    assert withdrawn["withdrawn_at"] is not None
    expect(await api.call("POST", f"/v1/nominations/{na}/withdrawal", ta), 409, "conflict")

    took_back = {"token": consent_b, "decision": "withdraw"}
    back = await api.ok("POST", f"/v1/nominations/{nb}/consent", None, took_back)
    assert back["consent"] == "withdrawn"
    assert back["nominee_name"] is None  # no longer public
    expect(
        await api.call("POST", f"/v1/nominations/{nb}/consent", None, took_back), 409, "conflict"
    )

    await wait_phase(api, rid, "nominations_closed")
    late = await api.call("POST", f"/v1/nominations/{nc}/endorsements/withdrawal", ta)
    expect(late, 409, "phase_closed")
    listed = await api.ok("GET", f"{base}/candidates")
    assert [x["id"] for x in listed["standing"]] == [nc]
    why = {x["id"]: x["reason"] for x in listed["not_standing"]}
    assert why == {
        na: "withdrawn by the organisation that made the nomination",
        nb: "the nominee withdrew their consent",
    }
    # A nominee who took back their consent may erase their data.
    await api.ok("POST", f"/v1/nominations/{nb}/erasure", None, {"token": consent_b})

    await wait_phase(api, rid, "decided", within=30)
    await integrate(api)
    log = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    kinds = [e["type"] for e in log]
    for kind in ("nomination.withdrawn", "endorsement.withdrawn", "nomination.consent_withdrawn"):
        assert kind in kinds
    report = verify_bundle(await api.ok("GET", f"/v1/rounds/{rid}/bundle"))
    assert report.ok, report.problems
