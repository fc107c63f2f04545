"""Rounds over HTTP, with the real worker moving them through their phases."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from policies.errors import SignatureError
from records import dsse
from records.chain import verify_chain
from records.keys import public_key_from_b64
from store import audit
from tests.api.conftest import Api, World, make_world, new_round
from tests.keys import RECORDS


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def round_body(w: World, opens: float = 1, closes: float = 600) -> dict[str, Any]:
    return {
        "title": "Regional forum 2027",
        "segments": [{"key": "opening", "title": "Opening plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 2}],
        "schedule": {
            "nominations_open_at": at(opens),
            "nominations_close_at": at(closes),
            "voting_open_at": at(closes + 60),
            "voting_close_at": at(closes + 120),
        },
    }


async def wait_phase(api: Api, round_id: str, phase: str, within: float = 20) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        state: dict[str, Any] = await api.ok("GET", f"/v1/rounds/{round_id}/phase")
        if state["phase"] == phase:
            return state
        assert asyncio.get_running_loop().time() < deadline, state
        await asyncio.sleep(0.2)


async def test_draft_edit_publish_and_signed_criteria(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    draft = await new_round(api, w, round_body(w))
    assert draft["phase"] == "draft"
    # Drafts are not public.
    assert (await api.call("GET", f"/v1/rounds/{draft['id']}")).status_code == 404
    assert (await api.call("GET", f"/v1/rounds/{draft['id']}/criteria")).status_code == 404
    edited = await api.ok("PATCH", f"/v1/rounds/{draft['id']}", s, {"title": "Forum 2027"})
    assert edited["title"] == "Forum 2027"
    published = await api.ok("POST", f"/v1/rounds/{draft['id']}/publish", s)
    assert published["phase"] == "published"

    criteria = await api.ok("GET", f"/v1/rounds/{draft['id']}/criteria")
    canonical = criteria["canonical"].encode()
    assert hashlib.sha256(canonical).hexdigest() == criteria["criteria_hash"]
    assert criteria["criteria"]["title"] == "Forum 2027"
    published_keys = await api.ok("GET", "/v1/keys")
    assert published_keys["format"] == "mandate.keylist/1"
    # The criteria are signed by a records key of the published list (never a checkpoints key).
    keys = {
        k["key_id"]: public_key_from_b64(k["public_key"])
        for k in published_keys["keys"]
        if k["purpose"] == "records" and k["status"] != "revoked"
    }
    envelope = dsse.Envelope.from_json(criteria["envelope"])
    assert dsse.verify(envelope, keys) == canonical
    assert [sig.keyid for sig in envelope.signatures] == [RECORDS.key_id]
    # One altered byte and the signature no longer holds.
    tampered = dict(criteria["envelope"])
    tampered["payload"] = base64.b64encode(canonical.replace(b"2027", b"2028")).decode()
    with pytest.raises(SignatureError):
        dsse.verify(dsse.Envelope.from_json(tampered), keys)

    # Frozen: no more edits, no second publication.
    r = await api.call("PATCH", f"/v1/rounds/{draft['id']}", s, {"title": "Changed"})
    assert (r.status_code, r.json()["error"]) == (409, "wrong_phase")
    r = await api.call("POST", f"/v1/rounds/{draft['id']}/publish", s)
    assert (r.status_code, r.json()["error"]) == (409, "wrong_phase")
    await wait_phase(api, draft["id"], "nominations_open")


async def test_schedule_errors_are_clear(api: Api) -> None:
    w = await make_world(api)
    body = round_body(w)
    body["schedule"]["voting_open_at"] = at(-10)
    r = await api.call("POST", "/v1/rounds", api.secretariat, body)
    assert (r.status_code, r.json()["error"]) == (422, "invalid_schedule")
    assert "voting must open" in r.json()["detail"]
    body = round_body(w)
    body["schedule"]["nominations_open_at"] = "2027-01-01T10:00:00"  # no time zone
    r = await api.call("POST", "/v1/rounds", api.secretariat, body)
    assert r.status_code == 422
    assert "schedule.nominations_open_at" in r.json()["detail"]
    body = round_body(w)
    body["participants"] = [{"constituency_id": "nope", "seats": 1}]
    r = await api.call("POST", "/v1/rounds", api.secretariat, body)
    assert r.status_code == 404


async def test_extend_then_cancel_with_reasons(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    rid = (await new_round(api, w, round_body(w, opens=0.5, closes=600)))["id"]
    r = await api.call(
        "POST",
        f"/v1/rounds/{rid}/extend",
        s,
        {"deadline": "nominations_close", "new_at": at(900), "reason": "more time"},
    )
    assert (r.status_code, r.json()["error"]) == (409, "wrong_phase")  # still a draft
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")

    new_close = at(650)
    r = await api.call(
        "POST",
        f"/v1/rounds/{rid}/extend",
        s,
        {"deadline": "nominations_close", "new_at": new_close, "reason": ""},
    )
    assert r.status_code == 422
    assert "reason" in r.json()["detail"]
    state = await api.ok(
        "POST",
        f"/v1/rounds/{rid}/extend",
        s,
        {
            "deadline": "nominations_close",
            "new_at": new_close,
            "reason": "members asked for a week",
        },
    )
    got = datetime.fromisoformat(state["schedule"]["nominations_close_at"])
    assert got == datetime.fromisoformat(new_close)
    phase = await api.ok("GET", f"/v1/rounds/{rid}/phase")
    assert datetime.fromisoformat(phase["schedule"]["nominations_close_at"]) == got

    for new_at, words in [(at(-60), "in the past"), (at(640), "must move nominations_close later")]:
        r = await api.call(
            "POST",
            f"/v1/rounds/{rid}/extend",
            s,
            {"deadline": "nominations_close", "new_at": new_at, "reason": "x"},
        )
        assert (r.status_code, r.json()["error"]) == (409, "invalid_extension"), r.text
        assert words in r.json()["detail"]

    cancelled = await api.ok("POST", f"/v1/rounds/{rid}/cancel", s, {"reason": "forum postponed"})
    assert cancelled["phase"] == "cancelled"
    assert cancelled["cancel_reason"] == "forum postponed"
    r = await api.call("POST", f"/v1/rounds/{rid}/cancel", s, {"reason": "again"})
    assert (r.status_code, r.json()["error"]) == (409, "wrong_phase")

    log = await api.ok("GET", f"/v1/rounds/{rid}/log")
    types = [e["type"] for e in log["entries"]]
    assert types == [
        "round.drafted",
        "rules.published",
        "criteria.published",
        "phase.changed",
        "deadline.extended",
        "round.cancelled",
    ]
    extended = json.loads(log["entries"][4]["statement"])
    assert extended["data"]["reason"] == "members asked for a week"
    with api.db.read() as conn:
        verify_chain(audit.as_chain(audit.entries(conn, audit.round_scope(rid))))


async def test_phases_reach_decided_on_schedule(api: Api) -> None:
    w = await make_world(api)
    body = round_body(w)
    body["schedule"] = {
        "nominations_open_at": at(0.5),
        "nominations_close_at": at(1.5),
        "voting_open_at": at(2),
        "voting_close_at": at(3),
    }
    rid = (await new_round(api, w, body))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "decided")
    log = await api.ok("GET", f"/v1/rounds/{rid}/log")
    phases = [
        json.loads(e["statement"])["data"]["phase"]
        for e in log["entries"]
        if e["type"] == "phase.changed"
    ]
    assert phases == [
        "nominations_open",
        "nominations_closed",
        "voting_open",
        "voting_closed",
        "counting",
        "decided",
    ]


async def test_retried_command_with_the_same_key_runs_once(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    rid = (await new_round(api, w, round_body(w, opens=0.2)))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")
    body = {"deadline": "voting_close", "new_at": at(2000), "reason": "retry safe"}
    key = {"Idempotency-Key": f"extend-{rid}"}
    first = await api.call("POST", f"/v1/rounds/{rid}/extend", s, body, key)
    again = await api.call("POST", f"/v1/rounds/{rid}/extend", s, body, key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    log = await api.ok("GET", f"/v1/rounds/{rid}/log")
    assert [e["type"] for e in log["entries"]].count("deadline.extended") == 1
