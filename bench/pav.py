"""PAV on random approval profiles: how many exact counts finish, and how fast, beside abcvoting.

Profiles are seeded and random: n candidates, k seats, v voters, each voter's approvals drawn
by one of two models:

* **sample**: 1 to 5 candidates, the number and the candidates uniformly at random;
* **chance**: each candidate with a chance drawn for the voter from [0.02, 0.3] (at least one).

Sizes run from those at which the integer programme PAV used before stalled (27-39 candidates,
4-10 seats, 1,100-2,100 voters) up to 50 candidates, 10 seats and 10,000 voters. Mandate counts
each profile with ``policies.pav.count`` under its default rules (time limit 20 s, a fixed
amount of work), without constraints and with "at least 2 women, at most 3 per region" (every
third candidate a woman, five regions in turn). abcvoting counts the same profile without
constraints with ``compute_pav(algorithm="pulp-highs", resolute=True)``, its ILP on HiGHS,
stopped after ``--ref-cpu`` seconds of CPU (10 by default: about what Mandate's default limit
allows on the machine it was calibrated on). The limit is CPU time, not wall time, so that a
busy machine does not cut a reference short; for the same reason abcvoting counts only the
first profile of each size and model (``--ref-seeds``): each run it does not finish costs the
whole limit.

Timing as in ``bench.methods``: every count in a child process of its own (abcvoting's under
``.venv-oracle``, given each distinct ballot once with its weight), the child times only the
call, once, wall and CPU. Winners are compared as sets; where they differ, the PAV scores are
compared exactly (a tie is not a disagreement).

    .venv/bin/python -m bench.pav [--seeds 2] [--ref-cpu 10] [--ref-seeds 1] [--no-refs]
                                  [--sizes 30x6x1500,...] [--out PATH]

``--seeds N``: N profiles per size and model (20 in all at N = 2: 5-15 minutes, depending on
how busy the machine is).

Results go to ``bench/results/pav-<date>.json``; the table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.methods import (
    MANDATE_PYTHON,
    ORACLE_PYTHON,
    child,
    header,
    load_average,
    save,
)

SEED = "6d616e646174652062656e63682070726f706f7274696f6e616c20617070726f76"  # 64 hex digits
DATA_SEED = 20261206
# (candidates, seats, voters): the range where the integer programme stalled, then up to
# 50 x 10 x 10,000
SIZES = (
    (30, 6, 1500),
    (35, 8, 2000),
    (39, 10, 2000),
    (50, 5, 10000),
    (50, 10, 10000),
)
MODELS = ("sample", "chance")
CHANCE = (0.02, 0.3)
MANDATE_TIMEOUT = 180.0  # seconds for a Mandate child, start-up and the profile included
REF_CPU = 10  # seconds of CPU for an abcvoting child
REF_WALL = 300.0  # and of wall time, however busy the machine
REGIONS = 5


def profile(model: str, n: int, voters: int, seed: int) -> dict[str, Any]:
    """Candidates (ids, gender, region) and one approval set per voter."""
    rng = random.Random(f"{DATA_SEED}-{model}-{n}-{voters}-{seed}")
    ids = [f"c{i:02d}" for i in range(n)]
    candidates = [
        {
            "id": c,
            "attributes": {"gender": "woman" if i % 3 == 0 else "man", "region": f"r{i % REGIONS}"},
        }
        for i, c in enumerate(ids)
    ]
    approvals = []
    for _ in range(voters):
        if model == "sample":
            approved = rng.sample(range(n), rng.randint(1, 5))
        else:
            chance = rng.uniform(*CHANCE)
            approved = [c for c in range(n) if rng.random() < chance] or [rng.randrange(n)]
        approvals.append(sorted(approved))
    return {"candidates": candidates, "approvals": approvals}


def grouped(approvals: Sequence[Sequence[int]]) -> list[list[Any]]:
    """Each distinct approval set once, with how many cast it (sorted)."""
    counts = Counter(tuple(a) for a in approvals)
    return [[list(a), w] for a, w in sorted(counts.items())]


CONSTRAINTS = [
    {"attribute": "gender", "value": "woman", "min": 2, "max": None},
    {"attribute": "region", "value": None, "min": 0, "max": 3},
]


# --- inside a child: one Mandate count, timed -------------------------------------------------


def mandate_child(job: dict[str, Any]) -> dict[str, Any]:
    from policies.errors import SolverLimit
    from policies.lot import lot_order, lot_seed
    from policies.pav import METHOD, count
    from policies.rules import ApprovalBallot, Candidate, Constraint, SelectionRules

    candidates = [Candidate(c["id"], c["attributes"]) for c in job["candidates"]]
    ids = [c.id for c in candidates]
    ballots: list[ApprovalBallot] = []
    for approved, weight in job["ballots"]:
        chosen = frozenset(ids[i] for i in approved)
        ballots += [ApprovalBallot(f"v{len(ballots) + j}", chosen) for j in range(weight)]
    rules = SelectionRules(
        seats=int(job["seats"]),
        method=METHOD,
        constraints=tuple(Constraint(**c) for c in job["constraints"]),
    )
    order = lot_order(lot_seed(SEED, SEED), ids)
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        result = count(candidates, ballots, rules, order)
    except SolverLimit as exc:
        return {
            "finished": False,
            "wall": [time.perf_counter() - t0],
            "cpu": [time.process_time() - c0],
            "error": exc.code,
            "detail": exc.detail,
        }
    return {
        "finished": True,
        "wall": [time.perf_counter() - t0],
        "cpu": [time.process_time() - c0],
        "winners": list(result.winners),
        "score": result.details["score"],
        "optimal_committees": result.details["optimal_committees"],
    }


def child_main() -> int:
    job = json.load(sys.stdin)
    print(json.dumps(mandate_child(job)))
    return 0


# --- the parent -------------------------------------------------------------------------------


def pav_score(approvals: Sequence[Sequence[int]], committee: set[int]) -> Fraction:
    harmonic = [Fraction(0)]
    for i in range(1, len(committee) + 1):
        harmonic.append(harmonic[-1] + Fraction(1, i))
    return sum((harmonic[len(committee.intersection(a))] for a in approvals), Fraction(0))


def run_profiles(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, seats, voters in args.sizes:
        for model in MODELS:
            for seed in range(args.seeds):
                data = profile(model, n, voters, seed)
                ballots = grouped(data["approvals"])
                row: dict[str, Any] = {
                    "model": model,
                    "candidates": n,
                    "seats": seats,
                    "voters": voters,
                    "seed": seed,
                    "distinct_ballots": len(ballots),
                }
                print(f"{model} {n} x {seats} x {voters} seed {seed}", file=sys.stderr, flush=True)
                job = {"candidates": data["candidates"], "seats": seats, "ballots": ballots}
                row["mandate"] = child(
                    MANDATE_PYTHON, "bench.pav", job | {"constraints": []}, MANDATE_TIMEOUT
                )
                row["mandate_constrained"] = child(
                    MANDATE_PYTHON, "bench.pav", job | {"constraints": CONSTRAINTS}, MANDATE_TIMEOUT
                )
                if not args.no_refs and seed < args.ref_seeds:
                    ref_job = {
                        "rule": "pav",
                        "algorithm": "pulp-highs",
                        "num_cand": n,
                        "committeesize": seats,
                        "ballots": ballots,
                        "repeat": 1,
                        "slow": 0.0,
                    }
                    row["abcvoting"] = child(
                        ORACLE_PYTHON, "bench.refs.abcvoting_ref", ref_job, REF_WALL, args.ref_cpu
                    )
                agree(row, data["approvals"])
                rows.append(row)
    return rows


def agree(row: dict[str, Any], approvals: Sequence[Sequence[int]]) -> None:
    ours = row["mandate"].get("winners")
    theirs = row.get("abcvoting", {}).get("winners")
    if ours is None or theirs is None:
        return
    mine = {int(c[1:]) for c in ours}
    row["same_winners"] = mine == set(theirs)
    if not row["same_winners"]:
        row["scores"] = {
            "mandate": str(pav_score(approvals, mine)),
            "abcvoting": str(pav_score(approvals, set(theirs))),
        }
        row["tie"] = row["scores"]["mandate"] == row["scores"]["abcvoting"]


def seconds(out: dict[str, Any], what: str = "wall") -> float:
    return float(out[what][0])


def finished(out: dict[str, Any] | None) -> bool:
    return out is not None and "winners" in out


def timed(out: dict[str, Any]) -> str:
    """A count's seconds, wall (CPU), or what stopped it."""
    if "wall" not in out:
        return str(out.get("error", "?"))
    text = f"{seconds(out):.2f} ({seconds(out, 'cpu'):.2f})"
    return text if finished(out) else f"{text} stopped"


