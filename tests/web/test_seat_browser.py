"""The seat pages in Chromium: no axe violations in English and Arabic, nothing wider than a
360 px screen, and the nominee accepts by keyboard alone with JavaScript off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from store import seats
from tests.seats_support import DecidedRound, decided_round
from tests.web.conftest import Site
from tests.web.test_browser import WCAG, goto, opened


def _round(site: Site) -> DecidedRound:
    r = decided_round(site.db, datetime.now(UTC) - timedelta(days=1))
    with site.db.write() as conn:
        seats.open_seats(conn, r.rid)
        seats.answer(conn, r.ids["Bea"], r.tokens["Bea"], False)  # Dora is asked
    return r


async def _signed_in_as_secretariat(page: Page, site: Site) -> None:
    await goto(page, "/sign-in")
    await page.fill("#token", site.api.secretariat)
    await page.locator("form[action$='/sign-in-with-token'] button").click()


async def _violations(page: Page) -> list[str]:
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [f"{v['id']}: {v['help']}" for v in results.response["violations"]]


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_the_seat_pages_have_no_axe_violations_and_fit_360_px(
    browser: Browser, site: Site, lang: str
) -> None:
    r = _round(site)
    found: dict[str, list[str]] = {}
    wide: dict[str, int] = {}
    async with opened(browser, site, lang, width=360) as page:
        paths = {
            "nominee": f"/seat/{r.ids['Dora']}?token={r.tokens['Dora']}",
            "declined": f"/seat/{r.ids['Bea']}?token={r.tokens['Bea']}",
        }
        for name, path in paths.items():
            await goto(page, path)
            found[name] = await _violations(page)
            wide[name] = await page.evaluate("document.scrollingElement.scrollWidth")
        await _signed_in_as_secretariat(page, site)
        await goto(page, f"/coordinator/{r.cid}/rounds/{r.rid}/seats")
        found["coordinator"] = await _violations(page)
        wide["coordinator"] = await page.evaluate("document.scrollingElement.scrollWidth")
    assert not any(found.values()), found
    assert all(w <= 360 for w in wide.values()), wide


async def test_the_nominee_accepts_by_keyboard_without_javascript(
    browser: Browser, site: Site
) -> None:
    r = _round(site)
    async with opened(browser, site, "fr", javascript=False) as page:
        await goto(page, f"/seat/{r.ids['Dora']}?token={r.tokens['Dora']}")
        accept = page.get_by_role("button", name="Accepter le siège")
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await accept.evaluate("b => b === document.activeElement"):
                break
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("Vous avez accepté le siège")
    with site.db.read() as conn:
        assert seats.offer_for(conn, r.ids["Dora"])["status"] == "accepted"  # type: ignore[index]
