"""Page weight: what a first visit to each public page transfers, in each language.

On one embedded stack started the way ``./run`` starts it (``mandate up``: Temporal dev
server, SQLite, worker, one uvicorn process, mail written to files), the benchmark makes a
small world through the API (``tests/web/world.py``: members, a decided round, an open and a
concluded campaign, a confirmed outside signature), then opens every public page in a fresh
headless Chromium context (Debian's, driven by Playwright; empty cache, no cookies) that asks
for English, French, Spanish and Arabic in turn. For each it records every response body,
uncompressed (HTML, CSS, anything else), the number of requests, and any request that went
anywhere but the app. The budget is 100 KB per page; the ratio reported is the heaviest
page's weight to it (target: at most 1.0), with no request elsewhere.

    .venv/bin/python -m bench.pages [--out bench/results/pages-<date>.json]

All traffic goes to 127.0.0.1. It takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import async_playwright

from bench.ballots import RESULTS, Stack, code_state
from tests.receivers import CODE
from tests.web.weight import BUDGET, weigh
from tests.web.world import make_world
from web.i18n import LANGUAGES

CHROMIUM = "/usr/lib/chromium/chromium"


def _code_in(mail_dir: Path, signature_id: str) -> str | None:
    for path in sorted(mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        if f"/v1/signatures/{signature_id}/confirmation" in text:
            found = CODE.search(text)
            return found.group(1) if found else None
    return None


async def _mailed_code(mail_dir: Path, signature_id: str, within: float = 30) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        code = await asyncio.to_thread(_code_in, mail_dir, signature_id)
        if code is not None:
            return code
        await asyncio.sleep(0.2)
    raise RuntimeError(f"no confirmation code for {signature_id} in {mail_dir}")


async def measure(base: str, token: str, mail_dir: Path) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        world = await make_world(http, token, lambda sid: _mailed_code(mail_dir, sid))
        await world.settled()
    await asyncio.sleep(3)  # the integrator signs a checkpoint holding the receipt
    pages: dict[str, dict[str, Any]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            for name, path in world.pages().items():
                pages[name] = {}
                for lang in LANGUAGES:
                    pages[name][lang] = (await weigh(browser, base, path, lang)).as_json()
        finally:
            await browser.close()
    heaviest = max(w["bytes"] for by_lang in pages.values() for w in by_lang.values())
    return {
        "budget_bytes": BUDGET,
        "heaviest_bytes": heaviest,
        "ratio_to_budget": round(heaviest / BUDGET, 3),
        "requests_elsewhere": sum(
            len(w["elsewhere"]) for by_lang in pages.values() for w in by_lang.values()
        ),
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    today = datetime.now(UTC).date().isoformat()
    parser.add_argument("--out", type=Path, default=RESULTS / f"pages-{today}.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mandate-pages-") as folder:
        stack = Stack(Path(folder))
        try:
            token = stack.wait_ready(180)
            result = asyncio.run(measure(stack.base_url, token, Path(folder) / "mail"))
        finally:
            stack.stop()
    result = {"date": today, "code": code_state(), **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'page':<18}" + "".join(f"{lang:>10}" for lang in LANGUAGES))
    for name, by_lang in result["pages"].items():
        print(f"{name:<18}" + "".join(f"{by_lang[lang]['bytes']:>10,}" for lang in LANGUAGES))
    print(
        f"heaviest {result['heaviest_bytes']:,} bytes = {result['ratio_to_budget']} of the "
        f"{BUDGET:,}-byte budget; requests elsewhere: {result['requests_elsewhere']}"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
