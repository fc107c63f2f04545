"""Campaign rules: the window and its extension, milestones, eligibility, statement
versions, organisation keys, counts and the words of the mail."""

from __future__ import annotations

import gettext
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies import notices
from policies.campaigns import (
    CampaignPhase,
    Signers,
    Window,
    check_eligibility,
    check_milestones,
    crossed,
    extend_close,
    validate_publishable,
)
from policies.errors import InvalidExtension, InvalidInput, InvalidSchedule, WrongPhase
from policies.regions import REGION_OF, REGIONS, is_country, region_of
from policies.signatories import Signatory, counts, in_order, normalise_name, organisation_key
from policies.statement import statement_document

T0 = datetime(2027, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = Window(T0, T0 + 24 * HOUR)


def test_a_window_must_close_after_it_opens_and_not_be_over() -> None:
    with pytest.raises(InvalidSchedule, match="close after it opens"):
        validate_publishable(Window(T0, T0), T0 - HOUR)
    with pytest.raises(InvalidSchedule, match="already be closed"):
        validate_publishable(WINDOW, T0 + 25 * HOUR)
    with pytest.raises(InvalidSchedule, match="time zone"):
        validate_publishable(Window(T0.replace(tzinfo=None), T0 + HOUR), T0)
    validate_publishable(WINDOW, T0 + HOUR)  # open already: it opens at once


@pytest.mark.parametrize(
    ("phase", "new_at", "now", "error", "words"),
    [
        (CampaignPhase.DRAFT, T0 + 30 * HOUR, T0, WrongPhase, "draft"),
        (CampaignPhase.CLOSED, T0 + 30 * HOUR, T0, InvalidExtension, "closed"),
        (CampaignPhase.CONCLUDED, T0 + 30 * HOUR, T0, InvalidExtension, "concluded"),
        (CampaignPhase.OPEN, T0 + 30 * HOUR, T0 + 25 * HOUR, InvalidExtension, "closed at"),
        (CampaignPhase.OPEN, T0 + HOUR, T0 + 2 * HOUR, InvalidExtension, "in the past"),
        (CampaignPhase.OPEN, T0 + 20 * HOUR, T0, InvalidExtension, "later than"),
    ],
)
def test_refused_extensions_say_why(
    phase: CampaignPhase, new_at: datetime, now: datetime, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        extend_close(WINDOW, phase, new_at, now)


def test_an_extension_moves_only_the_close() -> None:
    moved = extend_close(WINDOW, CampaignPhase.PUBLISHED, T0 + 48 * HOUR, T0 - HOUR)
    assert moved == Window(T0, T0 + 48 * HOUR)


def test_milestones_are_checked_and_each_is_crossed_once() -> None:
    assert check_milestones([100, 50]) == (50, 100)
    for bad in ([0], [True], [50, 50], list(range(1, 30)), [10**7]):
        with pytest.raises(InvalidInput):
            check_milestones(bad)
    assert crossed((50, 100), 49, []) == []
    assert crossed((50, 100), 120, []) == [50, 100]  # one write may cross two
    assert crossed((50, 100), 120, [50]) == [100]
    assert crossed((50, 100), 10, [50]) == []  # withdrawals never un-reach one


@given(st.lists(st.integers(1, 1000), unique=True, max_size=20), st.integers(0, 1200))
def test_crossing_in_steps_reaches_the_same_milestones_once(
    milestones: list[int], count: int
) -> None:
    ordered = check_milestones(milestones)
    reached: list[int] = []
    for n in range(count + 1):
        reached += crossed(ordered, n, reached)
    assert reached == [m for m in ordered if m <= count]


def test_who_may_sign() -> None:
    check_eligibility(Signers.ANY, [])
    check_eligibility(Signers.MEMBERS, ["c1"])
    with pytest.raises(InvalidInput, match="at least one constituency"):
        check_eligibility(Signers.MEMBERS, [])
    with pytest.raises(InvalidInput, match="only when signers"):
        check_eligibility(Signers.ANY, ["c1"])
    with pytest.raises(InvalidInput, match="once"):
        check_eligibility(Signers.MEMBERS, ["c1", "c1"])


def test_statement_versions_chain() -> None:
    texts = {"en": {"title": "T", "text": "X"}}
    first = statement_document(
        campaign_id="c", version=1, texts=texts, previous_hash=None, reason=None
    )
    assert first["format"] == "mandate.statement/1"
    with pytest.raises(InvalidInput):
        statement_document(campaign_id="c", version=2, texts=texts, previous_hash=None, reason="r")
    with pytest.raises(InvalidInput):
        statement_document(campaign_id="c", version=1, texts=texts, previous_hash="a", reason=None)
    with pytest.raises(InvalidInput, match="title and a text"):
        statement_document(
            campaign_id="c",
            version=1,
            texts={"en": {"title": "T"}},
            previous_hash=None,
            reason=None,
        )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Red de Migrantes", "  RED   de migrantes  "),
        ("Confédération Générale", "confederation generale"),
        ("Straße e.V.", "strasse e v"),
        ("Syndicat-des-Travailleurs", "syndicat des travailleurs"),
        ("ＵＮＩＯＮ", "union"),  # full-width forms
    ],
)
def test_one_organisation_however_its_name_is_typed(a: str, b: str) -> None:
    assert organisation_key(a, "SN") == organisation_key(b, "sn")


