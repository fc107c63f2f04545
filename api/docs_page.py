"""The API reference as one server-rendered page, built from the app's own OpenAPI document.

No JavaScript, no inline styles, no external URL: it works offline, by keyboard and at 360 px.
Schemas are written out once and linked to, which keeps the page small. Every value that comes
from the document is escaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import Any

JSON = "application/json"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
WRITES = ("post", "put", "patch", "delete")
_DEFAULT_SUCCESS = "Successful Response"

STYLE = """\
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--mut:#545454;--line:#c8c8c8;\
--box:#f2f2f2;--link:#0645ad;--get:#0b6b2e;--post:#0a4fa3;--put:#7a4b00;--patch:#6a3d99;\
--delete:#a4161a}
@media (prefers-color-scheme:dark){:root{--fg:#ececec;--bg:#141414;--mut:#b4b4b4;\
--line:#4a4a4a;--box:#222;--link:#8ab4f8;--get:#6fdc8c;--post:#8ab4f8;--put:#f5c26b;\
--patch:#d2a8ff;--delete:#ff9a9a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:60rem;padding:0 1rem 3rem;font:1rem/1.5 system-ui,sans-serif;\
color:var(--fg);background:var(--bg);overflow-wrap:break-word}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
code{overflow-wrap:anywhere}
pre{background:var(--box);padding:.75rem;white-space:pre-wrap;overflow-wrap:anywhere}
h1,h2,h3,h4{line-height:1.25}
h2{margin-top:2.5rem;border-bottom:2px solid var(--line)}
h3{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);font-size:1.1rem}
h4{margin:1rem 0 .25rem;font-size:1rem}
dl{margin:0}
dt{margin-top:.5rem;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}
dt small{font-family:system-ui,sans-serif}
dd{margin-inline-start:1.25rem}
small{color:var(--mut);font-size:.9em}
ol ol{padding-inline-start:1.25rem}
table{border-collapse:collapse}
caption{text-align:start;font-weight:700}
th,td{border:1px solid var(--line);padding:.2rem .5rem;text-align:start}
h3 b{font-family:ui-monospace,Menlo,Consolas,monospace}
.get{color:var(--get)}.post{color:var(--post)}.put{color:var(--put)}
.patch{color:var(--patch)}.delete{color:var(--delete)}
.skip{position:absolute;inset-inline-start:-100vw}
.skip:focus{inset-inline-start:1rem;top:1rem;background:var(--bg);padding:.5rem}
"""
STYLE_VERSION = hashlib.sha256(STYLE.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class _Op:
    method: str
    path: str
    op: dict[str, Any]
    anchor: str

    @property
    def tags(self) -> list[str]:
        return list(self.op.get("tags") or ["other"])


def render(doc: dict[str, Any], *, style_href: str, openapi_href: str) -> str:
    """The whole page; ``style_href`` and ``openapi_href`` are paths on this server."""
    page = _Page(doc)
    info = doc.get("info", {})
    title = f"{info.get('title', 'API')} API reference"
    groups = page.groups()
    intro = [("errors", "Errors"), ("tokens", "Tokens")]
    if page.common:
        intro.append(("headers", "Headers"))
    toc = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in intro)
    toc += "".join(
        f'<li><a href="#{_tag_id(tag)}">{escape(_tag_title(tag))}</a><ol>'
        + "".join(f'<li><a href="#{o.anchor}">{_title(o)}</a></li>' for o in ops)
        + "</ol></li>"
        for tag, ops in groups.items()
    )
    toc += '<li><a href="#schemas">Schemas</a></li>'
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(style_href)}"></head><body>'
        '<a class="skip" href="#main">Skip to the reference</a>'
        f"<header><h1>{escape(title)} <small>{escape(str(info.get('version', '')))}</small></h1>"
        f"{_paragraphs(info.get('description', ''))}"
        f'<p>The same, for programs: <a href="{escape(openapi_href)}">openapi.json</a> '
        "(OpenAPI 3.1). Request and response bodies are JSON unless a media type is named; "
        "path parameters are strings unless listed."
        "</p></header>"
        f'<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>{toc}</ol></nav>'
        f'<main id="main">{page.errors()}{page.tokens()}{page.headers()}'
        + "".join(page.group(tag, ops) for tag, ops in groups.items())
        + page.schemas()
        + "</main></body></html>\n"
    )


class _Page:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        components = doc.get("components", {})
        self.schema_defs: dict[str, Any] = components.get("schemas", {})
        self.response_defs: dict[str, Any] = components.get("responses", {})
        self.security_defs: dict[str, Any] = components.get("securitySchemes", {})
        self.ops = _operations(doc)
        self.common = _common_headers(self.ops)
        # A reusable response has no status of its own: it has the ones operations give it.
        found: dict[str, set[str]] = {name: set() for name in self.response_defs}
        for o in self.ops:
            for status, r in o.op.get("responses", {}).items():
                found.setdefault(r.get("$ref", "").rsplit("/", 1)[-1], set()).add(status)
        self.statuses = {name: sorted(found[name]) for name in self.response_defs}
        # Anchors by status ("e404") while each status has one response: short, and readable.
        by_status = [tuple(s) for s in self.statuses.values()]
        self.failure_ids = {
            name: _id("e", "-".join(s)) if s and by_status.count(tuple(s)) == 1 else _id("r", name)
            for name, s in self.statuses.items()
        }
        self.failure_contents = [r.get("content") for r in self.response_defs.values()]
        # The shared failures every write lists are written out once, not with each write.
        writes = [_shared_failures(o.op) for o in self.ops if o.method in WRITES]
        common = set.intersection(*writes) if len(writes) > 1 else set()
        self.write_failures = sorted(common) if len(common) > 1 else []

    # --- operations -------------------------------------------------------------------------

    def groups(self) -> dict[str, list[_Op]]:
        """Operations by tag, in the order the document first names each tag."""
        found: dict[str, list[_Op]] = {}
        for o in self.ops:
            for tag in o.tags:
                found.setdefault(tag, []).append(o)
        return found

    def group(self, tag: str, ops: list[_Op]) -> str:
        # An operation with several tags is written out under its first and linked from the rest.
        own = [o for o in ops if o.tags[0] == tag]
        elsewhere = [f'<a href="#{o.anchor}">{_title(o)}</a>' for o in ops if o.tags[0] != tag]
        also = f"<p>Also in this group: {', '.join(elsewhere)}.</p>" if elsewhere else ""
        return (
            f'<section aria-labelledby="{_tag_id(tag)}">'
            f'<h2 id="{_tag_id(tag)}">{escape(_tag_title(tag))}</h2>{also}'
            + "".join(self.operation(o) for o in own)
            + "</section>"
        )

    def operation(self, o: _Op) -> str:
        op = o.op
        parts = [
            f'<h3 id="{o.anchor}"><b class="{o.method}">{o.method.upper()}</b> '
            f"<code>{_breakable(o.path)}</code></h3>"
        ]
        summary = op.get("summary")
        blocks = list(_blocks(op.get("description", ""))) or [""]
        lead = f"<b>{escape(summary)}.</b>" if summary else ""
        blocks[0] = f"{lead} {_inline(blocks[0])}".strip()
        parts += [f"<p>{b}</p>" for b in [blocks[0], *map(_inline, blocks[1:])] if b]
        shared = [p for p in op.get("parameters", []) if _header_key(p) in self.common]
        takes = (
            f" Takes {', '.join(self.header_link(p['name']) for p in shared)}." if shared else ""
        )
        parts.append(f"<p>{self.who(op)}{takes}</p>")
        params = [
            p
            for p in op.get("parameters", [])
            if _header_key(p) not in self.common and not _plain_path_parameter(p)
        ]
        if params:
            parts.append("<h4>Parameters</h4><dl>")
            parts += [self.parameter(p) for p in params]
            parts.append("</dl>")
        body = op.get("requestBody")
        if body:
            parts.append(f"<h4>Request body</h4>{self.body(body)}")
        parts.append("<h4>Responses</h4><dl>")
        failures = []
        common = set(self.write_failures) if o.method in WRITES else set()
        for status, response in sorted(op.get("responses", {}).items()):
            ref = response.get("$ref", "")
            if ref.startswith("#/components/responses/"):
                if (status, ref.rsplit("/", 1)[1]) not in common:
                    failures.append(self.failure(status, ref.rsplit("/", 1)[1]))
            else:
                parts.append(self.response(status, response))
        parts.append("</dl>")
        if common:
            failures.append('<a href="#e-writes">those of every write</a>')
        if failures:
            parts.append(f"<p>Failures: {', '.join(failures)}.</p>")
        return "".join(parts)

    def who(self, op: dict[str, Any]) -> str:
        roles = op.get("x-roles")
        who = f" Who: {', '.join(escape(str(r)) for r in roles)}." if roles else ""
        security = op.get("security", self.doc.get("security"))
        if not security:
            return f"Token: none.{who}"
        names = sorted({n for req in security for n in req})
        need = "optional" if {} in security else "required"
        # The scheme's name only when there is a choice of them.
        kinds = f" ({', '.join(escape(n) for n in names)})" if len(names) > 1 else ""
        return f'Token: <a href="#tokens">{need}</a>{kinds}.{who}'

    def parameter(self, p: dict[str, Any]) -> str:
        # Path parameters are always required; saying so for each is noise.
        required = ", required" if p.get("required") and p.get("in") != "path" else ""
        schema = p.get("schema", {})
        return (
            f"<dt>{escape(p.get('name', ''))} "
            f"<small>{escape(p.get('in', ''))}{required}</small></dt>"
            f"<dd>{self.type(schema)}{_default(schema)}{_described(p.get('description'))}</dd>"
        )

    def body(self, body: dict[str, Any]) -> str:
        return (
            "<p>"
            + ("" if body.get("required") else "Optional. ")
            + "; ".join(self.content(mt, c) for mt, c in body.get("content", {}).items())
            + f"{_described(body.get('description'))}</p>"
        )

    def content(self, media_type: str, content: dict[str, Any]) -> str:
        # JSON is the rule (the page says so once); other media types are named.
        schema = content.get("schema")
        if media_type == JSON:
            return self.type(schema) if schema else "JSON"
        shown = f"<code>{escape(media_type)}</code>"
        return f"{shown}: {self.type(schema)}" if schema else shown

    def failure(self, status: str, name: str) -> str:
        anchor = self.failure_ids.get(name)
        return f'<a href="#{anchor}">{escape(status)}</a>' if anchor else escape(status)

    def response(self, status: str, response: dict[str, Any]) -> str:
        text = response.get("description", "")
        parts = [] if text == _DEFAULT_SUCCESS else [_inline(text)]
        content = response.get("content", {})
        # A failure with the body of every failure: the Errors section names it once.
        if not (status[:1] in "45" and content in self.failure_contents):
            parts += [self.content(mt, c) for mt, c in content.items()]
        for name, h in response.get("headers", {}).items():
            if _header_key({"name": name, "in": "response", **h}) in self.common:
                parts.append(f"header {self.header_link(name)}")
            else:
                parts.append(
                    f"header <code>{escape(name)}</code>{_described(h.get('description'))}"
                )
        return f"<dt>{escape(status)}</dt><dd>{'; '.join(p for p in parts if p) or 'empty'}</dd>"

    def header_link(self, name: str) -> str:
        return f'<a href="#{_id("h", name)}">{escape(name)}</a>'

    # --- the common parts -------------------------------------------------------------------

    def errors(self) -> str:
        refs = [
            f'<dt id="{self.failure_ids[name]}">{escape(", ".join(self.statuses[name]))}'
            f"</dt><dd>{_inline(r.get('description', ''))}</dd>"
            for name, r in self.response_defs.items()
        ]
        bodies = sorted(
            {
                c["schema"]["$ref"].rsplit("/", 1)[1]
                for r in self.response_defs.values()
                for c in r.get("content", {}).values()
                if "$ref" in c.get("schema", {})
            }
        )
        body_links = ", ".join(self.ref_link(n) for n in bodies) or "a JSON body"
        codes = {
            code: status
            for name in bodies
            for code, status in self.schema_defs.get(name, {}).get("x-codes", {}).items()
        }
        table = (
            "<table><caption>Error codes</caption><thead><tr><th scope=col>error</th>"
            "<th scope=col>status</th></tr></thead><tbody>"
            + "".join(
                f"<tr><td><code>{escape(c)}</code></td><td>{escape(str(s))}</td></tr>"
                for c, s in codes.items()
            )
            + "</tbody></table>"
            if codes
            else ""
        )
        example = (
            '<pre><code>{"error": "not_found", '
            '"detail": "no round with id 1b4e28ba-…"}</code></pre>'
            if codes
            else ""
        )
        return (
            '<section aria-labelledby="errors"><h2 id="errors">Errors</h2>'
            f"<p>Every failure answers {body_links}, whatever the route:</p>{example}"
            "<p>The failures an operation lists, by status:</p>"
            f"<dl>{''.join(refs)}</dl>{self.writes()}{table}</section>"
        )

    def writes(self) -> str:
        if not self.write_failures:
            return ""
        listed = ", ".join(self.failure(status, name) for status, name in self.write_failures)
        return (
            f'<p id="e-writes">Every write ({", ".join(m.upper() for m in WRITES)}) may '
            f"answer {listed}; its own failures are listed with it.</p>"
        )

    def tokens(self) -> str:
        schemes = "".join(
            f"<dt>{escape(name)}</dt><dd>{escape(_scheme(s))}"
            f"{_described(s.get('description'))}</dd>"
            for name, s in self.security_defs.items()
        )
        return (
            '<section aria-labelledby="tokens"><h2 id="tokens">Tokens</h2>'
            "<p>Each operation says whether it needs a token: <em>required</em>, "
            "<em>optional</em> (anyone may call; a token, when sent, must be valid, and may "
            "show more) or <em>none</em>. Send it as "
            "<code>Authorization: Bearer &lt;token&gt;</code>.</p>"
            f"<dl>{schemes}</dl></section>"
        )

    def headers(self) -> str:
        if not self.common:
            return ""
        items = "".join(
            f'<dt id="{_id("h", h["name"])}">{escape(h["name"])} '
            f"<small>{'response' if h['in'] == 'response' else 'request'}</small></dt>"
            f"<dd>{self.type(h.get('schema', {}))}{_described(h.get('description'))}</dd>"
            for h in self.common.values()
        )
        return (
            '<section aria-labelledby="headers"><h2 id="headers">Headers</h2>'
            f"<p>Headers that many operations share.</p><dl>{items}</dl></section>"
        )

    def schemas(self) -> str:
        return (
            '<section aria-labelledby="schemas"><h2 id="schemas">Schemas</h2>'
            "<p>Fields are required (in answers: always present) unless marked optional.</p>"
            + "".join(self.schema(n, self.schema_defs[n]) for n in sorted(self.schema_defs))
            + "</section>"
        )

    def schema(self, name: str, s: dict[str, Any]) -> str:
        parts = [f'<h3 id="{_id("s", name)}">{escape(name)}</h3>']
        if s.get("description"):
            parts.append(_paragraphs(s["description"]))
        props: dict[str, Any] = s.get("properties", {})
        if not props:
            parts.append(f"<p>{self.type(s)}</p>")
            return "".join(parts)
        required = set(s.get("required", []))
        parts.append("<dl>")
        for prop, ps in props.items():
            mark = "" if prop in required else "optional, "
            parts.append(
                f"<dt>{escape(prop)}</dt><dd>{mark}{self.type(ps)}{_default(ps)}"
                f"{_described(ps.get('description'))}</dd>"
            )
        parts.append("</dl>")
        return "".join(parts)

    # --- types ------------------------------------------------------------------------------

    def ref_link(self, name: str) -> str:
        if name not in self.schema_defs:
            return f"<code>{escape(name)}</code>"
        return f'<a href="#{_id("s", name)}">{escape(name)}</a>'

    def type(self, s: Any) -> str:
        """A schema in a few words, linking to named schemas instead of repeating them."""
        if not isinstance(s, dict) or not s:
            return "any"
        if "$ref" in s:
            return self.ref_link(str(s["$ref"]).rsplit("/", 1)[1])
        for key, joiner in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
            if key in s:
                return joiner.join(self.type(x) for x in s[key]) + _limits(s)
        if "const" in s:
            return _value(s["const"])
        if "enum" in s:
            return "one of " + ", ".join(_value(v) for v in s["enum"])
        kind = s.get("type")
        if isinstance(kind, list):
            return " or ".join(self.type({**s, "type": k}) for k in kind)
        if kind == "array":
            text = f"array of {self.type(s['items'])}" if "items" in s else "array"
        elif kind == "object" or "additionalProperties" in s or "patternProperties" in s:
            text = self.object(s)
        elif kind:
            text = escape(str(kind))
            if "format" in s:
                text += f" ({escape(str(s['format']))})"
        else:
            text = "any"
        return text + _limits(s)

    def object(self, s: dict[str, Any]) -> str:
        maps = [
            f"keys matching <code>{escape(pattern)}</code> → {self.type(v)}"
            for pattern, v in s.get("patternProperties", {}).items()
        ]
        extra = s.get("additionalProperties")
        if isinstance(extra, dict):
            maps.append(f"{'other ' if maps else ''}keys → {self.type(extra)}")
        if s.get("properties"):
            fields = ", ".join(f"<code>{escape(p)}</code>" for p in s["properties"])
            maps.insert(0, f"fields {fields}")
        return "object" + (f" ({'; '.join(maps)})" if maps else "")


def _operations(doc: dict[str, Any]) -> list[_Op]:
    ops: list[_Op] = []
    taken: set[str] = set()
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            # Short anchors from the summary keep the page small and links readable.
            base = _id("op", _slug(str(op.get("summary") or f"{method} {path}")))
            anchor, n = base, 1
            while anchor in taken:
                n += 1
                anchor = f"{base}-{n}"
            taken.add(anchor)
            ops.append(_Op(method, path, op, anchor))
    return ops


def _shared_failures(op: dict[str, Any]) -> set[tuple[str, str]]:
    """(status, name) of each reusable response the operation refers to."""
    return {
        (status, r["$ref"].rsplit("/", 1)[1])
        for status, r in op.get("responses", {}).items()
        if str(r.get("$ref", "")).startswith("#/components/responses/")
    }


def _common_headers(ops: list[_Op]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Headers that several operations describe alike: described once, linked from each."""
    seen: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for o in ops:
        for p in o.op.get("parameters", []):
            if p.get("in") == "header":
                seen.setdefault(_header_key(p), []).append(p)
        for response in o.op.get("responses", {}).values():
            for name, h in response.get("headers", {}).items():
                entry = {"name": name, "in": "response", **h}
                seen.setdefault(_header_key(entry), []).append(entry)
    common: dict[tuple[str, str, str], dict[str, Any]] = {}
    for key, found in seen.items():
        # One anchor per name: a name described two ways stays with its operations.
        if len(found) > 1 and all(name != key[1] for _, name, _ in common):
            common[key] = found[0]
    return common


