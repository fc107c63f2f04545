"""What a first visit to a page transfers, measured in a real browser: the test's budget and
bench/pages.py's numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from playwright.async_api import Browser, Response

BUDGET = 100 * 1024  # bytes a public page may weigh on first load, all of it


@dataclass
class Weight:
    bytes: int = 0  # every response body, uncompressed
    html: int = 0
    css: int = 0
    other: int = 0
    requests: int = 0
    elsewhere: list[str] = field(default_factory=list)  # requests that left the site

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


async def weigh(browser: Browser, base: str, path: str, lang: str) -> Weight:
    """A fresh context (empty cache, no cookies) asking for ``lang`` opens ``path``."""
    responses: list[Response] = []
    requests: list[str] = []
    context = await browser.new_context(
        base_url=base, locale=lang, extra_http_headers={"Accept-Language": lang}
    )
    try:
        page = await context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("response", lambda response: responses.append(response))
        await page.goto(path)
        await page.wait_for_load_state("networkidle")
        found = Weight(requests=len(requests))
        found.elsewhere = [u for u in requests if not u.startswith(base.rstrip("/") + "/")]
        for response in responses:
            size = len(await response.body())
            kind = response.headers.get("content-type", "")
            found.bytes += size
            if kind.startswith("text/html"):
                found.html += size
            elif kind.startswith("text/css"):
                found.css += size
            else:
                found.other += size
        return found
    finally:
        await context.close()