def summary(rows: list[dict[str, Any]], ref_cpu: int) -> list[dict[str, Any]]:
    """Per size and model: counts finished, seconds, and Mandate ÷ abcvoting in CPU time."""
    cells: dict[tuple[int, int, int, str], list[dict[str, Any]]] = {}
    for r in rows:
        cells.setdefault((r["voters"], r["candidates"], r["seats"], r["model"]), []).append(r)
    out = []
    for (voters, n, seats, model), mine in sorted(cells.items()):
        both = [r for r in mine if finished(r["mandate"]) and finished(r.get("abcvoting"))]
        # where abcvoting did not finish, Mandate's CPU time over the CPU time abcvoting was
        # given bounds the ratio from above
        stopped = [
            r
            for r in mine
            if finished(r["mandate"]) and "abcvoting" in r and not finished(r["abcvoting"])
        ]
        out.append(
            {
                "model": model,
                "candidates": n,
                "seats": seats,
                "voters": voters,
                "profiles": len(mine),
                "distinct_ballots": [r["distinct_ballots"] for r in mine],
                "mandate_finished": sum(finished(r["mandate"]) for r in mine),
                "mandate_constrained_finished": sum(
                    finished(r["mandate_constrained"]) for r in mine
                ),
                "mandate": [timed(r["mandate"]) for r in mine],
                "mandate_constrained": [timed(r["mandate_constrained"]) for r in mine],
                "abcvoting_finished": sum(finished(r.get("abcvoting")) for r in mine),
                "abcvoting_run": sum("abcvoting" in r for r in mine),
                "abcvoting": [timed(r["abcvoting"]) for r in mine if finished(r.get("abcvoting"))],
                "ratios_cpu": [
                    seconds(r["mandate"], "cpu") / seconds(r["abcvoting"], "cpu") for r in both
                ],
                "ratios_cpu_at_most": [seconds(r["mandate"], "cpu") / ref_cpu for r in stopped],
                "agree": all(r.get("same_winners", True) or r.get("tie") for r in mine),
            }
        )
    return out


