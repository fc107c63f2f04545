"""A whole selection round through the pages, in a real browser (Debian's headless Chromium)
against the real app, the Temporal dev server and a worker: the coordinator invites its
member organisations by mail, they sign in with the mailed link and nominate, the nominees
accept on their own page, another member endorses, the coordinator screens, the members
vote, the workflow closes voting and counts, and the round's page shows the result and the
count. Once in each of English, French, Spanish and Arabic (right to left), and once with
JavaScript disabled; with an approval method, and with a ranked one."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from playwright.async_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.test_browser import SIGN_IN_LINK, goto, opened
from tests.web.test_manage_browser import signed_in
from tests.web.world import Client, at
from web import i18n

pytestmark = pytest.mark.slow

# The rounds' windows, in seconds: each step in the browser takes well under a second, and the
# nominations window holds eight of them (three nominations, two consents, two endorsements,
# one rejection).
OPENS_IN = 3
NOMINATING = 24
VOTING = 12


@dataclass(frozen=True)
class Run:
    lang: str
    javascript: bool
    method: str


RUNS = [
    pytest.param(Run("en", True, "approval.phragmen"), id="en"),
    pytest.param(Run("fr", True, "ranked.stv"), id="fr"),
    pytest.param(Run("es", True, "approval.phragmen"), id="es"),
    pytest.param(Run("ar", True, "approval.phragmen"), id="ar"),
    pytest.param(Run("en", False, "ranked.stv"), id="en-no-javascript"),
]


@dataclass
class Organisation:
    id: str
    name: str
    email: str


@dataclass
class Journey:
    run: Run
    site: Site
    browser: Browser
    api: Client
    constituency: str = ""
    coordinator: str = ""
    members: list[Organisation] = field(default_factory=list)
    round: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, message: str, **values: str) -> str:
        """A message as the pages say it in the run's language."""
        text = i18n.translations(self.run.lang).gettext(message)
        return text % values if values else text

    @asynccontextmanager
    async def page(self) -> AsyncIterator[Page]:
        async with opened(
            self.browser, self.site, self.run.lang, javascript=self.run.javascript
        ) as page:
            yield page

    async def in_language(self, page: Page) -> None:
        html = page.locator("html")
        await expect(html).to_have_attribute("lang", self.run.lang)
        await expect(html).to_have_attribute("dir", i18n.text_direction(self.run.lang))


async def _world(j: Journey) -> None:
    """The constituency, its coordinator and three registered organisations, not yet members
    (setting them up is not what the journey tests: the API does it)."""
    api, tag = j.api, uuid.uuid4().hex[:6]
    made = await api.ok(
        "POST", "/v1/constituencies", api.secretariat, {"name": f"Women migrants {tag}"}
    )
    j.constituency = made["id"]
    coordinator = await api.ok(
        "POST",
        f"/v1/constituencies/{j.constituency}/coordinators",
        api.secretariat,
        {"name": "Amina Diallo", "email": f"amina-{tag}@example.org"},
    )
    j.coordinator = coordinator["token"]
    for name, country in (
        ("Red de Mujeres Migrantes", "MX"),
        ("Kenya Domestic Workers Union", "KE"),
        ("Pinoy Migrant Forum", "PH"),
    ):
        email = f"office-{uuid.uuid4().hex[:8]}@example.org"
        org = await api.ok(
            "POST",
            "/v1/organisations",
            api.secretariat,
            {
                "name": f"{name} {tag}",
                "country": country,
                "type": "network",
                "contact_email": email,
            },
        )
        j.members.append(Organisation(org["id"], org["name"], email))


async def _invite(j: Journey, coordinator: Page) -> None:
    """The coordinator admits each organisation, mailing it a sign-in link in the language."""
    await signed_in(coordinator, j.coordinator)
    for org in j.members:
        await goto(coordinator, f"/coordinator/{j.constituency}")
        await j.in_language(coordinator)
        await coordinator.select_option("#organisation_id", org.id)
        assert await coordinator.is_checked("#invite")
        await coordinator.select_option("#mail_lang", j.run.lang)
        await coordinator.locator("form[action$='/members'] button[type=submit]").click()
        await expect(coordinator.locator(".banner")).to_have_text(
            j.say("The organisation is now a member, and a sign-in link is on its way.")
        )


