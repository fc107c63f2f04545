"""The pages without a browser: what they show, in which language and time zone, sign-in, and
a member organisation's signature, on each database."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path

from store import log, registry
from store.db import Database
from tests import campaign_support as cs
from tests.keys import ORIGIN
from tests.web.support import (
    hidden,
    last_mail,
    member_with_address,
    open_campaign,
    pages,
    sign_in_by_mail,
)
from tests.workflows.support import published_round


def words(html: str) -> str:
    """The page's text, normalised: CLDR output holds narrow no-break spaces and marks."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = unicodedata.normalize("NFKC", text).replace("\u200f", "").replace("\u200e", "")
    return " ".join(text.split())


async def test_home_lists_open_campaigns_with_deadline_in_utc_and_in_words(
    db: Database, tmp_path: Path
) -> None:
    row = open_campaign(db, days=3)
    async with pages(db, tmp_path) as http:
        home = await http.get("/")
        assert home.status_code == 200
        text = words(home.text)
        assert "Decent work for migrant workers" in text
        assert f'href="/campaigns/{row["id"]}"' in home.text
        assert "Signing closes:" in text
        assert "UTC" in text
        assert "in 2 days" in text or "in 3 days" in text
        http.cookies.set("mandate_tz", "America/Mexico_City")
        assert "America/Mexico_City" in words((await http.get("/")).text)
        http.cookies.set("mandate_tz", "Not/AZone")  # an unknown zone: UTC, said so
        assert "Times are shown in UTC." in words((await http.get("/")).text)


async def test_language_is_the_readers_choice_then_accept_language(
    db: Database, tmp_path: Path
) -> None:
    async with pages(db, tmp_path) as http:
        arabic = await http.get("/directory", headers={"accept-language": "ar-EG,ar;q=0.9"})
        assert '<html lang="ar" dir="rtl">' in arabic.text
        assert "الدليل" in arabic.text
        weighted = await http.get("/", headers={"accept-language": "de, es;q=0.8, fr;q=0.5"})
        assert '<html lang="es" dir="ltr">' in weighted.text
        chosen = await http.get("/language", params={"lang": "fr", "next": "/directory"})
        assert chosen.status_code == 303
        assert chosen.headers["location"] == "/directory"
        assert "mandate_lang=fr" in chosen.headers["set-cookie"]
        french = await http.get("/directory", headers={"accept-language": "ar"})
        assert '<html lang="fr" dir="ltr">' in french.text
        assert "Annuaire" in french.text
        away = await http.get("/language", params={"lang": "es", "next": "//evil.example/"})
        assert away.headers["location"] == "/"  # never to another site


async def test_statement_in_the_readers_language_else_marked_with_its_own(
    db: Database, tmp_path: Path
) -> None:
    row = open_campaign(db)  # English and French texts
    async with pages(db, tmp_path) as http:
        french = await http.get(f"/campaigns/{row['id']}", headers={"accept-language": "fr"})
        assert "<h1>Travail décent pour les migrants</h1>" in french.text
        spanish = await http.get(f"/campaigns/{row['id']}", headers={"accept-language": "es"})
        assert '<h1 lang="en" dir="ltr">Decent work for migrant workers</h1>' in spanish.text
        assert "Firmar esta declaración" in spanish.text  # the page itself is in Spanish


async def test_round_page_states_the_published_rules_in_words(db: Database, tmp_path: Path) -> None:
    rules = {
        "alternates": 2,
        "max_approvals": 3,
        "endorsements": {"required": 2, "distinct_regions": 2},
        "constraints": [
            {"attribute": "gender", "value": "woman", "min": 1},
            {"attribute": "region", "max": 1},
        ],
    }
    row = published_round(db, datetime.now(UTC), rules=rules)
    async with pages(db, tmp_path) as http:
        page = words((await http.get(f"/rounds/{row['id']}")).text)
        for sentence in (
            "This constituency chooses 2 representatives.",
            "2 alternates, in order, step in if one cannot serve.",
            "Approval vote counted by sequential Phragmén",
            "Each member organisation approves up to 3 candidates.",
            "A nomination needs the endorsement of 2 other member organisations.",
            "They must come from at least 2 different regions.",
            "At least 1 seat goes to a candidate whose gender is “woman”.",
            "At most 1 seat for each region.",
            "Nominations open:",
        ):
            assert sentence in page, sentence
        arabic = words(
            (await http.get(f"/rounds/{row['id']}", headers={"accept-language": "ar"})).text
        )
        assert "تختار هذه الدائرة ممثلَين اثنين." in arabic  # the dual form for 2
        assert "بديلان" in arabic


