"""A coordinator's pages without a browser, on each database: members admitted, invited by a
mailed sign-in link and removed; the rules form, checked as it is saved; the screening of
nominations; and what each form refuses (CSRF, validation, escaping)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from sqlalchemy import select

from policies.access import Role
from store import credentials, nominations, registry
from store import rules as rules_store
from store.db import Database
from store.tables import mail_outbox
from tests import campaign_support as cs
from tests.web.manage_support import (
    ESCAPED,
    HOSTILE,
    constituency,
    csrf_of,
    draft_round,
    escaped,
    nominate,
    open_round,
    sign_in_with_token,
    words,
)
from tests.web.support import SIGN_IN_LINK, hidden, last_mail, pages


async def test_a_coordinator_admits_invites_and_removes_members(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    email = f"contact-{uuid.uuid4().hex[:6]}@union.example"
    with db.write() as conn:
        org = registry.register_organisation(
            conn,
            {
                "name": f"Unión {uuid.uuid4().hex[:6]}",
                "country": "MX",
                "region": None,
                "type": "trade_union",
                "migrant_led": True,
                "grassroots": False,
                "contact_email": email,
            },
            cs.ACTOR,
        )
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        r = await http.get("/coordinator")
        assert r.status_code == 303
        assert r.headers["location"] == f"/coordinator/{c.id}"
        page = (await http.get(f"/coordinator/{c.id}")).text
        assert f'<option value="{org["id"]}">' in page  # registered, not yet a member
        token = hidden(page, "csrf")
        # Nothing chosen: the error stands beside the field.
        r = await http.post(f"/coordinator/{c.id}/members", data={"csrf": token})
        assert r.status_code == 422
        assert 'id="organisation_id-error"' in r.text
        assert "Choose an organisation to admit" in r.text
        r = await http.post(
            f"/coordinator/{c.id}/members",
            data={"csrf": token, "organisation_id": org["id"], "invite": "yes", "mail_lang": "es"},
        )
        assert r.status_code == 303
        assert r.headers["location"].endswith("?done=admitted-invited#members")
        shown = await http.get(r.headers["location"])
        assert "a sign-in link is on its way" in shown.text
        with db.read() as conn:
            assert registry.is_member(conn, c.id, org["id"])
        mail = last_mail(db, "invitation", email)
        assert "Ama Mensah" in mail  # who invites, in Spanish
        assert "le invita" in mail
        # The invitation is the sign-in flow's link: it signs the organisation in, as a member.
        found = SIGN_IN_LINK.search(mail)
        assert found
        async with pages(db, tmp_path) as member:
            link = (await member.get(f"/sign-in/{found.group(1)}")).text
            r = await member.post(
                f"/sign-in/{found.group(1)}",
                data={"csrf": hidden(link, "csrf"), "identity": hidden(link, "identity")},
            )
            assert r.status_code == 303
            assert org["name"] in (await member.get("/account")).text
        # Admitted twice: refused beside the field.
        r = await http.post(
            f"/coordinator/{c.id}/members", data={"csrf": token, "organisation_id": c.member}
        )
        assert r.status_code == 409
        assert "This organisation is already a member" in r.text, words(r.text)[-3000:]
        # A new invitation, on its own.
        r = await http.post(
            f"/coordinator/{c.id}/members/{org['id']}/invitation",
            data={"csrf": token, "mail_lang": "fr"},
        )
        assert r.headers["location"].endswith("?done=invited#members")
        assert "vous invite" in last_mail(db, "invitation", email)
        # Removal is asked for again, then revokes the member's tokens at once.
        confirm = await http.get(f"/coordinator/{c.id}/members/{c.member}/removal")
        assert confirm.status_code == 200
        assert "Remove" in confirm.text
        r = await http.post(f"/coordinator/{c.id}/members/{c.member}/removal", data={"csrf": token})
        assert r.headers["location"].endswith("?done=removed#members")
        with db.read() as conn:
            assert not registry.is_member(conn, c.id, c.member)
            member_creds = credentials.list_for(conn, c.id, Role.MEMBER)
            assert all(
                x["revoked_at"] is not None
                for x in member_creds
                if x["organisation_id"] == c.member
            )
        r = await http.post(f"/coordinator/{c.id}/members/{c.member}/removal", data={"csrf": token})
        assert r.status_code == 404


async def test_the_rules_form_checks_feasibility_and_explains_a_refusal(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    draft = draft_round(db, c.id, seats=2)
    path = f"/coordinator/{c.id}/rounds/{draft['id']}/rules"
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        page = (await http.get(path)).text
        assert "The round gives this constituency 2 seats." in words(page)
        token = hidden(page, "csrf")
        form = {
            "csrf": token,
            "method": "approval.phragmen",
            "alternates": "1",
            "max_approvals": "2",
            "endorsements_required": "1",
            "endorsements_regions": "0",
            "one_nominee": "yes",
            "c1_attribute": "gender",
            "c1_value": "woman",
            "c1_min": "3",
            "time_limit": "20",
            "panels": "1000",
        }
        # More women required than seats: refused, said beside the balance rules.
        r = await http.post(path, data=form)
        assert r.status_code == 422
        said = (
            "At least 3 with gender “woman” cannot be met: the constituency has 2 "
            "seats in this round."
        )
        assert said in r.text
        assert re.search(r'id="constraints-error"[^>]*>.*?cannot be met', r.text, re.S)
        assert 'value="3"' in r.text  # what was sent is kept
        # In French, the same refusal in French.
        french = await http.post(path, data=form, headers={"accept-language": "fr"})
        http.cookies.delete("mandate_lang")
        assert french.status_code == 422
        assert "gender" not in words(french.text).split("Il y a un problème")[1][:300]
        # Not numbers, and numbers out of range: beside their fields.
        r = await http.post(
            path, data={**form, "alternates": "two", "c1_min": "1", "max_approvals": "0"}
        )
        assert r.status_code == 422
        assert 'id="alternates-error"' in r.text
        assert 'id="max_approvals-error"' in r.text
        assert "Enter a whole number, like 2" in r.text
        # A quorum only for designation; designation needs one.
        r = await http.post(path, data={**form, "method": "designation", "c1_min": "1"})
        assert r.status_code == 422
        assert 'id="quorum-error"' in r.text
        r = await http.post(
            path, data={**form, "method": "designation", "quorum": "2", "c1_min": "1"}
        )
        assert r.status_code == 422
        assert (
            "A quorum of 2 coordinators can never be met: the constituency has 1 coordinator."
            in r.text
        )
        # Accepted: saved as version 1, and shown again as saved.
        r = await http.post(
            path,
            data={
                **form,
                "c1_min": "1",
                "c2_attribute": "region",
                "c2_max": "1",
                "ballot_secrecy": "secret",
            },
        )
        assert r.status_code == 303, words(r.text)[:2000]
        with db.read() as conn:
            saved = rules_store.get(conn, draft["id"], c.id)
        assert saved["version"] == 1
        assert saved["rules"]["constraints"] == [
            {"attribute": "gender", "value": "woman", "min": 1, "max": None},
            {"attribute": "region", "value": None, "min": 0, "max": 1},
        ]
        assert saved["rules"]["max_approvals"] == 2
        assert saved["rules"]["ballot_secrecy"] == "secret"
        shown = await http.get(r.headers["location"])
        assert "The rules are saved." in shown.text
        assert 'name="c2_attribute" type="text" value="region"' in shown.text
        assert 'name="ballot_secrecy" value="secret" checked' in shown.text
        # What people write comes back escaped.
        r = await http.post(
            path, data={**form, "c1_attribute": HOSTILE, "c1_value": HOSTILE, "c1_min": "3"}
        )
        assert r.status_code == 422
        escaped(r.text)
        assert ESCAPED in r.text


async def test_the_coordinator_screens_nominations_with_a_published_reason(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    rid = open_round(db, c.id, {"one_nominee_per_organisation": False})
    nid = nominate(db, rid, c, name=f"Rosa {HOSTILE}")
    path = f"/coordinator/{c.id}/rounds/{rid}/nominations"
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        page = await http.get(path)
        assert page.status_code == 200
        escaped(page.text)
        assert ESCAPED in page.text
        token = hidden(page.text, "csrf")
        target = f"/coordinator/{c.id}/nominations/{nid}/rejection"
        r = await http.post(target, data={"csrf": token, "reason_code": "made_up", "reason": ""})
        assert r.status_code == 422
        assert f'id="reason_code-{nid}-error"' in r.text
        assert f'id="reason-{nid}-error"' in r.text
        assert f'href="#reason-{nid}"' in r.text
        r = await http.post(
            target, data={"csrf": token, "reason_code": "not_eligible", "reason": HOSTILE}
        )
        assert r.status_code == 303
        shown = await http.get(r.headers["location"])
        assert "The nomination is rejected." in shown.text
        escaped(shown.text)
        with db.read() as conn:
            row = nominations.get(conn, nid)
        assert (row["rejection_code"], row["rejection_text"]) == ("not_eligible", HOSTILE)
        # Rejected once only.
        r = await http.post(target, data={"csrf": token, "reason_code": "other", "reason": "x"})
        assert r.status_code == 409


async def test_published_rules_are_frozen_and_a_draft_is_not_screened(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    rid = open_round(db, c.id)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        page = await http.get(f"/coordinator/{c.id}/rounds/{rid}/rules")
        assert "these rules are frozen" in page.text
        assert 'name="method"' not in page.text
        r = await http.post(
            f"/coordinator/{c.id}/rounds/{rid}/rules",
            data={
                "csrf": await csrf_of(http, f"/coordinator/{c.id}"),
                "method": "approval.phragmen",
            },
        )
        assert r.status_code == 409
        assert "This cannot be done at this stage." in r.text
        # A round the constituency does not take part in is not there for it.
        other = constituency(db)
        theirs = draft_round(db, other.id)
        r = await http.get(f"/coordinator/{c.id}/rounds/{theirs['id']}/rules")
        assert r.status_code == 404


async def test_every_coordinator_form_is_refused_without_its_csrf_token(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    draft = draft_round(db, c.id)
    rid = open_round(db, c.id)
    nid = nominate(db, rid, c)
    spare = cs.member(db, cs.constituency(db))
    before = _invitations(db)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        good = await csrf_of(http, f"/coordinator/{c.id}")
        posts = {
            f"/coordinator/{c.id}/members": {"organisation_id": spare, "invite": "yes"},
            f"/coordinator/{c.id}/members/{c.member}/invitation": {},
            f"/coordinator/{c.id}/members/{c.member}/removal": {},
            f"/coordinator/{c.id}/rounds/{draft['id']}/rules": {"method": "approval.phragmen"},
            f"/coordinator/{c.id}/nominations/{nid}/rejection": {
                "reason_code": "other",
                "reason": "x",
            },
        }
        for path, data in posts.items():
            for bad in (None, "", "forged", good[:-1] + ("0" if good[-1] != "0" else "1")):
                sent = data if bad is None else {**data, "csrf": bad}
                r = await http.post(path, data=sent)
                assert r.status_code == 403, (path, bad, r.status_code)
                assert "This form has expired" in r.text
    with db.read() as conn:
        assert registry.is_member(conn, c.id, c.member)
        assert not registry.is_member(conn, c.id, spare)
        assert nominations.get(conn, nid)["rejected_at"] is None
        assert rules_store.rules_for(conn, rid, c.id)  # the open round's, unchanged
    assert _invitations(db) == before


def _invitations(db: Database) -> int:
    with db.read() as conn:
        return len(
            conn.execute(
                select(mail_outbox.c.id).where(mail_outbox.c.purpose == "invitation")
            ).all()
        )
