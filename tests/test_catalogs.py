"""The translations of the API's error details and of the mail (i18n/locale): every catalog
complete and up to date with the code, none fuzzy, every plural form filled, every placeholder
kept, and each language really its own (tests/web/test_catalogs.py checks the pages' catalog
the same way)."""

from __future__ import annotations

import gettext
import re
from datetime import timedelta

import pytest
from babel.messages.catalog import Catalog

from i18n import catalogs
from i18n.catalogs import Catalogs, extract, read_catalog
from i18n.languages import DEFAULT, LANGUAGES, negotiate
from policies import notices
from policies.messages import NP_, Message, render

TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


def test_the_sources_say_hundreds_of_messages(template: Catalog) -> None:
    """The extraction reads the packages below the pages (a broken keyword would find none)."""
    ids = _ids(template)
    assert len(ids) > 300
    assert "no round with id %(round_id)s" in ids  # store/, N_
    assert ("%(n)s seat", "%(n)s seats") in ids  # policies/, NP_
    assert "Your confirmation code is:" in ids  # the mail, policies/notices.py


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalog_is_up_to_date_with_the_code(lang: str, template: Catalog) -> None:
    """No message the code says is missing, none is left that nothing says (update the
    catalogs as i18n/catalogs.py says)."""
    catalog = read_catalog(lang)
    missing = _ids(template) - _ids(catalog)
    unused = _ids(catalog) - _ids(template)
    assert not missing, f"{lang}: not in the catalog: {sorted(map(str, missing))}"
    assert not unused, f"{lang}: no longer used: {sorted(map(str, unused))}"
    assert not catalog.obsolete, f"{lang}: obsolete entries: {list(catalog.obsolete)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_none_fuzzy_every_plural_form_filled(lang: str) -> None:
    catalog = read_catalog(lang)
    forms = Catalog(locale=lang).num_plurals
    assert catalog.num_plurals == forms  # the header's Plural-Forms is CLDR's
    assert not catalog.fuzzy, f"{lang}: the header is fuzzy"
    problems = []
    copies = 0
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        strings = _texts(message.string)
        if isinstance(message.id, tuple) and len(strings) != forms:
            problems.append(f"{len(strings)} of {forms} plural forms: {message.id!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        # Every parameter is said in every form, and none that the code does not give.
        wanted = {p for s in _texts(message.id) for p in PLACEHOLDER.findall(s)}
        for s in strings:
            if s and set(PLACEHOLDER.findall(s)) != wanted:
                problems.append(f"placeholders {sorted(wanted)} differ in {s!r}")
        if lang == "ar" and not all(ARABIC.search(s) for s in strings):
            problems.append(f"not Arabic: {strings!r}")
        copies += message.string == message.id
    problems += [f"{m.id!r}: {errors}" for m, errors in catalog.check()]
    assert not problems, f"{lang}:\n" + "\n".join(problems)
    assert copies <= len(catalog) * 0.03, f"{lang}: {copies} messages are the English ones"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogs_compile_and_reach_every_cldr_plural_form(lang: str) -> None:
    said = Catalogs.load()[lang]
    seats = NP_("%(n)s seat", "%(n)s seats")
    seen = {render(seats, {"n": n}, said) for n in (0, 1, 2, 3, 11, 100, 1_000_000)}
    assert len(seen) == {"fr": 7, "es": 7, "ar": 7}[lang]  # each number its own text
    assert isinstance(said, gettext.GNUTranslations)
    plural = getattr(said, "plural")  # noqa: B009 (typeshed leaves it out)
    forms = {plural(n) for n in (0, 1, 2, 3, 11, 100, 1_000_000)}
    assert len(forms) == {"fr": 3, "es": 3, "ar": 6}[lang]  # CLDR's rules, compiled
    assert "1 seat" not in seen


def test_english_needs_no_catalog_and_an_unknown_language_reads_english() -> None:
    loaded = Catalogs.load()
    message = Message("no round with id %(round_id)s")
    assert render(message, {"round_id": "r1"}, loaded["en"]) == "no round with id r1"
    assert render(message, {"round_id": "r1"}, loaded["de"]) == "no round with id r1"
    assert render(message, {"round_id": "r1"}, loaded["fr"]) == "aucun cycle n’a l’identifiant r1"
    assert set(loaded.by_lang) == set(LANGUAGES)
    assert catalogs.DOMAIN == "mandate"


def test_a_translation_that_does_not_fit_its_parameters_reads_english() -> None:
    class Broken:
        def gettext(self, message: str, /) -> str:
            return "%(nope)s"

        def ngettext(self, singular: str, plural: str, n: int, /) -> str:
            return "%(nope)s"

    message = Message("no round with id %(round_id)s")
    assert render(message, {"round_id": "r1"}, Broken()) == "no round with id r1"


def test_the_language_is_the_choice_then_accept_language_then_english() -> None:
    assert negotiate("ar", "fr") == "ar"
    assert negotiate(None, "es-MX,es;q=0.9,en;q=0.5") == "es"
    assert negotiate(None, "de, fr;q=0.3") == "fr"
    assert negotiate("xx", "de") == "en"
    assert negotiate(None, None) == "en"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_mail_is_said_in_the_recipients_language(lang: str) -> None:
    said = Catalogs.load()[lang]
    subject, body = notices.confirmation(
        said,
        title="Déclaration",
        signature_id="sig",
        organisation="Red de Migrantes",
        code="012345",
        api_url="https://m.example.org",
        valid_for=timedelta(hours=2),
        registered=True,
    )
    assert "Déclaration" in subject
    assert "confirmation code" not in subject
    assert "\n    012345\n" in body  # the code on a line of its own, as the English has it
    assert "    POST https://m.example.org/v1/signatures/sig/confirmation\n" in body
    assert "Opening this message" not in body
    assert {"fr": "2 heures", "es": "2 horas", "ar": "ساعتان"}[lang] in body
    mails = [
        (subject, body),
        notices.milestone(
            said, title="T", threshold=100, count=101, api_url="https://m", campaign_id="c"
        ),
        notices.closed(
            said,
            title="T",
            counts={"total": 2, "by_region": {"africa": 2}},
            record_hash="ab" * 32,
            api_url="https://m",
            campaign_id="c",
        ),
        notices.new_version(
            said,
            title="T",
            organisation="Org",
            signed_version=1,
            version=2,
            reason="a typo",
            api_url="https://m",
            campaign_id="c",
            signature_id="s",
        ),
    ]
    english = notices.milestone(
        gettext.NullTranslations(),
        title="T",
        threshold=100,
        count=101,
        api_url="https://m",
        campaign_id="c",
    )
    assert english[0] == "\u201cT\u201d has 100 signatories"
    for mail_subject, mail_body in mails:
        assert mail_subject not in (english[0], "")
        for line in mail_body.splitlines():
            assert not line.startswith(("The ", "Your ", "Read every", "Someone")), line
        if lang == "ar":
            assert ARABIC.search(mail_subject)
            assert ARABIC.search(mail_body)
