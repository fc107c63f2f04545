"""The draft rules put to the members, on the pages: the coordinator puts them, a member
organisation reads them in words and answers with a comment, the secretariat publishes without
the threshold with a reason; each reader sees only the forms of their role, and no one outside
the constituency sees the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

from policies.access import Role
from store import audit, credentials, ratification, rounds
from store import rules as rules_store
from store.db import Database
from tests import campaign_support as cs
from tests.web.manage_support import (
    constituency,
    csrf_of,
    schedule,
    secretariat,
    sign_in_with_token,
    words,
)
from tests.web.support import pages


def _draft(db: Database, cid: str, threshold: int) -> str:
    with db.write() as conn:
        row = rounds.create_draft(
            conn,
            {
                "title": f"Forum {uuid.uuid4().hex[:6]}",
                "segments": [{"key": "opening", "title": "Opening plenary"}],
                "participants": [{"constituency_id": cid, "seats": 2}],
                "schedule": schedule(datetime.now(UTC)),
                "ratification_threshold": threshold,
            },
            "t",
        )
        rules_store.publish_rules(
            conn,
            row["id"],
            cid,
            {"alternates": 1, "constraints": [{"attribute": "gender", "value": "woman", "min": 1}]},
            "t",
        )
    return str(row["id"])


def _member_token(db: Database, cid: str) -> str:
    org = cs.member(db, cid)
    with db.write() as conn:
        return credentials.issue(
            conn, Role.MEMBER, "m", None, constituency_id=cid, organisation_id=org
        ).token


async def test_members_ratify_the_draft_rules_on_the_pages(db: Database, tmp_path: Path) -> None:
    c = constituency(db)
    second = _member_token(db, c.id)
    rid = _draft(db, c.id, 100)
    page_path = f"/ratification/{rid}/{c.id}"
    async with (
        pages(db, tmp_path) as coordinator,
        pages(db, tmp_path) as member,
        pages(db, tmp_path) as other,
        pages(db, tmp_path) as sec,
    ):
        await sign_in_with_token(coordinator, c.coordinator)
        await sign_in_with_token(member, c.member_token)
        await sign_in_with_token(other, second)
        await sign_in_with_token(sec, secretariat(db))

        # The coordinator's rules page leads here; nothing is put to the members yet.
        rules_page = (await coordinator.get(f"/coordinator/{c.id}/rounds/{rid}/rules")).text
        assert f'href="{page_path}"' in rules_page
        shown = words(unescape((await coordinator.get(page_path)).text))
        assert "The rules have not been put to the members yet." in shown
        assert "At least 1 seat goes to a candidate whose gender is “woman”." in shown
        assert "1 alternate, in order, steps in if one cannot serve." in shown
        assert "Does your organisation approve" not in shown
        assert "Put the rules to the members" in shown
        assert "Put the rules to the members" not in words((await member.get(page_path)).text)
        assert "Rules put to your organisation" not in (await member.get("/member")).text

        r = await coordinator.post(
            f"{page_path}/put", data={"csrf": await csrf_of(coordinator, page_path)}
        )
        assert r.status_code == 303, r.text
        shown = words(unescape((await coordinator.get(r.headers["location"])).text))
        assert "The rules are put to the member organisations." in shown
        assert "0 member organisations approve the rules as they stand." in shown

        # A member is asked from its dashboard, and must choose before its answer counts.
        dashboard = (await member.get("/member")).text
        assert "Rules put to your organisation" in dashboard
        assert f'href="{page_path}"' in dashboard
        csrf = await csrf_of(member, page_path)
        r = await member.post(f"{page_path}/answer", data={"csrf": csrf, "comment": "Fair"})
        assert r.status_code == 422
        assert "Choose whether your organisation approves these rules" in unescape(r.text)
        r = await member.post(
            f"{page_path}/answer",
            data={"csrf": csrf, "approve": "yes", "comment": "Fair, and <b>balanced</b>"},
        )
        assert r.status_code == 303, r.text
        page = (await member.get(r.headers["location"])).text
        assert "Your organisation approves these rules." in words(unescape(page))
        assert "&lt;b&gt;balanced&lt;/b&gt;" in page  # shown as text, never as markup
        assert "<b>balanced" not in page
        with db.read() as conn:
            found = ratification.summary(conn, rid, c.id)
            logged = [e.type for e in audit.entries(conn, audit.round_scope(rid))]
        assert (found.approvals, found.needed, found.met) == (1, 2, False)
        assert "rules.answered" in logged

        # Only members answer; only the secretariat overrides; only the coordinator puts.
        csrf_c = await csrf_of(coordinator, page_path)
        r = await coordinator.post(f"{page_path}/answer", data={"csrf": csrf_c, "approve": "yes"})
        assert r.status_code == 403
        r = await member.post(f"{page_path}/override", data={"csrf": csrf, "reason": "Because"})
        assert r.status_code == 403
        r = await member.post(f"{page_path}/put", data={"csrf": csrf})
        assert r.status_code == 403

        # The secretariat publishes without the threshold, with a reason it must give.
        sec_page = words(unescape((await sec.get(page_path)).text))
        assert "The threshold is not met yet." in sec_page
        assert "Allow publication without the threshold" in sec_page
        csrf_s = await csrf_of(sec, page_path)
        r = await sec.post(f"{page_path}/override", data={"csrf": csrf_s, "reason": ""})
        assert r.status_code == 422
        assert "Write the reason that will be published" in unescape(r.text)
        r = await sec.post(
            f"{page_path}/override", data={"csrf": csrf_s, "reason": "The forum moved its date"}
        )
        assert r.status_code == 303, r.text
        shown = words(unescape((await sec.get(r.headers["location"])).text))
        assert "The forum moved its date" in shown
        assert "Allow publication without the threshold" not in shown

        # The page speaks the reader's language, Arabic right to left.
        r = await other.get(page_path, headers={"Accept-Language": "ar"})
        assert r.status_code == 200
        assert 'dir="rtl"' in r.text
        assert "مسودة القواعد" in r.text


async def test_no_one_outside_the_constituency_sees_the_page(db: Database, tmp_path: Path) -> None:
    c, elsewhere = constituency(db), constituency(db)
    rid = _draft(db, c.id, 50)
    async with pages(db, tmp_path) as outsider, pages(db, tmp_path) as anonymous:
        await sign_in_with_token(outsider, elsewhere.member_token)
        assert (await outsider.get(f"/ratification/{rid}/{c.id}")).status_code == 403
        r = await anonymous.get(f"/ratification/{rid}/{c.id}", follow_redirects=False)
        assert r.status_code in (303, 401)
        # A constituency that takes no part in the round is not found.
        await sign_in_with_token(anonymous, elsewhere.coordinator)
        assert (await anonymous.get(f"/ratification/{rid}/{elsewhere.id}")).status_code == 404