def _header_key(p: dict[str, Any]) -> tuple[str, str, str]:
    return (str(p.get("in")), str(p.get("name")), str(p.get("description")))


def _plain_path_parameter(p: dict[str, Any]) -> bool:
    # The path names it already; listing every plain string id again only adds noise.
    schema = p.get("schema", {})
    plain = set(schema) <= {"type", "title"} and schema.get("type") == "string"
    return p.get("in") == "path" and plain and not p.get("description")


def _title(o: _Op) -> str:
    return f"{o.method.upper()} {_breakable(o.path)}"


def _breakable(path: str) -> str:
    # Long paths wrap after a slash at phone width, not in the middle of a word.
    parts = escape(path).split("/")
    return "/".join(parts[:2]) + "".join(f"/<wbr>{part}" for part in parts[2:])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- small pieces -----------------------------------------------------------------------------

_LIMITS = (
    ("minLength", "maxLength", "characters"),
    ("minItems", "maxItems", "items"),
    ("minProperties", "maxProperties", "keys"),
    ("minimum", "maximum", ""),
)


def _limits(s: dict[str, Any]) -> str:
    found = []
    for low_key, high_key, unit in _LIMITS:
        low, high = s.get(low_key), s.get(high_key)
        if low is None and high is None:
            continue
        if low is not None and high is not None:
            span = f"{_number(low)}–{_number(high)}"
        elif low is not None:
            span = f"≥ {_number(low)}"
        else:
            span = f"≤ {_number(high)}"
        found.append(f"{span} {unit}".strip())
    for key, sign in (("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
        if isinstance(s.get(key), int | float):
            found.append(f"{sign} {_number(s[key])}")
    if "pattern" in s:
        found.append(f"matching <code>{escape(str(s['pattern']))}</code>")
    return f" ({', '.join(found)})" if found else ""


def _number(n: Any) -> str:
    return str(int(n)) if isinstance(n, float) and n.is_integer() else escape(str(n))


def _value(v: Any) -> str:
    return f"<code>{escape(v if isinstance(v, str) else json.dumps(v))}</code>"


def _default(s: dict[str, Any]) -> str:
    return f"; default {_value(s['default'])}" if "default" in s else ""


def _described(text: str | None) -> str:
    return f" — {_inline(text)}" if text else ""


_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def _inline(text: str) -> str:
    """Escaped text, with ``code`` and `code` spans (as docstrings write them) as <code>."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"<code>{escape(m.group(1) or m.group(2))}</code>")
        last = m.end()
    out.append(escape(text[last:]))
    return " ".join("".join(out).split())


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{_inline(p)}</p>" for p in _blocks(text))


def _blocks(text: str) -> Iterable[str]:
    return (p for p in re.split(r"\n\s*\n", text) if p.strip())


def _scheme(s: dict[str, Any]) -> str:
    if s.get("type") == "http":
        return f"HTTP {s.get('scheme', '')}".strip()
    return str(s.get("type", ""))


def _id(prefix: str, name: str) -> str:
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)}"


def _tag_id(tag: str) -> str:
    return _id("t", tag)


def _tag_title(tag: str) -> str:
    return tag[:1].upper() + tag[1:]


def _op_id(method: str, path: str, op: dict[str, Any]) -> str:
    return _id("op", str(op.get("operationId") or f"{method}{path}"))
