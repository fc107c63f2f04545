"""The secretariat's pages without a browser, on each database: organisations (and namesakes),
constituencies and coordinators, a round drafted, edited, published (its workflow started),
extended and cancelled through its workflow, the participation so far, and a campaign drafted
and published; what each form refuses (CSRF, validation) and that what people write is
escaped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from store import campaigns, registry, rounds
from store import rules as rules_store
from store.db import Database
from tests.web.manage_support import (
    ESCAPED,
    HOSTILE,
    constituency,
    csrf_of,
    draft_round,
    escaped,
    pages_with_temporal,
    secretariat,
    sign_in_with_token,
    words,
)
from tests.web.support import SIGN_IN_LINK, hidden, last_mail, pages


def _local(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


async def test_organisations_are_registered_once_unless_a_namesake_says_why(
    db: Database, tmp_path: Path
) -> None:
    name = f"Red de Migrantes {uuid.uuid4().hex[:6]}"
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        token = await csrf_of(http, "/secretariat/organisations")
        r = await http.post("/secretariat/organisations", data={"csrf": token})
        assert r.status_code == 422
        for field in ("name", "country", "org_type", "contact_email"):
            assert f'id="{field}-error"' in r.text, field
        form = {
            "csrf": token,
            "name": name,
            "country": "MX",
            "org_type": "network",
            "migrant_led": "yes",
            "contact_email": "info@redmigrantes.example",
        }
        r = await http.post("/secretariat/organisations", data=form)
        assert r.status_code == 303
        listed = await http.get(r.headers["location"])
        assert "The organisation is registered." in listed.text
        assert name in listed.text
        assert "info@redmigrantes.example" in listed.text  # contact addresses: secretariat only
        # The same name and country again: refused, with the one registered named.
        again = await http.post("/secretariat/organisations", data={**form, "name": name.upper()})
        assert again.status_code == 409
        assert "This organisation seems to be registered already" in again.text
        existing = hidden(again.text, "namesake_of")
        # As a namesake, it needs a reason.
        r = await http.post(
            "/secretariat/organisations",
            data={**form, "name": name.upper(), "namesake_of": existing},
        )
        assert r.status_code == 422
        assert 'id="reason-error"' in r.text
        r = await http.post(
            "/secretariat/organisations",
            data={
                **form,
                "name": name.upper(),
                "namesake_of": existing,
                "reason": "Another network in Tijuana",
            },
        )
        assert r.status_code == 303
        # Hostile text is refused in no field, and shown escaped.
        hostile = {**form, "name": f"Org {uuid.uuid4().hex[:4]} {HOSTILE}", "country": "FR"}
        r = await http.post("/secretariat/organisations", data=hostile)
        assert r.status_code == 303
        listed = await http.get("/secretariat/organisations")
        escaped(listed.text)
        assert ESCAPED in listed.text
        r = await http.post(
            "/secretariat/organisations", data={**hostile, "contact_email": HOSTILE}
        )
        assert r.status_code == 422
        escaped(r.text)


async def test_constituencies_and_coordinators_with_a_mailed_sign_in_link(
    db: Database, tmp_path: Path
) -> None:
    name = f"Youth {uuid.uuid4().hex[:6]}"
    email = f"li-{uuid.uuid4().hex[:6]}@example.org"
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        token = await csrf_of(http, "/secretariat/constituencies")
        r = await http.post("/secretariat/constituencies", data={"csrf": token, "name": ""})
        assert r.status_code == 422
        assert 'id="name-error"' in r.text
        r = await http.post(
            "/secretariat/constituencies",
            data={"csrf": token, "name": name, "description": HOSTILE},
        )
        assert r.status_code == 303
        cid = r.headers["location"].split("/")[3].split("?")[0]
        page = await http.get(r.headers["location"])
        assert "The constituency is created." in page.text
        escaped(page.text)
        r = await http.post("/secretariat/constituencies", data={"csrf": token, "name": name})
        assert r.status_code == 409
        assert "A constituency with this name exists already" in r.text
        target = f"/secretariat/constituencies/{cid}/coordinators"
        r = await http.post(target, data={"csrf": token, "name": "Li Wei", "email": "nope"})
        assert r.status_code == 422
        assert 'id="email-error"' in r.text
        r = await http.post(
            target,
            data={
                "csrf": token,
                "name": f"Li Wei {HOSTILE}",
                "email": email,
                "send_link": "yes",
                "mail_lang": "ar",
            },
        )
        assert r.status_code == 200
        escaped(r.text)
        assert "mdt_" in r.text  # the token, shown once
        assert f"A sign-in link is on its way to {email}." in r.text
        mail = last_mail(db, "invitation", email)
        assert name in mail
        assert "الأمانة" in mail  # "the secretariat", in the language chosen
        found = SIGN_IN_LINK.search(mail)
        assert found
    async with pages(db, tmp_path) as coordinator:
        link = (await coordinator.get(f"/sign-in/{found.group(1)}")).text
        r = await coordinator.post(
            f"/sign-in/{found.group(1)}",
            data={"csrf": hidden(link, "csrf"), "identity": hidden(link, "identity")},
        )
        assert r.status_code == 303
        r = await coordinator.get("/coordinator")
        assert r.headers["location"] == f"/coordinator/{cid}"


async def test_a_round_drafted_edited_published_extended_and_cancelled(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    c = constituency(db)
    now = datetime.now(UTC)
    schedule = {
        "nominations_open_at": _local(now + timedelta(days=1)),
        "nominations_close_at": _local(now + timedelta(days=7)),
        "voting_open_at": _local(now + timedelta(days=8)),
        "voting_close_at": _local(now + timedelta(days=14)),
    }
    async with pages_with_temporal(db, dev_env, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        token = await csrf_of(http, "/secretariat/rounds/new")
        # Errors beside their fields: no title, a bad code, no seats, a time out of order.
        r = await http.post(
            "/secretariat/rounds/new",
            data={
                "csrf": token,
                "seg1_title": "Opening",
                "seg1_key": "Not A Key",
                **schedule,
                "voting_open_at": "soon",
            },
        )
        assert r.status_code == 422
        for field in ("title", "seg1_key", "participants", "voting_open_at"):
            assert f'href="#{field}"' in r.text, field
        form = {
            "csrf": token,
            "title": f"Forum {HOSTILE}",
            "seg1_title": "Opening plenary",
            f"seats-{c.id}": "2",
            **schedule,
        }
        r = await http.post(
            "/secretariat/rounds/new",
            data={**form, "voting_open_at": schedule["nominations_open_at"]},
        )
        assert r.status_code == 422
        assert "Voting must open when nominations close, or later" in r.text
        r = await http.post("/secretariat/rounds/new", data=form)
        assert r.status_code == 303
        rid = r.headers["location"].split("/")[3].split("?")[0]
        page = await http.get(r.headers["location"])
        escaped(page.text)
        assert "no rules saved yet" in page.text
        # Edited whole: a second segment, three seats.
        r = await http.post(
            f"/secretariat/rounds/{rid}",
            data={
                **form,
                "seg2_title": "Roundtable",
                "seg2_key": "roundtable",
                f"seats-{c.id}": "3",
            },
        )
        assert r.status_code == 303
        with db.read() as conn:
            row = rounds.get(conn, rid)
        assert [s["key"] for s in row["segments"]] == ["segment-1", "roundtable"]
        assert row["participants"] == [{"constituency_id": c.id, "seats": 3}]
        # Published only once every constituency has its rules.
        r = await http.post(f"/secretariat/rounds/{rid}/publish", data={"csrf": token})
        assert r.status_code == 409
        assert "must save its rules before the round is published" in r.text
        with db.write() as conn:
            rules_store.publish_rules(conn, rid, c.id, {}, "t")
        r = await http.post(f"/secretariat/rounds/{rid}/publish", data={"csrf": token})
        assert r.status_code == 303, words(r.text)[:1500]
        with db.read() as conn:
            assert rounds.get(conn, rid)["phase"] == Phase.PUBLISHED
        described = await dev_env.client.get_workflow_handle(rounds.workflow_id_for(rid)).describe()
        assert described.status is not None  # the schedule runs in its workflow
        page = await http.get(r.headers["location"])
        assert "The round is published" in page.text
        assert 'name="title"' not in page.text  # no longer a draft to edit
        # Extension: a reason is needed, and the deadline must move later.
        target = f"/secretariat/rounds/{rid}/extension"
        r = await http.post(
            target, data={"csrf": token, "deadline": "voting_close", "new_at": "x", "reason": ""}
        )
        assert r.status_code == 422
        assert 'id="new_at-error"' in r.text
        assert 'id="reason-error"' in r.text
        r = await http.post(
            target,
            data={
                "csrf": token,
                "deadline": "voting_close",
                "new_at": schedule["voting_open_at"],
                "reason": "x",
            },
        )
        assert r.status_code == 409
        assert "An extension must move the deadline later than it is now." in r.text
        later = now + timedelta(days=20)
        r = await http.post(
            target,
            data={
                "csrf": token,
                "deadline": "voting_close",
                "new_at": _local(later),
                "reason": f"Members asked for time {HOSTILE}",
            },
        )
        assert r.status_code == 303, words(r.text)[:1500]
        with db.read() as conn:
            assert _local(rounds.get(conn, rid)["voting_close_at"]) == _local(later)
        # The participation so far: the constituency's member has done nothing yet.
        page = await http.get(f"/secretariat/rounds/{rid}/participation")
        assert page.status_code == 200
        assert "Not yet nominated (1):" in words(page.text)
        # Cancellation: with its reason, published on the round's page.
        target = f"/secretariat/rounds/{rid}/cancellation"
        r = await http.post(target, data={"csrf": token, "cancel_reason": ""})
        assert r.status_code == 422
        assert 'id="cancel_reason-error"' in r.text
        r = await http.post(target, data={"csrf": token, "cancel_reason": HOSTILE})
        assert r.status_code == 303
        with db.read() as conn:
            row = rounds.get(conn, rid)
        assert (row["phase"], row["cancel_reason"]) == (Phase.CANCELLED, HOSTILE)
        public = await http.get(f"/rounds/{rid}")
        escaped(public.text)
        assert ESCAPED in public.text


async def test_a_campaign_drafted_and_published(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    c = constituency(db)
    now = datetime.now(UTC)
    async with pages_with_temporal(db, dev_env, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)  # a coordinator, for their constituency
        token = await csrf_of(http, "/manage/campaigns/new")
        r = await http.post("/manage/campaigns/new", data={"csrf": token, "milestones": "ten"})
        assert r.status_code == 422
        for field in ("title_en", "signers", "opens_at", "closes_at", "milestones"):
            assert f'href="#{field}"' in r.text, field
        form = {
            "csrf": token,
            "title_fr": f"Travail décent {HOSTILE}",
            "text_fr": f"Nous, soussignés... {HOSTILE}",
            "signers": "members",
            f"con-{c.id}": "yes",
            "opens_at": _local(now - timedelta(minutes=1)),
            "closes_at": _local(now + timedelta(days=3)),
            "milestones": "5, 50",
            "contact_name": "Desk",
            "contact_email": "desk@example.org",
        }
        r = await http.post("/manage/campaigns/new", data=form)
        assert r.status_code == 303, words(r.text)[:1500]
        page = await http.get(r.headers["location"])
        escaped(page.text)
        assert ESCAPED in page.text
        gid = r.headers["location"].split("/")[3].split("?")[0]
        with db.read() as conn:
            row = campaigns.get(conn, gid)
        assert row["owner_constituency_id"] == c.id
        assert row["constituencies"] == [c.id]
        assert row["milestones"] == [5, 50]
        r = await http.post(f"/manage/campaigns/{gid}/publish", data={"csrf": token})
        assert r.status_code == 303
        assert r.headers["location"] == f"/campaigns/{gid}"
        with db.read() as conn:
            assert campaigns.get(conn, gid)["statement_hash"]
        listed = await http.get("/manage/campaigns")
        assert f"/manage/campaigns/{gid}" in listed.text


async def test_every_secretariat_form_is_refused_without_its_csrf_token(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    draft = draft_round(db, c.id)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        good = await csrf_of(http, "/secretariat/organisations")
        posts = {
            "/secretariat/organisations": {
                "name": f"Org {uuid.uuid4().hex[:6]}",
                "country": "KE",
                "org_type": "ngo",
                "contact_email": "a@example.org",
            },
            "/secretariat/constituencies": {"name": f"C {uuid.uuid4().hex[:6]}"},
            f"/secretariat/constituencies/{c.id}/coordinators": {
                "name": "X",
                "email": "x@example.org",
            },
            "/secretariat/rounds/new": {"title": "T"},
            f"/secretariat/rounds/{draft['id']}": {"title": "T"},
            f"/secretariat/rounds/{draft['id']}/publish": {},
            f"/secretariat/rounds/{draft['id']}/extension": {"reason": "x"},
            f"/secretariat/rounds/{draft['id']}/cancellation": {"cancel_reason": "x"},
            "/manage/campaigns/new": {"title_en": "T", "text_en": "x"},
        }
        for path, data in posts.items():
            for bad in (None, "", "forged", good[:-1] + ("0" if good[-1] != "0" else "1")):
                sent = data if bad is None else {**data, "csrf": bad}
                r = await http.post(path, data=sent)
                assert r.status_code == 403, (path, bad, r.status_code)
                assert "This form has expired" in r.text
    with db.read() as conn:
        assert len(registry.list_coordinators(conn, c.id)) == 1
        assert rounds.get(conn, draft["id"])["title"] == draft["title"]