async def test_an_outside_organisation_signs_confirms_and_checks_its_receipt(
    db: Database, tmp_path: Path
) -> None:
    row = open_campaign(db)
    name = f"Alianza Sur {uuid.uuid4().hex[:6]}"
    async with pages(db, tmp_path) as http:
        page = (await http.get(f"/campaigns/{row['id']}")).text
        form = {
            "csrf": hidden(page, "csrf"),
            "statement_hash": hidden(page, "statement_hash"),
            "org_name": name,
            "country": "AR",
            "org_type": "ngo",
            "signer_name": "Leila Haddad",
            "signer_role": "Director",
            "email": "leila@alianza.example",
        }
        signed = await http.post(f"/campaigns/{row['id']}/signatures", data=form)
        assert signed.status_code == 303, signed.text
        code_page = signed.headers["location"]
        sid = code_page.split("/")[2]
        pending = await http.get(code_page)
        assert "Check your e-mail" in pending.text
        assert name in pending.text
        code = cs.mailed_code(db, sid)
        wrong = "000000" if code != "000000" else "111111"
        refused = await http.post(code_page, data={"csrf": form["csrf"], "code": wrong})
        assert refused.status_code == 422
        assert "This code is not right" in refused.text
        malformed = await http.post(code_page, data={"csrf": form["csrf"], "code": "12ab"})
        assert malformed.status_code == 422
        assert 'href="#code">Enter the 6-digit code from the e-mail' in malformed.text
        confirmed = await http.post(code_page, data={"csrf": form["csrf"], "code": code})
        assert confirmed.status_code == 303
        done = await http.get(confirmed.headers["location"])
        assert "Signature confirmed" in done.text
        found = re.search(r"/receipt\?r=([0-9a-f]{64})", done.text)
        assert found, done.text
        receipt = found.group(1)
        not_yet = words((await http.get("/receipt", params={"r": receipt})).text)
        assert "Not in the log yet" in not_yet  # the integrator has not run in this test
        with db.write() as conn:
            log.integrate_all(conn, ORIGIN)
        checked = words((await http.get("/receipt", params={"r": receipt})).text)
        assert "This receipt is in the log" in checked
        assert "signature.confirmed" in checked
        bad = await http.get("/receipt", params={"r": "not-a-receipt"})
        assert "A receipt has 64 characters" in bad.text
        assert 'aria-invalid="true"' in bad.text


async def test_form_errors_are_summarised_and_shown_beside_each_field(
    db: Database, tmp_path: Path
) -> None:
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        page = (await http.get(f"/campaigns/{row['id']}")).text
        r = await http.post(
            f"/campaigns/{row['id']}/signatures",
            data={
                "csrf": hidden(page, "csrf"),
                "statement_hash": hidden(page, "statement_hash"),
                "org_name": "",
                "country": "ZZ",  # not ISO 3166-1
                "org_type": "ngo",
                "signer_name": "Ana",
                "signer_role": "",
                "email": "not an address",
            },
        )
        assert r.status_code == 422
        summary = re.findall(r'<li><a href="#(\w+)">', r.text)
        assert summary == ["org_name", "country", "signer_role", "email"]
        for field in summary:
            assert f'id="{field}-error"' in r.text
            assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', r.text), field
        assert 'value="Ana"' in r.text  # what was typed stays
        assert "<title>Error: Decent work" in r.text


async def test_a_member_signs_in_by_mail_signs_and_withdraws(db: Database, tmp_path: Path) -> None:
    name = f"Union {uuid.uuid4().hex[:6]}"
    email = f"office-{uuid.uuid4().hex[:6]}@union.example"
    member_with_address(db, cs.constituency(db), name, email)
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        await sign_in_by_mail(http, db, email)
        account = await http.get("/account")
        assert f"You are signed in as {name}." in account.text
        page = (await http.get(f"/campaigns/{row['id']}")).text
        assert f"Sign for {name}" in page
        signed = await http.post(
            f"/campaigns/{row['id']}/member-signature",
            data={"csrf": hidden(page, "csrf"), "statement_hash": hidden(page, "statement_hash")},
        )
        assert signed.status_code == 303
        after = await http.get(signed.headers["location"])
        assert "Your organisation has signed this statement." in after.text
        assert "1 organisation has signed." in after.text
        withdrawn = await http.post(
            f"/campaigns/{row['id']}/withdrawal",
            data={"csrf": hidden(after.text, "csrf"), "reason": "We changed our mind"},
        )
        assert withdrawn.status_code == 303
        final = await http.get(withdrawn.headers["location"])
        assert "0 organisations have signed." in final.text
        assert "Your organisation's signature is: Withdrawn." in words(final.text)
        out = await http.post("/sign-out", data={"csrf": hidden(after.text, "csrf")})
        assert out.status_code == 303
        assert (await http.get("/account")).headers["location"] == "/sign-in"


