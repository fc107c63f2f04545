"""Sign-on campaigns end to end over HTTP, on the real stack: the dev server, a worker, the
database (SQLite and PostgreSQL), mail over SMTP to a real server (aiosmtpd) and webhooks to
a real HTTP receiver. Every refusal the issue names, the signed list, the bundle and a
signatory's proof checked offline with `mandate verify`."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from records.campaign_bundle import verify_campaign_bundle
from store import log
from store.db import Database
from tests.api.conftest import Api, Notices, make_world, org_body
from tests.api.test_rounds_api import at
from tests.e2e.processes import ROOT
from tests.keys import ORIGIN

STATEMENT = {
    "en": {"title": "Decent work for migrant workers", "text": "We, the undersigned, call..."},
    "es": {"title": "Trabajo decente para migrantes", "text": "Nosotros, los firmantes..."},
}
CONTACT = {"name": "Campaign desk", "email": "desk@example.org"}


def expect(r: httpx.Response, status: int, error: str, detail: str = "") -> None:
    assert (r.status_code, r.json().get("error")) == (status, error), r.text
    assert detail in r.json()["detail"], r.text


async def wait_campaign(api: Api, cid: str, phase: str, within: float = 40) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found: dict[str, Any] = await api.ok("GET", f"/v1/campaigns/{cid}")
        if found["phase"] == phase:
            return found
        assert asyncio.get_running_loop().time() < deadline, found
        await asyncio.sleep(0.2)


async def member(api: Api, constituency: str, coordinator: str, **org: Any) -> tuple[str, str]:
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


def outside(name: str, country: str, statement_hash: str, email: str) -> dict[str, Any]:
    return {
        "statement_hash": statement_hash,
        "organisation": {"name": name, "country": country, "type": "ngo"},
        "signer": {"name": "Rosa Díaz", "role": "Director"},
        "email": email,
    }


def verify_cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mandate.cli", "verify", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_an_open_campaign_from_draft_to_a_verified_signatory_list(
    notices: Notices, tmp_path: Path
) -> None:
    api, smtp, hooks = notices.api, notices.smtp, notices.hooks
    s = api.secretariat
    w = await make_world(api)
    c, k = w.constituency, w.coordinator
    kenya_contact = f"union-{uuid.uuid4().hex[:6]}@example.org"
    _, kenya_token = await member(api, c, k, country="KE", contact_email=kenya_contact)
    _, brazil_token = await member(api, c, k, country="BR")
    mail_to = f"rosa-{uuid.uuid4().hex[:6]}@example.org"
    body = {
        "statement": STATEMENT,
        "opens_at": at(2),
        "closes_at": at(20),
        "milestones": [2, 10],
        "contact": CONTACT,
    }

    # Drafts: who may make one, and what is refused.
    expect(await api.call("POST", "/v1/campaigns", w.member, body), 403, "forbidden")
    expect(
        await api.call(
            "POST",
            "/v1/campaigns",
            k,
            {**body, "signers": "members", "constituencies": [w.other_constituency]},
        ),
        403,
        "forbidden",
        "own constituency",
    )
    expect(
        await api.call("POST", "/v1/campaigns", s, {**body, "closes_at": at(1)}),
        422,
        "invalid_schedule",
    )
    expect(
        await api.call("POST", "/v1/campaigns", s, {**body, "milestones": [0]}),
        422,
        "validation_error",
    )
    draft = await api.ok("POST", "/v1/campaigns", s, body)
    cid = draft["id"]
    assert (await api.call("GET", f"/v1/campaigns/{cid}")).status_code == 404  # a draft
    expect(
        await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            outside("Red de Migrantes", "MX", "ab" * 32, mail_to),
        ),
        409,
        "wrong_phase",
        "not published",
    )
    hook = await api.ok("POST", f"/v1/campaigns/{cid}/webhooks", s, {"url": hooks.url})
    expect(
        await api.call("POST", f"/v1/campaigns/{cid}/webhooks", k, {"url": hooks.url}),
        403,
        "forbidden",
    )
    published = await api.ok("POST", f"/v1/campaigns/{cid}/publish", s)
    assert published["phase"] == "published"
    statement = await api.ok("GET", f"/v1/campaigns/{cid}/statement")
    v1 = statement["statement_hash"]
    assert published["statement_hash"] == v1
    assert statement["statement"]["texts"]["es"]["title"] == "Trabajo decente para migrantes"
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/signatures", kenya_token, {"statement_hash": v1}
        ),
        409,
        "wrong_phase",
        "opens at",
    )
    await wait_campaign(api, cid, "open")

    # A member signs in one request; a second attempt is refused with the signature's state.
    signed = await api.ok(
        "POST", f"/v1/campaigns/{cid}/signatures", kenya_token, {"statement_hash": v1}
    )
    assert signed["signature"]["state"] == "confirmed"
    assert signed["signature"]["region"] == "africa"
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/signatures", kenya_token, {"statement_hash": v1}
        ),
        409,
        "already_signed",
        "is confirmed",
    )

    # An outside organisation: pending until the mailed code is POSTed.
    r = await api.call(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        None,
        outside("Red de Migrantes", "MX", v1, mail_to),
    )
    assert r.status_code == 202, r.text
    pending = r.json()
    sid, signer_token = pending["signature"]["id"], pending["signer_token"]
    assert pending["signature"]["state"] == "pending"
    assert r.headers["Mandate-Receipt"] == pending["receipt"]
    code = await asyncio.to_thread(smtp.code_for, sid)
    mail = smtp.messages(to=mail_to)[-1]
    assert mail["From"] == "Mandate <campaigns@test>"
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Opening this message or any link does not confirm" in text
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    expect(
        await api.call("POST", f"/v1/signatures/{sid}/confirmation", None, {"code": wrong}),
        422,
        "wrong_code",
        "4 attempts left",
    )
    expect(
        await api.call("POST", f"/v1/signatures/{sid}/confirmation", None, {"code": "12ab"}),
        422,
        "validation_error",
    )
    confirmed = await api.ok("POST", f"/v1/signatures/{sid}/confirmation", None, {"code": code})
    assert confirmed["state"] == "confirmed"
    expect(
        await api.call("POST", f"/v1/signatures/{sid}/confirmation", None, {"code": code}),
        409,
        "code_unusable",
        "used up",
    )
    expect(
        await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            outside("  RED de migrantes ", "MX", v1, "x@example.org"),
        ),
        409,
        "already_signed",
        "is confirmed",
    )

    # Milestone 2 is reached: the contact is told by mail and the webhook gets it, signed,
    # after the receiver refused the first two attempts (Temporal retries with backoff).
    await asyncio.to_thread(smtp.wait_for, 20, to=CONTACT["email"], subject="has 2 signatories")
    got = await asyncio.to_thread(
        hooks.wait_for, lambda d: any(x.event["type"] == "campaign.milestone" for x in d), 20
    )
    (milestone,) = [d for d in got if d.event["type"] == "campaign.milestone"]
    assert milestone.signed_by(hook["secret"])
    assert milestone.event["data"] == {"threshold": 2, "count": 2}
    hooks.fail_next = 2  # the close's delivery will need three attempts

    # A correction: the next version, with a reason; signers of version 1 are told.
    corrected = {
        **STATEMENT,
        "en": {"title": STATEMENT["en"]["title"], "text": "We, the undersigned, call on..."},
    }
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/versions", s, {"statement": STATEMENT, "reason": "none"}
        ),
        422,
        "invalid_input",
        "same as the current version",
    )
    v2 = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/versions",
        s,
        {"statement": corrected, "reason": "a missing word"},
    )
    assert v2["version"] == 2
    await asyncio.to_thread(smtp.wait_for, 20, to=mail_to, subject="was corrected (version 2)")
    await asyncio.to_thread(smtp.wait_for, 20, to=kenya_contact, subject="was corrected")
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/signatures", brazil_token, {"statement_hash": v1}
        ),
        409,
        "statement_changed",
    )
    brazil_signed = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        brazil_token,
        {"statement_hash": v2["statement_hash"]},
    )

    # Withdrawal: by the signer only, once; logged, not deleted.
    expect(
        await api.call(
            "POST", f"/v1/signatures/{signed['signature']['id']}/withdrawal", brazil_token, {}
        ),
        403,
        "forbidden",
    )
    expect(
        await api.call(
            "POST", f"/v1/signatures/{sid}/withdrawal", None, {"signer_token": "mds_nope"}
        ),
        403,
        "forbidden",
    )
    gone = await api.ok(
        "POST",
        f"/v1/signatures/{signed['signature']['id']}/withdrawal",
        kenya_token,
        {"reason": "board decision"},
    )
    assert gone["state"] == "withdrawn"
    expect(
        await api.call(
            "POST", f"/v1/signatures/{signed['signature']['id']}/withdrawal", kenya_token, {}
        ),
        409,
        "signature_state",
        "already withdrawn",
    )

    # An extension, with its reason; then a signature that never confirms.
    new_close = datetime.fromisoformat(published["closes_at"]) + timedelta(seconds=3)
    extended = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/extend",
        s,
        {"closes_at": new_close.isoformat(), "reason": "partners asked"},
    )
    assert datetime.fromisoformat(extended["closes_at"]) == new_close
    late = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        None,
        outside("Never Confirms", "FR", v2["statement_hash"], "never@example.org"),
    )
    late_code = await asyncio.to_thread(smtp.code_for, late["signature"]["id"])
    live = await api.ok("GET", f"/v1/campaigns/{cid}")
    assert live["signatures"]["confirmed"] == 2
    assert live["signatures"]["pending"] == 1
    assert live["milestones_reached"] == [2]

    await wait_campaign(api, cid, "concluded", within=60)
    closed = await api.ok("GET", f"/v1/campaigns/{cid}")
    assert datetime.fromisoformat(closed["closes_at"]) == new_close
    expect(
        await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            outside("Too Late", "DE", v2["statement_hash"], "late@example.org"),
        ),
        409,
        "phase_closed",
    )
    expect(
        await api.call(
            "POST",
            f"/v1/signatures/{late['signature']['id']}/confirmation",
            None,
            {"code": late_code},
        ),
        409,
        "phase_closed",
    )
    expect(
        await api.call(
            "POST", f"/v1/signatures/{sid}/withdrawal", None, {"signer_token": signer_token}
        ),
        409,
        "phase_closed",
    )
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/extend", s, {"closes_at": at(600), "reason": "x"}
        ),
        409,
        "wrong_phase",
    )

    # The signed list: confirmed and not withdrawn, as JSON and CSV.
    listed = await api.ok("GET", f"/v1/campaigns/{cid}/signatories")
    record = listed["record"]
    assert {x["signature_id"] for x in record["signatories"]} == {
        sid,
        brazil_signed["signature"]["id"],
    }
    assert record["counts"]["total"] == 2
    assert record["counts"]["by_region"] == {"americas": 2}
    assert record["counts"]["by_version"] == {"1": 1, "2": 1}
    assert [v["version"] for v in record["statements"]] == [1, 2]
    r = await api.call("GET", f"/v1/campaigns/{cid}/signatories.csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["Mandate-Record-Hash"] == listed["record_hash"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["signature_id"] for row in rows} == {sid, brazil_signed["signature"]["id"]}
    assert next(row for row in rows if row["signature_id"] == sid)["country"] == "MX"
    assert list(rows[0]) == [
        "organisation",
        "country",
        "type",
        "region",
        "signed_on",
        "version",
        "signature_id",
    ]

    # The close's notice: mail to the contact, and the webhook after two refusals.
    await asyncio.to_thread(
        smtp.wait_for, 20, to=CONTACT["email"], subject="closed with 2 signatories"
    )
    got = await asyncio.to_thread(
        hooks.wait_for, lambda d: any(x.event["type"] == "campaign.closed" for x in d), 30
    )
    closing = next(d for d in got if d.event["type"] == "campaign.closed")
    assert closing.signed_by(hook["secret"])
    assert closing.event["data"]["record_hash"] == listed["record_hash"]
    log = await api.ok("GET", f"/v1/campaigns/{cid}/deliveries", s)
    attempts = [(d["event_type"], d["attempt"], d["delivered"]) for d in log["webhooks"]]
    assert attempts == [
        ("campaign.milestone", 1, True),
        ("campaign.closed", 1, False),
        ("campaign.closed", 2, False),
        ("campaign.closed", 3, True),
    ]
    assert {m["purpose"] for m in log["mail"]} >= {
        "confirmation_code",
        "campaign.milestone",
        "campaign.closed",
        "statement_corrected",
    }
    assert all(m["sent_at"] for m in log["mail"])
    expect(await api.call("GET", f"/v1/campaigns/{cid}/deliveries", w.member), 403, "forbidden")

    # Offline: the bundle recounts the list; a signatory's proof shows it is on it.
    bundle = await _settled_bundle(api, cid)
    report = verify_campaign_bundle(bundle, workers=0)
    assert report.ok, report.problems
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(bundle))
    run = verify_cli(path)
    assert run.returncode == 0, run.stdout
    assert f"VERIFIED: {path} (campaign {cid})" in run.stdout
    tampered = copy.deepcopy(bundle)
    tampered["entries"] = [
        e for e in tampered["entries"] if brazil_signed["receipt"] not in _leaf(e)
    ]
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    run = verify_cli(bad)
    assert run.returncode == 1, run.stdout
    assert "recount" in run.stdout
    proof = await api.ok("GET", f"/v1/signatures/{sid}/proof")
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(json.dumps(proof))
    run = verify_cli(proof_path)
    assert run.returncode == 0, run.stdout
    assert "Red de Migrantes" in run.stdout
    expect(
        await api.call("GET", f"/v1/signatures/{late['signature']['id']}/proof"), 404, "not_found"
    )


def _leaf(entry: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(b"\x00" + entry["envelope"].encode()).hexdigest()


async def _settled_bundle(api: Api, cid: str) -> dict[str, Any]:
    """The bundle once every entry of the campaign is in a checkpoint (this test runs no log
    integrator of its own: it integrates, as the deployment's integrator would)."""
    await asyncio.to_thread(_integrate, api.db)
    bundle: dict[str, Any] = await api.ok("GET", f"/v1/campaigns/{cid}/bundle")
    assert bundle["pending_entries"] == 0
    return bundle


def _integrate(db: Database) -> None:
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)


