"""The coordinator's and the secretariat's pages in a real browser (Debian's headless Chromium):
axe-core WCAG 2.2 A/AA with no violation in English and Arabic, forms with their errors
included; no sideways scroll at 360 px; every page under 100 KB; a form by keyboard alone."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.test_browser import WCAG, goto, opened
from tests.web.weight import BUDGET
from tests.web.world import Client, at

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Desk:
    """What the management pages show: a draft round, a round taking nominations with one
    nomination, a draft campaign, all of the world's constituency."""

    constituency: str
    member: str
    draft: str
    open_round: str
    campaign: str


@pytest.fixture(scope="module")
async def desk(site: Site) -> Desk:
    api = Client(site.api.http, site.api.secretariat)
    w = site.world
    frame = {
        "title": "Global Forum on Migration 2028: civil society speakers",
        "segments": [{"key": "opening", "title": "Opening plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 2}],
    }
    draft = await api.ok(
        "POST",
        "/v1/rounds",
        api.secretariat,
        {
            **frame,
            "schedule": {
                "nominations_open_at": at(86_400),
                "nominations_close_at": at(86_400 * 7),
                "voting_open_at": at(86_400 * 8),
                "voting_close_at": at(86_400 * 14),
            },
            "ratification_threshold": 50,
        },
    )
    # Its rules are put to the members, so the ratification pages show their forms.
    draft_part = f"/v1/rounds/{draft['id']}/constituencies/{w.constituency}"
    await api.ok("PUT", f"{draft_part}/rules", w.coordinator, {"alternates": 1})
    await api.ok("POST", f"{draft_part}/ratification", w.coordinator)
    live = await api.ok(
        "POST",
        "/v1/rounds",
        api.secretariat,
        {
            **frame,
            "title": "Regional consultation 2028",
            "schedule": {
                "nominations_open_at": at(1),
                "nominations_close_at": at(86_400 * 7),
                "voting_open_at": at(86_400 * 8),
                "voting_close_at": at(86_400 * 14),
            },
        },
    )
    rounds = f"/v1/rounds/{live['id']}"
    await api.ok(
        "PUT",
        f"{rounds}/constituencies/{w.constituency}/rules",
        w.coordinator,
        {"constraints": [{"attribute": "gender", "value": "woman", "min": 1}]},
    )
    await api.ok("POST", f"{rounds}/publish", api.secretariat)
    await api.wait(f"{rounds}/phase", "phase", "nominations_open", within=30)
    await api.ok(
        "POST",
        f"{rounds}/constituencies/{w.constituency}/nominations",
        w.members[0].token,
        {
            "nominee_name": "Rosa Díaz",
            "organisation_id": w.members[0].id,
            "attributes": {"gender": "woman"},
            "statement": {"en": "Rosa has organised domestic workers for ten years."},
        },
    )
    campaign = await api.ok(
        "POST",
        "/v1/campaigns",
        w.coordinator,
        {
            "statement": {"en": {"title": "Fair recruitment now", "text": "We call for..."}},
            "opens_at": at(86_400),
            "closes_at": at(86_400 * 30),
            "contact": {"name": "Campaign desk", "email": "desk@example.org"},
        },
    )
    return Desk(w.constituency, w.members[1].id, draft["id"], live["id"], campaign["id"])


def coordinator_pages(d: Desk) -> dict[str, str]:
    c = f"/coordinator/{d.constituency}"
    return {
        "coordinator": c,
        "rules": f"{c}/rounds/{d.draft}/rules",
        "rules-frozen": f"{c}/rounds/{d.open_round}/rules",
        "nominations": f"{c}/rounds/{d.open_round}/nominations",
        "removal": f"{c}/members/{d.member}/removal",
        "campaigns": "/manage/campaigns",
        "campaign-new": "/manage/campaigns/new",
        "campaign-draft": f"/manage/campaigns/{d.campaign}",
        "ratification": f"/ratification/{d.draft}/{d.constituency}",
    }


def secretariat_pages(d: Desk) -> dict[str, str]:
    return {
        "secretariat": "/secretariat",
        "organisations": "/secretariat/organisations",
        "constituencies": "/secretariat/constituencies",
        "constituency": f"/secretariat/constituencies/{d.constituency}",
        "rounds": "/secretariat/rounds",
        "round-new": "/secretariat/rounds/new",
        "round-draft": f"/secretariat/rounds/{d.draft}",
        "round-live": f"/secretariat/rounds/{d.open_round}",
        "participation": f"/secretariat/rounds/{d.open_round}/participation",
        "ratification-secretariat": f"/ratification/{d.draft}/{d.constituency}",
    }


async def signed_in(page: Page, token: str) -> None:
    await goto(page, "/sign-in")
    await page.fill("#token", token)
    await page.locator("form[action$='/sign-in-with-token'] button").click()
    await expect(page.locator("h1")).to_have_count(1)


async def _rules_refused(page: Page, d: Desk) -> None:
    """The rules form sent with more women required than seats: refused beside the field."""
    await goto(page, coordinator_pages(d)["rules"])
    await page.fill("#c1_attribute", "gender")
    await page.fill("#c1_value", "woman")
    await page.fill("#c1_min", "3")
    await page.locator("form[action$='/rules'] button[type=submit]").click()
    await expect(page.locator("#constraints-error")).to_be_visible()


async def _organisation_refused(page: Page, d: Desk) -> None:
    await goto(page, "/secretariat/organisations")
    await page.locator("form[action$='/organisations'] button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()


async def _round_refused(page: Page, d: Desk) -> None:
    await goto(page, "/secretariat/rounds/new")
    await page.locator("form[action$='/rounds/new'] button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()


Check = Callable[[str, Page], Awaitable[None]]
Refused = Callable[[Page, Desk], Awaitable[None]]


async def _every_page(
    browser: Browser, site: Site, d: Desk, lang: str, check: Check, width: int = 1024
) -> None:
    """``check`` on every management page, as a coordinator and as the secretariat, forms with
    their errors included."""
    sessions: tuple[tuple[str, dict[str, str], tuple[tuple[str, Refused], ...]], ...] = (
        (site.world.coordinator, coordinator_pages(d), (("rules-refused", _rules_refused),)),
        (
            site.api.secretariat,
            secretariat_pages(d),
            (("organisations-refused", _organisation_refused), ("round-refused", _round_refused)),
        ),
    )
    for token, paths, refused in sessions:
        async with opened(browser, site, lang, width=width) as page:
            await signed_in(page, token)
            for name, path in paths.items():
                await goto(page, path)
                await check(name, page)
            for name, make in refused:
                await make(page, d)
                await check(name, page)


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_every_management_page_has_no_axe_violations(
    browser: Browser, site: Site, desk: Desk, lang: str
) -> None:
    axe = Axe()
    found: dict[str, list[str]] = {}

    async def check(name: str, page: Page) -> None:
        await expect(page.locator("html")).to_have_attribute(
            "dir", "rtl" if lang == "ar" else "ltr"
        )
        results = await axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
        found[name] = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in results.response["violations"]
        ]

    await _every_page(browser, site, desk, lang, check)
    assert len(found) == 22
    assert not any(found.values()), {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_no_management_page_scrolls_sideways_on_a_360_px_screen(
    browser: Browser, site: Site, desk: Desk, lang: str
) -> None:
    wide: dict[str, int] = {}
    heavy: dict[str, int] = {}
    css: list[int] = []

    async def check(name: str, page: Page) -> None:
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        if width > 360:
            wide[name] = width
        # What a first visit transfers: the page and its one stylesheet (no script, no image).
        html = await page.content()
        if not css:
            href = await page.evaluate("document.querySelector('link[rel=stylesheet]').href")
            css.append(len(await (await page.context.request.get(href)).body()))
        size = len(html.encode()) + css[0]
        if size > BUDGET:
            heavy[name] = size

    await _every_page(browser, site, desk, lang, check, width=360)
    assert not wide, wide
    assert not heavy, heavy


async def test_the_secretariat_registers_an_organisation_by_keyboard_alone(
    browser: Browser, site: Site
) -> None:
    name = f"Keyboard Collective {uuid.uuid4().hex[:6]}"
    async with opened(browser, site) as page:
        await signed_in(page, site.api.secretariat)
        await goto(page, "/secretariat/organisations")
        await _tab_to(page, "name")
        await page.keyboard.type(name)
        for field, text in (("country", "Argentina"), ("region", ""), ("org_type", "Network")):
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.id") == field
            if text:
                await page.keyboard.type(text)
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "migrant_led"
        await page.keyboard.press("Space")
        await page.keyboard.press("Tab")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "contact_email"
        await page.keyboard.type("hello@keyboard.example")
        await page.keyboard.press("Enter")
        await expect(page.locator(".banner")).to_have_text("The organisation is registered.")
        assert await page.input_value("#name") == ""
        await expect(page.locator("main")).to_contain_text(name)
        card = page.locator(".card", has_text=name)
        await expect(card).to_contain_text("Argentina")
        await expect(card).to_contain_text("migrant-led")


async def _tab_to(page: Page, element_id: str, presses: int = 60) -> None:
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")