async def _sign_in_by_mail(j: Journey, page: Page, org: Organisation) -> None:
    found = SIGN_IN_LINK.search(await j.site.mail_to(org.email))
    assert found, "no sign-in link in the invitation"
    await goto(page, f"/sign-in/{found.group(1)}")
    await j.in_language(page)
    await page.locator("main form button[type=submit]").click()
    await expect(page.locator("main")).to_contain_text(
        j.say("You are signed in as %(name)s.", name=org.name)
    )


async def _round(j: Journey) -> None:
    """The round, its rules and publication, by the API: one seat and an alternate, a woman
    among the seats, one endorsement per nomination."""
    api = j.api
    made = await api.ok(
        "POST",
        "/v1/rounds",
        api.secretariat,
        {
            "title": f"Global Forum on Migration: {j.run.lang} speakers",
            "segments": [{"key": "opening", "title": "Opening plenary"}],
            "participants": [{"constituency_id": j.constituency, "seats": 1}],
            "schedule": {
                "nominations_open_at": at(OPENS_IN),
                "nominations_close_at": at(OPENS_IN + NOMINATING),
                "voting_open_at": at(OPENS_IN + NOMINATING),
                "voting_close_at": at(OPENS_IN + NOMINATING + VOTING),
            },
        },
    )
    j.round = made["id"]
    await api.ok(
        "PUT",
        f"/v1/rounds/{j.round}/constituencies/{j.constituency}/rules",
        j.coordinator,
        {
            "method": j.run.method,
            "alternates": 1,
            "endorsements": {"required": 1},
            "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
        },
    )
    await api.ok("POST", f"/v1/rounds/{j.round}/publish", api.secretariat)


async def _nominate(j: Journey, page: Page, name: str, gender: str, org: Organisation) -> str:
    """The member nominates from its page; returns the consent link's path."""
    await goto(page, "/member")
    await j.in_language(page)
    await page.locator(f"a[href$='/member/rounds/{j.round}/nominate']").first.click()
    await page.fill("#nominee_name", name)
    assert await page.input_value("#organisation_id") == org.id  # its own, to begin with
    await page.fill("#nominee_email", f"{uuid.uuid4().hex[:8]}@example.org")
    await page.fill(f"#statement_{j.run.lang}", f"{name}: {j.say('Your statement')}.")
    await page.fill("#attr-gender", gender)
    await page.locator("form[action$='/nominate'] button[type=submit]").click()
    await expect(page.locator("h1")).to_have_text(j.say("The nomination is made"))
    link = await page.locator(".panel code").inner_text()
    return link[link.index("/consent/") :]


def _nomination_of(link: str) -> str:
    found = re.match(r"/consent/([0-9a-f-]{36})\?", link)
    assert found, link
    return found.group(1)


async def _accept(j: Journey, page: Page, link: str) -> None:
    await goto(page, link)
    await j.in_language(page)
    await expect(page.locator("#published")).to_have_text(j.say("What accepting publishes"))
    await page.locator("form:has(input[value=accept]) button").click()
    await expect(page.locator(".banner")).to_have_text(
        j.say("You have accepted the nomination. Your name and statement are now public.")
    )


async def _endorse(j: Journey, page: Page, nomination: str) -> None:
    await goto(page, f"/member/rounds/{j.round}")
    await page.locator(f"form[action$='/nominations/{nomination}/endorsement'] button").click()
    await expect(page.locator(".banner")).to_have_text(
        j.say("Your organisation endorses this nomination.")
    )


async def _reject(j: Journey, page: Page, nomination: str) -> None:
    await goto(page, f"/coordinator/{j.constituency}/rounds/{j.round}/nominations")
    await page.locator(f"li:has(#reason_code-{nomination}) summary").click()
    await page.select_option(f"#reason_code-{nomination}", "not_eligible")
    await page.fill(f"#reason-{nomination}", "The nominee is not from a member organisation.")
    await page.locator(f"form[action$='/nominations/{nomination}/rejection'] button").click()
    await expect(page.locator(".banner")).to_have_text(
        j.say("The nomination is rejected. The reason is published.")
    )


