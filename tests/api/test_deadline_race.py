"""The voting deadline under load: many members cast ballots concurrently across the close.

Ballots go straight to the database behind the round row's gate, while the round's workflow
closes voting by updating that same row. Whatever the interleaving, every ballot acknowledged
with 200 must be published and counted (the voter's last one), and nothing refused or sent after
the deadline may get in. Runs on SQLite and PostgreSQL with the real dev server and worker.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from policies.rules import ApprovalBallot
from records.outcome import ballot_set_hash
from tests.api.conftest import Api, make_world, org_body
from tests.api.test_rounds_api import at, wait_phase

MEMBERS = 40
PERIOD = 0.14  # seconds between one member's ballots
BEFORE_CLOSE = 1.0  # start firing this long before voting_close_at...
AFTER_CLOSE = 1.0  # ...and keep firing this long after it
PER_MEMBER = int((BEFORE_CLOSE + AFTER_CLOSE) / PERIOD) + 1  # 15: at most 600 requests in all
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Attempt:
    voter: str
    n: int  # the member's n-th ballot; a member sends one at a time
    approvals: list[str]
    sent: datetime
    acked: datetime
    status: int
    body: dict[str, Any]

    @property
    def accepted(self) -> bool:
        return self.status == 200


async def _member(api: Api, constituency: str, coordinator: str, gate: asyncio.Semaphore) -> Any:
    async with gate:
        made = await api.ok("POST", "/v1/organisations", api.secretariat, org_body())
        path = f"/v1/constituencies/{constituency}/members"
        await api.ok("POST", path, coordinator, {"organisation_id": made["id"]})
        token = await api.ok("POST", f"{path}/{made['id']}/tokens", coordinator, {})
        return made["id"], token["token"]


async def _log(api: Api, round_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        page = await api.ok("GET", f"/v1/rounds/{round_id}/log?after={after}&limit=1000")
        entries.extend(page["entries"])
        after = page["next_after"]
    return entries


async def test_ballots_racing_the_voting_deadline(api: Api) -> None:
    w = await make_world(api)
    c, k, s = w.constituency, w.coordinator, api.secretariat
    gate = asyncio.Semaphore(8)
    members: list[tuple[str, str]] = await asyncio.gather(
        *(_member(api, c, k, gate) for _ in range(MEMBERS - 1))
    )
    members.append((w.member_org, w.member))

    body = {
        "title": f"Race {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": c, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.2),
            "nominations_close_at": at(4),
            "voting_open_at": at(4),
            "voting_close_at": at(7),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{c}"
    await api.ok("PUT", f"{base}/rules", k, {})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")
    candidates = []
    for (org, token), name in zip(members[:2], ("Amal", "Bea"), strict=True):
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            token,
            {"nominee_name": name, "organisation_id": org, "statement": {"en": name}},
        )
        nid = made["nomination"]["id"]
        await api.ok(
            "POST",
            f"/v1/nominations/{nid}/consent",
            None,
            {"token": made["consent_token"], "decision": "accept"},
        )
        candidates.append(nid)
    state = await wait_phase(api, rid, "voting_open")
    close = datetime.fromisoformat(state["schedule"]["voting_close_at"])
    standing = await api.ok("GET", f"{base}/candidates")
    assert sorted(n["id"] for n in standing["standing"]) == sorted(candidates)
    a, b = candidates
    choices = [[a], [b], [a, b], []]

    # The race: every member casts one ballot after another, on a fixed beat, from one second
    # before the deadline to one second after it.
    loop = asyncio.get_running_loop()
    close_on_loop = loop.time() + (close - datetime.now(UTC)).total_seconds()
    start, end = close_on_loop - BEFORE_CLOSE, close_on_loop + AFTER_CLOSE
    attempts: list[Attempt] = []

    async def voter(i: int, org: str, token: str) -> None:
        for n in range(PER_MEMBER):
            slot = start + (i / MEMBERS + n) * PERIOD
            if slot > end:
                return
            await asyncio.sleep(max(0.0, slot - loop.time()))
            approvals = choices[(i + n) % len(choices)]
            sent = datetime.now(UTC)
            r = await api.http.put(
                f"{base}/ballot",
                json={"approvals": approvals},
                headers=api.auth(token),
                timeout=REQUEST_TIMEOUT,
            )
            acked = datetime.now(UTC)
            try:
                answer = r.json()
            except json.JSONDecodeError:
                answer = {"raw": r.text}
            attempts.append(Attempt(org, n, approvals, sent, acked, r.status_code, answer))

    await asyncio.gather(*(voter(i, org, token) for i, (org, token) in enumerate(members)))

    # Every answer is an acceptance or the deadline's refusal: no 5xx, no lock errors.
    odd = [
        (x.status, x.body, x.sent.isoformat())
        for x in attempts
        if not (x.accepted or (x.status == 409 and x.body.get("error") == "phase_closed"))
    ]
    assert not odd, (
        f"{len(odd)} of {len(attempts)} answers were neither 200 nor phase_closed: {odd[:5]}"
    )
    accepted = [x for x in attempts if x.accepted]
    refused = [x for x in attempts if not x.accepted]
    straddled = (
        f"the race did not straddle the deadline: {len(accepted)} accepted, {len(refused)} "
        f"refused out of {len(attempts)}; first sent {min(x.sent for x in attempts)}, last "
        f"acknowledged {max(x.acked for x in attempts)}, voting closed at {close}"
    )
    assert accepted, straddled
    assert refused, straddled
    assert len(attempts) <= MEMBERS * PER_MEMBER

    # The deadline is judged at write time: an accepted ballot was sent before it, and a ballot
    # was refused only once it had passed. (An accepted ballot admitted just before the deadline
    # may be *answered* a little after it: its transaction was still committing.)
    late = [(x.sent.isoformat(), x.acked.isoformat()) for x in accepted if x.sent >= close]
    assert not late, f"accepted although sent at or after the close ({close}): {late[:5]}"
    early = [(x.sent.isoformat(), x.acked.isoformat()) for x in refused if x.acked < close]
    assert not early, f"refused before the close ({close}): {early[:5]}"

    await wait_phase(api, rid, "decided", within=30)
    published = await api.ok("GET", f"{base}/ballots")
    outcome = (await api.ok("GET", f"{base}/outcome"))["record"]
    log = await _log(api, rid)

    # Every accepted ballot is published exactly once, under its receipt; nothing else is.
    receipts = Counter(p["receipt"] for p in published)
    twice = [r for r, n in receipts.items() if n > 1]
    assert not twice, f"receipts published more than once: {twice[:5]}"
    by_receipt = {p["receipt"]: p for p in published}
    missing = [x for x in accepted if x.body["receipt"] not in by_receipt]
    assert not missing, f"{len(missing)} acknowledged ballots are not published: {missing[:3]}"
    assert len(published) == len(accepted), (
        f"{len(published)} ballots published, {len(accepted)} acknowledged: ballots that were "
        f"refused or never answered got in"
    )
    for x in accepted:
        p = by_receipt[x.body["receipt"]]
        assert (p["voter_organisation_id"], p["approvals"]) == (x.voter, sorted(x.approvals))
        # Admitted before the deadline, and recorded at the time it was admitted.
        assert datetime.fromisoformat(p["cast_at"]) < close, (p["cast_at"], close)

    # The log agrees: one ballot.cast entry per accepted ballot, all before voting closed.
    cast_entries = [e for e in log if e["type"] == "ballot.cast"]
    assert sorted(e["leaf_hash"] for e in cast_entries) == sorted(by_receipt)
    [closed_at] = [
        e["seq"]
        for e in log
        if e["type"] == "phase.changed"
        and json.loads(e["statement"])["data"]["phase"] == "voting_closed"
    ]
    after_close = [e["seq"] for e in cast_entries if e["seq"] > closed_at]
    assert not after_close, f"ballot entries logged after voting closed (seq {closed_at})"

    # Counted: each voter's last accepted ballot, and only that.
    last: dict[str, Attempt] = {}
    for x in sorted(accepted, key=lambda x: x.n):
        last[x.voter] = x
    counted = {p["receipt"] for p in published if p["counted"]}
    assert counted == {x.body["receipt"] for x in last.values()}, (
        "the counted ballots are not the voters' last acknowledged ballots"
    )
    assert outcome["ballots_counted"] == len(last)
    expected = [ApprovalBallot(v, frozenset(x.approvals)) for v, x in last.items()]
    assert outcome["ballot_set_hash"] == ballot_set_hash(expected)