async def test_a_sign_in_link_works_once_and_only_by_post(db: Database, tmp_path: Path) -> None:
    constituency = cs.constituency(db)
    cs.member(db, constituency)  # contact union@example.org, maybe of several organisations
    async with pages(db, tmp_path) as http:
        page = (await http.get("/sign-in")).text
        await http.post(
            "/sign-in", data={"csrf": hidden(page, "csrf"), "email": "union@example.org"}
        )
        token = re.search(r"/sign-in/(mwl_\S+)", last_mail(db, "sign_in", "union@example.org"))
        assert token
        link = f"/sign-in/{token.group(1)}"
        for _ in range(2):  # a mail scanner opening it signs nobody in
            opened = await http.get(link)
            assert opened.status_code == 200
            assert "mandate_session" not in http.cookies
        used = await http.post(
            link,
            data={"csrf": hidden(opened.text, "csrf"), "identity": _first_identity(opened.text)},
        )
        assert used.status_code == 303
        assert "mandate_session" in http.cookies
        again = await http.post(link, data={"csrf": "x", "identity": "y"})
        assert again.status_code == 403  # the session's CSRF token is another now
        fresh = await http.get(link)
        assert fresh.status_code == 410
        assert "can no longer be used" in fresh.text


def _first_identity(page: str) -> str:
    found = re.search(r'name="identity" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    db: Database, tmp_path: Path
) -> None:
    nobody = f"nobody-{uuid.uuid4().hex[:6]}@example.org"
    async with pages(db, tmp_path) as http:
        page = (await http.get("/sign-in")).text
        r = await http.post("/sign-in", data={"csrf": hidden(page, "csrf"), "email": nobody})
        assert r.status_code == 303
        assert r.headers["location"] == "/sign-in/sent"
        try:
            last_mail(db, "sign_in", nobody)
        except AssertionError:
            pass
        else:
            raise AssertionError("a sign-in link was mailed to an unknown address")


async def test_a_pasted_token_signs_in_with_its_own_role(db: Database, tmp_path: Path) -> None:
    from policies.access import Role
    from store import credentials

    constituency = cs.constituency(db)
    org = cs.member(db, constituency)
    with db.write() as conn:
        token = credentials.issue(
            conn, Role.MEMBER, "t", None, constituency_id=constituency, organisation_id=org
        ).token
        name = registry.get_organisation(conn, org)["name"]
    async with pages(db, tmp_path) as http:
        page = (await http.get("/sign-in")).text
        bad = await http.post(
            "/sign-in-with-token", data={"csrf": hidden(page, "csrf"), "token": "mdt_nope"}
        )
        assert bad.status_code == 422
        assert "This token is not known" in bad.text
        assert "mdt_nope" not in bad.text  # a token is never shown back
        ok = await http.post(
            "/sign-in-with-token", data={"csrf": hidden(page, "csrf"), "token": token}
        )
        assert ok.status_code == 303
        assert f"You are signed in as {name}." in (await http.get("/account")).text
        with db.write() as conn:  # revoking the token ends the session at once
            principal = credentials.authenticate(conn, token)
            credentials.revoke(conn, principal.credential_id, "test")
        assert (await http.get("/account")).status_code == 303


async def test_the_signatory_list_is_shown_after_the_close_with_filters(
    db: Database, tmp_path: Path
) -> None:
    from store import signatures

    row = open_campaign(db)
    constituency = cs.constituency(db)
    kenyan = cs.member(db, constituency, name=f"Kenyan Union {uuid.uuid4().hex[:4]}")
    chilean = cs.member(db, constituency, name=f"Sindicato {uuid.uuid4().hex[:4]}", country="CL")
    with db.write() as conn:
        for org in (kenyan, chilean):
            signatures.sign_as_member(
                conn, row["id"], org, constituency, row["statement_hash"], None, "test"
            )
    cs.conclude(db, row["id"])
    async with pages(db, tmp_path) as http:
        everyone = words((await http.get(f"/campaigns/{row['id']}")).text)
        assert "2 organisations signed." in everyone
        only_chile = await http.get(f"/campaigns/{row['id']}", params={"country": "CL"})
        text = words(only_chile.text)
        assert "1 signatory matches." in text
        assert "Sindicato" in text
        assert "Kenyan Union" not in text
        spanish = words(
            (
                await http.get(
                    f"/campaigns/{row['id']}",
                    params={"country": "CL"},
                    headers={"accept-language": "es"},
                )
            ).text
        )
        assert "Chile" in spanish
        assert "Sindicato" in spanish


async def test_the_directory_lists_constituencies_members_and_organisations(
    db: Database, tmp_path: Path
) -> None:
    constituency = cs.constituency(db)
    name = f"Red Migrante {uuid.uuid4().hex[:6]}"
    cs.member(db, constituency, name=name, country="MX")
    async with pages(db, tmp_path) as http:
        page = words((await http.get("/directory", headers={"accept-language": "fr"})).text)
        assert name in page
        assert "Mexique" in page
        assert "Amériques" in page
