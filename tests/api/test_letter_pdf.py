"""A designation letter's PDF in each language: read back with pdfminer.six, the Arabic letter
holds its Arabic words, drawn with the joined (shaped) forms of the letters, right to left."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pdfminer.high_level import extract_text
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFStream, resolve1

from api.letter_pdf import letter_pdf
from api.letter_text import said
from i18n.catalogs import Catalogs
from mandate.settings import Settings
from policies.errors import ServiceUnavailable
from records.letter import letter_code, letter_hash
from store.letters import Letter

FONT = Settings().letter_font
BASE = "https://mandate.example.org"
STATEMENT = {
    "format": "mandate.letter/1",
    "round_id": "r-2027",
    "forum": "المنتدى العالمي للهجرة",
    "segments": [{"key": "opening", "title": "الجلسة الافتتاحية"}],
    "constituency_id": "c1",
    "criteria_hash": "ab" * 32,
    "criteria_version": 1,
    "method": "approval.phragmen",
    "seats": 1,
    "outcome_hash": "cd" * 32,
    "seat": 1,
    "nomination_id": "n1",
    "profile_commitment": "ef" * 32,
}
LETTER = Letter(
    statement=STATEMENT,
    code=letter_code(STATEMENT),
    hash=letter_hash(STATEMENT),
    constituency_name="المهاجرون والشتات",
    speaker_name="فاطمة الزهراء",
    profile="public",
    decided_at=datetime(2027, 3, 1, 12, tzinfo=UTC),
)
CATALOGS = Catalogs.load()
# Contextual forms (Arabic Presentation Forms-B): only a shaped text draws these glyphs.
SHAPED = range(0xFE70, 0xFF00)

pytestmark = pytest.mark.skipif(not FONT.is_file(), reason=f"no font at {FONT} (setup.sh)")


def _pdf(lang: str, letter: Letter = LETTER) -> bytes:
    return letter_pdf(said(letter, BASE, CATALOGS[lang]), lang, FONT)


def _embedded_glyphs(pdf: bytes) -> set[str]:
    doc = PDFDocument(PDFParser(io.BytesIO(pdf)))
    names: set[str] = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            obj = resolve1(doc.getobj(objid))
            if isinstance(obj, dict) and "FontFile2" in obj:
                stream = resolve1(obj["FontFile2"])
                assert isinstance(stream, PDFStream)
                names |= set(TTFont(io.BytesIO(stream.get_data())).getGlyphOrder())
    return names


def _presentation_forms(names: set[str]) -> set[str]:
    return {n for n in names if n.startswith("uni") and int(n[3:7], 16) in SHAPED}


def test_the_arabic_letter_holds_its_arabic_words_shaped() -> None:
    pdf = _pdf("ar")
    assert pdf.startswith(b"%PDF-")
    text = extract_text(io.BytesIO(pdf))
    # A PDF keeps the glyphs in the order they are drawn: right to left, each word reversed.
    for word in ("خطاب", "تعيين", "المنتدى", "فاطمة", "الزهراء", "المهاجرون", "الجولة"):
        assert word[::-1] in text, word
    assert LETTER.code in text
    assert str(STATEMENT["outcome_hash"]) in text.replace("\n", "")
    # Joined letters are drawn: initial, medial and final forms of the font, not the
    # isolated letters an unshaped text would use.
    forms = _presentation_forms(_embedded_glyphs(pdf))
    assert len(forms) >= 10, forms


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Designation letter", "has selected", "Letter code")),
        ("fr", ("Lettre de désignation", "a choisi", "Code de la lettre")),
        ("es", ("Carta de designación", "ha elegido", "Código de la carta")),
    ],
)
def test_the_letter_in_latin_script_languages(lang: str, words: tuple[str, ...]) -> None:
    text = extract_text(io.BytesIO(_pdf(lang)))
    flat = " ".join(text.split())
    for word in words:
        assert word in flat, (lang, word)
    assert LETTER.code in flat
    assert f"{BASE}/letters?code={LETTER.code}" in flat.replace(" ", "")


def test_an_erased_speaker_is_not_named_and_the_letter_says_why() -> None:
    erased = Letter(**{**LETTER.__dict__, "speaker_name": None, "profile": "erased"})
    flat = " ".join(extract_text(io.BytesIO(_pdf("en", erased))).split())
    assert "personal data erased" in flat
    assert "still verifies" in flat


def test_a_missing_font_is_said(tmp_path: Path) -> None:
    with pytest.raises(ServiceUnavailable, match="fonts-dejavu-core"):
        letter_pdf(said(LETTER, BASE), "en", tmp_path / "none.ttf")
