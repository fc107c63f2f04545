"""Links between the reference's pages: a fragment on the page being written, a path to
another page otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Links:
    base: str  # the index's path on this server (``/docs``, behind any proxy prefix)
    here: str  # the page being written

    def page(self, name: str) -> str:
        """A page's path, escaped for an attribute (page names are slugs)."""
        return escape(self.base) + (f"/{name}" if name else "")

    def to(self, name: str, fragment: str) -> str:
        """A place on a page; ``fragment`` is an id made by ``text.anchor``."""
        return f"#{fragment}" if name == self.here else f"{self.page(name)}#{fragment}"
