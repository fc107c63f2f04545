"""Designation letters' pages in a real browser (Debian's headless Chromium): the printable
letter and the public check of a code, in English, French, Spanish and Arabic (right to
left), without JavaScript, on a 360 px screen, axe-clean, with a print stylesheet that leaves
the letter alone on paper; and its PDF from the page, in the page's language."""

from __future__ import annotations

import asyncio
import io

import pytest
from axe_playwright_python.async_playwright import Axe
from pdfminer.high_level import extract_text
from playwright.async_api import Browser, Page, expect

from tests.api.conftest import make_world
from tests.api.test_letters import _accept_seat, _decided
from tests.web.conftest import Site
from tests.web.test_browser import WCAG, goto, opened

pytestmark = pytest.mark.slow

SAID = {
    "en": ("Designation letter", "has selected", "Download the letter (PDF)", "No letter"),
    "fr": ("Lettre de désignation", "a choisi", "Télécharger la lettre (PDF)", "Aucune lettre"),
    "es": ("Carta de designación", "ha elegido", "Descargar la carta (PDF)", "Ninguna carta"),
    "ar": ("خطاب تعيين", "اختارت", "تنزيل الخطاب (PDF)", "لا يوجد خطاب"),
}


class Letter:
    def __init__(self, path: str, code: str, round_id: str) -> None:
        self.path, self.code, self.round_id = path, code, round_id


@pytest.fixture(scope="module")
async def letter(site: Site) -> Letter:
    api = site.api
    w = await make_world(api)
    rid, nid, token = await _decided(api, w)
    await asyncio.to_thread(_accept_seat, api, rid, nid, token)
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    code = (await api.ok("GET", f"{base}/letters/{nid}"))["code"]
    return Letter(f"/rounds/{rid}/constituencies/{w.constituency}/letters/{nid}", code, rid)


def _forged(code: str) -> str:
    return ("0" if code[0] != "0" else "1") + code[1:]


async def _no_axe_violations(page: Page) -> list[str]:
    results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']}: {v['help']} ({v['nodes'][0]['target']})"
        for v in results.response["violations"]
    ]


async def _sideways(page: Page) -> int:
    width: int = await page.evaluate("document.scrollingElement.scrollWidth")
    return width


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
async def test_the_letter_page_prints_and_checks_in_each_language(
    browser: Browser, site: Site, letter: Letter, lang: str
) -> None:
    title, selected, download, unknown = SAID[lang]
    pages = {
        "letter": letter.path,
        "check": "/letters",
        "checked": f"/letters?code={letter.code.replace('-', '').lower()}",
        "forged": f"/letters?code={_forged(letter.code)}",
        "malformed": "/letters?code=12345",
    }
    found: dict[str, list[str]] = {}
    async with opened(browser, site, lang, javascript=False, width=360) as page:
        await goto(page, letter.path)
        html = page.locator("html")
        await expect(html).to_have_attribute("lang", lang)
        await expect(html).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        article = page.locator("article.letter")
        await expect(article.locator("h2")).to_have_text(title)
        await expect(article).to_contain_text(selected)
        await expect(article).to_contain_text("Nia Okafor")
        await expect(article.locator("code.code")).to_have_text(letter.code)
        await expect(page.get_by_role("link", name=download)).to_be_visible()
        # On paper: the letter alone, without the site's header, footer or links around it.
        await page.emulate_media(media="print")
        await expect(page.locator("header.top")).to_be_hidden()
        await expect(page.locator("footer.bottom")).to_be_hidden()
        await expect(page.get_by_role("link", name=download)).to_be_hidden()
        await expect(article).to_be_visible()
        await page.emulate_media(media="screen")

        await goto(page, pages["checked"])
        await expect(page.locator(".result h2.ok")).to_be_visible()
        await expect(page.locator(".result")).to_contain_text(letter.code)
        await expect(page.locator(".result")).to_contain_text("Nia Okafor")
        await goto(page, pages["forged"])
        await expect(page.locator(".result h2.bad")).to_contain_text(unknown)
        await goto(page, pages["malformed"])
        await expect(page.locator(".error-summary")).to_be_visible()
        await expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    # axe and the width are measured by scripts of the test: the pages themselves have none.
    async with opened(browser, site, lang, width=360) as page:
        for name, path in pages.items():
            await goto(page, path)
            assert await _sideways(page) <= 360, (name, lang)
            found[name] = await _no_axe_violations(page)
    assert not any(found.values()), {k: v for k, v in found.items() if v}


async def test_the_check_form_works_by_keyboard_and_links_to_the_letter(
    browser: Browser, site: Site, letter: Letter
) -> None:
    async with opened(browser, site, "en", javascript=False) as page:
        await goto(page, f"/rounds/{letter.round_id}")
        await page.get_by_role(
            "link", name="Check a speaker's designation letter by its code"
        ).click()
        await page.locator("#code").focus()
        await page.keyboard.type(letter.code.lower())
        await page.keyboard.press("Enter")
        await expect(page.locator(".result h2.ok")).to_be_visible()
        await page.get_by_role("link", name="The letter itself").click()
        await expect(page).to_have_url(site.base + letter.path)
        # The round page links each confirmed speaker's letter too.
        await goto(page, f"/rounds/{letter.round_id}")
        await page.get_by_role("link", name="Letter for seat 1").click()
        await expect(page.locator("article.letter code.code")).to_have_text(letter.code)


@pytest.mark.parametrize("lang", ["ar", "fr"])
async def test_the_page_s_pdf_is_in_the_page_s_language(
    site: Site, letter: Letter, lang: str
) -> None:
    answer = await site.api.http.get(letter.path + "/pdf", headers={"Accept-Language": lang})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    text = extract_text(io.BytesIO(answer.content))
    if lang == "ar":
        assert "خطاب"[::-1] in text  # drawn right to left
    else:
        assert "Lettre de désignation" in text
    assert letter.code in text
