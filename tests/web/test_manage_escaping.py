"""HTML and script typed into every free-text field of the management forms is shown back as
text: on the refused form, and on the pages that show what was saved."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from store.db import Database
from tests.web.manage_support import (
    ESCAPED,
    HOSTILE,
    constituency,
    csrf_of,
    draft_round,
    escaped,
    open_round,
    secretariat,
    sign_in_with_token,
)
from tests.web.support import pages


async def _post(http: httpx.AsyncClient, path: str, data: dict[str, str]) -> list[str]:
    """The answer, and the page it sends to if it was accepted."""
    r = await http.post(path, data=data)
    assert r.status_code < 500, (path, r.status_code)
    shown = [r.text]
    if r.status_code == 303:
        shown.append((await http.get(r.headers["location"])).text)
    for page in shown:
        escaped(page)
    return shown


async def test_every_free_text_field_is_escaped(db: Database, tmp_path: Path) -> None:
    c = constituency(db)
    draft = draft_round(db, c.id)
    live = open_round(db, c.id)
    tag = uuid.uuid4().hex[:6]
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, secretariat(db))
        token = await csrf_of(http, "/secretariat/constituencies")
        every = {"csrf": token}
        refused_and_saved = {
            # Every text field hostile: refused, each value shown back.
            "/secretariat/organisations": {
                "name": HOSTILE,
                "country": HOSTILE,
                "region": HOSTILE,
                "org_type": HOSTILE,
                "contact_email": HOSTILE,
                "namesake_of": HOSTILE,
                "reason": HOSTILE,
            },
            "/secretariat/constituencies": {"name": HOSTILE * 10, "description": HOSTILE},
            f"/secretariat/constituencies/{c.id}/coordinators": {
                "name": HOSTILE,
                "email": HOSTILE,
                "organisation_id": HOSTILE,
                "mail_lang": HOSTILE,
            },
            "/secretariat/rounds/new": {
                "title": HOSTILE,
                "seg1_title": HOSTILE,
                "seg1_key": HOSTILE,
                f"seats-{c.id}": HOSTILE,
                "nominations_open_at": HOSTILE,
                "nominations_close_at": HOSTILE,
                "voting_open_at": HOSTILE,
                "voting_close_at": HOSTILE,
            },
            f"/secretariat/rounds/{draft['id']}": {"title": HOSTILE, "seg2_title": HOSTILE},
            f"/secretariat/rounds/{live}/extension": {
                "deadline": HOSTILE,
                "new_at": HOSTILE,
                "reason": HOSTILE,
            },
            f"/secretariat/rounds/{live}/cancellation": {"cancel_reason": HOSTILE * 100},
            "/manage/campaigns/new": {
                **{
                    f"{part}_{lang}": HOSTILE for part in ("title", "text") for lang in ("en", "ar")
                },
                "signers": HOSTILE,
                "opens_at": HOSTILE,
                "closes_at": HOSTILE,
                "milestones": HOSTILE,
                "contact_name": HOSTILE,
                "contact_email": HOSTILE,
            },
        }
        for path, data in refused_and_saved.items():
            [refused] = await _post(http, path, {**every, **data})
            assert ESCAPED in refused, path
        # Accepted with hostile text where text is free: shown escaped where it is listed.
        saved = await _post(
            http,
            "/secretariat/constituencies",
            {**every, "name": f"C {tag} {HOSTILE}", "description": HOSTILE},
        )
        assert ESCAPED in saved[-1]
        saved = await _post(
            http,
            "/secretariat/organisations",
            {
                **every,
                "name": f"Org {tag} {HOSTILE}",
                "country": "SN",
                "org_type": "ngo",
                "contact_email": "org@example.org",
            },
        )
        assert ESCAPED in saved[-1]
        saved = await _post(
            http,
            "/manage/campaigns/new",
            {
                **every,
                "title_ar": HOSTILE,
                "text_ar": HOSTILE,
                "signers": "any",
                "opens_at": "2030-01-01 10:00",
                "closes_at": "2030-01-05 10:00",
                "contact_name": HOSTILE,
                "contact_email": "desk@example.org",
            },
        )
        assert ESCAPED in saved[-1]
        for path in ("/secretariat/constituencies", "/manage/campaigns", "/directory"):
            escaped((await http.get(path)).text)
    async with pages(db, tmp_path) as http:
        await sign_in_with_token(http, c.coordinator)
        token = await csrf_of(http, f"/coordinator/{c.id}")
        [refused] = await _post(
            http,
            f"/coordinator/{c.id}/members",
            {"csrf": token, "organisation_id": HOSTILE, "invite": HOSTILE, "mail_lang": HOSTILE},
        )
        assert ESCAPED in refused
        refused = (
            await _post(
                http,
                f"/coordinator/{c.id}/rounds/{draft['id']}/rules",
                {
                    "csrf": token,
                    "method": HOSTILE,
                    **{name: HOSTILE for name in ("alternates", "quorum", "time_limit")},
                    **{f"c1_{part}": HOSTILE for part in ("attribute", "value", "min", "max")},
                },
            )
        )[0]
        assert ESCAPED in refused
        for page in (f"/coordinator/{c.id}", "/secretariat/constituencies"):
            escaped((await http.get(page)).text)
