"""Regions: the UN M49 geoscheme by ISO 3166-1 code, and the rules a published region list keeps.

An organisation's ``region`` is a code from the list the secretariat publishes (stored by
``store.regions``). The default list is M49's five regions and their seventeen sub-regions,
each with its English name and its parent (a sub-region's region). Every country maps to one
sub-region and so to one region: an organisation that names no region gets its country's
region, and so does an outside organisation signing a campaign. Antarctica (AQ) has no M49
region and keeps its own name, without sub-regions; Taiwan (TW), which M49 does not list, is
counted in Eastern Asia.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from policies.errors import InvalidRegionList, UnknownCountry, UnknownRegion
from policies.messages import N_

# What a signatory record says its regions are: a member's region as its organisation's record
# holds it (a code of the published list), an outside organisation's by its country (M49).
REGION_SCHEME = "registry"
# Records made before organisations chose from a list: every region by country, M49.
M49_SCHEME = "un-m49"
REGION_SCHEMES = (M49_SCHEME, REGION_SCHEME)
UNKNOWN = "unknown"
CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_CODE = 64
MAX_NAME = 200
MAX_REGIONS = 500

# (code, English name, parent, countries), in M49's order.
_M49: tuple[tuple[str, str, str | None, str], ...] = (
    ("africa", "Africa", None, ""),
    ("northern-africa", "Northern Africa", "africa", "DZ EG LY MA SD TN EH"),
    (
        "sub-saharan-africa",
        "Sub-Saharan Africa",
        "africa",
        "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW "  # Eastern
        "AO CM CF TD CG CD GQ GA ST "  # Middle
        "BW SZ LS NA ZA "  # Southern
        "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG",  # Western
    ),
    ("americas", "Americas", None, ""),
    (
        "latin-america-and-the-caribbean",
        "Latin America and the Caribbean",
        "americas",
        "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI "
        "BZ CR SV GT HN MX NI PA "  # Central America
        "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE",  # South America
    ),
    ("northern-america", "Northern America", "americas", "BM CA GL PM US"),
    ("asia", "Asia", None, ""),
    ("central-asia", "Central Asia", "asia", "KZ KG TJ TM UZ"),
    ("eastern-asia", "Eastern Asia", "asia", "CN HK MO KP JP MN KR TW"),
    ("south-eastern-asia", "South-eastern Asia", "asia", "BN KH ID LA MY MM PH SG TH TL VN"),
    ("southern-asia", "Southern Asia", "asia", "AF BD BT IN IR MV NP PK LK"),
    (
        "western-asia",
        "Western Asia",
        "asia",
        "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE",
    ),
    ("europe", "Europe", None, ""),
    ("eastern-europe", "Eastern Europe", "europe", "BY BG CZ HU PL MD RO RU SK UA"),
    (
        "northern-europe",
        "Northern Europe",
        "europe",
        "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB",
    ),
    (
        "southern-europe",
        "Southern Europe",
        "europe",
        "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES",
    ),
    ("western-europe", "Western Europe", "europe", "AT BE FR DE LI LU MC NL CH"),
    ("oceania", "Oceania", None, ""),
    ("australia-and-new-zealand", "Australia and New Zealand", "oceania", "AU CX CC HM NZ NF"),
    ("melanesia", "Melanesia", "oceania", "FJ NC PG SB VU"),
    ("micronesia", "Micronesia", "oceania", "GU KI MH FM NR MP PW UM"),
    ("polynesia", "Polynesia", "oceania", "AS CK PF NU PN WS TK TO TV WF"),
    ("antarctica", "Antarctica", None, "AQ"),
)


@dataclass(frozen=True, slots=True)
class Region:
    """One entry of a region list: a code organisations use, its English name, its parent."""

    code: str
    name: str
    parent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "parent": self.parent}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Region:
        return cls(data["code"], data["name"], data.get("parent"))


DEFAULT_REGIONS: tuple[Region, ...] = tuple(Region(c, n, p) for c, n, p, _ in _M49)
# The M49 region (or Antarctica) of every country, and its sub-region where M49 gives one.
REGION_OF: dict[str, str] = {
    country: parent or code for code, _, parent, countries in _M49 for country in countries.split()
}
SUBREGION_OF: dict[str, str] = {
    country: code for code, _, parent, countries in _M49 if parent for country in countries.split()
}
REGIONS: tuple[str, ...] = tuple(sorted({r.code for r in DEFAULT_REGIONS if r.parent is None}))


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code in use."""
    return code in REGION_OF


def region_of(country: str) -> str:
    """The M49 region of ``country``; ``unknown`` for a code the table does not hold."""
    return REGION_OF.get(country, UNKNOWN)


def subregion_of(country: str) -> str | None:
    """The M49 sub-region of ``country``; None for Antarctica and for unknown codes."""
    return SUBREGION_OF.get(country)


def require_country(country: str) -> None:
    if not is_country(country):
        raise UnknownCountry(
            N_("country %(country)s is not an ISO 3166-1 alpha-2 code in use (e.g. MX, KE, FR)"),
            country=repr(country),
        )


def require_region(code: str, listed: Sequence[str], *, country: str | None = None) -> None:
    """Refuse a region that is not in the list in force, naming the codes that are.

    ``country`` is given when the region was not named but taken from the country.
    """
    if code in listed:
        return
    if country is not None:
        raise UnknownRegion(
            N_(
                "the region of country %(country)s (%(code)s) is not in the region list; name "
                "one; expected one of: %(listed)s"
            ),
            country=country,
            code=repr(code),
            listed=", ".join(listed),
        )
    raise UnknownRegion(
        N_("region %(code)s is not in the region list; expected one of: %(listed)s"),
        code=repr(code),
        listed=", ".join(listed),
    )


def check_region_list(regions: Sequence[Region]) -> None:
    """A list is published only if every code is unique and well formed, every entry is named,
    and every parent is an entry of the list (with no entry its own ancestor)."""
    problems: list[str] = []
    if not regions:
        problems.append("the list is empty")
    if len(regions) > MAX_REGIONS:
        problems.append(f"{len(regions)} entries; at most {MAX_REGIONS}")
    codes = [r.code for r in regions]
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            problems.append(f"code {code!r} appears more than once")
        seen.add(code)
        if len(code) > MAX_CODE or not CODE.match(code):
            problems.append(
                f"code {code!r} must be 1 to {MAX_CODE} lower-case letters and digits in "
                "words joined by '-' (e.g. 'northern-africa')"
            )
    parents = {r.code: r.parent for r in regions}
    for r in regions:
        if not r.name.strip() or len(r.name) > MAX_NAME:
            problems.append(f"{r.code!r} needs a name of 1 to {MAX_NAME} characters")
        if r.parent is not None and r.parent not in parents:
            problems.append(f"the parent {r.parent!r} of {r.code!r} is not in the list")
    problems.extend(_cycles(parents))
    if problems:
        # Each problem in English (they name codes and limits); the sentence around them not.
        raise InvalidRegionList(
            N_("the region list is refused: %(problems)s"), problems="; ".join(problems)
        )


def _cycles(parents: dict[str, str | None]) -> list[str]:
    found = []
    for code in parents:
        seen = {code}
        up = parents.get(code)
        while up is not None and up in parents:
            if up in seen:
                found.append(f"{code!r} is its own ancestor")
                break
            seen.add(up)
            up = parents[up]
    return found


def changes(old: Iterable[str], new: Iterable[str]) -> tuple[list[str], list[str]]:
    """The codes a new list adds and the ones it removes, each sorted."""
    before, after = set(old), set(new)
    return sorted(after - before), sorted(before - after)