async def test_a_members_only_campaign_of_a_constituency(notices: Notices) -> None:
    api = notices.api
    w = await make_world(api)
    _, outsider_token = await member(api, w.other_constituency, w.other_coordinator)
    body = {
        "statement": STATEMENT,
        "signers": "members",
        "constituencies": [w.constituency],
        "opens_at": at(0.5),
        "closes_at": at(8),
        "contact": CONTACT,
    }
    made = await api.ok("POST", "/v1/campaigns", w.coordinator, body)
    cid = made["id"]
    assert made["owner_constituency_id"] == w.constituency
    expect(
        await api.call("POST", f"/v1/campaigns/{cid}/publish", w.other_coordinator),
        403,
        "forbidden",
    )
    await api.ok("POST", f"/v1/campaigns/{cid}/publish", w.coordinator)
    v1 = (await wait_campaign(api, cid, "open"))["statement_hash"]
    expect(
        await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            None,
            outside("Outsiders Unite", "GB", v1, "o@example.org"),
        ),
        403,
        "forbidden",
        "only member organisations",
    )
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/signatures", outsider_token, {"statement_hash": v1}
        ),
        403,
        "forbidden",
    )
    expect(
        await api.call(
            "POST", f"/v1/campaigns/{cid}/signatures", w.coordinator, {"statement_hash": v1}
        ),
        403,
        "forbidden",
    )
    done = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        w.member,
        {"statement_hash": v1, "signer": {"name": "Ama", "role": "Secretary"}},
    )
    assert done["signature"]["state"] == "confirmed"
    await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/extend",
        w.coordinator,
        {"closes_at": at(9), "reason": "one more day"},
    )
    expect(
        await api.call(
            "POST",
            f"/v1/campaigns/{cid}/extend",
            w.other_coordinator,
            {"closes_at": at(10), "reason": "no"},
        ),
        403,
        "forbidden",
    )
