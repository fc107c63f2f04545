"""The member organisation's and the nominee's pages in a real browser (Debian's headless
Chromium): axe-core WCAG 2.2 A/AA with no violation in English and Arabic, forms with their
errors included; no sideways scroll at 360 px; every page under 100 KB (the nominee's, which
anyone with the link opens, measured on a first visit); a ballot cast by keyboard alone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from policies.phases import Phase
from store import ballots, erasure, nominations, ratification, rounds, signatures
from store import rules as rules_store
from store.db import Database
from tests.web.conftest import Site
from tests.web.manage_support import schedule
from tests.web.member_support import MemberRound, member_round
from tests.web.test_browser import WCAG, goto, opened
from tests.web.test_manage_browser import signed_in
from tests.web.weight import BUDGET, weigh

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Desk:
    """A round taking nominations (one pending, one accepted, one declined, one erased), an
    approval round and a ranked round whose voting is open; the approval round's first member
    has voted and signed the world's open campaign."""

    nominating: MemberRound
    approval: MemberRound
    ranked: MemberRound
    pending: str  # the nominee's page of each state
    accepted: str
    declined: str
    erased: str
    ratifying: str  # the draft rules of a round put to the members of ``nominating``


def _consent_path(nomination_id: str, token: str) -> str:
    return f"/consent/{nomination_id}?token={token}"


def _desk(db: Database, campaign: str, statement_hash: str) -> Desk:
    nominating = member_round(
        db,
        Phase.NOMINATIONS_OPEN,
        {
            "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
            "endorsements": {"required": 1},
            "one_nominee_per_organisation": False,
        },
    )
    pages = {}
    for state, name in (
        ("pending", "Rosa Díaz"),
        ("accepted", "Joseph Otieno"),
        ("declined", "Amal Haddad"),
        ("erased", "Lin Wei"),
    ):
        nid, token = nominating.nominate(0, name, statement=f"{name} has organised for years.")
        with db.write() as conn:
            if state != "pending":
                nominations.respond(conn, nid, token, state == "accepted")
            if state == "erased":
                erasure.by_nominee(conn, nid, token)
        pages[state] = _consent_path(nid, token)
    approval = member_round(
        db, Phase.VOTING_OPEN, {"max_approvals": 1}, genders=("woman", "man", "woman")
    )
    ranked = member_round(
        db, Phase.VOTING_OPEN, {"method": "ranked.stv"}, genders=("woman", "man", "woman")
    )
    with db.write() as conn:
        standing = nominations.candidates(conn, approval.id, approval.cid)
        ballots.cast(
            conn, approval.id, approval.cid, approval.round.members[0], [standing[0].id], "t"
        )
        signatures.sign_as_member(
            conn, campaign, approval.round.members[0], approval.cid, statement_hash, None, "t"
        )
    return Desk(nominating, approval, ranked, **pages, ratifying=_put_to_members(db, nominating))


def _put_to_members(db: Database, made: MemberRound) -> str:
    """A draft round of ``made``'s constituency whose rules are put to its members."""
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": "Regional consultation 2028",
                "segments": [{"key": "opening", "title": "Opening plenary"}],
                "participants": [{"constituency_id": made.cid, "seats": 2}],
                "schedule": schedule(datetime.now(UTC)),
                "ratification_threshold": 50,
            },
            "t",
        )
        rules = {"constraints": [{"attribute": "gender", "value": "woman", "min": 1}]}
        rules_store.publish_rules(conn, draft["id"], made.cid, rules, "t")
        ratification.put_to_members(conn, draft["id"], made.cid, "t")
    return f"/ratification/{draft['id']}/{made.cid}"


@pytest.fixture(scope="module")
async def desk(site: Site) -> Desk:
    w = site.world
    return await asyncio.to_thread(_desk, site.db, w.open_campaign, w.statement_hash)


def member_pages(d: Desk) -> list[tuple[str, str, str]]:
    """(name, the session's member token, path) of each member page."""
    n, a, k = d.nominating, d.approval, d.ranked
    return [
        ("dashboard", a.tokens[0], "/member"),
        ("dashboard-nominating", n.tokens[0], "/member"),
        ("round-nominating", n.tokens[1], f"/member/rounds/{n.id}"),
        ("nominate", n.tokens[0], f"/member/rounds/{n.id}/nominate"),
        ("round-voting", a.tokens[0], f"/member/rounds/{a.id}"),
        ("ballot-cast", a.tokens[0], f"/member/rounds/{a.id}/ballot?done=cast"),
        ("ballot-approval", a.tokens[1], f"/member/rounds/{a.id}/ballot"),
        ("ballot-ranked", k.tokens[0], f"/member/rounds/{k.id}/ballot"),
        ("ratification", n.tokens[2], d.ratifying),
    ]


def nominee_pages(d: Desk) -> dict[str, str]:
    return {
        "consent-pending": d.pending,
        "consent-accepted": d.accepted,
        "consent-declined": d.declined,
        "consent-erased": d.erased,
    }


