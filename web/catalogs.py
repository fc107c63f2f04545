"""Extracting the pages' messages, as ``pybabel extract -F web/babel.cfg -k N_`` does, to check
that the committed catalogs are complete and up to date (tests/web/test_catalogs.py)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

WEB = Path(__file__).parent
CONFIG = WEB / "babel.cfg"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def extract() -> Catalog:
    """Every message the code and templates use, as a template catalog."""
    with CONFIG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="Mandate")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(WEB), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog
