"""The region list: the default M49 table (country → sub-region → region) and the rules every
published list keeps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.errors import InvalidRegionList, UnknownCountry, UnknownRegion
from policies.regions import (
    DEFAULT_REGIONS,
    REGION_OF,
    SUBREGION_OF,
    Region,
    check_region_list,
    region_of,
    require_country,
    require_region,
    subregion_of,
)

BY_CODE = {r.code: r for r in DEFAULT_REGIONS}
TOP = ("africa", "americas", "antarctica", "asia", "europe", "oceania")


def test_the_default_list_is_m49_regions_and_sub_regions() -> None:
    check_region_list(DEFAULT_REGIONS)
    assert tuple(sorted(r.code for r in DEFAULT_REGIONS if r.parent is None)) == TOP
    subs = [r for r in DEFAULT_REGIONS if r.parent is not None]
    assert len(subs) == 17
    assert all(BY_CODE[r.parent].parent is None for r in subs if r.parent)
    assert BY_CODE["latin-america-and-the-caribbean"] == Region(
        "latin-america-and-the-caribbean", "Latin America and the Caribbean", "americas"
    )
    assert BY_CODE["sub-saharan-africa"].name == "Sub-Saharan Africa"


def test_every_country_has_one_sub_region_inside_its_region() -> None:
    assert len(REGION_OF) == 249
    assert set(SUBREGION_OF) == set(REGION_OF) - {"AQ"}
    for country, sub in SUBREGION_OF.items():
        assert BY_CODE[sub].parent == region_of(country), country
    assert [subregion_of(c) for c in ("MX", "US", "KE", "EG", "TW", "FJ", "GB", "AQ", "ZZ")] == [
        "latin-america-and-the-caribbean",
        "northern-america",
        "sub-saharan-africa",
        "northern-africa",
        "eastern-asia",
        "melanesia",
        "northern-europe",
        None,
        None,
    ]
    assert region_of("MX") == "americas"


def test_an_unknown_region_is_refused_with_the_codes_in_force() -> None:
    codes = [r.code for r in DEFAULT_REGIONS]
    require_region("americas", codes)
    with pytest.raises(UnknownRegion) as refused:
        require_region("latam", codes)
    assert refused.value.code == "unknown_region"
    assert "region 'latam' is not in the region list" in refused.value.detail
    assert "expected one of: africa, northern-africa, sub-saharan-africa, americas" in (
        refused.value.detail
    )
    with pytest.raises(UnknownRegion, match="the region of country MX \\('americas'\\)"):
        require_region("americas", ["africa"], country="MX")


def test_a_country_must_be_a_code_in_use() -> None:
    require_country("MX")
    for code in ("ZZ", "UK", "mx", "XX"):
        with pytest.raises(UnknownCountry, match=repr(code)):
            require_country(code)


@pytest.mark.parametrize(
    ("regions", "problem"),
    [
        ([], "the list is empty"),
        ([Region("asia", "Asia"), Region("asia", "Asie")], "code 'asia' appears more than once"),
        ([Region("Asia", "Asia")], "code 'Asia' must be 1 to 64 lower-case letters"),
        ([Region("a--b", "A")], "code 'a--b' must be"),
        ([Region("asia", " ")], "'asia' needs a name"),
        (
            [Region("central-asia", "Central Asia", "asia")],
            "the parent 'asia' of 'central-asia' is not in the list",
        ),
        ([Region("a", "A", "b"), Region("b", "B", "a")], "'a' is its own ancestor"),
        ([Region("a", "A", "a")], "'a' is its own ancestor"),
    ],
)
def test_a_list_that_breaks_a_rule_is_refused(regions: list[Region], problem: str) -> None:
    with pytest.raises(InvalidRegionList) as refused:
        check_region_list(regions)
    assert refused.value.code == "invalid_region_list"
    assert problem in refused.value.detail


@given(st.sets(st.sampled_from([r.code for r in DEFAULT_REGIONS])))
def test_a_part_of_the_default_list_is_valid_exactly_when_it_keeps_every_parent(
    kept: set[str],
) -> None:
    part = [r for r in DEFAULT_REGIONS if r.code in kept]
    orphans = [r for r in part if r.parent is not None and r.parent not in kept]
    if part and not orphans:
        check_region_list(part)
    else:
        with pytest.raises(InvalidRegionList):
            check_region_list(part)
