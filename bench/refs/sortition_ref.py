"""Reference: one panel lottery by sortition-algorithms, timed. Run under the bench venv.

Reads a job from stdin: ``{"algorithm": "maximin" | "leximin" | "legacy" | "nash", "people":
[{"id": str, "attributes": {name: value}}, ...], "quotas": [{"feature": str, "value": str,
"min": int, "max": int}, ...], "panel": int, "panels": int, "seed": int, "repeat": int,
"slow": float}`` and prints ``{"panels": [[id, ...], ...], "wall": [s, ...], "cpu": [s, ...],
"version": str}`` (or ``{"skipped": reason}``), and for maximin and leximin the smallest
selection probability of the optimised distribution (``"distribution_min"``, before rounding).
Timed: for maximin and leximin, what ``find_random_sample`` does bar its report: find the
distribution (HiGHS backend; Gurobi for leximin), drop panels of negligible probability, round it
to ``panels`` equally likely panels; for legacy, ``find_random_sample`` (one stratified draw).
Features and people are read before.
"""

from __future__ import annotations

import copy
import json
import sys
from importlib.metadata import version
from typing import Any

from sortition_algorithms import (  # type: ignore[import-not-found]
    Settings,
    find_random_sample,
    read_in_features,
    read_in_people,
)
from sortition_algorithms.committee_generation import (  # type: ignore[import-not-found]
    GUROBI_AVAILABLE,
    find_distribution_leximin,
    find_distribution_maximin,
    standardize_distribution,
)
from sortition_algorithms.core import lottery_rounding  # type: ignore[import-not-found]
from sortition_algorithms.utils import set_random_provider  # type: ignore[import-not-found]

from bench.refs.common import answer, answer_channel, timed


def main() -> None:
    channel = answer_channel()
    job = json.load(sys.stdin)
    algorithm = str(job["algorithm"])
    if algorithm == "leximin" and not GUROBI_AVAILABLE:
        # find_random_sample would quietly run maximin instead
        answer(channel, {"skipped": "leximin needs Gurobi (gurobipy), which is not installed"})
        return
    names = sorted(job["people"][0]["attributes"])
    rows = [
        {"id": p["id"], **{name: p["attributes"][name] for name in names}} for p in job["people"]
    ]
    quota_rows = [
        {"feature": q["feature"], "value": q["value"], "min": str(q["min"]), "max": str(q["max"])}
        for q in job["quotas"]
    ]
    panel = int(job["panel"])
    features, _, _ = read_in_features(["feature", "value", "min", "max"], quota_rows, panel)
    settings = Settings(id_column="id", columns_to_keep=[], selection_algorithm=algorithm)
    people, _ = read_in_people(["id", *names], rows, features, settings)
    set_random_provider(int(job["seed"]))
    selections = 1 if algorithm == "legacy" else int(job["panels"])
    repeat = int(job["repeat"])
    inputs = [(copy.deepcopy(features), copy.deepcopy(people)) for _ in range(repeat)]

    def call() -> Any:
        f, p = inputs.pop()
        if algorithm == "legacy":
            found, _ = find_random_sample(
                f, p, panel, [], selection_algorithm="legacy", max_attempts=100
            )
            return found, []
        find = find_distribution_maximin if algorithm == "maximin" else find_distribution_leximin
        committees, probabilities, _ = find(f, p, panel, [], "highspy")
        committees, probabilities = standardize_distribution(committees, probabilities)
        lottery = lottery_rounding(committees, probabilities, selections)
        return lottery, list(zip(committees, probabilities, strict=True))

    (found, distribution), wall, cpu = timed(call, repeat, float(job["slow"]))
    extra: dict[str, Any] = {}
    if distribution:
        chance = {pid: 0.0 for pid in people}
        for committee, probability in distribution:
            for pid in committee:
                chance[pid] += probability
        extra = {"distribution_min": min(chance.values()), "distribution_panels": len(distribution)}
    answer(
        channel,
        {
            "panels": [sorted(committee) for committee in found],
            "wall": wall,
            "cpu": cpu,
            "version": f"sortition-algorithms {version('sortition-algorithms')}",
            **extra,
        },
    )


if __name__ == "__main__":
    main()
