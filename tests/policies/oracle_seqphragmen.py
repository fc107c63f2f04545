"""Test oracle: sequential Phragmén as abcvoting computes it, in its own virtualenv.

Run with the interpreter of ``.venv-oracle`` (never the project's): reads from stdin one election
``{"num_cand": n, "committeesize": k, "ballots": [[int, ...], ...]}`` or a JSON list of them, and
prints, for each, every winning committee under any tie-breaking (``resolute=False``) as sorted
lists of candidate numbers (a list of such answers for a list of elections). Exact fractions.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from abcvoting import abcrules  # type: ignore[import-not-found]
from abcvoting.preferences import Profile  # type: ignore[import-not-found]


def committees(election: dict[str, Any]) -> list[list[int]]:
    profile = Profile(int(election["num_cand"]))
    profile.add_voters([list(ballot) for ballot in election["ballots"]])
    found = abcrules.compute_seqphragmen(
        profile,
        int(election["committeesize"]),
        algorithm="standard-fractions",
        resolute=False,
        max_num_of_committees=None,
    )
    return sorted(sorted(int(c) for c in committee) for committee in found)


def main() -> None:
    data = json.load(sys.stdin)
    if isinstance(data, list):
        print(json.dumps([committees(election) for election in data]))
    else:
        print(json.dumps(committees(data)))


if __name__ == "__main__":
    main()
