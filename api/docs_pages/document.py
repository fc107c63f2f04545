"""What the reference reads in an OpenAPI document: operations by tag, shared failures and
headers, and which page each tag gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.docs_pages.text import anchor, slug

METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
WRITES = ("post", "put", "patch", "delete")

# The pages that are not a tag's: the index (``/docs`` itself) and the schemas.
INDEX = ""
SCHEMAS = "schemas"

HeaderKey = tuple[str, str, str]


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    op: dict[str, Any]
    anchor: str

    @property
    def tags(self) -> list[str]:
        return list(self.op.get("tags") or ["other"])


class Document:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.info: dict[str, Any] = doc.get("info", {})
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
            name: anchor("e", "-".join(s))
            if s and by_status.count(tuple(s)) == 1
            else anchor("r", name)
            for name, s in self.statuses.items()
        }
        self.failure_contents = [r.get("content") for r in self.response_defs.values()]
        # The shared failures every write lists are written out once, not with each write.
        writes = [shared_failures(o.op) for o in self.ops if o.method in WRITES]
        common = set.intersection(*writes) if len(writes) > 1 else set()
        self.write_failures = sorted(common) if len(common) > 1 else []
        self.groups = _groups(self.ops)
        self.tag_pages = _tag_pages(self.groups)

    def page_of(self, o: Op) -> str:
        """The page an operation is written out on: its first tag's."""
        return self.tag_pages[o.tags[0]]

    def pages(self) -> list[str]:
        return [INDEX, *self.tag_pages.values(), *([SCHEMAS] if self.schema_defs else [])]


def _operations(doc: dict[str, Any]) -> list[Op]:
    ops: list[Op] = []
    taken: set[str] = set()
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            # Short anchors from the summary keep the pages small and links readable. They are
            # unique across the pages, so an operation keeps its fragment if it changes tag.
            base = anchor("op", slug(str(op.get("summary") or f"{method} {path}")))
            found, n = base, 1
            while found in taken:
                n += 1
                found = f"{base}-{n}"
            taken.add(found)
            ops.append(Op(method, path, op, found))
    return ops


def _groups(ops: list[Op]) -> dict[str, list[Op]]:
    """Operations by tag, in the order the document first names each tag."""
    found: dict[str, list[Op]] = {}
    for o in ops:
        for tag in o.tags:
            found.setdefault(tag, []).append(o)
    return found


def _tag_pages(groups: dict[str, list[Op]]) -> dict[str, str]:
    """Each tag's page name: its slug, unless another page has it already."""
    taken = {INDEX, SCHEMAS}
    pages: dict[str, str] = {}
    for tag in groups:
        base = slug(tag) or "tag"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        pages[tag] = name
    return pages


def shared_failures(op: dict[str, Any]) -> set[tuple[str, str]]:
    """(status, name) of each reusable response the operation refers to."""
    return {
        (status, r["$ref"].rsplit("/", 1)[1])
        for status, r in op.get("responses", {}).items()
        if str(r.get("$ref", "")).startswith("#/components/responses/")
    }


def _common_headers(ops: list[Op]) -> dict[HeaderKey, dict[str, Any]]:
    """Headers that several operations describe alike: described once, linked from each."""
    seen: dict[HeaderKey, list[dict[str, Any]]] = {}
    for o in ops:
        for p in o.op.get("parameters", []):
            if p.get("in") == "header":
                seen.setdefault(header_key(p), []).append(p)
        for response in o.op.get("responses", {}).values():
            for name, h in response.get("headers", {}).items():
                entry = {"name": name, "in": "response", **h}
                seen.setdefault(header_key(entry), []).append(entry)
    common: dict[HeaderKey, dict[str, Any]] = {}
    for key, found in seen.items():
        # One anchor per name: a name described two ways stays with its operations.
        if len(found) > 1 and all(name != key[1] for _, name, _ in common):
            common[key] = found[0]
    return common


def header_key(p: dict[str, Any]) -> HeaderKey:
    return (str(p.get("in")), str(p.get("name")), str(p.get("description")))


def plain_path_parameter(p: dict[str, Any]) -> bool:
    # The path names it already; listing every plain string id again only adds noise.
    schema = p.get("schema", {})
    plain = set(schema) <= {"type", "title"} and schema.get("type") == "string"
    return p.get("in") == "path" and plain and not p.get("description")
