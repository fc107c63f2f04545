"""Sealed ballots over HTTP, as an observer and as a voter would see them.

While voting is open nothing public (the log, any public route, the bundle) holds a ballot's
contents; at the close the ballots are opened in the log and the bundle recounts from them.
Under a secret ballot nothing published links a ballot to its voter, each voter finds its own
ballot with its receipt, and the server keeps no link after the close.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from records.bundle import verify_bundle
from store.tables import ballot, idempotency_record
from tests.api.conftest import Api, make_world
from tests.api.test_log_api import integrate
from tests.api.test_methods_journey import _member
from tests.api.test_rounds_api import at, wait_phase

VOTING = 12.0  # seconds voting stays open: room for three voters and every public read


def _statements(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statements of log entries as /v1/log/entries serves them (envelopes)."""
    out = []
    for e in entries:
        envelope = (
            e["envelope"] if isinstance(e.get("envelope"), dict) else json.loads(e["envelope"])
        )
        out.append(json.loads(base64.b64decode(envelope["payload"])))
    return out


async def _everything_public(api: Api, rid: str, base: str) -> str:
    """Every public answer an observer can get about the round, envelopes decoded."""
    texts = []
    for path in (
        f"/v1/rounds/{rid}",
        f"/v1/rounds/{rid}/log",
        f"/v1/rounds/{rid}/phase",
        f"{base}/nominations",
        f"{base}/candidates",
        f"{base}/rules",
        f"{base}/ballots",
        f"{base}/voters",
        f"{base}/outcome",
        f"/v1/rounds/{rid}/bundle",
        "/v1/log/entries?start=0&end=100000",
    ):
        r = await api.call("GET", path)
        assert r.status_code < 500, (path, r.text)
        texts.append(r.text)
        body = r.json()
        entries = body.get("entries") if isinstance(body, dict) else None
        if isinstance(entries, list) and entries and "envelope" in entries[0]:
            texts.append(json.dumps(_statements(entries)))
    return "\n".join(texts)


@pytest.mark.parametrize("secrecy", ["open", "secret"])
async def test_ballots_stay_sealed_until_the_close_then_recount(api: Api, secrecy: str) -> None:
    w = await make_world(api)
    voters = [(w.member_org, w.member), await _member(api, w), await _member(api, w)]
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(4),
            "voting_open_at": at(4.5),
            "voting_close_at": at(4.5 + VOTING),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    await api.ok("PUT", f"{base}/rules", w.coordinator, {"ballot_secrecy": secrecy})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    nominees = []
    for org, token in voters:
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            token,
            {"nominee_name": f"N {org[:6]}", "organisation_id": org, "statement": {"en": "Hi"}},
        )
        nid = made["nomination"]["id"]
        await api.ok(
            "POST",
            f"/v1/nominations/{nid}/consent",
            None,
            {"token": made["consent_token"], "decision": "accept"},
        )
        nominees.append(nid)
    await wait_phase(api, rid, "voting_open")

    # The first voter changes its mind; every cast carries an Idempotency-Key.
    casts = [
        (0, [nominees[0]]),
        (1, [nominees[0], nominees[2]]),
        (2, [nominees[2]]),
        (0, [nominees[1], nominees[2]]),
    ]
    receipts: list[tuple[int, list[str], str]] = []
    for who, approvals in casts:
        r = await api.call(
            "PUT",
            f"{base}/ballot",
            voters[who][1],
            {"approvals": approvals},
            {"Idempotency-Key": f"b-{uuid.uuid4()}"},
        )
        assert r.status_code == 200, r.text
        receipts.append((who, sorted(approvals), r.json()["receipt"]))

    # While voting is open: no ballot contents anywhere public, and the ballots route refuses.
    seen = await _everything_public(api, rid, base)
    for key in ("approvals", "ranking"):  # as JSON, and as JSON inside a JSON string
        assert f'"{key}":' not in seen
        assert f'\\"{key}\\":' not in seen
    refused = await api.call("GET", f"{base}/ballots")
    assert (refused.status_code, refused.json()["error"]) == (409, "wrong_phase")
    log = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    cast_entries = [e for e in log if e["type"] == "ballot.cast"]
    assert len(cast_entries) == 4
    if secrecy == "secret":
        for e in cast_entries:
            text = e["statement"]
            assert all(org not in text for org, _ in voters), text
            assert w.member_credential not in text

    await wait_phase(api, rid, "decided", within=40)
    await integrate(api)
    # The same reads find the contents once they are opened: the check above can fail.
    assert '"approvals":' in await _everything_public(api, rid, base)
    log = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    [opened] = [e for e in log if e["type"] == "ballots.opened"]
    data = json.loads(opened["statement"])["data"]
    assert data["ballot_secrecy"] == secrecy
    assert len(data["ballots"]) == 3
    assert len(data["replaced"]) == 1

    published = await api.ok("GET", f"{base}/ballots")
    who_voted = await api.ok("GET", f"{base}/voters")
    assert who_voted["voters"] == sorted(org for org, _ in voters)
    assert who_voted["ballot_secrecy"] == secrecy
    if secrecy == "open":
        assert len(published) == 4
        assert sum(b["counted"] for b in published) == 3
        assert {b["voter_organisation_id"] for b in published} == {o for o, _ in voters}
    else:
        assert len(published) == 3
        assert all(b["voter_organisation_id"] is None for b in published)
        assert all(b["ballot_id"] is None and b["cast_at"] is None for b in published)
        assert [b["commitment"] for b in published] == sorted(b["commitment"] for b in published)
        text = json.dumps(published)
        assert all(org not in text for org, _ in voters)

    # Each voter finds its ballot by its receipt: the cast entry's commitment is opened (or,
    # for the replaced ballot, listed as replaced), with the contents it cast.
    by_receipt = {e["leaf_hash"]: e for e in log if e["type"] == "ballot.cast"}
    opened_by_commitment = {b["commitment"]: b for b in data["ballots"]}
    for n, (_, approvals, receipt) in enumerate(receipts):
        commitment = json.loads(by_receipt[receipt]["statement"])["data"]["commitment"]
        if n == 0:
            assert commitment in data["replaced"]
        else:
            assert opened_by_commitment[commitment]["approvals"] == approvals

    bundle = await api.ok("GET", f"/v1/rounds/{rid}/bundle")
    assert bundle["format"] == "mandate.bundle/3"
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any("recount of 3 ballot(s) matches" in c for c in report.checked), report.checked

    # After a secret ballot's close, the server itself keeps no link from a ballot to a voter.
    with api.db.engine.connect() as conn:
        rows = conn.execute(select(ballot).where(ballot.c.round_id == rid)).all()
        kept = conn.execute(
            select(idempotency_record.c.receipts).where(
                idempotency_record.c.receipts.in_([r for _, _, r in receipts])
            )
        ).all()
    if secrecy == "secret":
        assert len(rows) == 3
        assert all(r.voter_organisation_id is None for r in rows)
        assert kept == []
    else:
        assert len(rows) == 4
        assert len(kept) == 4
