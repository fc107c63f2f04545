"""Small pieces of the reference's HTML: escaped text, code spans, limits, values and ids.

Everything here escapes what it is given; callers pass values from the document as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from html import escape
from typing import Any

_LIMITS = (
    ("minLength", "maxLength", "characters"),
    ("minItems", "maxItems", "items"),
    ("minProperties", "maxProperties", "keys"),
    ("minimum", "maximum", ""),
)


def limits(s: dict[str, Any]) -> str:
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


def value(v: Any) -> str:
    return f"<code>{escape(v if isinstance(v, str) else json.dumps(v))}</code>"


def default(s: dict[str, Any]) -> str:
    return f"; default {value(s['default'])}" if "default" in s else ""


def described(text: str | None) -> str:
    return f" — {inline(text)}" if text else ""


_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def inline(text: str) -> str:
    """Escaped text, with ``code`` and `code` spans (as docstrings write them) as <code>."""
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f"<code>{escape(m.group(1) or m.group(2))}</code>")
        last = m.end()
    out.append(escape(text[last:]))
    return " ".join("".join(out).split())


def paragraphs(text: str) -> str:
    return "".join(f"<p>{inline(p)}</p>" for p in blocks(text))


def blocks(text: str) -> Iterable[str]:
    return (p for p in re.split(r"\n\s*\n", text) if p.strip())


def breakable(path: str) -> str:
    # Long paths wrap after a slash at phone width, not in the middle of a word.
    parts = escape(path).split("/")
    return "/".join(parts[:2]) + "".join(f"/<wbr>{part}" for part in parts[2:])


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def anchor(prefix: str, name: str) -> str:
    """An id (and fragment) that needs no escaping: only letters, digits, ``_`` and ``-``."""
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_-]', '_', name)}"


def tag_title(tag: str) -> str:
    # A link and a heading need words: an empty tag gets some.
    return tag[:1].upper() + tag[1:] if tag.strip() else "Untitled"


def scheme(s: dict[str, Any]) -> str:
    if s.get("type") == "http":
        return f"HTTP {s.get('scheme', '')}".strip()
    return str(s.get("type", ""))