def test_another_country_or_name_is_another_organisation() -> None:
    assert organisation_key("Red", "MX") != organisation_key("Red", "GT")
    assert organisation_key("Red 1", "MX") != organisation_key("Red 2", "MX")
    with pytest.raises(InvalidInput, match="no letters or digits"):
        organisation_key("-- !! --", "MX")


@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(unicodedata.combining(ch) for ch in once)


@given(st.text(alphabet=st.characters(categories=("Lu", "Ll")), min_size=1, max_size=30))
def test_case_never_makes_another_organisation(name: str) -> None:
    assert normalise_name(name.upper()) == normalise_name(name.lower())


def test_regions_cover_every_iso_country_once() -> None:
    assert len(REGION_OF) == 249
    assert set(REGION_OF.values()) == set(REGIONS)
    assert (region_of("KE"), region_of("BR"), region_of("FJ"), region_of("AQ")) == (
        "africa",
        "americas",
        "oceania",
        "antarctica",
    )
    assert region_of("XX") == "unknown"
    assert not is_country("UK")  # GB is the code


def test_counts_and_order() -> None:
    lines = [
        Signatory("s2", "Zeta Union", "KE", "trade_union", "africa", "2027-03-01", 1),
        Signatory("s1", "alpha network", "BR", "network", "americas", "2027-03-02", 2),
        Signatory("s3", "Beta", "KE", "trade_union", "africa", "2027-03-02", 2),
    ]
    assert [s.signature_id for s in in_order(lines)] == ["s1", "s3", "s2"]
    assert counts(lines) == {
        "total": 3,
        "by_region": {"africa": 2, "americas": 1},
        "by_type": {"network": 1, "trade_union": 2},
        "by_version": {"1": 1, "2": 2},
    }


def test_no_mail_asks_to_open_a_link_to_confirm() -> None:
    subject, body = notices.confirmation(
        gettext.NullTranslations(),
        title="T",
        signature_id="sig",
        organisation="Org",
        code="012345",
        api_url="https://m.example.org",
        valid_for=timedelta(hours=24),
    )
    # The code is in the body only: subjects stay in the delivery log, which managers read.
    assert "012345" not in subject
    assert "\n    012345\n" in body
    assert "the address given" in body
    assert "POST https://m.example.org/v1/signatures/sig/confirmation" in body
    assert "does not confirm" in body
    assert "The code is valid for 24 hours." in body
    assert (
        notices.campaign_title({"fr": {"title": "F", "text": ""}, "ar": {"title": "A", "text": ""}})
        == "A"
    )
