"""Reference: one Scottish STV count by pref_voting, timed. Run under ``.venv-oracle``.

Reads a job from stdin: ``{"num_cand": n, "seats": k, "ballots": [[[int, ...], count], ...],
"repeat": int, "slow": float}`` (each distinct ranking once, best first, with how many cast it)
and prints ``{"winners": [int, ...], "wall": [s, ...], "cpu": [s, ...], "version": str}``. Only
the ``stv_scottish`` call is timed; the profile is built before. Ties by lot use a fixed seed.
"""

from __future__ import annotations

import json
import random
import sys
from importlib.metadata import version
from typing import Any

from pref_voting.profiles_with_ties import ProfileWithTies  # type: ignore[import-not-found]
from pref_voting.proportional_methods import stv_scottish  # type: ignore[import-not-found]

from bench.refs.common import answer, answer_channel, timed


def main() -> None:
    channel = answer_channel()
    job = json.load(sys.stdin)
    rankings = [
        {int(c): rank for rank, c in enumerate(ranking, start=1)} for ranking, _ in job["ballots"]
    ]
    counts = [int(n) for _, n in job["ballots"]]
    profile = ProfileWithTies(
        rankings, rcounts=counts, candidates=list(range(int(job["num_cand"])))
    )
    seats = int(job["seats"])

    def call() -> Any:
        return stv_scottish(profile, num_seats=seats, rng=random.Random(0))

    found, wall, cpu = timed(call, int(job["repeat"]), float(job["slow"]))
    answer(
        channel,
        {
            "winners": sorted(int(c) for c in found),
            "wall": wall,
            "cpu": cpu,
            "version": f"pref_voting {version('pref_voting')}",
        },
    )


if __name__ == "__main__":
    main()
