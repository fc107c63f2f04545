"""An outside organisation's withdrawal key on the pages: kept by the browser that signed, shown
to keep, used to ask for a new code and to withdraw; from another device it is pasted; a wrong
or missing key is refused beside its field and changes nothing."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from store.db import Database
from store.tables import campaign_signature
from tests import campaign_support as cs
from tests.web.support import hidden, open_campaign, pages


def _key(html: str) -> str:
    found = re.search(r'<code class="hash" dir="ltr">([^<]+)</code>', html)
    assert found, html
    return found.group(1)


async def _sign(http: httpx.AsyncClient, campaign_id: str) -> tuple[str, str]:
    page = (await http.get(f"/campaigns/{campaign_id}")).text
    form = {
        "csrf": hidden(page, "csrf"),
        "statement_hash": hidden(page, "statement_hash"),
        "org_name": f"Colectivo {uuid.uuid4().hex[:6]}",
        "country": "PE",
        "org_type": "ngo",
        "signer_name": "Rosa Quispe",
        "signer_role": "Coordinator",
        "email": "rosa@colectivo.example",
    }
    signed = await http.post(f"/campaigns/{campaign_id}/signatures", data=form)
    assert signed.status_code == 303, signed.text
    return signed.headers["location"].split("/")[2], form["csrf"]


def _state(db: Database, sid: str) -> tuple[str, int]:
    with db.read() as conn:
        row = conn.execute(
            select(campaign_signature.c.state, campaign_signature.c.codes_sent).where(
                campaign_signature.c.id == sid
            )
        ).one()
    return row.state, row.codes_sent


async def test_the_signing_browser_asks_for_a_new_code_and_another_withdraws_with_the_key(
    db: Database, tmp_path: Path
) -> None:
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        sid, csrf = await _sign(http, row["id"])
        code_page = (await http.get(f"/signatures/{sid}/code")).text
        key = _key(code_page)
        assert "Keep this key" in code_page
        first = cs.mailed_code(db, sid)
        again = await http.post(f"/signatures/{sid}/new-code", data={"csrf": csrf})
        assert again.status_code == 303
        assert again.headers["location"].endswith(f"/signatures/{sid}/code?sent=again")
        assert "A new code is on its way" in (await http.get(again.headers["location"])).text
        assert _state(db, sid) == ("pending", 2)
        second = cs.mailed_code(db, sid)
        confirmed = await http.post(f"/signatures/{sid}/code", data={"csrf": csrf, "code": second})
        assert confirmed.status_code == 303, (first, second, confirmed.text)
        assert _state(db, sid)[0] == "confirmed"

    # Another device has no key kept: the page asks for it.
    async with pages(db, tmp_path) as other:
        page = (await other.get(f"/signatures/{sid}")).text
        assert "Withdraw this signature" in page
        assert 'name="key"' in page
        token = hidden(page, "csrf")
        missing = await other.post(f"/signatures/{sid}/withdrawal", data={"csrf": token})
        assert missing.status_code == 422
        assert 'href="#key">Enter the withdrawal key' in missing.text
        wrong = await other.post(
            f"/signatures/{sid}/withdrawal", data={"csrf": token, "key": key[:-2] + "xx"}
        )
        assert wrong.status_code == 403
        assert "This withdrawal key is not right" in wrong.text
        assert _state(db, sid)[0] == "confirmed"
        done = await other.post(
            f"/signatures/{sid}/withdrawal",
            data={"csrf": token, "key": key, "reason": "<b>Board decision</b>"},
        )
        assert done.status_code == 303
        shown = (await other.get(done.headers["location"])).text
        assert "signature has been withdrawn" in shown
        assert "Withdraw this signature" not in shown
        assert _state(db, sid)[0] == "withdrawn"


async def test_without_a_key_no_new_code_is_sent(db: Database, tmp_path: Path) -> None:
    row = open_campaign(db)
    async with pages(db, tmp_path) as http:
        sid, _ = await _sign(http, row["id"])
    async with pages(db, tmp_path) as other:
        page = (await other.get(f"/signatures/{sid}/code")).text
        refused = await other.post(
            f"/signatures/{sid}/new-code", data={"csrf": hidden(page, "csrf")}
        )
        assert refused.status_code == 422
        assert 'href="#key">Enter the withdrawal key' in refused.text
    assert _state(db, sid) == ("pending", 1)