async def _vote(j: Journey, page: Page, choices: list[str]) -> str:
    """The member votes from its page: approves ``choices``, or ranks them in order; returns
    the receipt the page shows."""
    await goto(page, "/member")
    await page.locator(f"a[href$='/member/rounds/{j.round}/ballot']").click()
    await j.in_language(page)
    if j.run.method.startswith("ranked"):
        for rank, nomination in enumerate(choices, start=1):
            await page.select_option(f"#rank-{rank}", nomination)
    else:
        for nomination in choices:
            await page.check(f"input[name=approve][value='{nomination}']")
    await page.locator("form[action$='/ballot'] button[type=submit]").click()
    await expect(page.locator(".banner")).to_have_text(
        j.say("Your ballot is cast. Keep its receipt.")
    )
    receipt = await page.locator("#receipt code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", receipt)
    return receipt


async def _wait(j: Journey, phase: str, within: float) -> None:
    started = time.monotonic()
    await j.api.wait(f"/v1/rounds/{j.round}/phase", "phase", phase, within=within)
    j.timings[f"waited for {phase}"] = round(time.monotonic() - started, 1)


@pytest.mark.parametrize("run", RUNS)
async def test_a_whole_round_through_the_pages(browser: Browser, site: Site, run: Run) -> None:
    j = Journey(run, site, browser, Client(site.api.http, site.api.secretariat))
    await _world(j)
    async with (
        j.page() as coordinator,
        j.page() as rosa_org,
        j.page() as joseph_org,
        j.page() as endorser,
        j.page() as nominee,
    ):
        members = (rosa_org, joseph_org, endorser)
        await _invite(j, coordinator)
        for page, org in zip(members, j.members, strict=True):
            await _sign_in_by_mail(j, page, org)
        await _round(j)
        await _wait(j, "nominations_open", within=30)

        started = time.monotonic()
        rosa = await _nominate(j, rosa_org, "Rosa Díaz", "woman", j.members[0])
        joseph = await _nominate(j, joseph_org, "Joseph Otieno", "man", j.members[1])
        other = await _nominate(j, endorser, "Lee Chen", "man", j.members[2])
        for link in (rosa, joseph):
            await _accept(j, nominee, link)
        for link in (rosa, joseph):
            await _endorse(j, endorser, _nomination_of(link))
        await _reject(j, coordinator, _nomination_of(other))
        j.timings["nominating"] = round(time.monotonic() - started, 1)
        assert j.timings["nominating"] < NOMINATING - OPENS_IN, j.timings

        await _wait(j, "voting_open", within=NOMINATING + 30)
        started = time.monotonic()
        rosa_id, joseph_id = _nomination_of(rosa), _nomination_of(joseph)
        ranked = run.method.startswith("ranked")
        receipts = [
            await _vote(j, rosa_org, [rosa_id, joseph_id] if ranked else [rosa_id]),
            await _vote(j, joseph_org, [joseph_id, rosa_id]),
            await _vote(j, endorser, [rosa_id] if ranked else [joseph_id]),
        ]
        j.timings["voting"] = round(time.monotonic() - started, 1)
        assert j.timings["voting"] < VOTING, j.timings

        await _wait(j, "decided", within=VOTING + 60)
        # The round's page: the representative, the alternate, and the count step by step.
        page = rosa_org
        await goto(page, f"/rounds/{j.round}")
        await j.in_language(page)
        result = page.locator("section.part")
        await expect(result.locator("h4").first).to_have_text(j.say("Representatives"))
        await expect(result.locator("h4 + ol").first).to_contain_text("Rosa Díaz")
        await expect(result.locator("h4 + ol").nth(1)).to_contain_text("Joseph Otieno")
        await result.locator("details summary").click()
        assert await result.locator("ol.steps li").count() >= 1
        await expect(result.locator("ol.steps")).to_be_visible()
        assert "Lee Chen" not in await result.inner_text()  # rejected: never a candidate
        # Each member's receipt is in the signed log.
        await site.integrate()
        for receipt in receipts:
            await goto(page, f"/receipt?r={receipt}")
            await expect(page.locator("#result-title.ok")).to_be_visible()
        await goto(page, "/member")
        for receipt in receipts[:1]:
            await expect(page.locator("#receipts")).to_be_visible()
            await expect(page.locator(f"a[href$='{receipt}']")).to_have_count(1)
