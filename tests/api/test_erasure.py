"""Nominees' personal data over HTTP: never in the log, public on consent, erasable; the bundle
verifies after erasure; contact data expire after the retention period."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import MetaData, select

from api.deps import Services
from mandate.settings import Settings
from policies.phases import Phase
from records.bundle import verify_bundle
from store import log, nominations, rounds
from store.db import Database
from tests.api.conftest import Api, make_world, org_body
from tests.api.test_rounds_api import at, wait_phase
from tests.keys import ORIGIN
from tests.store.test_erasure import Round


async def _member(api: Api, constituency: str, coordinator: str) -> tuple[str, str]:
    made = await api.ok("POST", "/v1/organisations", api.secretariat, org_body())
    await api.ok(
        "POST",
        f"/v1/constituencies/{constituency}/members",
        coordinator,
        {"organisation_id": made["id"]},
    )
    token = await api.ok(
        "POST", f"/v1/constituencies/{constituency}/members/{made['id']}/tokens", coordinator, {}
    )
    return made["id"], token["token"]


def _expect(r: Any, status: int, error: str) -> None:
    assert (r.status_code, r.json().get("error")) == (status, error), r.text


async def _integrated(api: Api) -> None:
    def run() -> None:
        with api.db.write() as conn:
            log.integrate_all(conn, ORIGIN)

    await asyncio.to_thread(run)


async def _whole_log(api: Api, round_id: str) -> str:
    """The round's log (GET /v1/rounds/{id}/log) and every entry of the whole log
    (GET /v1/log/entries), payloads decoded: what the public can read of the log."""
    await _integrated(api)
    parts = [json.dumps(await api.ok("GET", f"/v1/rounds/{round_id}/log?limit=1000"))]
    size = (await api.ok("GET", "/v1/log"))["size"]
    for start in range(0, size, 1000):
        page = await api.ok("GET", f"/v1/log/entries?start={start}&end={min(size, start + 1000)}")
        for e in page["entries"]:
            envelope = json.loads(e["envelope"])
            parts.append(base64.b64decode(envelope["payload"]).decode())
    return "\n".join(parts)


async def test_personal_data_stay_out_of_the_log_and_can_be_erased(api: Api) -> None:
    w = await make_world(api)
    c, k, s = w.constituency, w.coordinator, api.secretariat
    orgs = [await _member(api, c, k) for _ in range(4)]
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": c, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(7),
            "voting_open_at": at(7.5),
            "voting_close_at": at(10),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{c}"
    await api.ok("PUT", f"{base}/rules", k, {})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")

    tag = uuid.uuid4().hex[:8]
    people: dict[str, dict[str, Any]] = {}

    async def nominate(i: int, name: str) -> tuple[str, str]:
        data = {
            "nominee_name": f"{name} {tag}",
            "organisation_id": orgs[i][0],
            "attributes": {"gender": "woman", "pronouns": f"she-{tag}-{name}"},
            "statement": {"en": f"{name} speaks for us {tag}"},
            "nominee_email": f"{name.lower()}-{tag}@example.org",
        }
        made = await api.ok("POST", f"{base}/nominations", orgs[i][1], data)
        people[name] = data
        assert made["nomination"]["nominee_name"] == data["nominee_name"]  # the nominator's view
        assert made["nomination"]["profile"] == "private"
        return made["nomination"]["id"], made["consent_token"]

    alice = await nominate(0, "Alice")
    bob = await nominate(1, "Bob")
    cara = await nominate(2, "Cara")

    # Before consent the profile is not public: only the nominating organisation, the
    # constituency's coordinators and the secretariat see it.
    def listed(answer: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {n["id"]: n for n in answer}

    public = listed(await api.ok("GET", f"{base}/nominations"))
    for nid, _ in (alice, bob, cara):
        assert (public[nid]["nominee_name"], public[nid]["statement"]) == (None, {})
        assert public[nid]["attributes"] == {}
        assert nid not in public[nid]["names"]
    other_member = listed(await api.ok("GET", f"{base}/nominations", orgs[3][1]))
    assert other_member[cara[0]]["nominee_name"] is None
    own = listed(await api.ok("GET", f"{base}/nominations", orgs[2][1]))
    assert own[cara[0]]["nominee_name"] == people["Cara"]["nominee_name"]
    assert own[alice[0]]["nominee_name"] is None
    for token in (k, s):
        seen = listed(await api.ok("GET", f"{base}/nominations", token))
        assert seen[cara[0]]["nominee_name"] == people["Cara"]["nominee_name"]

    accepted = await api.ok(
        "POST",
        f"/v1/nominations/{alice[0]}/consent",
        None,
        {"token": alice[1], "decision": "accept"},
    )
    assert (accepted["nominee_name"], accepted["profile"]) == (
        people["Alice"]["nominee_name"],
        "public",
    )
    declined = await api.ok(
        "POST", f"/v1/nominations/{bob[0]}/consent", None, {"token": bob[1], "decision": "decline"}
    )
    assert declined["nominee_name"] is None
    public = listed(await api.ok("GET", f"{base}/nominations"))
    assert public[alice[0]]["statement"] == people["Alice"]["statement"]
    assert public[alice[0]]["names"][alice[0]]["name"] == people["Alice"]["nominee_name"]
    assert public[bob[0]]["nominee_name"] is None

    # The nominee erases a declined nomination with the consent token; never an accepted one.
    erase = "/v1/nominations/{}/erasure"
    _expect(
        await api.call("POST", erase.format(bob[0]), None, {"token": alice[1]}), 403, "forbidden"
    )
    _expect(
        await api.call("POST", erase.format(alice[0]), None, {"token": alice[1]}),
        409,
        "not_erasable",
    )
    _expect(
        await api.call("POST", erase.format(cara[0]), None, {"token": cara[1]}), 409, "not_erasable"
    )
    _expect(await api.call("POST", erase.format(bob[0]), None, {}), 401, "unauthenticated")
    gone = await api.ok("POST", erase.format(bob[0]), None, {"token": bob[1]})
    assert (gone["profile"], gone["nominee_name"]) == ("erased", None)
    _expect(
        await api.call("POST", erase.format(bob[0]), None, {"token": bob[1]}), 409, "already_erased"
    )

    # The secretariat erases any nomination's data, with a reason that is published.
    reason = {"reason": "the nominee asked by letter"}
    _expect(await api.call("POST", erase.format(cara[0]), k, reason), 403, "forbidden")
    _expect(await api.call("POST", erase.format(cara[0]), orgs[2][1], reason), 403, "forbidden")
    _expect(await api.call("POST", erase.format(cara[0]), s, {}), 422, "invalid_input")
    erased = await api.ok("POST", erase.format(cara[0]), s, reason)
    assert erased["profile"] == "erased"
    logged = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    erasures = [json.loads(e["statement"]) for e in logged if e["type"] == "personal_data.erased"]
    assert [(e["data"]["id"], e["data"]["reason"], e["actor"]) for e in erasures] == [
        (bob[0], "nominee", "nominee"),
        (cara[0], reason["reason"], erasures[1]["actor"]),
    ]
    assert erasures[1]["actor"] not in (None, "nominee")

    await wait_phase(api, rid, "voting_open", within=30)
    candidates = await api.ok("GET", f"{base}/candidates")
    assert [n["id"] for n in candidates["standing"]] == [alice[0]]
    assert {n["id"]: n["nominee_name"] for n in candidates["not_standing"]} == {
        bob[0]: None,
        cara[0]: None,
    }
    await api.ok("PUT", f"{base}/ballot", orgs[3][1], {"approvals": [alice[0]]})
    await wait_phase(api, rid, "decided", within=30)

    # Nothing personal in the log, read as the public reads it: no name, statement or address;
    # attributes only of a candidate who consented and stands (the recount needs them).
    everything = await _whole_log(api, rid)
    for who, data in people.items():
        texts = [data["nominee_name"], data["nominee_email"], *data["statement"].values()]
        if who != "Alice":
            texts.append(data["attributes"]["pronouns"])
        for text in texts:
            assert text not in everything, text
    assert everything.count(people["Alice"]["attributes"]["pronouns"]) >= 1
    # Contact addresses are in no answer either.
    for data in people.values():
        for path in (f"{base}/nominations", f"{base}/candidates"):
            assert data["nominee_email"] not in (await api.call("GET", path, s)).text

    # The bundle discloses the consented profile, marks the erased ones, and verifies.
    await _integrated(api)
    bundle = await api.ok("GET", f"/v1/rounds/{rid}/bundle")
    by_id = {p["nomination_id"]: p for p in bundle["profiles"]}
    assert by_id[bob[0]] == {"nomination_id": bob[0], "erased": True}
    assert by_id[cara[0]] == {"nomination_id": cara[0], "erased": True}
    assert by_id[alice[0]]["nominee_name"] == people["Alice"]["nominee_name"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert sum("profile erased" in line for line in report.checked) == 2

    # A disclosed profile changed in the bundle is caught, naming the nomination and its entry.
    tampered = copy.deepcopy(bundle)
    next(p for p in tampered["profiles"] if p["nomination_id"] == alice[0])["nominee_name"] = "X"
    problems = verify_bundle(tampered).problems
    assert len(problems) == 1, problems
    assert f"nomination {alice[0]}" in problems[0]
    assert "does not match the profile_commitment logged at entry" in problems[0]

    # The winner's data erased after the count: the outcome stands, the bundle still verifies.
    await api.ok("POST", erase.format(alice[0]), s, {"reason": "withdrew from public life"})
    await _integrated(api)
    after = await api.ok("GET", f"/v1/rounds/{rid}/bundle")
    assert {"nomination_id": alice[0], "erased": True} in after["profiles"]
    report = verify_bundle(after)
    assert report.ok, report.problems
    assert sum("profile erased" in line for line in report.checked) == 3
    outcome = await api.ok("GET", f"{base}/outcome")
    assert outcome["record"]["result"]["winners"] == [alice[0]]
    assert alice[0] not in outcome["names"]
    for data in people.values():
        assert data["nominee_name"] not in json.dumps(after)
        assert data["nominee_name"] not in json.dumps(outcome)

    # Erased, they are gone from the database too; a consent token was never in it.
    dump = await asyncio.to_thread(_dump, api.db)
    for data in people.values():
        for text in (data["nominee_name"], data["nominee_email"], *data["statement"].values()):
            assert text not in dump, text
    for _, token in (alice, bob, cara):
        assert token not in dump


async def test_the_secretariat_erases_a_signers_contact_details(api: Api) -> None:
    w = await make_world(api)
    campaign = await api.ok(
        "POST",
        "/v1/campaigns",
        api.secretariat,
        {
            "statement": {"en": {"title": "Decent work", "text": "We, the undersigned..."}},
            "opens_at": at(0),
            "closes_at": at(600),
            "contact": {"name": "Desk", "email": "desk@example.org"},
        },
    )
    cid = campaign["id"]
    h = (await api.ok("POST", f"/v1/campaigns/{cid}/publish", api.secretariat))["statement_hash"]
    email = f"leila-{uuid.uuid4().hex[:8]}@alianza.example"
    deadline = asyncio.get_running_loop().time() + 20
    while True:  # the campaign opens once its workflow has moved it on
        r = await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            {
                "statement_hash": h,
                "email": email,
                "organisation": {
                    "name": f"Alianza {uuid.uuid4().hex[:6]}",
                    "country": "AR",
                    "type": "ngo",
                },
                "signer": {"name": "Leila Haddad", "role": "Director"},
            },
        )
        if r.status_code == 202 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert r.status_code == 202, r.text
    sid = r.json()["signature"]["id"]
    path = f"/v1/campaigns/{cid}/signatures/{sid}/erasure"
    body = {"reason": "the signer asked"}
    _expect(await api.call("POST", path, w.coordinator, body), 403, "forbidden")
    _expect(await api.call("POST", path, None, body), 401, "unauthenticated")
    _expect(
        await api.call(
            "POST", f"/v1/campaigns/{uuid.uuid4()}/signatures/{sid}/erasure", api.secretariat, body
        ),
        404,
        "not_found",
    )
    done = await api.ok("POST", path, api.secretariat, body)
    assert done["state"] == "pending"
    _expect(await api.call("POST", path, api.secretariat, body), 409, "already_erased")
    deliveries = await api.call("GET", f"/v1/campaigns/{cid}/deliveries", api.secretariat)
    assert email not in deliveries.text
    logged = (await api.ok("GET", f"/v1/campaigns/{cid}/log"))["entries"]
    [erased] = [json.loads(e["statement"]) for e in logged if e["type"] == "personal_data.erased"]
    assert erased["data"] == {"subject": "signature", "id": sid, "reason": "the signer asked"}


def _dump(db: Database) -> str:
    parts: list[str] = []
    with db.read() as conn:
        tables = MetaData()
        tables.reflect(conn)
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(str(v) for v in row if v is not None)
    return "\n".join(parts)


def test_the_retention_setting_erases_contact_data_at_the_api_housekeeping(
    db: Database, tmp_path: Path
) -> None:
    r = Round(db)
    nid, _, data = r.nominate(0)
    with db.write() as conn:
        rounds.mirror_phase(conn, r.id, Phase.DECIDED, 99, datetime.now(UTC))
    settings = Settings(data_dir=tmp_path, database_url=SecretStr("sqlite://"))
    Services(settings=settings, db=db).purge_if_due()  # 30 days by default: kept
    assert data["nominee_email"] in _dump(db)
    later = settings.model_copy(update={"contact_retention_days": 0})
    Services(settings=later, db=db).purge_if_due()
    with db.read() as conn:
        row = nominations.get(conn, nid)
    assert row["nominee_email"] is None
    assert data["nominee_email"] not in _dump(db)
    assert datetime.now(UTC) - row["created_at"] < timedelta(hours=1)
