"""Open data over HTTP: a round's files (nominations without private data, results, ranked
ballots as BLT) and a campaign's signatory list, each listed in a signed manifest that
`mandate verify` checks offline; the BLT file, read by an independent STV counter, elects the
same people as the signed outcome."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from mandate.cli import main
from store.db import utcnow
from store.tables import mail_outbox, round_notice
from tests.api.conftest import Api, World, make_world
from tests.api.test_log_api import _concluded_campaign
from tests.api.test_methods_journey import _member
from tests.api.test_rounds_api import at, wait_phase
from tests.policies.support import run_oracle

NOMINEES = ["Ana Lima", "Bello Okafor", "Chen Wei", "Dalia Haddad"]


async def _stv_round(api: Api, w: World) -> tuple[str, list[str], dict[str, str]]:
    members = [(w.member_org, w.member)] + [await _member(api, w) for _ in range(4)]
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 2}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(5),
            "voting_open_at": at(5.5),
            "voting_close_at": at(11),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    await api.ok("PUT", f"{base}/rules", w.coordinator, {"method": "ranked.stv"})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    ids: dict[str, str] = {}
    for n, (org, token) in enumerate(members):
        name = NOMINEES[n] if n < len(NOMINEES) else "Pending Person"
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            token,
            {
                "nominee_name": name,
                "organisation_id": org,
                "statement": {"en": "I will speak"},
                "nominee_email": f"nominee{n}@example.org",
            },
        )
        if n < len(NOMINEES):  # the last nominee never answers: its name stays private
            await api.ok(
                "POST",
                f"/v1/nominations/{made['nomination']['id']}/consent",
                None,
                {"token": made["consent_token"], "decision": "accept"},
            )
        ids[name] = made["nomination"]["id"]
    await wait_phase(api, rid, "voting_open")
    a, b, c, d = (ids[n] for n in NOMINEES)
    for (_, token), ranking in zip(
        # No tie reaches the lot (the oracle's lot is not Mandate's): a and c reach the quota.
        members,
        [[a, b], [a, b, c], [c, d], [c, a], [d, b]],
        strict=True,
    ):
        await api.ok("PUT", f"{base}/ballot", token, {"ranking": ranking})
    await wait_phase(api, rid, "decided", within=40)
    return rid, [t for _, t in members], ids


async def test_round_files_are_public_data_only_signed_and_recountable(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = await make_world(api)
    rid, _, ids = await _stv_round(api, w)
    listing = await api.ok("GET", f"/v1/rounds/{rid}/exports")
    names = {f["name"] for f in listing["files"]}
    assert {"nominations.csv", "nominations.json", "results.csv", "results.json"} <= names
    blt_name = f"ballots-{w.constituency}.blt"
    assert blt_name in names

    files: dict[str, bytes] = {}
    for line in listing["files"]:
        r = await api.call("GET", line["url"])
        assert r.status_code == 200, r.text
        files[line["name"]] = r.content
    everything = b"\n".join(files.values()).decode("utf-8")
    assert "Pending Person" not in everything  # never consented: not public
    assert "@example.org" not in everything  # contact addresses are never published
    nominations = list(csv.DictReader(io.StringIO(files["nominations.csv"].decode("utf-8-sig"))))
    assert {r["nominee_name"] for r in nominations} == {*NOMINEES, ""}

    # An independent counter (pref_voting's Scottish STV, its own BLT reader) elects the same.
    counted = run_oracle("oracle_blt.py", {"blt": files[blt_name].decode()})
    outcome = await api.ok("GET", f"/v1/rounds/{rid}/constituencies/{w.constituency}/outcome")
    by_id = {v: k for k, v in ids.items()}
    assert counted["seats"] == 2
    assert counted["winners"] == sorted(by_id[x] for x in outcome["record"]["result"]["winners"])
    results = list(csv.DictReader(io.StringIO(files["results.csv"].decode("utf-8-sig"))))
    assert {r["nominee_name"] for r in results if r["outcome"] == "winner"} == set(
        counted["winners"]
    )

    # Offline: the manifest and the files beside it verify against the published keys.
    keys = await api.ok("GET", "/v1/keys")
    (tmp_path / "keys.json").write_text(json.dumps(keys))
    (tmp_path / "exports.json").write_text(json.dumps(listing))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    verify = ["verify", str(tmp_path / "exports.json"), "--keys", str(tmp_path / "keys.json")]
    assert main(verify) == 0, capsys.readouterr().out
    assert f"VERIFIED: {tmp_path / 'exports.json'} ({len(files)} file(s) checked)" in (
        capsys.readouterr().out
    )
    (tmp_path / "results.csv").write_bytes(files["results.csv"].replace(b"winner", b"WINNER"))
    assert main(verify) == 1
    assert "results.csv: its bytes are not the ones the manifest lists" in capsys.readouterr().out

    # Notices change as their mail goes out; the manifest's URLs name its moment, so a file
    # fetched again later is the one it lists, while the file of now shows what changed.
    [notices_url] = [f["url"] for f in listing["files"] if f["name"] == "notices.json"]
    assert "?as_of=" in notices_url
    listed = json.loads(files["notices.json"])
    with api.db.write() as conn:  # the mail of every notice handed to the outbox goes out now
        conn.execute(
            update(mail_outbox)
            .where(
                mail_outbox.c.dedup_key.in_(
                    select(round_notice.c.dedup_key).where(round_notice.c.round_id == rid)
                ),
                mail_outbox.c.sent_at.is_(None),
            )
            .values(sent_at=utcnow() + timedelta(seconds=1))
        )
    again = await api.call("GET", notices_url)
    assert again.content == files["notices.json"]
    now = (await api.call("GET", f"/v1/rounds/{rid}/exports/notices.json")).json()
    assert len(now) >= len(listed)  # and the notices of the last moments, not yet settled
    for then, later in zip(listed, now, strict=False):
        assert (then["kind"], then["organisation_id"]) == (later["kind"], later["organisation_id"])
        if then["status"] in ("queued", "sent", "skipped"):
            assert later["status"] == ("skipped" if then["status"] == "skipped" else "sent")
    bad = await api.call("GET", f"/v1/rounds/{rid}/exports/notices.json?as_of=yesterday")
    assert (bad.status_code, bad.json()["error"]) == (422, "validation_error")
    month_13 = f"/v1/rounds/{rid}/exports/notices.json?as_of=2026-13-01T00:00:00Z"
    refused = await api.call("GET", month_13, headers={"Accept-Language": "fr"})
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_input")
    assert "n'est pas un instant" in refused.json()["detail"]


async def test_unknown_files_and_drafts_are_404(api: Api) -> None:
    w = await make_world(api)
    body: dict[str, Any] = {
        "title": "Draft",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(60),
            "nominations_close_at": at(120),
            "voting_open_at": at(180),
            "voting_close_at": at(240),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, body))["id"]
    for path in (f"/v1/rounds/{rid}/exports", f"/v1/rounds/{rid}/exports/nominations.csv"):
        r = await api.call("GET", path)
        assert (r.status_code, r.json()["error"]) == (404, "not_found"), r.text
    r = await api.call("GET", "/v1/campaigns/nope/exports")
    assert r.status_code == 404


async def test_a_campaigns_signatory_list_as_files(api: Api) -> None:
    w = await make_world(api)
    cid, _, _ = await _concluded_campaign(api, w)
    listing = await api.ok("GET", f"/v1/campaigns/{cid}/exports")
    assert [f["name"] for f in listing["files"]] == ["signatories.csv", "signatories.json"]
    org = await api.ok("GET", f"/v1/organisations/{w.member_org}")
    listed = (await api.call("GET", f"/v1/campaigns/{cid}/exports/signatories.json")).json()
    assert [s["organisation"] for s in listed] == [org["name"]]
    table = (await api.call("GET", f"/v1/campaigns/{cid}/exports/signatories.csv")).content
    assert org["name"] in table.decode("utf-8-sig")
