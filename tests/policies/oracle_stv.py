"""Test oracle: Scottish STV as pref_voting computes it, in its own virtualenv.

Run with the interpreter of ``.venv-oracle`` (never the project's; pref_voting loads OR-Tools,
which cannot share a process with highspy): reads from stdin one election
``{"num_cand": n, "seats": k, "ballots": [[[int, ...], count], ...]}`` (each ranking, best
first, with how many ballots cast it) or a JSON list of them, and prints, for each, the winners
of ``pref_voting.proportional_methods.stv_scottish`` as a sorted list of candidate numbers (a
list of such answers for a list of elections). Ties by lot use a fixed seed; the test leaves
out elections where a tie reaches the lot.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

from pref_voting.profiles_with_ties import ProfileWithTies  # type: ignore[import-not-found]
from pref_voting.proportional_methods import stv_scottish  # type: ignore[import-not-found]


def winners(election: dict[str, Any]) -> list[int]:
    rankings = [
        {int(c): rank for rank, c in enumerate(ranking, start=1)}
        for ranking, _ in election["ballots"]
    ]
    counts = [int(n) for _, n in election["ballots"]]
    profile = ProfileWithTies(
        rankings, rcounts=counts, candidates=list(range(int(election["num_cand"])))
    )
    found = stv_scottish(profile, num_seats=int(election["seats"]), rng=random.Random(0))
    return sorted(int(c) for c in found)


def main() -> None:
    data = json.load(sys.stdin)
    if isinstance(data, list):
        print(json.dumps([winners(election) for election in data]))
    else:
        print(json.dumps(winners(data)))


if __name__ == "__main__":
    main()
