"""The notice pages in Chromium: a coordinator sees every member's notices of a round, a member
organisation its own; no axe violations in English and Arabic, nothing wider than 360 px."""

from __future__ import annotations

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page

from i18n.catalogs import Catalogs
from policies.phases import Phase
from store import round_notices
from store.db import utcnow
from tests.web.conftest import Site
from tests.web.manage_support import constituency, open_round
from tests.web.test_browser import WCAG, goto, opened


async def _signed_in(page: Page, token: str) -> None:
    await goto(page, "/sign-in")
    await page.fill("#token", token)
    await page.locator("form[action$='/sign-in-with-token'] button").click()


async def _violations(page: Page) -> list[str]:
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_the_notice_pages_list_the_notices_and_pass_axe(
    browser: Browser, site: Site, lang: str
) -> None:
    c = constituency(site.db)
    rid = open_round(site.db, c.id)  # publication queued its notices and reminders
    with site.db.write() as conn:
        round_notices.phase_opened(conn, rid, Phase.NOMINATIONS_OPEN)
        round_notices.release_due(conn, Catalogs.load(), "https://mandate.test", utcnow())
    pages = {
        "coordinator": (c.coordinator, f"/coordinator/{c.id}/rounds/{rid}/notices"),
        "member": (c.member_token, f"/member/rounds/{rid}/notices"),
    }
    found: dict[str, list[str]] = {}
    wide: dict[str, int] = {}
    for name, (token, path) in pages.items():
        async with opened(browser, site, lang, width=360) as page:
            await _signed_in(page, token)
            await goto(page, path)
            text = await page.locator("main").inner_text()
            items = await page.locator("main ol > li").count()
            assert items == 6, text  # published, nominations open, 4 reminders due later
            if lang == "en":
                assert "The round was published" in text
                assert "Reminder before a deadline" in text
                assert "@" not in text  # no address
            found[name] = await _violations(page)
            wide[name] = await page.evaluate("document.scrollingElement.scrollWidth")
    async with opened(browser, site, lang, width=360) as page:
        await goto(page, f"/rounds/{rid}")  # the published rules say when reminders go
        text = await page.locator("main").inner_text()
        if lang == "en":
            assert "this long before each deadline: 2 days, 6 hours." in text
        found["round"] = await _violations(page)
        wide["round"] = await page.evaluate("document.scrollingElement.scrollWidth")
    assert not any(found.values()), found
    assert all(w <= 360 for w in wide.values()), wide
