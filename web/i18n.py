"""Languages: the gettext catalogs, the reader's language, and CLDR dates, numbers and names.

The catalogs are the committed ``.po`` files (``web/locale/<lang>/LC_MESSAGES/messages.po``),
compiled in memory at startup: no binary is committed. English is the source language, so it
needs no catalog.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.messages.catalog import Catalog
from babel.numbers import format_decimal, format_percent

from i18n import catalogs
from i18n.languages import DEFAULT as DEFAULT  # the API's and the mail's languages too
from i18n.languages import LANGUAGES as LANGUAGES
from i18n.languages import NATIVE_NAMES as NATIVE_NAMES
from i18n.languages import negotiate as negotiate
from policies.regions import is_country

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalog_path(lang: str) -> Path:
    return catalogs.catalog_path(lang, LOCALE_DIR, DOMAIN)


def read_catalog(lang: str) -> Catalog:
    return catalogs.read_catalog(lang, LOCALE_DIR, DOMAIN)


def translations(lang: str) -> gettext.NullTranslations:
    """The language's messages: its ``.po`` compiled to a ``.mo`` in memory (fuzzy left out)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return catalogs.compiled(read_catalog(lang))


# The default (UN M49) region codes by their CLDR territory codes, for their names in every
# language; a region the secretariat added is shown by the name it was published with.
M49_TERRITORIES: Mapping[str, str] = {
    "africa": "002",
    "northern-africa": "015",
    "sub-saharan-africa": "202",
    "americas": "019",
    "latin-america-and-the-caribbean": "419",
    "northern-america": "021",
    "asia": "142",
    "central-asia": "143",
    "eastern-asia": "030",
    "south-eastern-asia": "035",
    "southern-asia": "034",
    "western-asia": "145",
    "europe": "150",
    "eastern-europe": "151",
    "northern-europe": "154",
    "southern-europe": "039",
    "western-europe": "155",
    "oceania": "009",
    "australia-and-new-zealand": "053",
    "melanesia": "054",
    "micronesia": "057",
    "polynesia": "061",
    "antarctica": "AQ",
}


def countries(lang: str) -> dict[str, str]:
    """ISO 3166-1 codes in use, by their name in the language, sorted by name. CLDR's list
    also holds regions and placeholders (EU, XK, ZZ, 419...): those are left out."""
    names = Locale.parse(lang).territories
    found = {code: str(name) for code, name in names.items() if is_country(code)}
    return dict(sorted(found.items(), key=lambda item: item[1].casefold()))


T = TypeVar("T")


def pick(texts: Mapping[str, T], lang: str) -> tuple[str, T]:
    """What people wrote, in the reader's language if it exists, else English, else the first
    language by tag; with the language it is in (pages mark it with a ``lang`` attribute)."""
    for candidate in (lang, DEFAULT):
        if candidate in texts:
            return candidate, texts[candidate]
    first = min(texts)
    return first, texts[first]


@dataclass(frozen=True)
class Formatter:
    """Dates, numbers and names for one reader: their language and, if they chose one, time
    zone (without one, times are in UTC and say so)."""

    lang: str
    zone: ZoneInfo | None
    now: datetime
    country_names: Mapping[str, str]

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    @property
    def zone_label(self) -> str:
        return "UTC" if self.zone is None else self.zone.key

    def number(self, value: int | float | str) -> str:
        return format_decimal(value, locale=self.lang)

    def percent(self, share: float) -> str:
        """A share (0.5 for half) as a percentage, in the language's own way (50 %, ٥٠٪...)."""
        return format_percent(share, locale=self.lang)

    def date(self, value: datetime) -> str:
        return format_skeleton("yMMMd", value, tzinfo=self._zone, locale=self.lang)

    def day(self, iso_day: str) -> str:
        """A day given as YYYY-MM-DD (as signed records give it), in the reader's words."""
        try:
            found = date.fromisoformat(iso_day)
        except ValueError:
            return iso_day
        return format_date(found, "medium", locale=self.lang)

    def date_time(self, value: datetime) -> str:
        """Date and time in the reader's zone, followed by the zone's name."""
        day = self.date(value)
        time = format_skeleton("Hm", value, tzinfo=self._zone, locale=self.lang)
        pattern = str(self.locale.datetime_formats["medium"])
        return f"{pattern.replace('{1}', day).replace('{0}', time)} {self.zone_label}"

    def relative(self, value: datetime) -> str:
        """How far from now, in words: "in 3 days", "2 hours ago"."""
        return format_timedelta(value - self.now, add_direction=True, locale=self.lang)

    def country(self, code: str) -> str:
        return self.country_names.get(code, code)

    def region(self, code: str, name: str | None = None) -> str:
        """A region's name in the reader's language (CLDR), else as published."""
        territory = M49_TERRITORIES.get(code)
        if territory is not None:
            return str(self.locale.territories.get(territory, name or code))
        return name or code

    @property
    def _zone(self) -> ZoneInfo:
        return self.zone or ZoneInfo("UTC")


def text_direction(lang: str) -> str:
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


def plural_count(lang: str) -> int:
    """How many plural forms the language's catalog must fill (CLDR, as Babel writes them)."""
    return Catalog(locale=lang).num_plurals


def filled_plurals(message_strings: Sequence[str]) -> bool:
    return all(s.strip() for s in message_strings)
