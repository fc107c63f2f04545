"""/docs: the API reference rendered by the app itself, with no script, CDN or web font."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api import docs_page
from api.app import create_app
from mandate import keyfile
from mandate.settings import Settings

# HTML + CSS, uncompressed. The page renders schemas once and links to them; if the API grows
# past this, make the rendering more compact before raising the number.
BUDGET_BYTES = 100_000
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # The reference needs neither Temporal nor data: the app is called without its lifespan.
    settings = Settings(data_dir=tmp_path, database_url=SecretStr("sqlite://"))
    keyfile.ensure_server_secret(settings)  # every API process holds the deployment's secret
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class Page(HTMLParser):
    """Checks nesting as it reads, and collects what the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.anchors: list[str] = []
        self.nav_links: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.headings: list[tuple[int, str]] = []
        self.html_lang: str | None = None
        self._heading: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "html":
            self.html_lang = values.get("lang")
        if "id" in values and values["id"] is not None:
            self.ids.append(values["id"])
        href = values.get("href")
        if href is not None:
            self.links.append(href)
            if tag == "a":
                self.anchors.append(href)
            if "nav" in self.stack:
                self.nav_links.append(href)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.problems.append(f"<{tag}/> is not a void element")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.problems.append(f"</{tag}> closes a void element")
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((int(tag[1]), " ".join("".join(self._heading).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


async def fetch_docs(http: httpx.AsyncClient) -> tuple[str, str, dict[str, Any]]:
    r = await http.get("/docs", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    style = re.search(r'<link rel="stylesheet" href="([^"]+)"', r.text)
    assert style is not None
    css = await http.get(style.group(1))
    assert css.status_code == 200
    openapi = (await http.get("/openapi.json")).json()
    return r.text, css.text, openapi


async def test_docs_lists_every_operation_of_the_openapi_document(
    http: httpx.AsyncClient,
) -> None:
    html, _, openapi = await fetch_docs(http)
    documented = {
        f"{method.upper()} {path}"
        for path, item in openapi["paths"].items()
        for method in item
        if method in METHODS
    }
    assert len(documented) > 50  # the whole API, not a stub
    page = parse(html)
    # One heading per operation: method and path.
    headings = {text for level, text in page.headings if level == 3 and text.split()[0].isupper()}
    assert headings == documented
    for name in openapi["components"]["schemas"]:
        assert f'id="s-{name}"' in html


async def test_docs_use_no_script_no_inline_style_and_no_other_host(
    http: httpx.AsyncClient,
) -> None:
    html, css, _ = await fetch_docs(http)
    for text in (html, css):
        assert not re.search(r"https?://", text)
        for external in ("@import", "@font-face", "url("):
            assert external not in text
    assert "<script" not in html.lower()
    assert "<style" not in html.lower()
    page = parse(html)
    for tag, name, value in page.attributes:
        assert name != "style", tag
        assert not name.startswith("on"), (tag, name)
        if name in ("href", "src", "action"):
            # A fragment or a path on this server: nothing is fetched from elsewhere.
            assert value is not None
            assert value.startswith("#") or (value.startswith("/") and not value.startswith("//"))


async def test_docs_and_stylesheet_stay_within_budget(http: httpx.AsyncClient) -> None:
    html, css, _ = await fetch_docs(http)
    size = len(html.encode()) + len(css.encode())
    assert size < BUDGET_BYTES, f"the reference weighs {size} bytes; the budget is {BUDGET_BYTES}"
    # Sent compressed to a client that accepts it.
    r = await http.get("/docs", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < size / 4
    assert r.text == html


async def test_every_link_in_the_page_resolves(http: httpx.AsyncClient) -> None:
    html, _, _ = await fetch_docs(http)
    page = parse(html)
    assert len(page.ids) == len(set(page.ids)), "ids repeat"
    ids = set(page.ids)
    # The table of contents covers every group and operation.
    assert len(page.nav_links) > 50
    fragments = [link for link in page.links if link.startswith("#")]
    assert fragments
    missing = sorted({f for f in fragments if f[1:] not in ids})
    assert not missing, missing


async def test_the_page_parses_as_well_formed_accessible_html(http: httpx.AsyncClient) -> None:
    html, _, _ = await fetch_docs(http)
    assert html.startswith("<!doctype html>")
    page = parse(html)
    assert page.problems == []
    assert page.stack == []
    assert page.html_lang == "en"
    assert '<meta name="viewport" content="width=device-width,initial-scale=1">' in html
    assert [level for level, _ in page.headings].count(1) == 1
    # Headings go down one level at a time, so they can be navigated as an outline.
    levels = [level for level, _ in page.headings]
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, (before, after)
    # A way past the table of contents for keyboard users.
    assert page.anchors[0] == "#main"
    assert "main" in page.ids


async def test_the_stylesheet_is_a_cached_file_and_the_page_allows_nothing_else(
    http: httpx.AsyncClient,
) -> None:
    r = await http.get("/docs")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "script-src" not in csp
    css = await http.get(f"/docs/style.css?v={docs_page.STYLE_VERSION}")
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["cache-control"]
    # The version in the link changes with the stylesheet, so the long cache is safe.
    assert f"/docs/style.css?v={docs_page.STYLE_VERSION}" in r.text
    # Reflows at phone width: no fixed or minimum width, no line that refuses to wrap.
    assert not re.search(r"(?<![\w-])(min-)?width\s*:", css.text)
    assert "nowrap" not in css.text
    assert "white-space:pre}" not in css.text
    assert "overflow-wrap:anywhere" in css.text


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _palettes(css: str) -> list[dict[str, str]]:
    palettes = []
    for block in re.findall(r":root\{([^}]*)\}", css):
        colours = {}
        for name, value in re.findall(r"--([\w-]+):#([0-9a-fA-F]{3,6})\b", block):
            full = value if len(value) == 6 else "".join(c * 2 for c in value)
            colours[name] = full
        palettes.append(colours)
    return palettes


def test_text_colours_meet_wcag_aa_in_light_and_dark_schemes() -> None:
    palettes = _palettes(docs_page.STYLE)
    assert len(palettes) == 2  # light, and dark for prefers-color-scheme: dark
    for colours in palettes:
        for text in ("fg", "mut", "link", "get", "post", "put", "patch", "delete"):
            for ground in ("bg", "box"):
                ratio = _contrast(colours[text], colours[ground])
                assert ratio >= 4.5, (text, ground, round(ratio, 2))


async def test_the_reference_is_at_docs_and_swagger_is_gone(http: httpx.AsyncClient) -> None:
    # ``/`` is the people's home page now (tests/web/test_pages.py).
    assert (await http.get("/docs")).status_code == 200
    gone = await http.get("/redoc")
    assert gone.status_code == 404
    assert gone.json()["error"] == "not_found"
    assert (await http.get("/docs/oauth2-redirect")).status_code == 404


async def test_openapi_documents_the_common_error_body_and_tokens(
    http: httpx.AsyncClient,
) -> None:
    openapi = (await http.get("/openapi.json")).json()
    schemas = openapi["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ErrorBody"]["required"] == ["error", "detail"]
    assert schemas["ErrorBody"]["x-codes"]["validation_error"] == 422
    responses = openapi["components"]["responses"]
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if not status.startswith("2"):
                    if "$ref" in response:
                        response = responses[response["$ref"].rsplit("/", 1)[1]]
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)
    create = openapi["paths"]["/v1/rounds"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert {"401", "403", "409", "422"} <= set(create["responses"])
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert "Mandate-Receipt" in create["responses"]["201"]["headers"]
    health = openapi["paths"]["/healthz"]["get"]
    assert "security" not in health
    assert set(health["responses"]) == {"200"}
    assert openapi["paths"]["/v1/rounds"]["get"]["security"] == [{}, {"bearer": []}]
    assert "404" in openapi["paths"]["/v1/rounds/{round_id}"]["get"]["responses"]


async def test_what_the_document_says_of_tokens_is_what_the_api_does(
    http: httpx.AsyncClient,
) -> None:
    """Every operation documented as needing a token refuses a call without one, with the
    documented 401 and error body; every one documented as taking an optional token refuses a
    malformed one. Neither reaches the database, so no data is needed."""
    openapi = (await http.get("/openapi.json")).json()
    checked = 0
    for path, item in openapi["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method, op in item.items():
            security = op.get("security")
            if security == [{"bearer": []}]:
                headers = {}
            elif security == [{}, {"bearer": []}]:
                headers = {"Authorization": "Basic x"}
            else:
                continue
            r = await http.request(method.upper(), url, headers=headers, json={})
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.json()["error"] == "unauthenticated"
            assert r.headers["www-authenticate"] == "Bearer"
            assert "401" in op["responses"]
            checked += 1
    assert checked > 40


def test_the_page_escapes_what_the_document_says_and_names_who_may_call() -> None:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T<i>", "version": "1"},
        "paths": {
            "/x/{a}": {
                "post": {
                    "tags": ["a&b"],
                    "summary": "Do <b>it</b>",
                    "description": 'First ``code <x>``.\n\nSecond "para".',
                    "x-roles": ["secretariat", "<coordinator>"],
                    "security": [{"bearer": []}],
                    "parameters": [{"name": "a", "in": "path", "required": True}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/x/Body"}}},
                    },
                    "responses": {"200": {"description": "ok <3"}},
                }
            }
        },
        "components": {"schemas": {"Body": {"type": "object", "description": "<script>"}}},
    }
    html = docs_page.render(doc, style_href="/s.css", openapi_href="/o.json")
    page = parse(html)
    assert page.problems == []
    assert page.stack == []
    for unescaped in ("<script", "<i>", "<b>it</b>"):
        assert unescaped not in html
    assert "Who: secretariat, &lt;coordinator&gt;." in html
    assert "<code>code &lt;x&gt;</code>" in html
    assert "<p>Second &quot;para&quot;.</p>" in html
    assert "ok &lt;3" in html
    assert 'href="#s-Body"' in html
    assert 'id="s-Body"' in html
    assert (3, "POST /x/{a}") in page.headings


async def test_a_method_a_path_does_not_take_is_405_naming_every_method_it_does(
    http: httpx.AsyncClient,
) -> None:
    """Allow lists what the document lists for the path, whichever route answered: Starlette's
    own 405 named only the methods of the first route that matched (POST for /v1/rounds)."""
    openapi = (await http.get("/openapi.json")).json()
    for path, item in openapi["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = await http.options(url)
        assert r.status_code == 405, (path, r.status_code, r.text)
        assert r.json()["error"] == "method_not_allowed"
        documented = sorted(method.upper() for method in item if method in METHODS)
        assert r.headers["allow"].split(", ") == documented, path
    r = await http.delete("/v1/rounds")
    assert r.headers["allow"] == "GET, POST"


async def test_failures_a_route_documents_itself_have_the_common_body(
    http: httpx.AsyncClient,
) -> None:
    openapi = (await http.get("/openapi.json")).json()
    paths = openapi["paths"]
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    candidates = paths["/v1/rounds/{round_id}/constituencies/{constituency_id}/candidates"]
    conflict = candidates["get"]["responses"]["409"]
    assert conflict["description"].startswith("wrong_phase: ")
    assert conflict["content"] == body
    # The checkpoint itself is text; its failures are JSON like every other.
    checkpoint = paths["/v1/log/checkpoint"]["get"]["responses"]
    assert set(checkpoint["200"]["content"]) == {"text/plain"}
    assert checkpoint["404"]["content"] == body
    # Every write may find Temporal or its signing key out of reach.
    unavailable = {"$ref": "#/components/responses/Unavailable"}
    writes = [
        op
        for item in paths.values()
        for method, op in item.items()
        if method in ("post", "put", "patch", "delete")
    ]
    assert writes
    assert all(op["responses"]["503"] == unavailable for op in writes)
    assert "404" in paths["/v1/rounds"]["post"]["responses"]


def test_the_failures_every_write_shares_are_listed_once() -> None:
    def op(*refs: str, **own: str) -> dict[str, Any]:
        responses: dict[str, Any] = {"200": {"description": "ok"}}
        responses |= {s: {"$ref": f"#/components/responses/R{s}"} for s in refs}
        responses |= {s.lstrip("_"): {"description": d} for s, d in own.items()}
        return {"responses": responses}

    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/a": {"post": op("401", "409", "422"), "get": op("401")},
            "/b": {"put": op("401", "404", "409", "422", _403="forbidden: not yours")},
        },
        "components": {
            "responses": {f"R{s}": {"description": f"d{s}"} for s in ("401", "404", "409", "422")}
        },
    }
    html = docs_page.render(doc, style_href="/s.css", openapi_href="/o.json")
    page = parse(html)
    assert page.problems == []
    assert "e-writes" in page.ids
    assert (
        'Every write (POST, PUT, PATCH, DELETE) may answer <a href="#e-401">401</a>, '
        '<a href="#e-409">409</a>, <a href="#e-422">422</a>' in html
    )
    # A read lists its own; a write, what is its alone, and a link to the rest.
    assert '<p>Failures: <a href="#e-401">401</a>.</p>' in html
    assert (
        '<p>Failures: <a href="#e-404">404</a>, <a href="#e-writes">those of every write</a>.'
        in html
    )
    assert "<dt>403</dt><dd>forbidden: not yours</dd>" in html
