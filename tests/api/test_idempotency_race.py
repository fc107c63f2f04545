"""Copies of one keyed request, sent at the same moment, take effect once and get one answer.

Twenty identical requests with the same Idempotency-Key go to the real app at once: a ballot, a
member's signature, an outside organisation's sign-on, a nomination, an organisation's
registration and a deadline extension (carried out by the round's workflow). Exactly one takes
effect in the database; every copy answers with the first one's exact status, body and receipts
(the others wait for it), or, if it took too long, 409
``idempotency_in_progress`` with Retry-After; never a refusal that the first copy caused
(``already_signed``, ``conflict``...). SQLite and PostgreSQL, the real dev server and worker.

The claim itself is tested without Temporal: a key held by a request that is still running,
one whose process died (its claim expires), and one answered while a copy waits.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.sql import ColumnElement

from api.app import create_app
from mandate.settings import Settings
from policies.access import Role
from store import credentials, idempotency
from store.db import Database, utcnow
from store.tables import ballot, campaign_signature, nomination, organisation
from tests.api.conftest import Api, World, make_world, new_round, org_body
from tests.api.test_campaign_journey import CONTACT, STATEMENT, outside, wait_campaign
from tests.api.test_rounds_api import at, wait_phase
from tests.keys import ORIGIN

COPIES = 20
VOTING_IN = 6.0  # seconds from a round's publication to its voting: time to nominate first
IN_PROGRESS = "idempotency_in_progress"


async def race(
    api: Api, method: str, path: str, token: str | None, body: Any, key: str | None = None
) -> list[httpx.Response]:
    """``COPIES`` identical requests, released together."""
    headers = {**api.auth(token), "Idempotency-Key": key or f"race-{uuid.uuid4()}"}
    go = asyncio.Event()

    async def one() -> httpx.Response:
        await go.wait()
        return await api.http.request(method, path, json=body, headers=headers, timeout=60)

    copies = [asyncio.create_task(one()) for _ in range(COPIES)]
    await asyncio.sleep(0.05)
    go.set()
    return await asyncio.gather(*copies)


def one_answer(responses: list[httpx.Response], status: int) -> dict[str, Any]:
    """The first copy's answer, which every copy gave unless it was told to come back later."""
    waited_out = [r for r in responses if r.json().get("error") == IN_PROGRESS]
    for r in waited_out:
        assert r.status_code == 409
        assert set(r.json()) == {"error", "detail"}
        assert r.headers["retry-after"] == "1"
    answered = [r for r in responses if r not in waited_out]
    assert answered, "no copy got an answer"
    first = answered[0]
    assert first.status_code == status, first.text
    assert first.headers.get("mandate-receipt"), "a write names its log entries"
    for r in answered:
        assert (r.status_code, r.json(), r.headers.get("mandate-receipt")) == (
            first.status_code,
            first.json(),
            first.headers.get("mandate-receipt"),
        ), r.text
    # Each copy waits up to MANDATE_IDEMPOTENCY_WAIT (5 s) for a write of a few milliseconds.
    assert len(answered) >= COPIES * 3 // 4, f"{len(waited_out)} copies were not answered"
    answer: dict[str, Any] = first.json()
    return answer


def count(db: Database, table: Any, *where: ColumnElement[bool]) -> int:
    with db.read() as conn:
        found: int = conn.execute(
            select(func.count()).select_from(table).where(*where)
        ).scalar_one()
        return found


@dataclass
class Stage:
    """A constituency with a member, and a campaign open for signatures."""

    w: World
    campaign: str
    statement_hash: str


async def published_campaign(api: Api, opens_in: float) -> tuple[str, str]:
    """A campaign published now, open to anyone in ``opens_in`` seconds: its id and hash."""
    body = {"statement": STATEMENT, "opens_at": at(opens_in), "closes_at": at(600)}
    made = await api.ok("POST", "/v1/campaigns", api.secretariat, {**body, "contact": CONTACT})
    published = await api.ok("POST", f"/v1/campaigns/{made['id']}/publish", api.secretariat)
    return made["id"], published["statement_hash"]


