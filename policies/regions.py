"""Which region a country belongs to: the UN M49 geoscheme's five regions, by ISO 3166-1 code.

Signatory lists count signatories by region. An outside organisation gives only its country,
and member organisations' own ``region`` labels are each constituency's choice, so every
signatory's region comes from this one published table. Antarctica (AQ) has no M49 region and
keeps its own name; Taiwan (TW), which M49 does not list, is counted in Asia.
"""

from __future__ import annotations

REGION_SCHEME = "un-m49"
UNKNOWN = "unknown"

_BY_REGION = {
    "africa": (
        "DZ EG LY MA SD TN EH "  # Northern Africa
        "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW "  # Eastern
        "AO CM CF TD CG CD GQ GA ST "  # Middle
        "BW SZ LS NA ZA "  # Southern
        "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG"  # Western
    ),
    "americas": (
        "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI "
        "BZ CR SV GT HN MX NI PA "  # Central America
        "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE "  # South America
        "BM CA GL PM US"  # Northern America
    ),
    "asia": (
        "KZ KG TJ TM UZ "  # Central
        "CN HK MO KP JP MN KR TW "  # Eastern
        "BN KH ID LA MY MM PH SG TH TL VN "  # South-eastern
        "AF BD BT IN IR MV NP PK LK "  # Southern
        "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE"  # Western
    ),
    "europe": (
        "BY BG CZ HU PL MD RO RU SK UA "  # Eastern
        "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB "  # Northern
        "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES "  # Southern
        "AT BE FR DE LI LU MC NL CH"  # Western
    ),
    "oceania": (
        "AU CX CC HM NZ NF "  # Australia and New Zealand
        "FJ NC PG SB VU "  # Melanesia
        "GU KI MH FM NR MP PW UM "  # Micronesia
        "AS CK PF NU PN WS TK TO TV WF"  # Polynesia
    ),
    "antarctica": "AQ",
}

REGION_OF: dict[str, str] = {
    code: region for region, codes in _BY_REGION.items() for code in codes.split()
}
REGIONS: tuple[str, ...] = tuple(sorted(_BY_REGION))


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code in use."""
    return code in REGION_OF


def region_of(country: str) -> str:
    """The M49 region of ``country``; ``unknown`` for a code the table does not hold."""
    return REGION_OF.get(country, UNKNOWN)
