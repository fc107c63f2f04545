"""Open-data file formats: CSV for spreadsheets and BLT for ranked ballots.

CSV: UTF-8 with a byte-order mark, so that spreadsheet programs read French, Spanish and
Arabic names right; one header row; RFC 4180 quoting. BLT: the ballot file format of OpenSTV,
Loomio and most STV counters::

    <candidates> <seats>
    1 <preferences as candidate numbers, first choice first> 0    (one line per ballot)
    0
    "<candidate 1 name>"
    ...
    "<title>"

Candidates are numbered from 1 in the order given (the export gives them in id order).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

CSV_BOM = "\ufeff"


def csv_bytes(columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return (CSV_BOM + out.getvalue()).encode("utf-8")


def blt_bytes(
    title: str,
    seats: int,
    candidates: Sequence[tuple[str, str]],
    rankings: Iterable[Sequence[str]],
) -> bytes:
    """``candidates`` as (id, name), ``rankings`` as candidate ids, first choice first."""
    number = {cid: n for n, (cid, _) in enumerate(candidates, start=1)}
    lines = [f"{len(candidates)} {seats}"]
    for ranking in rankings:
        lines.append(" ".join(["1", *(str(number[c]) for c in ranking), "0"]))
    lines.append("0")
    lines += [_quoted(name) for _, name in candidates]
    lines.append(_quoted(title))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _quoted(text: str) -> str:
    # BLT has no escape for quotes; one line per name.
    return '"' + " ".join(text.replace('"', "'").split()) + '"'
