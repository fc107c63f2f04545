"""/docs: the API reference rendered by the app itself, with no script, CDN or web font.

It is a few pages (an index, one page per tag, the schemas), found here as a reader finds them:
from the index, following its links."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.docs_pages.pages import Reference
from api.docs_pages.style import STYLE, STYLE_VERSION
from mandate import keyfile
from mandate.settings import Settings

# HTML + CSS of each page, uncompressed. The pages render schemas once and link to them; if a
# page grows past this, make the rendering more compact or split the page before raising it.
BUDGET_BYTES = 100_000
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
METHODS = {"get", "put", "post", "patch", "delete"}
INDEX = "/docs"
STYLESHEET = f"/docs/style.css?v={STYLE_VERSION}"


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
        self.heading_ids: dict[str, str] = {}  # id -> the heading's text
        self.html_lang: str | None = None
        self.title = ""
        self._heading: list[str] | None = None
        self._heading_id: str | None = None
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "html":
            self.html_lang = values.get("lang")
        if tag == "title":
            self._title = []
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
            self._heading_id = values.get("id")
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
        if tag == "title" and self._title is not None:
            self.title = "".join(self._title)
            self._title = None
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            text = " ".join("".join(self._heading).split())
            self.headings.append((int(tag[1]), text))
            if self._heading_id is not None:
                self.heading_ids[self._heading_id] = text
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._title is not None:
            self._title.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def _docs_page(link: str) -> str | None:
    """The reference page a link leads to (without its fragment), if it leads to one."""
    path = link.split("#", 1)[0]
    if path == INDEX or (path.startswith(f"{INDEX}/") and path != STYLESHEET):
        return path
    return None


@dataclass(frozen=True)
class Docs:
    pages: dict[str, str]  # path -> HTML, the index first
    parsed: dict[str, Page]
    css: str
    openapi: dict[str, Any]


async def fetch_docs(http: httpx.AsyncClient) -> Docs:
    """The index, and every page reached from it by following links, as a reader would."""
    pages: dict[str, str] = {}
    waiting = [INDEX]
    while waiting:
        path = waiting.pop(0)
        if path in pages:
            continue
        r = await http.get(path, headers={"Accept-Encoding": "identity"})
        assert r.status_code == 200, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("text/html"), path
        pages[path] = r.text
        waiting += [p for link in parse(r.text).links if (p := _docs_page(link)) is not None]
    style = re.search(r'<link rel="stylesheet" href="([^"]+)"', pages[INDEX])
    assert style is not None
    css = await http.get(style.group(1))
    assert css.status_code == 200
    openapi = (await http.get("/openapi.json")).json()
    parsed = {path: parse(html) for path, html in pages.items()}
    return Docs(pages, parsed, css.text, openapi)


async def test_docs_lists_every_operation_of_the_openapi_document(
    http: httpx.AsyncClient,
) -> None:
    docs = await fetch_docs(http)
    documented = {
        f"{method.upper()} {path}"
        for path, item in docs.openapi["paths"].items()
        for method in item
        if method in METHODS
    }
    assert len(documented) > 50  # the whole API, not a stub
    # One heading per operation, method and path, on exactly one page.
    written: list[str] = []
    where: dict[str, tuple[str, str]] = {}  # operation -> (page, its heading's id)
    for path, page in docs.parsed.items():
        for anchor, text in page.heading_ids.items():
            if text.split()[0] in {m.upper() for m in METHODS}:
                written.append(text)
                where[text] = (path, anchor)
    assert sorted(written) == sorted(documented)
    # The index's contents lead to each of them, where it is written.
    contents = {tuple(link.split("#", 1)) for link in docs.parsed[INDEX].nav_links if "#" in link}
    assert {where[o] for o in documented} <= contents
    # Each schema is written out once, on one page: the schemas page.
    schemas = docs.openapi["components"]["schemas"]
    for name in schemas:
        holders = [path for path, html in docs.pages.items() if f'id="s-{name}"' in html]
        assert holders == ["/docs/schemas"], (name, holders)
    # Each tag has its page, with its name as the page's heading.
    tags = {
        tag
        for item in docs.openapi["paths"].values()
        for method, op in item.items()
        if method in METHODS
        for tag in op.get("tags") or ["other"]
    }
    headings = {page.headings[0][1] for page in docs.parsed.values()}
    assert {tag[:1].upper() + tag[1:] for tag in tags} <= headings


async def test_the_index_links_to_every_page_and_every_page_back_to_it(
    http: httpx.AsyncClient,
) -> None:
    docs = await fetch_docs(http)
    from_index = {_docs_page(link) for link in docs.parsed[INDEX].nav_links} - {None}
    assert from_index == set(docs.pages) - {INDEX}
    assert len(from_index) >= 3  # tags and schemas: not one page under another name
    for path, page in docs.parsed.items():
        if path != INDEX:
            assert INDEX in page.nav_links, path
            # Every page lists the others, and says which one it is.
            assert {_docs_page(link) for link in page.nav_links} - {None} == set(docs.pages), path
            assert ("a", "aria-current", "page") in page.attributes, path
    titles = [page.title for page in docs.parsed.values()]
    assert len(set(titles)) == len(titles), "pages share a title"


async def test_docs_use_no_script_no_inline_style_and_no_other_host(
    http: httpx.AsyncClient,
) -> None:
    docs = await fetch_docs(http)
    for path, html in docs.pages.items():
        for text in (html, docs.css):
            assert not re.search(r"https?://", text), path
            for external in ("@import", "@font-face", "url("):
                assert external not in text, path
        assert "<script" not in html.lower(), path
        assert "<style" not in html.lower(), path
        for tag, name, value in docs.parsed[path].attributes:
            assert name != "style", (path, tag)
            assert not name.startswith("on"), (path, tag, name)
            if name in ("href", "src", "action"):
                # A fragment or a path on this server: nothing is fetched from elsewhere.
                assert value is not None
                assert value.startswith("#") or (
                    value.startswith("/") and not value.startswith("//")
                ), (path, value)


async def test_every_page_stays_within_budget(http: httpx.AsyncClient) -> None:
    docs = await fetch_docs(http)
    plain = zipped = 0
    for path, html in docs.pages.items():
        size = len(html.encode()) + len(docs.css.encode())
        assert size < BUDGET_BYTES, f"{path} weighs {size} bytes; the budget is {BUDGET_BYTES}"
        # Sent compressed to a client that accepts it.
        r = await http.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip", path
        assert r.headers["vary"] == "Accept-Encoding", path
        assert r.text == html, path
        plain += len(html.encode())
        zipped += int(r.headers["content-length"])
    assert zipped < plain / 4


async def test_every_link_in_the_pages_resolves(http: httpx.AsyncClient) -> None:
    docs = await fetch_docs(http)
    # The index's table of contents covers every group and operation.
    assert len(docs.parsed[INDEX].nav_links) > 50
    ids = {path: set(page.ids) for path, page in docs.parsed.items()}
    for path, page in docs.parsed.items():
        assert len(page.ids) == len(ids[path]), (path, "ids repeat")
        missing = []
        for link in page.links:
            if link in (STYLESHEET, "/openapi.json"):
                continue
            target = _docs_page(link)
            if link.startswith("#"):
                target, fragment = path, link[1:]
            elif target is not None and "#" in link:
                fragment = link.split("#", 1)[1]
            else:
                fragment = None
            if target not in docs.pages or (fragment is not None and fragment not in ids[target]):
                missing.append(link)
        assert not missing, (path, sorted(set(missing)))
    # Operations link to the schemas page, to the index's errors and tokens, and back.
    links = [link for path, page in docs.parsed.items() if path != INDEX for link in page.links]
    for target in ("/docs/schemas#s-", "/docs#e-", "/docs#tokens"):
        assert any(link.startswith(target) for link in links), target
    assert any(link.startswith("#s-") for link in docs.parsed["/docs/schemas"].links)
    assert (await http.get("/openapi.json")).status_code == 200


async def test_the_pages_parse_as_well_formed_accessible_html(http: httpx.AsyncClient) -> None:
    docs = await fetch_docs(http)
    for path, html in docs.pages.items():
        assert html.startswith("<!doctype html>"), path
        page = docs.parsed[path]
        assert page.problems == [], path
        assert page.stack == [], path
        assert page.html_lang == "en", path
        assert '<meta name="viewport" content="width=device-width,initial-scale=1">' in html
        levels = [level for level, _ in page.headings]
        assert levels.count(1) == 1, path
        assert levels[0] == 1, path
        # Headings go down one level at a time, so they can be navigated as an outline.
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (path, before, after)
        # A way past the navigation for keyboard users.
        assert page.anchors[0] == "#main", path
        assert "main" in page.ids, path


async def test_the_stylesheet_is_a_cached_file_and_the_pages_allow_nothing_else(
    http: httpx.AsyncClient,
) -> None:
    docs = await fetch_docs(http)
    for path in docs.pages:
        r = await http.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "script-src" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        # One stylesheet for every page: fetched once, then cached. Its version in the link
        # changes with it, so the long cache is safe.
        assert docs.parsed[path].links[0] == STYLESHEET, path
    css = await http.get(STYLESHEET)
    assert css.headers["content-type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["cache-control"]
    assert css.text == docs.css == STYLE
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
    palettes = _palettes(STYLE)
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


async def test_a_page_the_reference_lacks_is_the_apis_404_never_a_500(
    http: httpx.AsyncClient,
) -> None:
    """Under /docs as anywhere else, an address that names nothing answers the API's own
    ``not_found``: a tag that is gone, a misspelt one, anything at all."""
    for path in (
        "/docs/nope",
        "/docs/Rounds",
        "/docs/schemas.json",
        "/docs/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/docs/%00",
        "/docs/..%2F..%2Fetc",
        f"/docs/{'x' * 5000}",
        "/docs/rounds/more",
        "/docs/style.css/more",
    ):
        r = await http.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["error"] == "not_found", path
    r = await http.post("/docs/rounds")
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"
    assert r.headers["allow"] == "GET"


async def test_the_pages_are_not_part_of_the_openapi_document(http: httpx.AsyncClient) -> None:
    docs = await fetch_docs(http)
    assert not [path for path in docs.openapi["paths"] if path.startswith("/docs")]
    assert len(docs.pages) > 3


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


def _render_all(doc: dict[str, Any], docs_href: str = "/d") -> dict[str, str]:
    reference = Reference(doc, docs_href=docs_href, style_href="/s.css", openapi_href="/o.json")
    pages = {name: reference.render(name) for name in reference.pages()}
    assert next(iter(pages)) == ""
    found = {name: html for name, html in pages.items() if html is not None}
    assert found.keys() == pages.keys()
    for name, html in found.items():
        page = parse(html)
        assert page.problems == [], name
        assert page.stack == [], name
    return found


def test_the_pages_escape_what_the_document_says_and_name_who_may_call() -> None:
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T<i>", "version": "1<2>", "description": "Say <b>hi</b>."},
        "tags": [{"name": "a&b", "description": "All <u>of</u> a&b."}],
        "paths": {
            "/x/{a}": {
                "post": {
                    "tags": ["a&b", "<second>"],
                    "summary": "Do <b>it</b>",
                    "description": 'First ``code <x>``.\n\nSecond "para".',
                    "x-roles": ["secretariat", "<coordinator>"],
                    "security": [{"bearer": []}],
                    "parameters": [
                        {"name": "a", "in": "path", "required": True},
                        {"name": "<q>", "in": "query", "schema": {"pattern": "<[a-z]>"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/x/Body"}},
                            "text/<plain>": {},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "ok <3",
                            "headers": {"X-<h>": {"description": "<d>"}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "description": "<script>",
                    "properties": {"<f>": {"enum": ["<v>"], "default": "<v>"}},
                },
                "<Evil>": {"type": "string", "description": "x"},
            },
            "securitySchemes": {
                "<bearer>": {"type": "http", "scheme": "<b>", "description": "<t>"}
            },
        },
    }
    found = _render_all(doc, docs_href='/p&"q/d')
    html = "".join(found.values())
    for unescaped in (
        "<script",
        "<i>",
        "<b>it</b>",
        "<b>hi",
        "<u>",
        "<x>",
        "<3",
        "<h>",
        "<d>",
        "<q>",
        "<[a-z]>",
        "<plain>",
        "<f>",
        "<v>",
        "<Evil>",
        "<bearer>",
        "<t>",
        "<second>",
        "<coordinator>",
        "1<2>",
        'p&"q',
        "a&b",
    ):
        assert unescaped not in html, unescaped
    assert list(found) == ["", "a-b", "second", "schemas"]
    tag = found["a-b"]
    assert "Who: secretariat, &lt;coordinator&gt;." in tag
    assert "<code>code &lt;x&gt;</code>" in tag
    assert "<p>Second &quot;para&quot;.</p>" in tag
    assert "ok &lt;3" in tag
    assert "<h1>A&amp;b</h1><p>All &lt;u&gt;of&lt;/u&gt; a&amp;b.</p>" in tag
    # Links to the other pages carry the (escaped) prefix; schemas are on their page.
    assert 'href="/p&amp;&quot;q/d/schemas#s-Body"' in tag
    assert 'href="/p&amp;&quot;q/d#tokens"' in tag
    assert 'id="s-Body"' in found["schemas"]
    assert 'id="s-_Evil_"' in found["schemas"]
    assert (2, "POST /x/{a}") in parse(tag).headings
    # The second tag's page links to the operation where it is written out.
    assert 'Also in this group: <a href="/p&amp;&quot;q/d/a-b#op-do-b-it-b">' in found["second"]
    assert 'href="/p&amp;&quot;q/d/a-b#op-do-b-it-b"' in found[""]


def test_every_tag_has_a_page_of_its_own_and_nothing_else_is_a_page() -> None:
    def op(*tags: str) -> dict[str, Any]:
        return {"tags": list(tags), "responses": {"200": {"description": "ok"}}}

    doc = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "paths": {
            "/a": {"get": op("schemas"), "post": op("A b")},
            "/b": {"get": op("a-b"), "put": op(""), "delete": {"responses": {}}},
        },
        "components": {"schemas": {"S": {"type": "string"}}},
    }
    found = _render_all(doc)
    # A tag named like another page, or like another tag, gets a page of its own.
    assert list(found) == ["", "schemas-2", "a-b", "a-b-2", "tag", "other", "schemas"]
    assert "<h1>Schemas</h1>" in found["schemas-2"]
    assert 'id="s-S"' in found["schemas"]
    assert "<h1>Untitled</h1>" in found["tag"]  # an empty tag has words all the same
    reference = Reference(doc, docs_href="/d", style_href="/s.css", openapi_href="/o.json")
    for name in ("nope", "A-b", "/", "schemas/", "style.css", "#", "a-b-3"):
        assert reference.render(name) is None, name
    # No schemas, no schemas page (and no link to one).
    del doc["components"]
    bare = Reference(doc, docs_href="/d", style_href="/s.css", openapi_href="/o.json")
    assert "schemas" not in bare.pages()
    assert bare.render("schemas") is None
    assert not re.search(r'"/d/schemas[#"]', "".join(_render_all(doc).values()))


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
    found = _render_all(doc)
    index, operations = found[""], found["other"]
    assert "e-writes" in parse(index).ids
    assert (
        'Every write (POST, PUT, PATCH, DELETE) may answer <a href="#e-401">401</a>, '
        '<a href="#e-409">409</a>, <a href="#e-422">422</a>' in index
    )
    # A read lists its own; a write, what is its alone, and a link to the rest.
    assert '<p>Failures: <a href="/d#e-401">401</a>.</p>' in operations
    assert (
        '<p>Failures: <a href="/d#e-404">404</a>, <a href="/d#e-writes">those of every write</a>.'
        in operations
    )
    assert "<dt>403</dt><dd>forbidden: not yours</dd>" in operations
