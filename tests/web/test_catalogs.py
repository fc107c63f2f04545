"""The translations: every catalog complete, none fuzzy or stale, every plural form filled, and
the helpers that pick the reader's language, names and dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.catalog import Catalog

from policies.regions import is_country
from web import i18n
from web.catalogs import extract

TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def template() -> Catalog:
    return extract()


def _texts(value: object) -> tuple[str, ...]:
    """A message's id or string, singular or plural, as a tuple of texts."""
    if isinstance(value, tuple | list):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


def _ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalog_is_up_to_date_with_the_code_and_templates(
    lang: str, template: Catalog
) -> None:
    """What `pybabel update --check` checks: no message the code uses is missing, none is left
    that nothing uses (run `pybabel extract` and `pybabel update`, see web/README.md)."""
    catalog = i18n.read_catalog(lang)
    missing = _ids(template) - _ids(catalog)
    unused = _ids(catalog) - _ids(template)
    assert not missing, f"{lang}: not in the catalog: {sorted(map(str, missing))}"
    assert not unused, f"{lang}: no longer used: {sorted(map(str, unused))}"
    assert not catalog.obsolete, f"{lang}: obsolete entries: {list(catalog.obsolete)}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_none_fuzzy_every_plural_form_filled(lang: str) -> None:
    catalog = i18n.read_catalog(lang)
    forms = i18n.plural_count(lang)
    assert catalog.num_plurals == forms  # the header's Plural-Forms is CLDR's
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
        source = _texts(message.id)
        wanted = {p for s in source for p in PLACEHOLDER.findall(s)} - {"num"}
        for s in strings:
            if s and not wanted <= set(PLACEHOLDER.findall(s)):
                problems.append(f"placeholders {sorted(wanted)} not all in {s!r}")
        copies += message.string == message.id
    assert not problems, f"{lang}:\n" + "\n".join(problems)
    # A few words are the same in both languages ("Organisations"); a catalog copied from the
    # English is not a translation.
    assert copies <= len(catalog) * 0.03, f"{lang}: {copies} messages are the English ones"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalogs_compile_and_translate_plurals_by_cldr_rules(lang: str) -> None:
    translations = i18n.translations(lang)
    one = "%(num)s organisation has signed."
    many = "%(num)s organisations have signed."
    seen = {translations.ngettext(one, many, n) for n in (0, 1, 2, 3, 11, 100, 1_000_000)}
    assert len(seen) == {"fr": 3, "es": 3, "ar": 6}[lang]  # every form is reached
    assert one not in seen
    assert many not in seen


def test_the_reader_language_is_the_choice_then_accept_language_then_english() -> None:
    assert i18n.negotiate("ar", "fr") == "ar"
    assert i18n.negotiate("xx", "fr-CA,fr;q=0.9") == "fr"
    assert i18n.negotiate(None, "de;q=1, es;q=0.7, ar;q=0.8") == "ar"
    assert i18n.negotiate(None, "es;q=0, fr;q=0.1") == "fr"
    assert i18n.negotiate(None, "de") == "en"
    assert i18n.negotiate(None, None) == "en"


def test_country_names_are_iso_3166_in_every_language() -> None:
    for lang in i18n.LANGUAGES:
        names = i18n.countries(lang)
        assert all(is_country(code) for code in names)
        assert not {"EU", "ZZ", "XK", "419", "UN"} & set(names)
        assert len(names) > 240
    assert i18n.countries("fr")["DE"] == "Allemagne"
    assert i18n.countries("ar")["MX"] == "المكسيك"
    assert i18n.countries("es")["US"] == "Estados Unidos"


def test_content_in_the_readers_language_else_english_else_the_first() -> None:
    texts = {"fr": "bonjour", "en": "hello", "ar": "مرحبا"}
    assert i18n.pick(texts, "ar") == ("ar", "مرحبا")
    assert i18n.pick(texts, "es") == ("en", "hello")
    assert i18n.pick({"fr": "bonjour", "ar": "مرحبا"}, "es") == ("ar", "مرحبا")


def test_dates_numbers_and_time_remaining_follow_cldr() -> None:
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    fr = i18n.Formatter("fr", None, now, i18n.countries("fr"))
    assert fr.relative(now + timedelta(days=3)) == "dans 3 jours"
    assert fr.number(1234567).replace("\u202f", " ") == "1 234 567"
    assert fr.date_time(now).endswith(" UTC")
    assert "mars" in fr.date_time(now)
    ar = i18n.Formatter("ar", None, now, i18n.countries("ar"))
    assert "3" in ar.relative(now + timedelta(days=3))
    assert "أيام" in ar.relative(now + timedelta(days=3))
    assert i18n.text_direction("ar") == "rtl"
    assert i18n.text_direction("es") == "ltr"
    assert fr.region("latin-america-and-the-caribbean") == "Amérique latine"
    assert fr.region("pacific-islands", "Pacific Islands") == "Pacific Islands"
