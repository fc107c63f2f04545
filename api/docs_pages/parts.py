"""The parts of the reference's pages: operations, schemas, failures, tokens and headers, each
linking to where the others are written out."""

from __future__ import annotations

from html import escape
from typing import Any

from api.docs_pages.document import (
    INDEX,
    SCHEMAS,
    WRITES,
    Document,
    Op,
    header_key,
    plain_path_parameter,
)
from api.docs_pages.links import Links
from api.docs_pages.text import (
    anchor,
    blocks,
    breakable,
    default,
    described,
    inline,
    limits,
    paragraphs,
    scheme,
    value,
)

JSON = "application/json"
_DEFAULT_SUCCESS = "Successful Response"


def title(o: Op) -> str:
    return f"{o.method.upper()} {breakable(o.path)}"


class Parts:
    def __init__(self, document: Document, links: Links) -> None:
        self.d = document
        self.links = links

    # --- operations (on their tag's page) ---------------------------------------------------

    def op_link(self, o: Op) -> str:
        return f'<a href="{self.links.to(self.d.page_of(o), o.anchor)}">{title(o)}</a>'

    def operation(self, o: Op) -> str:
        op = o.op
        parts = [
            f'<h2 id="{o.anchor}"><b class="{o.method}">{o.method.upper()}</b> '
            f"<code>{breakable(o.path)}</code></h2>"
        ]
        summary = op.get("summary")
        texts = list(blocks(op.get("description", ""))) or [""]
        lead = f"<b>{escape(summary)}.</b>" if summary else ""
        texts[0] = f"{lead} {inline(texts[0])}".strip()
        parts += [f"<p>{b}</p>" for b in [texts[0], *map(inline, texts[1:])] if b]
        shared = [p for p in op.get("parameters", []) if header_key(p) in self.d.common]
        takes = (
            f" Takes {', '.join(self.header_link(p['name']) for p in shared)}." if shared else ""
        )
        parts.append(f"<p>{self.who(op)}{takes}</p>")
        params = [
            p
            for p in op.get("parameters", [])
            if header_key(p) not in self.d.common and not plain_path_parameter(p)
        ]
        if params:
            parts.append("<h3>Parameters</h3><dl>")
            parts += [self.parameter(p) for p in params]
            parts.append("</dl>")
        body = op.get("requestBody")
        if body:
            parts.append(f"<h3>Request body</h3>{self.body(body)}")
        parts.append("<h3>Responses</h3><dl>")
        failures = []
        common = set(self.d.write_failures) if o.method in WRITES else set()
        for status, response in sorted(op.get("responses", {}).items()):
            ref = response.get("$ref", "")
            if ref.startswith("#/components/responses/"):
                if (status, ref.rsplit("/", 1)[1]) not in common:
                    failures.append(self.failure(status, ref.rsplit("/", 1)[1]))
            else:
                parts.append(self.response(status, response))
        parts.append("</dl>")
        if common:
            failures.append(
                f'<a href="{self.links.to(INDEX, "e-writes")}">those of every write</a>'
            )
        if failures:
            parts.append(f"<p>Failures: {', '.join(failures)}.</p>")
        return "".join(parts)

    def who(self, op: dict[str, Any]) -> str:
        roles = op.get("x-roles")
        who = f" Who: {', '.join(escape(str(r)) for r in roles)}." if roles else ""
        security = op.get("security", self.d.doc.get("security"))
        if not security:
            return f"Token: none.{who}"
        names = sorted({n for req in security for n in req})
        need = "optional" if {} in security else "required"
        # The scheme's name only when there is a choice of them.
        kinds = f" ({', '.join(escape(n) for n in names)})" if len(names) > 1 else ""
        return f'Token: <a href="{self.links.to(INDEX, "tokens")}">{need}</a>{kinds}.{who}'

    def parameter(self, p: dict[str, Any]) -> str:
        # Path parameters are always required; saying so for each is noise.
        required = ", required" if p.get("required") and p.get("in") != "path" else ""
        schema = p.get("schema", {})
        return (
            f"<dt>{escape(p.get('name', ''))} "
            f"<small>{escape(p.get('in', ''))}{required}</small></dt>"
            f"<dd>{self.type(schema)}{default(schema)}{described(p.get('description'))}</dd>"
        )

    def body(self, body: dict[str, Any]) -> str:
        return (
            "<p>"
            + ("" if body.get("required") else "Optional. ")
            + "; ".join(self.content(mt, c) for mt, c in body.get("content", {}).items())
            + f"{described(body.get('description'))}</p>"
        )

    def content(self, media_type: str, content: dict[str, Any]) -> str:
        # JSON is the rule (the index says so once); other media types are named.
        schema = content.get("schema")
        if media_type == JSON:
            return self.type(schema) if schema else "JSON"
        shown = f"<code>{escape(media_type)}</code>"
        return f"{shown}: {self.type(schema)}" if schema else shown

    def failure(self, status: str, name: str) -> str:
        found = self.d.failure_ids.get(name)
        if not found:
            return escape(status)
        return f'<a href="{self.links.to(INDEX, found)}">{escape(status)}</a>'

    def response(self, status: str, response: dict[str, Any]) -> str:
        text = response.get("description", "")
        parts = [] if text == _DEFAULT_SUCCESS else [inline(text)]
        content = response.get("content", {})
        # A failure with the body of every failure: the Errors section names it once.
        if not (status[:1] in "45" and content in self.d.failure_contents):
            parts += [self.content(mt, c) for mt, c in content.items()]
        for name, h in response.get("headers", {}).items():
            if header_key({"name": name, "in": "response", **h}) in self.d.common:
                parts.append(f"header {self.header_link(name)}")
            else:
                parts.append(f"header <code>{escape(name)}</code>{described(h.get('description'))}")
        return f"<dt>{escape(status)}</dt><dd>{'; '.join(p for p in parts if p) or 'empty'}</dd>"

    def header_link(self, name: str) -> str:
        return f'<a href="{self.links.to(INDEX, anchor("h", name))}">{escape(name)}</a>'

    # --- the common parts (on the index) ----------------------------------------------------

    def errors(self) -> str:
        d = self.d
        refs = [
            f'<dt id="{d.failure_ids[name]}">{escape(", ".join(d.statuses[name]))}'
            f"</dt><dd>{inline(r.get('description', ''))}</dd>"
            for name, r in d.response_defs.items()
        ]
        bodies = sorted(
            {
                c["schema"]["$ref"].rsplit("/", 1)[1]
                for r in d.response_defs.values()
                for c in r.get("content", {}).values()
                if "$ref" in c.get("schema", {})
            }
        )
        body_links = ", ".join(self.ref_link(n) for n in bodies) or "a JSON body"
        codes = {
            code: status
            for name in bodies
            for code, status in d.schema_defs.get(name, {}).get("x-codes", {}).items()
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
        if not self.d.write_failures:
            return ""
        listed = ", ".join(self.failure(status, name) for status, name in self.d.write_failures)
        return (
            f'<p id="e-writes">Every write ({", ".join(m.upper() for m in WRITES)}) may '
            f"answer {listed}; its own failures are listed with it.</p>"
        )

    def tokens(self) -> str:
        schemes = "".join(
            f"<dt>{escape(name)}</dt><dd>{escape(scheme(s))}{described(s.get('description'))}</dd>"
            for name, s in self.d.security_defs.items()
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
        if not self.d.common:
            return ""
        items = "".join(
            f'<dt id="{anchor("h", h["name"])}">{escape(h["name"])} '
            f"<small>{'response' if h['in'] == 'response' else 'request'}</small></dt>"
            f"<dd>{self.type(h.get('schema', {}))}{described(h.get('description'))}</dd>"
            for h in self.d.common.values()
        )
        return (
            '<section aria-labelledby="headers"><h2 id="headers">Headers</h2>'
            f"<p>Headers that many operations share.</p><dl>{items}</dl></section>"
        )

    # --- schemas (on their own page) --------------------------------------------------------

    def schema(self, name: str, s: dict[str, Any]) -> str:
        parts = [f'<h2 id="{anchor("s", name)}">{escape(name)}</h2>']
        if s.get("description"):
            parts.append(paragraphs(s["description"]))
        props: dict[str, Any] = s.get("properties", {})
        if not props:
            parts.append(f"<p>{self.type(s)}</p>")
            return "".join(parts)
        required = set(s.get("required", []))
        parts.append("<dl>")
        for prop, ps in props.items():
            mark = "" if prop in required else "optional, "
            parts.append(
                f"<dt>{escape(prop)}</dt><dd>{mark}{self.type(ps)}{default(ps)}"
                f"{described(ps.get('description'))}</dd>"
            )
        parts.append("</dl>")
        return "".join(parts)

    # --- types ------------------------------------------------------------------------------

    def ref_link(self, name: str) -> str:
        if name not in self.d.schema_defs:
            return f"<code>{escape(name)}</code>"
        return f'<a href="{self.links.to(SCHEMAS, anchor("s", name))}">{escape(name)}</a>'

    def type(self, s: Any) -> str:
        """A schema in a few words, linking to named schemas instead of repeating them."""
        if not isinstance(s, dict) or not s:
            return "any"
        if "$ref" in s:
            return self.ref_link(str(s["$ref"]).rsplit("/", 1)[1])
        for key, joiner in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
            if key in s:
                return joiner.join(self.type(x) for x in s[key]) + limits(s)
        if "const" in s:
            return value(s["const"])
        if "enum" in s:
            return "one of " + ", ".join(value(v) for v in s["enum"])
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
        return text + limits(s)

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
