"""Reference: one approval count by abcvoting, timed. Run under ``.venv-oracle``.

Reads a job from stdin: ``{"rule": "seqphragmen" | "equal-shares" | "pav", "algorithm": str,
"num_cand": n, "committeesize": k, "ballots": [[[int, ...], weight], ...], "repeat": int,
"slow": float}`` (each distinct approval set once, weighted by how many cast it) and prints
``{"winners": [int, ...], "wall": [s, ...], "cpu": [s, ...], "version": str}``. Only the
``compute_*`` call is timed (``resolute=True``: one committee); the profile is built before.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from abcvoting import abcrules  # type: ignore[import-not-found]
from abcvoting.preferences import Profile, Voter  # type: ignore[import-not-found]

from bench.refs.common import answer, answer_channel, timed

COMPUTE: dict[str, Callable[..., Any]] = {
    "seqphragmen": abcrules.compute_seqphragmen,
    "equal-shares": abcrules.compute_equal_shares,
    "pav": abcrules.compute_pav,
}


def main() -> None:
    channel = answer_channel()
    job = json.load(sys.stdin)
    profile = Profile(int(job["num_cand"]))
    profile.add_voters([Voter(list(approved), weight=int(n)) for approved, n in job["ballots"]])
    compute = COMPUTE[job["rule"]]
    k = int(job["committeesize"])

    def call() -> Any:
        return compute(profile, k, algorithm=job["algorithm"], resolute=True)

    found, wall, cpu = timed(call, int(job["repeat"]), float(job["slow"]))
    answer(
        channel,
        {
            "winners": sorted(int(c) for c in found[0]),
            "wall": wall,
            "cpu": cpu,
            "version": f"abcvoting {version('abcvoting')}",
        },
    )


if __name__ == "__main__":
    main()
