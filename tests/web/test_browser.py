"""The pages in a real browser (Debian's headless Chromium): the campaign journey, in four
languages and without JavaScript, by keyboard alone, axe-core, a 360 px screen, page weight,
and the screenshots the README shows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, Response, expect

from tests.web.conftest import Site
from tests.web.weight import BUDGET, weigh
from tests.web.world import STATEMENT, Client
from tests.web.world import campaign as new_campaign

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SIGN_IN_LINK = re.compile(r"/sign-in/(mwl_[A-Za-z0-9_-]+)")
# What each language's pages say, to know the page is in it.
SAID = {
    "en": {
        "sign": "Sign this statement",
        "problem": "There is a problem",
        "check": "Check your e-mail",
        "done": "Signature confirmed",
    },
    "fr": {
        "sign": "Signer cette déclaration",
        "problem": "Il y a un problème",
        "check": "Consultez vos courriels",
        "done": "Signature confirmée",
    },
    "es": {
        "sign": "Firmar esta declaración",
        "problem": "Hay un problema",
        "check": "Revise su correo",
        "done": "Firma confirmada",
    },
    "ar": {
        "sign": "وقِّع على هذا البيان",
        "problem": "توجد مشكلة",
        "check": "تفقَّد بريدك الإلكتروني",
        "done": "تأكَّد التوقيع",
    },
}


@asynccontextmanager
async def opened(
    browser: Browser,
    site: Site,
    lang: str = "en",
    *,
    javascript: bool = True,
    width: int = 1024,
) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies, no cache) that asks for ``lang``."""
    context = await browser.new_context(
        base_url=site.base,
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
        java_script_enabled=javascript,
        viewport={"width": width, "height": 800},
    )
    page = await context.new_page()
    dialogs: list[str] = []  # a script that ran would show itself here (alert, confirm...)
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    try:
        yield page
    finally:
        await context.close()
    assert not dialogs, dialogs


async def goto(page: Page, path: str, status: int = 200) -> Response:
    response = await page.goto(path)
    assert response is not None
    assert response.status == status, (path, response and response.status)
    return response


