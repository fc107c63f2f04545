"""Test oracle: Equal Shares and PAV as abcvoting computes them, in its own virtualenv.

Run with the interpreter of ``.venv-oracle`` (never the project's): reads from stdin a JSON list
of elections ``{"rule": "equal_shares" | "pav", "num_cand": n, "committeesize": k, "ballots":
[[int, ...], ...]}`` and prints, for each, every winning committee under any tie-breaking
(``resolute=False``) as sorted lists of candidate numbers. Equal Shares is abcvoting's default
(completion by sequential Phragmén) in exact fractions; PAV is its brute force over all
committees, which needs no Gurobi.
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
    size = int(election["committeesize"])
    if election["rule"] == "equal_shares":
        found = abcrules.compute_equal_shares(
            profile,
            size,
            algorithm="standard-fractions",
            resolute=False,
            max_num_of_committees=None,
        )
    elif election["rule"] == "pav":
        found = abcrules.compute_pav(
            profile, size, algorithm="brute-force", resolute=False, max_num_of_committees=None
        )
    else:
        raise ValueError(f"unknown rule {election['rule']!r}: expected equal_shares or pav")
    return sorted(sorted(int(c) for c in committee) for committee in found)


def main() -> None:
    print(json.dumps([committees(election) for election in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
