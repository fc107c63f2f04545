"""The languages Mandate speaks, and which one a reader gets.

The reader's own choice comes first (a page's language cookie, an organisation's stored
language), then the request's Accept-Language, then English.
"""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT = "en"
LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar")
# Each language by its own name: how a reader finds theirs in a list.
NATIVE_NAMES: Mapping[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
}


def accepted(header: str) -> list[str]:
    """Accept-Language's tags, most wanted first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The reader's choice first, then Accept-Language, then English."""
    if chosen in LANGUAGES:
        return chosen
    for tag in accepted(accept_language or ""):
        base = tag.split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT


def known(lang: str | None) -> str:
    """A stored language, or English when none (or one no longer spoken) is stored."""
    return lang if lang in LANGUAGES else DEFAULT
