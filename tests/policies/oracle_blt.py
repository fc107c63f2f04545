"""Test oracle: read a BLT ballot file and count it by Scottish STV as pref_voting computes it,
in its own virtualenv (``.venv-oracle``; see oracle_stv.py).

Reads from stdin ``{"blt": "<the file's text>"}`` and prints ``{"names": [...], "seats": k,
"winners": [names, sorted]}``. The BLT parser here is written from the format's description
(OpenSTV's), independently of the exporter in policies/exports.py.
"""

from __future__ import annotations

import json
import random
import shlex
import sys
from typing import Any

from pref_voting.profiles_with_ties import ProfileWithTies  # type: ignore[import-not-found]
from pref_voting.proportional_methods import stv_scottish  # type: ignore[import-not-found]


def parse(text: str) -> tuple[int, list[tuple[int, list[int]]], list[str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    candidates, seats = (int(x) for x in lines[0].split())
    ballots: list[tuple[int, list[int]]] = []
    n = 1
    while lines[n] != "0":
        numbers = [int(x) for x in lines[n].split()]
        assert numbers[-1] == 0, lines[n]
        ballots.append((numbers[0], numbers[1:-1]))
        n += 1
    names = [shlex.split(line)[0] for line in lines[n + 1 : n + 1 + candidates]]
    assert len(names) == candidates
    return seats, ballots, names


def count(text: str) -> dict[str, Any]:
    seats, ballots, names = parse(text)
    rankings = [{c - 1: rank for rank, c in enumerate(prefs, start=1)} for _, prefs in ballots]
    profile = ProfileWithTies(
        rankings, rcounts=[w for w, _ in ballots], candidates=list(range(len(names)))
    )
    found = stv_scottish(profile, num_seats=seats, rng=random.Random(0))
    return {"names": names, "seats": seats, "winners": sorted(names[c] for c in found)}


if __name__ == "__main__":
    print(json.dumps(count(json.load(sys.stdin)["blt"])))
