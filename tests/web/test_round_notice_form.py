"""The secretariat's round form sets the round's own minimum notice (in days) and the share of
members who must ratify the rules; an empty field keeps the deployment's default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import rounds
from store.db import Database
from tests.web.manage_support import constituency, csrf_of, secretariat, sign_in_with_token
from tests.web.support import pages


def _local(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")  # the reader's zone is UTC by default


async def test_minimum_notice_and_ratification_from_the_round_form(
    db: Database, tmp_path: Path
) -> None:
    c = constituency(db)
    now = datetime.now(UTC)
    form = {
        "title": "Forum with its own notice",
        "seg1_title": "Opening plenary",
        f"seats-{c.id}": "2",
        "nominations_open_at": _local(now + timedelta(hours=1)),
        "nominations_close_at": _local(now + timedelta(hours=5)),
        "voting_open_at": _local(now + timedelta(hours=6)),
        "voting_close_at": _local(now + timedelta(hours=9)),
    }
    async with pages(db, tmp_path, notice_voting=3 * 86_400) as http:
        await sign_in_with_token(http, secretariat(db))
        page = (await http.get("/secretariat/rounds/new")).text
        assert "Minimum notice" in page
        assert "Default: 3 days" in page  # the deployment's, as configured
        token = await csrf_of(http, "/secretariat/rounds/new")
        bad = {**form, "csrf": token, "notice_voting": "two", "ratification_threshold": "150"}
        r = await http.post("/secretariat/rounds/new", data=bad)
        assert r.status_code == 422
        assert 'href="#notice_voting"' in r.text
        assert 'href="#ratification_threshold"' in r.text
        good = {
            **form,
            "csrf": token,
            "notice_nominations": "0",
            "notice_voting": "0",
            "ratification_threshold": "50",
        }
        r = await http.post("/secretariat/rounds/new", data=good)
        assert r.status_code == 303, r.text
        rid = r.headers["location"].split("/")[3].split("?")[0]
        with db.read() as conn:
            row = rounds.get(conn, rid)
        # Only what the form set: consent and acceptance keep the deployment's default.
        assert row["minimum_notice"] == {"nominations": 0, "voting": 0}
        assert row["ratification_threshold"] == 50
        edit = (await http.get(f"/secretariat/rounds/{rid}")).text
        assert 'name="notice_nominations" type="text" value="0"' in edit
        assert 'name="ratification_threshold" type="text" value="50"' in edit