async def sign_on(page: Page, site: Site, campaign: str, lang: str, org: str, email: str) -> str:
    """An outside organisation signs on the campaign's page and confirms the mailed code;
    first it sends the form empty and reads the errors. Returns the signature's id."""
    said = SAID[lang]
    await goto(page, f"/campaigns/{campaign}")
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    await expect(page.locator("#sign-title")).to_have_text(said["sign"])
    await page.locator("form[action$='/signatures#sign'] button[type=submit]").click()
    summary = page.locator(".error-summary")
    await expect(summary.locator("h2")).to_have_text(said["problem"])
    assert await summary.locator("li").count() == 6  # every field is missing
    await page.fill("#org_name", org)
    await page.select_option("#country", "AR")
    await page.select_option("#org_type", "ngo")
    await page.fill("#signer_name", "Leila Haddad")
    await page.fill("#signer_role", "Director")
    await page.fill("#email", email)
    await page.locator("form[action$='/signatures#sign'] button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text(said["check"])
    signature = page.url.split("/signatures/")[1].split("/")[0]
    await page.fill("#code", await site.code_for(signature))
    await page.locator("form[action$='/code'] button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text(said["done"])
    await expect(page.locator(".panel")).to_contain_text(org)
    return signature


async def test_campaign_journey_members_and_an_outside_organisation(
    browser: Browser, site: Site
) -> None:
    api = Client(site.api.http, site.api.secretariat)
    campaign, _ = await new_campaign(api, 35, {"en": STATEMENT["en"]})
    signer, withdrawer = site.world.members[1], site.world.members[2]
    async with opened(browser, site) as member:
        # Sign in by the mailed link: the link's page asks for a POST.
        await goto(member, "/sign-in")
        await member.fill("#email", signer.email)
        await member.get_by_role("button", name="Send me a sign-in link").click()
        await expect(member.locator("h1")).to_have_text("Check your e-mail")
        found = SIGN_IN_LINK.search(await site.mail_to(signer.email, "sign-in link"))
        assert found, "no sign-in link in the mail"
        await goto(member, f"/sign-in/{found.group(1)}")
        await member.get_by_role("button", name="Sign in").click()
        await expect(member.locator("main")).to_contain_text(f"You are signed in as {signer.name}")
        await goto(member, f"/campaigns/{campaign}")
        await member.get_by_role("button", name=f"Sign for {signer.name}").click()
        await expect(member.locator(".banner")).to_have_text(
            "Your organisation has signed this statement."
        )
    async with opened(browser, site) as other:
        # Sign in with a pasted token, sign, then withdraw before the close.
        await goto(other, "/sign-in")
        await other.fill("#token", withdrawer.token)
        await other.get_by_role("button", name="Sign in with this token").click()
        await goto(other, f"/campaigns/{campaign}")
        await other.get_by_role("button", name=f"Sign for {withdrawer.name}").click()
        await expect(other.locator(".count")).to_contain_text("2 organisations have signed.")
        await other.fill("#reason", "Our board has not approved it yet")
        await other.get_by_role("button", name="Withdraw our signature").click()
        await expect(other.locator(".banner")).to_have_text(
            "Your organisation's signature has been withdrawn."
        )
    async with opened(browser, site) as outside:
        await sign_on(outside, site, campaign, "en", "Alianza Sur Journey", "leila@sur.example")
        await api.wait(f"/v1/campaigns/{campaign}", "phase", "concluded", within=90)
        await goto(outside, f"/campaigns/{campaign}")
        listed = outside.locator("table tbody th")
        await expect(listed).to_have_count(2)
        names = sorted(await listed.all_inner_texts())
        assert names == sorted(["Alianza Sur Journey", signer.name])
        await expect(outside.locator("#sign")).to_contain_text("Signing is closed.")
        await outside.select_option("#f-country", "AR")
        await outside.get_by_role("button", name="Filter").click()
        await expect(listed).to_have_count(1)
        await expect(listed).to_have_text("Alianza Sur Journey")


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
async def test_an_outside_organisation_signs_in_its_language(
    browser: Browser, site: Site, lang: str
) -> None:
    async with opened(browser, site, lang) as page:
        await sign_on(
            page,
            site,
            site.world.open_campaign,
            lang,
            f"Organisation {lang}",
            f"{lang}@org.example",
        )
        title = STATEMENT[lang]["title"]
        await goto(page, f"/campaigns/{site.world.open_campaign}")
        await expect(page.locator("h1")).to_have_text(title)  # the statement in its language


async def test_signing_on_works_without_javascript(browser: Browser, site: Site) -> None:
    async with opened(browser, site, javascript=False) as page:
        await sign_on(
            page, site, site.world.open_campaign, "en", "No Script Collective", "nojs@org.example"
        )


async def _tab_to(page: Page, element_id: str, presses: int = 80) -> None:
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


async def test_the_forms_work_with_the_keyboard_alone(browser: Browser, site: Site) -> None:
    async with opened(browser, site) as page:
        await goto(page, f"/campaigns/{site.world.open_campaign}")
        await _tab_to(page, "org_name")
        await page.keyboard.type("Keyboard Cooperative")
        for field, text in (
            ("country", "Argentina"),
            ("org_type", "Trade union"),
            ("signer_name", "Ana Teclado"),
            ("signer_role", "Secretary"),
            ("email", "keys@coop.example"),
        ):
            await page.keyboard.press("Tab")
            assert await page.evaluate("document.activeElement.id") == field
            await page.keyboard.type(text)
        assert await page.input_value("#country") == "AR"
        assert await page.input_value("#org_type") == "trade_union"
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Check your e-mail")
        signature = page.url.split("/signatures/")[1].split("/")[0]
        await _tab_to(page, "code")
        await page.keyboard.type(await site.code_for(signature))
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Signature confirmed")
        await goto(page, "/sign-in")
        await _tab_to(page, "email")
        await page.keyboard.type(site.world.members[0].email)
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Check your e-mail")


async def _every_page(site: Site) -> dict[str, str]:
    await site.world.settled()  # the round decided, the closing campaign concluded
    await site.integrate()  # the receipt in a signed checkpoint
    return site.world.pages()


async def _with_errors(page: Page, site: Site) -> None:
    """The sign-on form sent empty: its error summary and inline errors."""
    await goto(page, f"/campaigns/{site.world.open_campaign}")
    await page.locator("form[action$='/signatures#sign'] button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()


async def _signed_in(page: Page, site: Site) -> None:
    await goto(page, "/sign-in")
    await page.fill("#token", site.world.members[0].token)
    await page.locator("form[action$='/sign-in-with-token'] button").click()
    await expect(page.locator("h1")).to_have_text(re.compile(".+"))


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_every_page_has_no_axe_violations(browser: Browser, site: Site, lang: str) -> None:
    pages = await _every_page(site)
    axe = Axe()
    found: dict[str, list[str]] = {}

    async def check(name: str, page: Page) -> None:
        results = await axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
        violations = results.response["violations"]
        found[name] = [
            f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})"
            for v in violations
        ]

    async with opened(browser, site, lang) as page:
        for name, path in pages.items():
            await goto(page, path, 404 if name == "not-found" else 200)
            await check(name, page)
        await _with_errors(page, site)
        await check("form-errors", page)
        await _signed_in(page, site)
        for name, path in (
            ("account", "/account"),
            ("campaign-member", f"/campaigns/{site.world.open_campaign}"),
        ):
            await goto(page, path)
            await check(name, page)
        # The check can fail: a page with an unlabelled field and an image without text.
        await page.set_content('<main><img src="/x.png"><input id="x"></main>')
        await check("deliberately-bad", page)
    assert len(found.pop("deliberately-bad")) >= 2
    assert len(found) >= 15
    assert not any(found.values()), {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_no_page_scrolls_sideways_on_a_360_px_screen(
    browser: Browser, site: Site, lang: str
) -> None:
    pages = await _every_page(site)
    wide: dict[str, int] = {}
    async with opened(browser, site, lang, width=360) as page:
        for name, path in pages.items():
            await goto(page, path, 404 if name == "not-found" else 200)
            width = await page.evaluate("document.scrollingElement.scrollWidth")
            if width > 360:
                wide[name] = width
        await _with_errors(page, site)
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        if width > 360:
            wide["form-errors"] = width
    assert not wide, wide


async def test_public_pages_weigh_under_100_kb_and_load_nothing_from_elsewhere(
    browser: Browser, site: Site
) -> None:
    pages = await _every_page(site)
    heavy, elsewhere = {}, {}
    for lang in ("en", "ar"):
        for name, path in pages.items():
            weight = await weigh(browser, site.base, path, lang)
            assert weight.requests >= 2  # the page and its stylesheet at least
            assert weight.html > 1000
            assert weight.css > 1000
            if weight.bytes > BUDGET:
                heavy[f"{name}/{lang}"] = weight.bytes
            if weight.elsewhere:
                elsewhere[f"{name}/{lang}"] = weight.elsewhere
    assert not heavy, heavy
    assert not elsewhere, elsewhere


async def test_screenshots_of_the_main_pages(browser: Browser, site: Site) -> None:
    """docs/screenshots/, for the README: made anew each run; only failing to make one fails."""
    pages = await _every_page(site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wanted = ("home", "campaign", "round", "campaign-closed", "receipt-checked")
    for lang in ("en", "ar"):
        for width, suffix in ((1024, ""), (360, "-phone")):
            async with opened(browser, site, lang, width=width) as page:
                for name in wanted if not suffix else ("home", "campaign"):
                    await goto(page, pages[name])
                    target = SCREENSHOTS / f"{name}{suffix}-{lang}.png"
                    await page.screenshot(path=str(target), full_page=True)
                    assert target.stat().st_size > 5_000, target
