"""Withdrawing on the pages: a member organisation withdraws a nomination it made and an
endorsement it gave, a nominee their consent; each until nominations close, each shown as
withdrawn afterwards."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from sqlalchemy import select

from policies.phases import Phase
from store.db import Database
from store.tables import endorsement, nomination
from tests.web.manage_support import sign_in_with_token
from tests.web.member_support import consent_link, member_round
from tests.web.support import hidden, pages


def _row(db: Database, nomination_id: str) -> dict[str, object]:
    with db.read() as conn:
        return dict(
            conn.execute(select(nomination).where(nomination.c.id == nomination_id)).one()._mapping
        )


async def test_a_member_withdraws_its_nomination_and_its_endorsement(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN, {"endorsements": {"required": 1}})
    base = f"/member/rounds/{made.id}"
    async with pages(db, tmp_path) as first, pages(db, tmp_path) as second:
        await sign_in_with_token(first, made.tokens[0])
        await sign_in_with_token(second, made.tokens[1])
        form = (await first.get(f"{base}/nominate")).text
        r = await first.post(
            f"{base}/nominate",
            data={
                "csrf": hidden(form, "csrf"),
                "nominee_name": "Amina Yusuf",
                "organisation_id": made.round.members[0],
                "statement_en": "Amina will speak for us.",
            },
        )
        assert r.status_code == 200, r.text
        nid = consent_link(r.text).split("/")[2].split("?")[0]

        page = (await second.get(base)).text
        csrf = hidden(page, "csrf")
        assert "Withdraw this nomination" not in page  # not the second's to withdraw
        r = await second.post(f"/member/nominations/{nid}/endorsement", data={"csrf": csrf})
        assert r.status_code == 303
        page = (await second.get(base)).text
        assert "Withdraw our endorsement" in page
        r = await second.post(
            f"/member/nominations/{nid}/endorsement-withdrawal", data={"csrf": csrf}
        )
        assert r.status_code == 303
        page = unescape((await second.get(r.headers["location"])).text)
        assert "no longer endorses this nomination" in page
        with db.read() as conn:
            kept = conn.execute(
                select(endorsement.c.withdrawn_at).where(endorsement.c.nomination_id == nid)
            ).one()
        assert kept.withdrawn_at is not None  # kept, marked withdrawn

        page = (await first.get(base)).text
        assert "Withdraw this nomination" in page
        r = await first.post(
            f"/member/nominations/{nid}/withdrawal", data={"csrf": hidden(page, "csrf")}
        )
        assert r.status_code == 303
        page = unescape((await first.get(r.headers["location"])).text)
        assert "Your organisation has withdrawn this nomination" in page
        assert "Withdrawn by the organisation that made it." in page
        assert "Withdraw this nomination" not in page
        assert _row(db, nid)["withdrawn_at"] is not None

        # The other member cannot withdraw what it did not make.
        r = await second.post(f"/member/nominations/{nid}/withdrawal", data={"csrf": csrf})
        assert r.status_code == 403


async def test_a_nominee_withdraws_their_consent_then_may_erase(
    db: Database, tmp_path: Path
) -> None:
    made = member_round(db, Phase.NOMINATIONS_OPEN)
    nid, token = made.nominate(0, "Joseph Otieno", "man")
    link = f"/consent/{nid}?token={token}"
    async with pages(db, tmp_path) as nominee:
        csrf = hidden((await nominee.get(link)).text, "csrf")
        answer = {"csrf": csrf, "token": token, "decision": "accept"}
        assert (await nominee.post(f"/consent/{nid}", data=answer)).status_code == 303
        page = unescape((await nominee.get(link)).text)
        assert "Withdraw my consent" in page
        answer["decision"] = "withdraw"
        r = await nominee.post(f"/consent/{nid}", data=answer)
        assert r.status_code == 303
        page = unescape((await nominee.get(r.headers["location"])).text)
        assert "You have withdrawn your consent" in page
        assert "Erase my personal data" in page
        assert _row(db, nid)["consent"] == "withdrawn"
