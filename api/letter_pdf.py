"""A designation letter as a PDF (fpdf2), in any of the four languages: the text is shaped by
HarfBuzz (uharfbuzz), so Arabic is joined and laid right to left, in one font with Latin and
Arabic glyphs (``MANDATE_LETTER_FONT``, DejaVu Sans by default)."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from api.letter_text import Said
from i18n.languages import DEFAULT
from policies.errors import ServiceUnavailable
from policies.messages import N_

FONT = "letter"
RTL_LANGUAGES = frozenset({"ar"})
MARGIN = 20  # mm


def letter_pdf(said: Said, lang: str, font: Path) -> bytes:
    """The letter's PDF, in ``lang`` (Arabic right to left)."""
    if not font.is_file():
        raise ServiceUnavailable(
            N_(
                "the designation letters' font %(path)s is missing: install Debian's "
                "fonts-dejavu-core, or set MANDATE_LETTER_FONT to a font with Latin and "
                "Arabic glyphs"
            ),
            path=str(font),
        )
    rtl = lang in RTL_LANGUAGES
    align = "R" if rtl else "L"
    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_lang(lang or DEFAULT)
    pdf.set_title(said.title)
    pdf.set_creator("Mandate")
    pdf.add_font(FONT, fname=str(font))
    pdf.set_text_shaping(
        use_shaping_engine=True, direction="rtl" if rtl else "ltr", language=lang or DEFAULT
    )
    pdf.add_page()

    def para(text: str, size: float, height: float, after: float = 0) -> None:
        pdf.set_font(FONT, size=size)
        pdf.multi_cell(0, height, text, align=align, new_x="LMARGIN", new_y="NEXT")
        if after:
            pdf.ln(after)

    para(said.title, 20, 10, 6)
    for paragraph in said.paragraphs:
        para(paragraph, 11, 6, 3)
    pdf.ln(4)
    for label, value, _ in said.details:
        para(label, 9, 5)
        para(value, 10, 5.5, 2)
    return bytes(pdf.output())