@pytest.fixture
async def stage(api: Api) -> Stage:
    w = await make_world(api)
    cid, statement_hash = await published_campaign(api, 0.3)
    await wait_campaign(api, cid, "open")
    return Stage(w, cid, statement_hash)


async def test_copies_of_a_registration_register_one_organisation(api: Api) -> None:
    body = org_body()
    made = one_answer(await race(api, "POST", "/v1/organisations", api.secretariat, body), 201)
    assert made["name"] == body["name"]
    assert count(api.db, organisation, organisation.c.name == body["name"]) == 1


async def test_copies_of_a_signature_sign_once(api: Api, stage: Stage) -> None:
    path = f"/v1/campaigns/{stage.campaign}/signatures"
    member = {"statement_hash": stage.statement_hash}
    signed = one_answer(await race(api, "POST", path, stage.w.member, member), 201)
    assert signed["signature"]["state"] == "confirmed"
    mine = campaign_signature.c.campaign_id == stage.campaign
    assert count(api.db, campaign_signature, mine, campaign_signature.c.kind == "member") == 1

    name = f"Outside Network {uuid.uuid4().hex[:6]}"
    pending = one_answer(
        await race(api, "POST", path, None, outside(name, "PH", stage.statement_hash, "n@x.org")),
        202,
    )
    assert pending["signature"]["state"] == "pending"
    assert pending["signer_token"], "the signer's own token, the same to every copy"
    named = campaign_signature.c.organisation_name == name
    assert count(api.db, campaign_signature, mine, named) == 1


async def test_copies_of_a_nomination_a_ballot_and_an_extension_count_once(api: Api) -> None:
    w = await make_world(api)
    body = {
        "title": f"Race {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.3),
            "nominations_close_at": at(VOTING_IN),
            "voting_open_at": at(VOTING_IN),
            "voting_close_at": at(600),
        },
    }
    rid = (await new_round(api, w, body))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"

    nominee = {"nominee_name": "Amal", "organisation_id": w.member_org, "statement": {"en": "A"}}
    made = one_answer(await race(api, "POST", f"{base}/nominations", w.member, nominee), 201)
    nid = made["nomination"]["id"]
    in_round = nomination.c.round_id == rid
    assert count(api.db, nomination, in_round, nomination.c.nominee_name == "Amal") == 1
    consent = {"token": made["consent_token"], "decision": "accept"}
    await api.ok("POST", f"/v1/nominations/{nid}/consent", None, consent)

    await wait_phase(api, rid, "voting_open", within=VOTING_IN + 20)
    cast = one_answer(await race(api, "PUT", f"{base}/ballot", w.member, {"approvals": [nid]}), 200)
    assert cast["approvals"] == [nid]
    voter = ballot.c.voter_organisation_id == w.member_org
    assert count(api.db, ballot, ballot.c.round_id == rid, voter) == 1

    # A command the round's workflow carries out (a Temporal Update), not the database alone.
    later = {"deadline": "voting_close", "new_at": at(2000), "reason": "one extension"}
    one_answer(await race(api, "POST", f"/v1/rounds/{rid}/extend", api.secretariat, later), 200)
    log = await api.ok("GET", f"/v1/rounds/{rid}/log")
    assert [e["type"] for e in log["entries"]].count("deadline.extended") == 1


