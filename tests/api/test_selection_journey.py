"""A speaker selection end to end over HTTP: rules, nominations, consent, endorsements,
screening, approval ballots, the constrained count, the signed outcome and offline verification."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from records import dsse
from records.bundle import verify_bundle
from records.keys import public_key_from_b64
from store import bundles, log
from tests.api.conftest import Api, make_world, org_body
from tests.api.test_rounds_api import at, wait_phase
from tests.e2e.processes import ROOT
from tests.keys import ORIGIN

RULES = {
    "alternates": 1,
    "max_approvals": 3,
    "endorsements": {"required": 1},
    "one_nominee_per_organisation": True,
    "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
}


async def _member(api: Api, constituency: str, coordinator: str, **org: Any) -> tuple[str, str]:
    made = await api.ok("POST", "/v1/organisations", api.secretariat, org_body(**org))
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


async def test_selection_journey_and_offline_verification(api: Api, tmp_path: Path) -> None:
    w = await make_world(api)
    c, k, s = w.constituency, w.coordinator, api.secretariat
    orgs: dict[str, tuple[str, str]] = {}
    for name, region, migrant in [
        ("a", "africa", False),
        ("b", "asia", True),
        ("c", "europe", False),
        ("d", "americas", False),
        ("e", "africa", False),
    ]:
        orgs[name] = await _member(api, c, k, region=region, migrant_led=migrant)
    outsider_org, outsider = w.spare_org, w.other_coordinator

    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": c, "seats": 2}],
        "schedule": {
            "nominations_open_at": at(0.3),
            "nominations_close_at": at(6),
            "voting_open_at": at(6.5),
            "voting_close_at": at(10),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{c}"

    # Rules: refused when they can never be met; the round waits for them.
    _expect(await api.call("POST", f"/v1/rounds/{rid}/publish", s), 409, "conflict")
    impossible = {"constraints": [{"attribute": "gender", "value": "woman", "min": 3}]}
    r = await api.call("PUT", f"{base}/rules", k, impossible)
    _expect(r, 422, "infeasible_rules")
    assert "2 seats" in r.json()["detail"]
    _expect(await api.call("PUT", f"{base}/rules", outsider, RULES), 403, "forbidden")
    await api.ok("PUT", f"{base}/rules", k, RULES)
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    criteria = await api.ok("GET", f"/v1/rounds/{rid}/criteria")
    assert criteria["criteria"]["participants"][0]["rules"]["constraints"][0]["min"] == 1
    await wait_phase(api, rid, "nominations_open")

    async def nominate(by: str, name: str, org: str, **attributes: str) -> tuple[str, str]:
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            orgs[by][1],
            {
                "nominee_name": name,
                "organisation_id": org,
                "attributes": attributes,
                "statement": {"en": f"{name} speaks for us", "fr": f"{name} parle pour nous"},
            },
        )
        return made["nomination"]["id"], made["consent_token"]

    alice = await nominate("a", "Alice", orgs["a"][0], gender="woman")
    bob = await nominate("b", "Bob", orgs["b"][0], gender="man")
    carl = await nominate("c", "Carl", orgs["c"][0], gender="man")
    dora = await nominate("d", "Dora", orgs["d"][0], gender="woman")
    eve = await nominate("e", "Eve", orgs["e"][0], gender="woman")

    # Refusals at nomination.
    r = await api.call(
        "POST",
        f"{base}/nominations",
        orgs["a"][1],
        {"nominee_name": "Zed", "organisation_id": outsider_org, "statement": {"en": "x"}},
    )
    _expect(r, 409, "conflict")  # not a member organisation
    r = await api.call(
        "POST",
        f"{base}/nominations",
        orgs["a"][1],
        {"nominee_name": "Ann", "organisation_id": orgs["a"][0], "statement": {"en": "x"}},
    )
    _expect(r, 409, "already_exists")  # one nominee per organisation
    r = await api.call(
        "POST",
        f"{base}/nominations",
        orgs["a"][1],
        {
            "nominee_name": "Ann",
            "organisation_id": orgs["b"][0],
            "statement": {"en": "x"},
            "attributes": {"region": "mars"},
        },
    )
    _expect(r, 422, "invalid_input")  # derived attributes cannot be self-declared

    # Consent by POST with the one-time token.
    for nid, token in (alice, bob, carl, eve):
        await api.ok(
            "POST", f"/v1/nominations/{nid}/consent", None, {"token": token, "decision": "accept"}
        )
    r = await api.call(
        "POST",
        f"/v1/nominations/{alice[0]}/consent",
        None,
        {"token": alice[1], "decision": "decline"},
    )
    _expect(r, 409, "conflict")  # one-time
    r = await api.call(
        "POST",
        f"/v1/nominations/{dora[0]}/consent",
        None,
        {"token": alice[1], "decision": "accept"},
    )
    _expect(r, 403, "forbidden")  # another nomination's token

    # Endorsements.
    for nid, by in ((alice[0], "b"), (bob[0], "a"), (carl[0], "a"), (dora[0], "a"), (eve[0], "a")):
        await api.ok("POST", f"/v1/nominations/{nid}/endorsements", orgs[by][1])
    _expect(
        await api.call("POST", f"/v1/nominations/{alice[0]}/endorsements", orgs["b"][1]),
        409,
        "already_exists",
    )
    _expect(
        await api.call("POST", f"/v1/nominations/{alice[0]}/endorsements", orgs["a"][1]),
        409,
        "conflict",
    )  # own nominee

    # Screening: a rejection carries a reason, which is published.
    _expect(
        await api.call(
            "POST",
            f"/v1/nominations/{eve[0]}/rejection",
            outsider,
            {"reason_code": "x", "reason": "y"},
        ),
        403,
        "forbidden",
    )
    await api.ok(
        "POST",
        f"/v1/nominations/{eve[0]}/rejection",
        k,
        {"reason_code": "not_eligible", "reason": "Eve is staff of the secretariat"},
    )

    await wait_phase(api, rid, "nominations_closed")
    _expect(
        await api.call("POST", f"/v1/nominations/{dora[0]}/endorsements", orgs["c"][1]),
        409,
        "phase_closed",
    )
    fixed = await api.ok("GET", f"{base}/candidates")
    assert sorted(n["nominee_name"] for n in fixed["standing"]) == ["Alice", "Bob", "Carl"]
    why = {n["id"]: n for n in fixed["not_standing"]}
    assert why[dora[0]]["reason"] == "the nominee did not consent before nominations closed"
    assert why[dora[0]]["nominee_name"] is None  # never consented: the name is not public
    assert why[eve[0]]["nominee_name"] == "Eve"
    assert why[eve[0]]["reason"] == "rejected (not_eligible): Eve is staff of the secretariat"

    await wait_phase(api, rid, "voting_open")
    vote = f"{base}/ballot"
    _expect(
        await api.call("PUT", vote, orgs["a"][1], {"approvals": [dora[0]]}), 422, "invalid_ballot"
    )  # not on the list
    _expect(
        await api.call("PUT", vote, orgs["a"][1], {"approvals": [alice[0]] * 2}),
        422,
        "invalid_ballot",
    )
    # A member organisation of another constituency may not vote here.
    _, foreign = await _member(api, w.other_constituency, w.other_coordinator)
    _expect(await api.call("PUT", vote, foreign, {"approvals": [bob[0]]}), 403, "forbidden")
    _expect(await api.call("PUT", vote, s, {"approvals": [bob[0]]}), 403, "forbidden")
    receipts = {}
    for by, picks in [
        ("a", [bob, carl, alice]),
        ("b", [bob, carl]),
        ("c", [carl, bob]),
        ("d", [alice]),
        ("e", [bob]),
        ("a", [bob, carl]),
    ]:  # a votes twice
        cast = await api.ok("PUT", vote, orgs[by][1], {"approvals": [p[0] for p in picks]})
        receipts[by] = cast["receipt"]

    await wait_phase(api, rid, "decided", within=30)
    _expect(await api.call("PUT", vote, orgs["b"][1], {"approvals": []}), 409, "phase_closed")

    # Plain Phragmén would seat Bob and Carl; "at least one woman" seats Alice instead of Carl.
    out = await api.ok("GET", f"{base}/outcome")
    result = out["record"]["result"]
    assert set(result["winners"]) == {bob[0], alice[0]}
    assert result["alternates"] == [carl[0]]
    assert result["unfilled"] == 0
    assert out["record"]["ballots_counted"] == 5
    assert any(carl[0] in step["skipped"] for step in result["steps"])
    published = await api.ok("GET", "/v1/keys")
    [key] = [k for k in published["keys"] if k["purpose"] == "records"]
    keys = {key["key_id"]: public_key_from_b64(key["public_key"])}
    assert dsse.verify(dsse.Envelope.from_json(out["envelope"]), keys) == out["canonical"].encode()
    ballots = await api.ok("GET", f"{base}/ballots")
    assert [b["counted"] for b in ballots].count(True) == 5
    assert receipts["a"] in {b["receipt"] for b in ballots if b["counted"]}

    # The bundle verifies offline with `mandate verify`, and any change is caught. Asked for
    # before the outcome's entry is in a checkpoint, the bundle waits for the integrator (here
    # one second late) rather than answer a bundle whose outcome is not yet logged.
    before = await asyncio.to_thread(_pending, api, rid)
    assert before > 0
    late = asyncio.create_task(_integrate_later(api, 1.0))
    bundle = await api.ok("GET", f"/v1/rounds/{rid}/bundle")
    await late
    assert bundle["pending_entries"] == 0
    assert verify_bundle(bundle).ok, verify_bundle(bundle).problems
    good = tmp_path / "bundle.json"
    good.write_text(json.dumps(bundle))
    run = _verify_cli(good)
    assert run.returncode == 0, run.stdout
    assert "VERIFIED" in run.stdout

    for name, tamper in _tamperings(bundle, carl[0]).items():
        bad = tmp_path / f"{name}.json"
        bad.write_text(json.dumps(tamper))
        run = _verify_cli(bad)
        assert run.returncode == 1, (name, run.stdout)
        assert "FAILED" in run.stdout, (name, run.stdout)
        assert EXPECTED[name] in run.stdout, (name, run.stdout)

    # Pinning the published keys accepts the bundle; a bundle listing any key not pinned (here
    # the checkpoints key, or every key) is refused.
    pinned = [arg for k in published["keys"] for arg in ("--key-id", k["key_id"])]
    run = _verify_cli(good, *pinned)
    assert run.returncode == 0, run.stdout
    for pins in (["--key-id", key["key_id"]], ["--key-id", "0" * 64]):
        run = _verify_cli(good, *pins)
        assert run.returncode == 1, run.stdout
        assert "is not one of the pinned keys" in run.stdout, run.stdout


EXPECTED = {
    "ballot": "not in the checkpoint's tree",
    "criteria": "criteria: signature by key",
    "signature": "outcome 0",
    "dropped_entry": "is missing",
    "forged_outcome": "is not logged by an outcome.published",
}


def _integrate(api: Api) -> None:
    with api.db.write() as conn:
        log.integrate_all(conn, ORIGIN)


async def _integrate_later(api: Api, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await asyncio.to_thread(_integrate, api)


def _pending(api: Api, round_id: str) -> int:
    with api.db.read() as conn:
        pending: int = bundles.export(conn, round_id)["pending_entries"]
    return pending


def _verify_cli(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mandate.cli", "verify", str(path), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _statement(envelope: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return payload


def _tamperings(bundle: dict[str, Any], loser: str) -> dict[str, dict[str, Any]]:
    from records.canonical import canonical_json
    from records.keys import generate_signer

    out: dict[str, dict[str, Any]] = {}

    # A ballot changed in the log, its signature and proof kept.
    b = copy.deepcopy(bundle)
    for e in b["entries"]:
        statement = _statement(e["envelope"])
        if statement["type"] == "ballot.cast":
            statement["data"]["approvals"] = [loser]
            envelope = json.loads(e["envelope"])
            envelope["payload"] = base64.b64encode(canonical_json(statement)).decode()
            e["envelope"] = canonical_json(envelope).decode()
            break
    out["ballot"] = b

    # A criteria value changed.
    b = copy.deepcopy(bundle)
    payload = base64.b64decode(b["criteria"]["envelope"]["payload"])
    b["criteria"]["envelope"]["payload"] = base64.b64encode(
        payload.replace(b'"seats":2', b'"seats":3')
    ).decode()
    out["criteria"] = b

    # A signature changed.
    b = copy.deepcopy(bundle)
    sig = bytearray(base64.b64decode(b["outcomes"][0]["envelope"]["signatures"][0]["sig"]))
    sig[0] ^= 1
    b["outcomes"][0]["envelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    out["signature"] = b

    # An entry of the round dropped from the middle of the log.
    b = copy.deepcopy(bundle)
    del b["entries"][len(b["entries"]) // 2]
    out["dropped_entry"] = b

    # The outcome's winners rewritten and re-signed with another key.
    b = copy.deepcopy(bundle)
    record = json.loads(base64.b64decode(b["outcomes"][0]["envelope"]["payload"]))
    record["result"]["winners"] = sorted([loser, *record["result"]["winners"][:1]])
    b["outcomes"][0]["envelope"] = dsse.sign(
        generate_signer(), dsse.payload_type_for("outcome"), canonical_json(record)
    ).to_json()
    out["forged_outcome"] = b
    return out
