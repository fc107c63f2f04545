"""Commands carried out by a round's workflow answer with receipts, like every other write."""

from __future__ import annotations

import json

from sqlalchemy import select

from store.tables import log_entry
from tests.api.conftest import Api, make_world, new_round
from tests.api.test_rounds_api import at, round_body, wait_phase


def _entry(api: Api, leaf_hash: str) -> dict[str, object]:
    with api.db.read() as conn:
        row = conn.execute(
            select(log_entry.c.type, log_entry.c.statement).where(
                log_entry.c.leaf_hash == leaf_hash
            )
        ).one()
    return {"type": row.type, **json.loads(row.statement)}


async def test_extension_and_cancellation_return_their_log_entries(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    rid = (await new_round(api, w, round_body(w, opens=0.5, closes=600)))["id"]
    published = await api.call("POST", f"/v1/rounds/{rid}/publish", s)
    [receipt] = published.headers["Mandate-Receipt"].split(",")
    assert _entry(api, receipt)["type"] == "criteria.published"
    await wait_phase(api, rid, "nominations_open")

    body = {"deadline": "nominations_close", "new_at": at(650), "reason": "more time"}
    headers = {**api.auth(s), "Idempotency-Key": "extend-once"}
    first = await api.http.post(f"/v1/rounds/{rid}/extend", json=body, headers=headers)
    assert first.status_code == 200, first.text
    [extended] = first.headers["Mandate-Receipt"].split(",")
    entry = _entry(api, extended)
    assert entry["type"] == "deadline.extended"
    assert entry["scope"] == f"round:{rid}"
    # A retry answers as the first time, receipt included.
    again = await api.http.post(f"/v1/rounds/{rid}/extend", json=body, headers=headers)
    assert (again.status_code, again.headers["Mandate-Receipt"]) == (200, extended)

    cancelled = await api.call("POST", f"/v1/rounds/{rid}/cancel", s, {"reason": "called off"})
    assert cancelled.status_code == 200, cancelled.text
    [receipt] = cancelled.headers["Mandate-Receipt"].split(",")
    assert _entry(api, receipt)["type"] == "round.cancelled"

    refused = await api.call("POST", f"/v1/rounds/{rid}/cancel", s, {"reason": "again"})
    assert refused.status_code == 409
    assert "Mandate-Receipt" not in refused.headers  # nothing was logged
