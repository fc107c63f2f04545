"""The translations of the API's messages and of the mail: ``locale/<lang>/LC_MESSAGES/
mandate.po``, compiled in memory (no binary is committed). English is the source language,
so it needs no catalog.

The messages are extracted from the packages below the pages (``SOURCES``), as
``pybabel extract`` would with the keywords ``N_`` and ``NP_`` (policies/messages.py) besides
gettext's own; tests/test_catalogs.py checks that the committed catalogs hold every one of
them, translated. To update them after changing messages::

    .venv/bin/python -m i18n.catalogs > /tmp/mandate.pot
    .venv/bin/pybabel update -i /tmp/mandate.pot -d i18n/locale -D mandate \\
        --ignore-obsolete --no-fuzzy-matching -w 100
"""

from __future__ import annotations

import gettext
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from i18n.languages import DEFAULT, LANGUAGES

HERE = Path(__file__).parent
ROOT = HERE.parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "mandate"
# The packages whose messages the API and the mail say (web/ has its own catalog).
SOURCES: tuple[str, ...] = (
    "policies",
    "records",
    "store",
    "activities",
    "workflows",
    "api",
    "i18n",
)
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "NP_": (1, 2)}


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(lang: str, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> Catalog:
    with catalog_path(lang, locale_dir, domain).open("rb") as f:
        return read_po(f, locale=lang, domain=domain)


def compiled(catalog: Catalog) -> gettext.GNUTranslations:
    """A ``.po`` catalog as gettext reads a ``.mo``, compiled in memory (fuzzy left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Catalogs:
    """Every language's translations, compiled once (``load``) and passed to whoever speaks."""

    by_lang: Mapping[str, gettext.NullTranslations]

    @classmethod
    def load(cls, locale_dir: Path = LOCALE_DIR, domain: str = DOMAIN) -> Catalogs:
        return cls(
            {
                lang: gettext.NullTranslations()
                if lang == DEFAULT
                else compiled(read_catalog(lang, locale_dir, domain))
                for lang in LANGUAGES
            }
        )

    @classmethod
    def english(cls) -> Catalogs:
        """No translations: every language reads English (tests, tools)."""
        return cls({})

    def __getitem__(self, lang: str) -> gettext.NullTranslations:
        """The language's translations; English for a language Mandate does not speak."""
        return self.by_lang.get(lang) or gettext.NullTranslations()


def extract() -> Catalog:
    """Every message the ``SOURCES`` say, as a template catalog."""
    catalog = Catalog(project="Mandate", domain=DOMAIN)
    method_map = [("**.py", "python")]
    for source in SOURCES:
        found = extract_from_dir(
            str(ROOT / source), method_map, {}, keywords=KEYWORDS, strip_comment_tags=True
        )
        for filename, lineno, message, comments, context in found:
            where = f"{source}/{filename}"
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


if __name__ == "__main__":
    write_po(sys.stdout.buffer, extract(), sort_output=True, width=100, no_location=True)
