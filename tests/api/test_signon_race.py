"""The sign-on deadline under load: members sign and outside organisations confirm
concurrently across the close.

Signatures and confirmations go straight to the database behind the campaign row's gate,
while the workflow closes the window by updating that row. Whatever the interleaving, every
signature acknowledged with 2xx is on the published list, and nothing refused or sent after the
deadline is. SQLite and PostgreSQL, the real dev server and worker, mail over real SMTP.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.api.conftest import Notices, make_world
from tests.api.test_campaign_journey import CONTACT, STATEMENT, member, outside, wait_campaign
from tests.api.test_rounds_api import at

MEMBERS = 24
OUTSIDERS = 24
SPREAD = 2.0  # seconds: the requests are spread over this, centred on the close


@dataclass(frozen=True)
class Attempt:
    signature: str | None  # the signature that counts if this was acknowledged
    sent: datetime
    acked: datetime
    status: int
    body: dict[str, Any]


async def test_signatures_racing_the_close(notices: Notices) -> None:
    api, smtp = notices.api, notices.smtp
    w = await make_world(api)
    gate = asyncio.Semaphore(6)

    async def one_member() -> tuple[str, str]:
        async with gate:
            return await member(api, w.constituency, w.coordinator)

    members = await asyncio.gather(*(one_member() for _ in range(MEMBERS)))
    campaign = await api.ok(
        "POST",
        "/v1/campaigns",
        api.secretariat,
        {"statement": STATEMENT, "opens_at": at(0.3), "closes_at": at(9), "contact": CONTACT},
    )
    cid = campaign["id"]
    await api.ok("POST", f"/v1/campaigns/{cid}/publish", api.secretariat)
    opened = await wait_campaign(api, cid, "open")
    v1, close = opened["statement_hash"], datetime.fromisoformat(opened["closes_at"])

    # Outside organisations sign in good time, and get their codes by mail.
    pending = []
    for i in range(OUTSIDERS):
        made = await api.ok(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            outside(f"Outside Network {i}", "PH", v1, f"net{i}@example.org"),
        )
        pending.append(made["signature"]["id"])
    codes = [await asyncio.to_thread(smtp.code_for, sid) for sid in pending]
    assert datetime.now(UTC) < close, "the set-up took longer than the window"

    loop = asyncio.get_running_loop()
    close_on_loop = loop.time() + (close - datetime.now(UTC)).total_seconds()
    attempts: list[Attempt] = []

    async def fire(
        slot: float, method: str, path: str, token: str | None, body: Any, sid: str | None
    ) -> None:
        await asyncio.sleep(max(0.0, slot - loop.time()))
        sent = datetime.now(UTC)
        r = await api.http.request(method, path, json=body, headers=api.auth(token), timeout=30)
        acked = datetime.now(UTC)
        answer = r.json()
        counted = sid if sid is not None else answer.get("signature", {}).get("id")
        attempts.append(Attempt(counted, sent, acked, r.status_code, answer))

    n = MEMBERS + OUTSIDERS
    jobs = []
    for i, (_, token) in enumerate(members):
        slot = close_on_loop - SPREAD / 2 + SPREAD * (2 * i) / n
        jobs.append(
            fire(
                slot, "POST", f"/v1/campaigns/{cid}/signatures", token, {"statement_hash": v1}, None
            )
        )
    for i, (sid, code) in enumerate(zip(pending, codes, strict=True)):
        slot = close_on_loop - SPREAD / 2 + SPREAD * (2 * i + 1) / n
        jobs.append(
            fire(slot, "POST", f"/v1/signatures/{sid}/confirmation", None, {"code": code}, sid)
        )
    await asyncio.gather(*jobs)

    odd = [
        (x.status, x.body)
        for x in attempts
        if x.status not in (200, 201)
        and not (x.status == 409 and x.body.get("error") == "phase_closed")
    ]
    assert not odd, odd[:5]
    accepted = [x for x in attempts if x.status in (200, 201)]
    refused = [x for x in attempts if x.status == 409]
    assert accepted, "the race did not straddle the close: nothing was accepted"
    assert refused, "the race did not straddle the close: nothing was refused"
    late = [x.sent.isoformat() for x in accepted if x.sent >= close]
    assert not late, f"accepted although sent at or after the close ({close}): {late[:5]}"
    early = [x.acked.isoformat() for x in refused if x.acked < close]
    assert not early, f"refused before the close ({close}): {early[:5]}"

    await wait_campaign(api, cid, "concluded", within=60)
    record = (await api.ok("GET", f"/v1/campaigns/{cid}/signatories"))["record"]
    listed = {s["signature_id"] for s in record["signatories"]}
    assert listed == {x.signature for x in accepted}, (
        f"{len(listed)} listed, {len(accepted)} acknowledged"
    )
    assert record["counts"]["total"] == len(accepted)
    log = await api.ok("GET", f"/v1/campaigns/{cid}/log?limit=1000")
    [closed_at] = [
        e["seq"]
        for e in log["entries"]
        if e["type"] == "phase.changed" and json.loads(e["statement"])["data"]["phase"] == "closed"
    ]
    counting = [
        e["seq"]
        for e in log["entries"]
        if e["type"] in ("signature.submitted", "signature.confirmed") and e["seq"] > closed_at
    ]
    assert not counting, f"signature entries logged after the close (seq {closed_at})"