async def _nominate_refused(page: Page, d: Desk) -> None:
    await goto(page, f"/member/rounds/{d.nominating.id}/nominate")
    await page.locator("form[action$='/nominate'] button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_be_visible()


async def _answer_refused(page: Page, d: Desk) -> None:
    """The draft rules answered without saying whether the organisation approves them."""
    await goto(page, d.ratifying)
    await page.locator("form[action$='/answer'] button[type=submit]").click()
    await expect(page.locator(".error-summary")).to_have_count(1)


async def _nominated(page: Page, d: Desk) -> None:
    await goto(page, f"/member/rounds/{d.nominating.id}/nominate")
    await page.fill("#nominee_name", "Fatima Zahra")
    await page.fill("#statement_ar", "ستتحدث فاطمة باسمنا.")
    await page.fill("#attr-gender", "woman")
    await page.locator("form[action$='/nominate'] button[type=submit]").click()
    await expect(page.locator(".panel").first).to_be_visible()


async def _approval_refused(page: Page, d: Desk) -> None:
    await goto(page, f"/member/rounds/{d.approval.id}/ballot")
    await page.check("#approve-1")
    await page.check("#approve-2")
    await page.locator("form[action$='/ballot'] button[type=submit]").click()
    await expect(page.locator("#approvals-error")).to_be_visible()


async def _ranked_refused(page: Page, d: Desk) -> None:
    await goto(page, f"/member/rounds/{d.ranked.id}/ballot")
    first = await page.locator("#rank-1 option").nth(1).get_attribute("value")
    assert first
    await page.select_option("#rank-1", first)
    await page.select_option("#rank-2", first)
    await page.locator("form[action$='/ballot'] button[type=submit]").click()
    await expect(page.locator("#rank-2-error")).to_be_visible()


Check = Callable[[str, Page], Awaitable[None]]
Made = Callable[[Page, Desk], Awaitable[None]]


async def _every_page(
    browser: Browser, site: Site, d: Desk, lang: str, check: Check, width: int = 1024
) -> None:
    """``check`` on every member and nominee page, forms with their errors included."""
    made: dict[str, tuple[str, Made]] = {
        "nominate-refused": (d.nominating.tokens[0], _nominate_refused),
        "nominated": (d.nominating.tokens[0], _nominated),
        "approval-refused": (d.approval.tokens[1], _approval_refused),
        "ranked-refused": (d.ranked.tokens[1], _ranked_refused),
        "answer-refused": (d.nominating.tokens[2], _answer_refused),
    }
    tokens = {t for _, t, _ in member_pages(d)} | {t for t, _ in made.values()}
    for token in sorted(tokens):
        async with opened(browser, site, lang, width=width) as page:
            await signed_in(page, token)
            for name, owner, path in member_pages(d):
                if owner == token:
                    await goto(page, path)
                    await check(name, page)
            for name, (owner, make) in made.items():
                if owner == token:
                    await make(page, d)
                    await check(name, page)
    async with opened(browser, site, lang, width=width) as page:
        for name, path in nominee_pages(d).items():
            await goto(page, path)
            await check(name, page)


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_every_member_and_nominee_page_has_no_axe_violations(
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
    assert len(found) == 18, sorted(found)
    assert not any(found.values()), {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_no_member_or_nominee_page_scrolls_sideways_or_weighs_100_kb(
    browser: Browser, site: Site, desk: Desk, lang: str
) -> None:
    wide: dict[str, int] = {}
    heavy: dict[str, int] = {}
    css: list[int] = []

    async def check(name: str, page: Page) -> None:
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        if width > 360:
            wide[name] = width
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


async def test_the_nominees_page_weighs_under_100_kb_on_a_first_visit(
    browser: Browser, site: Site, desk: Desk
) -> None:
    """The one page here anyone may open without signing in: measured as the public pages
    are (tests/web/weight.py), every byte of a first visit."""
    heavy, elsewhere = {}, {}
    for lang in ("en", "ar"):
        for name, path in nominee_pages(desk).items():
            weight = await weigh(browser, site.base, path, lang)
            assert weight.html > 1000
            if weight.bytes > BUDGET:
                heavy[f"{name}/{lang}"] = weight.bytes
            if weight.elsewhere:
                elsewhere[f"{name}/{lang}"] = weight.elsewhere
    assert not heavy, heavy
    assert not elsewhere, elsewhere


async def _tab_to(page: Page, element_id: str, presses: int = 80) -> None:
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


async def test_a_member_votes_by_keyboard_alone(browser: Browser, site: Site, desk: Desk) -> None:
    """An approval ballot and a ranked one, each filled and cast with the keyboard only."""
    async with opened(browser, site) as page:
        await signed_in(page, desk.approval.tokens[2])
        await goto(page, "/member")
        await _tab_to_link(page, "Vote")
        await page.keyboard.press("Enter")
        await expect(page.locator("h1")).to_have_text("Vote")
        await _tab_to(page, "approve-1")
        await page.keyboard.press("Space")
        assert await page.is_checked("#approve-1")
        await _tab_to_submit(page)
        await page.keyboard.press("Enter")
        await expect(page.locator(".banner")).to_have_text("Your ballot is cast. Keep its receipt.")
        receipt = await page.locator("#receipt code").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", receipt)
    async with opened(browser, site) as page:
        await signed_in(page, desk.ranked.tokens[2])
        await goto(page, f"/member/rounds/{desk.ranked.id}/ballot")
        await _tab_to(page, "rank-1")
        await page.keyboard.press("ArrowDown")  # the first candidate
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "rank-2"
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("ArrowDown")  # the second candidate
        await _tab_to_submit(page)
        await page.keyboard.press("Enter")
        await expect(page.locator(".banner")).to_have_text("Your ballot is cast. Keep its receipt.")


async def _tab_to_link(page: Page, text: str, presses: int = 80) -> None:
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if (
            await page.evaluate("document.activeElement && document.activeElement.innerText")
            == text
        ):
            return
    raise AssertionError(f"no link {text!r} can be reached with Tab")


async def _tab_to_submit(page: Page, presses: int = 20) -> None:
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.type") == "submit":
            return
    raise AssertionError("the form's button cannot be reached with Tab")