def markdown(cells: list[dict[str, Any]], ref_cpu: int) -> str:
    lines = [
        "| model | candidates × seats × voters (distinct ballots) | Mandate: finished, s wall "
        "(CPU) | with constraints | abcvoting: finished within "
        f"{ref_cpu} s of CPU | Mandate ÷ abcvoting, CPU |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for c in cells:
        ratios = [f"{x:.2g}" for x in c["ratios_cpu"]]
        ratios += [f"< {x:.2g}" for x in c["ratios_cpu_at_most"]]
        distinct = ", ".join(f"{d:,}" for d in c["distinct_ballots"])
        abc = f"{c['abcvoting_finished']} of {c['abcvoting_run']}"
        if c["abcvoting"]:
            abc += ": " + "; ".join(c["abcvoting"])
        lines.append(
            f"| {c['model']} | {c['candidates']} × {c['seats']} × {c['voters']:,} ({distinct}) "
            f"| {c['mandate_finished']} of {c['profiles']}: {'; '.join(c['mandate'])} "
            f"| {c['mandate_constrained_finished']} of {c['profiles']}: "
            f"{'; '.join(c['mandate_constrained'])} | {abc} | {', '.join(ratios) or '—'} |"
        )
    return "\n".join(lines)


def sizes(text: str) -> tuple[tuple[int, int, int], ...]:
    """ "30x6x1500,50x10x10000" as ((30, 6, 1500), (50, 10, 10000))."""
    found = []
    for size in text.split(","):
        n, seats, voters = (int(x) for x in size.split("x"))
        found.append((n, seats, voters))
    return tuple(found)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2, help="profiles per size and model")
    parser.add_argument("--ref-cpu", type=int, default=REF_CPU, help="CPU seconds for abcvoting")
    parser.add_argument("--ref-seeds", type=int, default=1, help="profiles abcvoting counts")
    parser.add_argument(
        "--sizes",
        type=sizes,
        default=SIZES,
        help="candidates x seats x voters, comma-separated (e.g. 30x6x1500,50x10x10000)",
    )
    parser.add_argument("--no-refs", action="store_true", help="count with Mandate only")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = load_average()
    rows = run_profiles(args)
    cells = summary(rows, args.ref_cpu)
    table = markdown(cells, args.ref_cpu)
    report = header("bench.pav", argv, started, load_before) | {
        "seed": SEED,
        "data_seed": DATA_SEED,
        "ref_cpu_seconds": args.ref_cpu,
        "summary": cells,
        "rows": rows,
        "table": table,
    }
    out_path = save(report, args.out, "pav")
    print(table)
    print(f"\n{report['elapsed_seconds']:.0f} s in all; results in {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
