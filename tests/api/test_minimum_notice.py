"""Minimum notice over HTTP: the deployment's defaults refuse a short schedule at publication,
a round may set its own minimums (published in its criteria), and new nominations close early
enough that each nominee keeps the consent minimum."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from store.db import Database
from tests.api.conftest import Api, make_world, new_round, serving
from tests.api.test_rounds_api import at, wait_phase


def _body(constituency: str, close: float, notice: dict[str, int] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(close),
            "voting_open_at": at(close + 1),
            "voting_close_at": at(close + 2),
        },
    }
    if notice is not None:
        body["minimum_notice"] = notice
    return body


async def test_the_defaults_refuse_a_day_long_deadline_and_say_what_would_do(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # The deployment's defaults, as a fresh install has them (the test process sets zero).
    async with serving(
        db,
        dev_env,
        tmp_path,
        notice_nominations=14 * 86_400,
        notice_consent=3 * 86_400,
        notice_voting=3 * 86_400,
        notice_acceptance=3 * 86_400,
    ) as api:
        w = await make_world(api)
        rid = (await new_round(api, w, _body(w.constituency, 86_400, None)))["id"]
        r = await api.call("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
        assert (r.status_code, r.json()["error"]) == (422, "invalid_schedule"), r.text
        assert "the minimum notice is 14 days" in r.json()["detail"]
        assert (await api.ok("GET", f"/v1/rounds/{rid}", api.secretariat))["phase"] == "draft"
        # The round may say otherwise, in public: its criteria carry the minimums in force.
        own = {"nominations": 2 * 86_400, "consent": 0, "voting": 0}
        await api.ok("PATCH", f"/v1/rounds/{rid}", api.secretariat, {"minimum_notice": own})
        r = await api.call("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
        assert r.status_code == 422
        assert "the minimum notice is 2 days" in r.json()["detail"]
        await api.ok(
            "PATCH",
            f"/v1/rounds/{rid}",
            api.secretariat,
            {"minimum_notice": {"nominations": 0, "consent": 0, "voting": 0}},
        )
        published = await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
        in_force = {"nominations": 0, "consent": 0, "voting": 0, "acceptance": 3 * 86_400}
        assert published["minimum_notice"] == in_force
        criteria = await api.ok("GET", f"/v1/rounds/{rid}/criteria")
        assert json.loads(criteria["canonical"])["minimum_notice"] == in_force


async def test_new_nominations_close_when_a_nominee_would_have_too_little_time(api: Api) -> None:
    w = await make_world(api)
    notice = {"nominations": 0, "consent": 4, "voting": 0}
    rid = (await new_round(api, w, _body(w.constituency, 7, notice)))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    body = {"nominee_name": "Nia", "organisation_id": w.member_org, "statement": {"en": "Hi"}}
    made = await api.ok("POST", f"{base}/nominations", w.member, body)
    await asyncio.sleep(3.5)  # past close - 4 s, before close
    late = await api.call("POST", f"{base}/nominations", w.member, {**body, "nominee_name": "Ola"})
    assert (late.status_code, late.json()["error"]) == (409, "phase_closed"), late.text
    assert "so that each nominee has 4 seconds to consent" in late.json()["detail"]
    # The nominee made in time can still answer.
    await api.ok(
        "POST",
        f"/v1/nominations/{made['nomination']['id']}/consent",
        None,
        {"token": made["consent_token"], "decision": "accept"},
    )