async def test_a_refused_request_releases_its_key_for_the_retry(api: Api) -> None:
    """A refusal keeps nothing, the answer included: the same request, retried with the same
    key once the state allows it, runs."""
    w = await make_world(api)
    # Opening 10 s after publication leaves the early copies time to be refused even on a busy
    # machine (3 s was too short for twenty copies under load).
    cid, statement_hash = await published_campaign(api, 10)
    path, body = f"/v1/campaigns/{cid}/signatures", {"statement_hash": statement_hash}
    key = f"early-{uuid.uuid4()}"
    early = await race(api, "POST", path, w.member, body, key)
    assert {(r.status_code, r.json()["error"]) for r in early} <= {
        (409, "wrong_phase"),
        (409, IN_PROGRESS),
    }
    await wait_campaign(api, cid, "open")
    signed = one_answer(await race(api, "POST", path, w.member, body, key), 201)
    assert signed["signature"]["state"] == "confirmed"


# The claim, without Temporal: organisations are registered by the database alone.

WAIT = 0.4


@dataclass
class Direct:
    http: httpx.AsyncClient
    db: Database
    token: str
    principal: str

    def claim(self, key: str, raw: bytes, age: float = 0) -> str:
        """Claim the key as another API process would have, ``age`` seconds ago."""
        request_hash = idempotency.request_hash(
            self.db.server_secret, "POST", "/v1/organisations", raw
        )
        with self.db.write() as conn:
            claimed = idempotency.claim(
                conn,
                self.principal,
                key,
                request_hash,
                utcnow() - timedelta(seconds=age),
                timedelta(seconds=60),
            )
        assert isinstance(claimed, idempotency.Claimed)
        return claimed.token

    async def register(self, key: str, raw: bytes) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        return await self.http.post("/v1/organisations", content=raw, headers=headers)


@pytest.fixture
async def direct(db: Database, tmp_path: Path) -> AsyncIterator[Direct]:
    settings = Settings(data_dir=tmp_path, log_origin=ORIGIN, idempotency_wait=WAIT)
    app = create_app(settings, db=db)
    with db.write() as conn:
        issued = credentials.issue(conn, Role.SECRETARIAT, "claims", None)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Direct(http, db, issued.token, issued.credential["id"])


async def test_a_key_held_by_a_running_request_answers_409_after_the_wait(
    direct: Direct,
) -> None:
    raw, key = json.dumps(org_body()).encode(), f"held-{uuid.uuid4()}"
    direct.claim(key, raw)
    started = time.monotonic()
    r = await direct.register(key, raw)
    assert time.monotonic() - started >= WAIT
    assert r.status_code == 409
    assert r.json()["error"] == IN_PROGRESS
    assert key in r.json()["detail"]
    assert r.headers["retry-after"] == "1"
    # The same key for another body is refused at once, claim or answer.
    other = await direct.register(key, json.dumps(org_body()).encode())
    assert (other.status_code, other.json()["error"]) == (422, "idempotency_key_reused")


async def test_a_copy_waiting_for_the_key_gets_the_answer_when_it_comes(
    direct: Direct,
) -> None:
    raw, key = json.dumps(org_body()).encode(), f"wait-{uuid.uuid4()}"
    token = direct.claim(key, raw)
    waiting = asyncio.create_task(direct.register(key, raw))
    await asyncio.sleep(WAIT / 3)
    assert not waiting.done()
    with direct.db.write() as conn:  # the request holding the key answers
        idempotency.answer(conn, direct.principal, key, token, 201, '{"id": "elsewhere"}', "ab")
    r = await waiting
    assert (r.status_code, r.json(), r.headers["mandate-receipt"]) == (
        201,
        {"id": "elsewhere"},
        "ab",
    )


async def test_a_claim_left_by_a_dead_process_expires(direct: Direct) -> None:
    body = org_body()
    raw, key = json.dumps(body).encode(), f"dead-{uuid.uuid4()}"
    direct.claim(key, raw, age=61)  # its process was killed a minute ago
    r = await direct.register(key, raw)
    assert r.status_code == 201, r.text
    again = await direct.register(key, raw)
    assert (again.status_code, again.json()) == (201, r.json())
    assert count(direct.db, organisation, organisation.c.name == body["name"]) == 1
