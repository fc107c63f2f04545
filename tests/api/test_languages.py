"""The API speaks the caller's language (SQLite and PostgreSQL, the real stack): each error's
``detail`` in English, French, Spanish or Arabic by Accept-Language, or by the language the
caller's organisation chose; its ``error`` code the same in every language; Content-Language
says which; an unknown language reads English. The confirmation code goes out by SMTP in the
signer's language, or in the registered organisation's."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from tests.api.conftest import Api, Notices, make_world, org_body
from tests.api.test_abuse import limited, open_campaign
from tests.api.test_campaign_journey import outside, wait_campaign
from tests.api.test_role_matrix import campaign_body
from tests.api.test_rounds_api import at

ARABIC = re.compile(r"[\u0600-\u06FF]")


def said(r: httpx.Response, status: int, error: str, lang: str) -> str:
    """The detail of an error answer, checked for its status, code and language."""
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == error, body
    assert r.headers["Content-Language"] == lang
    assert "Accept-Language" in r.headers["Vary"]
    detail: str = body["detail"]
    if lang == "ar":
        assert ARABIC.search(detail), detail
    return detail


def asking(lang: str) -> dict[str, str]:
    return {"Accept-Language": lang}


async def test_401_404_and_405_in_each_language(api: Api) -> None:
    no_token = {
        lang: said(
            await api.call("POST", "/v1/organisations", json=org_body(), headers=asking(lang)),
            401,
            "unauthenticated",
            lang,
        )
        for lang in ("en", "fr", "es", "ar")
    }
    assert no_token == {
        "en": "this needs a bearer token (Authorization: Bearer <token>)",
        "fr": "il faut un jeton (Authorization: Bearer <token>)",
        "es": "hace falta un token de portador (Authorization: Bearer <token>)",
        "ar": "يتطلّب هذا رمزًا (Authorization: Bearer <token>)",
    }
    rid = str(uuid.uuid4())
    unknown = {
        lang: said(
            await api.call("GET", f"/v1/rounds/{rid}", headers=asking(lang)), 404, "not_found", lang
        )
        for lang in ("en", "fr", "es", "ar")
    }
    assert unknown["en"] == f"no round with id {rid}"
    assert unknown["fr"] == f"aucun cycle n’a l’identifiant {rid}"
    assert unknown["es"] == f"no hay ninguna ronda con el identificador {rid}"
    assert rid in unknown["ar"]
    nowhere = await api.call("GET", "/v1/nowhere", headers=asking("es-MX,es;q=0.9"))
    assert said(nowhere, 404, "not_found", "es") == "No encontrado"
    wrong = await api.call("DELETE", "/v1/organisations", headers=asking("fr"))
    assert said(wrong, 405, "method_not_allowed", "fr") == "Méthode non autorisée"
    assert "GET" in wrong.headers["Allow"]


async def test_409_and_a_refusal_met_in_a_workflow_in_each_language(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    details = {}
    for lang in ("en", "fr", "es", "ar"):
        r = await api.call(
            "POST",
            f"/v1/constituencies/{w.constituency}/members",
            w.coordinator,
            {"organisation_id": w.member_org},
            asking(lang),
        )
        details[lang] = said(r, 409, "already_exists", lang)
    assert details["en"] == (
        f"organisation {w.member_org} is already a member of constituency {w.constituency}"
    )
    assert details["fr"] == (
        f"l’organisation {w.member_org} est déjà membre du collège {w.constituency}"
    )
    assert details["es"].startswith(f"la organización {w.member_org} ya es miembro")
    assert w.member_org in details["ar"]

    # The workflow refuses an extension into the past: its message crosses Temporal whole.
    cid, _ = await open_campaign(api, s)
    past = {"closes_at": at(-60), "reason": "late"}
    en = said(
        await api.call("POST", f"/v1/campaigns/{cid}/extend", s, past),
        409,
        "invalid_extension",
        "en",
    )
    fr = said(
        await api.call("POST", f"/v1/campaigns/{cid}/extend", s, past, asking("fr")),
        409,
        "invalid_extension",
        "fr",
    )
    assert "is in the past" in en
    assert "est dans le passé" in fr


async def test_422_validation_names_the_field_in_each_language(api: Api) -> None:
    body = org_body()
    del body["country"]
    body["migrant_led"] = "maybe"
    got = {
        lang: said(
            await api.call("POST", "/v1/organisations", api.secretariat, body, asking(lang)),
            422,
            "validation_error",
            lang,
        )
        for lang in ("en", "fr", "es", "ar")
    }
    assert got["en"].startswith("country: Field required")  # pydantic's own words
    assert "country : ce champ est obligatoire" in got["fr"]
    assert "migrant_led : true ou false attendu" in got["fr"]
    assert "country: este campo es obligatorio" in got["es"]
    assert "country: هذا الحقل مطلوب" in got["ar"]
    broken = await api.http.post(
        "/v1/organisations",
        content=b'{"name": ',
        headers={**api.auth(api.secretariat), "content-type": "application/json", **asking("fr")},
    )
    assert said(broken, 422, "validation_error", "fr").startswith("body : JSON non valide")
    # A domain refusal of the same status: its own code, its sentence translated whole.
    namesake = org_body(namesake_of=str(uuid.uuid4()))
    r = await api.call("POST", "/v1/organisations", api.secretariat, namesake, asking("es"))
    assert "namesake_of nombra" in said(r, 422, "invalid_input", "es")


async def test_an_unknown_language_reads_english_and_a_members_choice_comes_first(
    api: Api,
) -> None:
    for header in ("de", "xx-YY, zz;q=0.5", "fr;q=0", ""):
        r = await api.call("GET", f"/v1/rounds/{uuid.uuid4()}", headers=asking(header))
        assert said(r, 404, "not_found", "en").startswith("no round with id ")
    w = await make_world(api)
    arabic = await api.ok("POST", "/v1/organisations", api.secretariat, org_body(lang="ar"))
    assert arabic["lang"] == "ar"
    await api.ok(
        "POST",
        f"/v1/constituencies/{w.constituency}/members",
        w.coordinator,
        {"organisation_id": arabic["id"]},
    )
    token = (
        await api.ok(
            "POST",
            f"/v1/constituencies/{w.constituency}/members/{arabic['id']}/tokens",
            w.coordinator,
            {},
        )
    )["token"]
    # The organisation chose Arabic: its token's refusals say so, whatever the client asks.
    r = await api.call("POST", "/v1/organisations", token, org_body(), asking("en"))
    assert "member" in said(r, 403, "forbidden", "ar")
    # A member that chose nothing gets the request's language.
    r = await api.call("POST", "/v1/organisations", w.member, org_body(), asking("es"))
    assert said(r, 403, "forbidden", "es").startswith("hace falta el rol de la secretaría")


async def test_429_in_each_language(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(db, dev_env, tmp_path, rate_limit_per_address="2/minute") as (api, _):
        path = f"/v1/signatures/{uuid.uuid4()}/confirmation"
        for _ in range(2):
            r = await api.call("POST", path, None, {"code": "123456"})
            assert r.status_code == 404
        details = {}
        for lang in ("en", "fr", "es", "ar"):
            r = await api.call("POST", path, None, {"code": "123456"}, asking(lang))
            details[lang] = said(r, 429, "rate_limited", lang)
            assert int(r.headers["Retry-After"]) >= 1
    assert details["en"].startswith("too many writes from ")
    assert details["fr"].startswith("trop d’écritures depuis ")
    assert details["es"].startswith("demasiadas escrituras desde ")
    assert "2 per 1 minute" in details["ar"]


async def test_the_confirmation_code_goes_out_in_the_signers_language(notices: Notices) -> None:
    api, smtp = notices.api, notices.smtp
    s = api.secretariat
    cid, statement_hash = await open_campaign(api, s)
    french = f"rosa-{uuid.uuid4().hex[:6]}@example.org"
    r = await api.call(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        None,
        outside(f"Red {uuid.uuid4().hex[:6]}", "MX", statement_hash, french),
        asking("fr-FR,fr;q=0.9,en;q=0.8"),
    )
    assert r.status_code == 202, r.text
    sid = r.json()["signature"]["id"]
    code = await asyncio.to_thread(smtp.code_for, sid)  # the code line, as in English
    mail = smtp.wait_for(20, to=french)
    assert str(mail["Subject"]) == "Votre code de confirmation pour « A joint statement »"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "Votre code de confirmation est :" in text
    assert "Le code est valable 24 heures." in text
    assert f'/v1/signatures/{sid}/confirmation\n    {{"code": "{code}"}}' in text
    assert "Opening this message" not in text
    confirmed = await api.ok("POST", f"/v1/signatures/{sid}/confirmation", None, {"code": code})
    assert confirmed["state"] == "confirmed"

    # A claim under a registered name: the code goes to its contact, in the language the
    # organisation chose, whatever the claimant's.
    contact = f"office-{uuid.uuid4().hex[:6]}@example.org"
    name = f"Union {uuid.uuid4().hex[:6]}"
    await api.ok(
        "POST",
        "/v1/organisations",
        s,
        org_body(name=name, country="EG", contact_email=contact, lang="ar"),
    )
    r = await api.call(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        None,
        outside(name, "EG", statement_hash, contact),
        asking("es"),
    )
    assert r.status_code == 202, r.text
    assert r.json()["code_sent_to"] == "registered_contact"
    await asyncio.to_thread(smtp.code_for, r.json()["signature"]["id"])
    mail = smtp.wait_for(20, to=contact)
    subject = str(mail["Subject"])
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert subject == "رمز التأكيد الخاص بك لـ «A joint statement»"
    assert "رمز التأكيد الخاص بك هو:" in text
    assert "وهذا هو عنوان الاتصال المسجَّل لهذه المنظمة" in text
    assert ARABIC.search(text)
    assert "Someone asked" not in text


async def test_a_campaigns_notices_speak_the_language_it_was_drafted_in(
    notices: Notices,
) -> None:
    api, smtp = notices.api, notices.smtp
    s = api.secretariat
    body = campaign_body(opens=1)
    body["milestones"] = [1]
    body["contact"] = {"name": "Mesa", "email": f"mesa-{uuid.uuid4().hex[:6]}@example.org"}
    r = await api.call("POST", "/v1/campaigns", s, body, asking("es"))
    assert r.status_code == 201, r.text
    made = r.json()
    await api.ok("POST", f"/v1/campaigns/{made['id']}/publish", s)
    found = await wait_campaign(api, made["id"], "open")
    w = await make_world(api)
    r = await api.call(
        "POST",
        f"/v1/campaigns/{made['id']}/signatures",
        w.member,
        {"statement_hash": found["statement_hash"]},
    )
    assert r.status_code == 201, r.text
    mail = await asyncio.to_thread(smtp.wait_for, 30, to=body["contact"]["email"])
    assert str(mail["Subject"]) == "«A joint statement» tiene 1 firmante"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "alcanzó 1 firmante confirmado" in text
