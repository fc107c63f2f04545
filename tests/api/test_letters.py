"""Designation letters through the running API (real Temporal dev server, worker, database):
none before the round is decided and the seats confirmed; then each speaker's letter, whose
code the public check finds, a forged code it does not, the PDF in Arabic, and the same
letters recomputed offline from the round's bundle."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from pathlib import Path

import pytest
from pdfminer.high_level import extract_text

from mandate.cli import main
from records.letter import letters_from_bundle
from store import log, seats
from tests.api.conftest import Api, World, make_world, new_round
from tests.api.test_rounds_api import at, wait_phase
from tests.keys import ORIGIN


async def _decided(api: Api, w: World) -> tuple[str, str, str]:
    """A round of one constituency decided by one ballot; its id, the winner's nomination
    and consent token."""
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [
            {"key": "plenary", "title": "Plenary"},
            {"key": "youth", "title": "Youth dialogue"},
        ],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(3),
            "voting_open_at": at(3.5),
            "voting_close_at": at(5.5),
        },
    }
    rid = (await new_round(api, w, body))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    made = await api.ok(
        "POST",
        f"{base}/nominations",
        w.member,
        {"nominee_name": "Nia Okafor", "organisation_id": w.member_org, "statement": {"en": "Hi"}},
    )
    nid, token = made["nomination"]["id"], made["consent_token"]
    await api.ok(
        "POST", f"/v1/nominations/{nid}/consent", None, {"token": token, "decision": "accept"}
    )
    # Nothing before its time.
    early = await api.call("GET", f"{base}/letters")
    assert early.status_code == 409, early.text
    assert early.json()["error"] == "wrong_phase"
    await wait_phase(api, rid, "voting_open")
    await api.ok("PUT", f"{base}/ballot", w.member, {"approvals": [nid]})
    await wait_phase(api, rid, "decided", within=30)
    return rid, nid, token


def _accept_seat(api: Api, rid: str, nid: str, token: str) -> None:
    with api.db.write() as conn:
        seats.open_seats(conn, rid)  # the workflow's step (a repeat changes nothing)
        if seats.offer_for(conn, nid)["status"] == seats.OFFERED:  # type: ignore[index]
            seats.answer(conn, nid, token, accept=True)
    with api.db.write() as conn:
        log.integrate_all(conn, ORIGIN)


async def test_a_letter_s_code_verifies_and_a_forged_one_does_not(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = await make_world(api)
    rid, nid, token = await _decided(api, w)
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    # Decided, but the seat is not accepted yet: no letter.
    assert await api.ok("GET", f"{base}/letters") == []
    assert (await api.call("GET", f"{base}/letters/{nid}")).status_code == 404
    await asyncio.to_thread(_accept_seat, api, rid, nid, token)

    [letter] = await api.ok("GET", f"{base}/letters")
    assert letter == await api.ok("GET", f"{base}/letters/{nid}")
    assert letter["speaker_name"] == "Nia Okafor"
    assert letter["profile"] == "public"
    statement = letter["statement"]
    assert statement["round_id"] == rid
    assert statement["nomination_id"] == nid
    assert statement["seat"] == 1
    assert [s["title"] for s in statement["segments"]] == ["Plenary", "Youth dialogue"]
    outcome = await api.ok("GET", f"{base}/outcome")
    assert statement["outcome_hash"] == outcome["record_hash"]
    code = letter["code"]
    assert letter["check_url"].endswith(f"/letters?code={code}")

    checked = await api.ok("GET", f"/v1/letters/{code}")
    assert checked["valid"] is True
    assert checked["letter"] == letter
    # As an embassy might type it.
    typed = code.replace("-", "").lower()
    assert (await api.ok("GET", f"/v1/letters/{typed}"))["letter"]["code"] == code

    forged = ("0" if code[0] != "0" else "1") + code[1:]
    refused = await api.call("GET", f"/v1/letters/{forged}", headers={"Accept-Language": "fr"})
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"
    assert refused.json()["detail"] == f"aucune lettre de désignation n'a le code {forged}"
    malformed = await api.call("GET", "/v1/letters/not-a-code")
    assert malformed.status_code == 422
    assert malformed.json()["error"] == "invalid_input"

    # The auditor's way: the same letter, recomputed from the round's bundle alone.
    bundle = await api.ok("GET", f"/v1/rounds/{rid}/bundle")
    offline = letters_from_bundle(bundle)
    assert offline == {code: statement}
    assert forged not in offline
    saved = tmp_path / "bundle.json"
    saved.write_text(json.dumps(bundle), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(saved), "--letter", typed]) == 0
    said = capsys.readouterr().out
    assert f"letter {code}: seat 1 of 1 of constituency {w.constituency}" in said
    assert said.strip().endswith(f"VERIFIED: {saved} (round {rid}, letter {code})")
    assert main(["verify", str(saved), "--letter", forged]) == 1
    assert f"FAILED: no designation letter of round {rid} has code {forged}" in (
        capsys.readouterr().out
    )


async def test_the_letter_as_a_pdf_in_arabic_and_after_erasure(api: Api) -> None:
    w = await make_world(api)
    rid, nid, token = await _decided(api, w)
    await asyncio.to_thread(_accept_seat, api, rid, nid, token)
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    code = (await api.ok("GET", f"{base}/letters/{nid}"))["code"]
    answer = await api.call("GET", f"{base}/letters/{nid}/pdf", headers={"Accept-Language": "ar"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-language"] == "ar"
    text = extract_text(io.BytesIO(answer.content))
    for word in ("خطاب", "تعيين", "المنتدى", "الجولة"):
        assert word[::-1] in text, word  # drawn right to left
    assert code in text
    assert "Nia Okafor" in text

    # Erased, the speaker is no longer named, and the letter still verifies with its code.
    await api.ok(
        "POST", f"/v1/nominations/{nid}/erasure", api.secretariat, {"reason": "asked by her"}
    )
    checked = (await api.ok("GET", f"/v1/letters/{code}"))["letter"]
    assert (checked["code"], checked["speaker_name"], checked["profile"]) == (code, None, "erased")
    english = await api.call("GET", f"{base}/letters/{nid}/pdf")
    flat = " ".join(extract_text(io.BytesIO(english.content)).split())
    assert "Nia Okafor" not in flat
    assert "personal data erased" in flat
