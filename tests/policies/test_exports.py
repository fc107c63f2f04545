"""Open-data formats: CSV that spreadsheets read in any script, BLT as STV counters read it."""

from __future__ import annotations

import csv
import io

from policies.exports import blt_bytes, csv_bytes


def test_csv_has_a_bom_a_header_and_quotes_what_needs_it() -> None:
    data = csv_bytes(
        ("name", "note"),
        [{"name": "Réseau des femmes, Dakar", "note": 'say "hi"'}, {"name": "شبكة", "note": None}],
    )
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [
        {"name": "Réseau des femmes, Dakar", "note": 'say "hi"'},
        {"name": "شبكة", "note": ""},
    ]


def test_blt_numbers_candidates_in_the_order_given() -> None:
    data = blt_bytes(
        'Forum "2027"',
        2,
        [("n-a", "Ana"), ("n-b", "Bello  Okafor"), ("n-c", "Chen")],
        [["n-b", "n-a"], ["n-c"], []],
    )
    assert data.decode() == (
        '3 2\n1 2 1 0\n1 3 0\n1 0\n0\n"Ana"\n"Bello Okafor"\n"Chen"\n"Forum \'2027\'"\n'
    )
