"""The reference's pages: the index (``/docs``), one page per tag, and the schemas."""

from __future__ import annotations

from html import escape
from typing import Any

from api.docs_pages.document import INDEX, SCHEMAS, Document
from api.docs_pages.links import Links
from api.docs_pages.parts import Parts
from api.docs_pages.text import paragraphs, tag_title

_CONVENTIONS = (
    "Request and response bodies are JSON unless a media type is named; "
    "path parameters are strings unless listed."
)


class Reference:
    """The pages for one OpenAPI document, each written when asked for.

    ``docs_href``, ``style_href`` and ``openapi_href`` are paths on this server: the index's
    (a page's is ``{docs_href}/{name}``), the stylesheet's and the document's.
    """

    def __init__(
        self, doc: dict[str, Any], *, docs_href: str, style_href: str, openapi_href: str
    ) -> None:
        self.d = Document(doc)
        self.docs_href = docs_href
        self.style_href = style_href
        self.openapi_href = openapi_href
        self.title = f"{self.d.info.get('title', 'API')} API reference"
        self._tags = {page: tag for tag, page in self.d.tag_pages.items()}
        described = [t for t in doc.get("tags", []) if isinstance(t, dict)]
        self._tag_texts = {str(t.get("name")): str(t.get("description") or "") for t in described}

    def pages(self) -> list[str]:
        """Every page's name, the index's (``""``) first."""
        return self.d.pages()

    def render(self, name: str) -> str | None:
        """The page ``name``, or None when there is no such page."""
        if name == INDEX:
            return self._index()
        if name == SCHEMAS and self.d.schema_defs:
            return self._schemas()
        tag = self._tags.get(name)
        return None if tag is None else self._tag(tag)

    # --- pages ------------------------------------------------------------------------------

    def _index(self) -> str:
        parts = Parts(self.d, self._links(INDEX))
        links = parts.links
        intro = [("errors", "Errors"), ("tokens", "Tokens")]
        if self.d.common:
            intro.append(("headers", "Headers"))
        toc = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in intro)
        toc += "".join(
            f'<li><a href="{links.page(self.d.tag_pages[tag])}">{escape(tag_title(tag))}</a><ol>'
            + "".join(f"<li>{parts.op_link(o)}</li>" for o in ops)
            + "</ol></li>"
            for tag, ops in self.d.groups.items()
        )
        if self.d.schema_defs:
            toc += f'<li><a href="{links.page(SCHEMAS)}">Schemas</a></li>'
        version = escape(str(self.d.info.get("version", "")))
        header = (
            f"<h1>{escape(self.title)} <small>{version}</small></h1>"
            f"{paragraphs(self.d.info.get('description', ''))}"
            f'<p>The same, for programs: <a href="{escape(self.openapi_href)}">openapi.json</a> '
            f"(OpenAPI 3.1). {_CONVENTIONS}</p>"
        )
        return self._shell(
            escape(self.title),
            header,
            f'<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>{toc}</ol></nav>'
            f'<main id="main">{parts.errors()}{parts.tokens()}{parts.headers()}</main>',
        )

    def _tag(self, tag: str) -> str:
        parts = Parts(self.d, self._links(self.d.tag_pages[tag]))
        ops = self.d.groups[tag]
        # An operation with several tags is written out under its first and linked from the rest.
        own = [o for o in ops if o.tags[0] == tag]
        elsewhere = [parts.op_link(o) for o in ops if o.tags[0] != tag]
        also = f"<p>Also in this group: {', '.join(elsewhere)}.</p>" if elsewhere else ""
        name = escape(tag_title(tag))
        header = (
            f"{self._nav(parts.links)}<h1>{name}</h1>"
            f"{paragraphs(self._tag_texts.get(tag, ''))}<p>{_CONVENTIONS}</p>"
        )
        main = also + "".join(parts.operation(o) for o in own)
        return self._shell(
            f"{name} · {escape(self.title)}", header, f'<main id="main">{main}</main>'
        )

    def _schemas(self) -> str:
        parts = Parts(self.d, self._links(SCHEMAS))
        header = (
            f"{self._nav(parts.links)}<h1>Schemas</h1>"
            "<p>Fields are required (in answers: always present) unless marked optional.</p>"
        )
        main = "".join(parts.schema(n, self.d.schema_defs[n]) for n in sorted(self.d.schema_defs))
        return self._shell(
            f"Schemas · {escape(self.title)}", header, f'<main id="main">{main}</main>'
        )

    # --- what every page has ----------------------------------------------------------------

    def _links(self, here: str) -> Links:
        return Links(self.docs_href, here)

    def _nav(self, links: Links) -> str:
        """Every page, for a reader who came to this one by a link: the index first."""
        names = [(INDEX, escape(self.title))]
        names += [(page, escape(tag_title(tag))) for tag, page in self.d.tag_pages.items()]
        if self.d.schema_defs:
            names.append((SCHEMAS, "Schemas"))
        items = "".join(
            f'<li><a href="{links.page(page)}"'
            + (' aria-current="page"' if page == links.here else "")
            + f">{text}</a></li>"
            for page, text in names
        )
        return f'<nav aria-label="Pages of the reference"><ol class="pages">{items}</ol></nav>'

    def _shell(self, page_title: str, header: str, body: str) -> str:
        """A page around its header and body, both already escaped."""
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{page_title}</title>"
            f'<link rel="stylesheet" href="{escape(self.style_href)}"></head><body>'
            '<a class="skip" href="#main">Skip to the reference</a>'
            f"<header>{header}</header>{body}</body></html>\n"
        )


__all__ = ["INDEX", "SCHEMAS", "Reference"]
