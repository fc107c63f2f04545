"""Selection methods: each Mandate count beside independent implementations, on the same inputs.

Each Mandate method is counted through ``policies.methods.run`` on seeded synthetic elections:

* **approval** (``approval.phragmen``, ``approval.equal_shares``, ``approval.pav``) and **ranked**
  (``ranked.stv``) on 2,000 voters x 40 candidates (k = 2, 3, 5) and 10,000 x 50 (k = 5), each
  without constraints and with binding ones ("at least 2 women" (1 when k = 2) and "at most 1
  per region");
* **lotteries** (``lottery.uniform``, ``lottery.maximin``) on a pool of 500 with three attribute
  categories (4 regions, 3 genders, a migrant-led flag), each value with a quota, panel of 10.

The references count the same inputs in the same run, each in a process of its own under its
own virtualenv (``bench/refs/``): abcvoting (sequential Phragmén, Equal Shares, PAV on its PuLP
ILP backends) and pref_voting (``stv_scottish``) under ``.venv-oracle``; sortition-algorithms
(maximin, leximin, legacy) under a throwaway venv, made on demand (``bench_python``)::

    python -m venv --clear /tmp/mandate-bench-venv
    /tmp/mandate-bench-venv/bin/python -m pip install sortition-algorithms==0.12.15 gurobipy==13.0.3

The model. Candidates and voters sit on a line [0, 1]. Voters come from three clusters (centres
0.2, 0.45, 0.8; weights 0.45, 0.35, 0.2; spread 0.07). Each approves the candidates within a
radius drawn from [0.08, 0.25] of her position, each with probability 0.9 (the "wide" model;
"narrow": [0.03, 0.12], 0.8, at 10,000 x 50 only), and with probability 0.3 one more from
anywhere (at least the nearest one, at most 8). Narrow approvals make PAV's programme harder;
wide ones let Equal Shares buy seats before its completion. She ranks candidates by
distance plus noise, listing as many as she approves and up to 3 more (a partial ranking). A
candidate's region is where she stands (6 equal stretches of the line); the 40 % standing
nearest a cluster centre are men, the others alternate woman / man by position, so the popular
candidates are men standing close together and both constraints bind.

Timing. Every count runs in a child process (Mandate's too) and the child times only the call
(``time.perf_counter`` around ``run`` / ``compute_*`` / ``stv_scottish`` /
``find_distribution_*`` + rounding), after building its inputs: up to ``--repeat`` runs, three
when they take more than ``SLOW`` / 4 seconds together, one when a run takes more than ``SLOW``
(``bench.refs.common.enough``). Medians are reported, with the CPU time of the same calls
(the process's and its finished children's: PuLP runs CBC as one); CPU well below wall time
means another tenant had the core. abcvoting gets each distinct approval set once, weighted by
its number of ballots (it supports weights, and is much faster that way), and pref_voting each
distinct ranking once with its count; Mandate's timed call includes checking and grouping the
ballots. Ratios are Mandate / the fastest reference that computes the same thing; agreement
compares winners as sets where no constraint applies.

    .venv/bin/python -m bench.methods [--repeat 5] [--only approval|ranked|lottery] [--no-refs]
                                      [--out PATH]

Results go to ``bench/results/methods-<date>.json``; the table is printed as Markdown.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import math
import os
import platform
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from bench.refs.common import enough

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
REFS = ROOT / "bench" / "refs"
MANDATE_PYTHON = ROOT / ".venv" / "bin" / "python"
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
BENCH_VENV = Path(tempfile.gettempdir()) / "mandate-bench-venv"
# gurobipy for its leximin (without Gurobi it runs maximin instead); pip's gurobipy has a
# size-limited licence, which a pool of 500 fits
BENCH_PINS = ["sortition-algorithms==0.12.15", "gurobipy==13.0.3"]
SEED = "6d616e646174652062656e63682073656c656374696f6e206d6574686f647321"  # 64 hex digits
DATA_SEED = 20261123

# (model, voters, candidates, seats): the "narrow" model's approvals are harder on PAV, the
# "wide" model's let Equal Shares buy seats before its completion (see ``election``)
APPROVAL_SIZES = (
    ("wide", 2000, 40, 2),
    ("wide", 2000, 40, 3),
    ("wide", 2000, 40, 5),
    ("wide", 10000, 50, 5),
    ("narrow", 10000, 50, 5),
)
APPROVAL_METHODS = ("approval.phragmen", "approval.equal_shares", "approval.pav")
STV = "ranked.stv"
LOTTERIES = ("lottery.uniform", "lottery.maximin")
POOL, PANEL = 500, 10
REGIONS = 6  # along the line, for the approval and ranked elections
CENTRES = ((0.2, 0.45), (0.45, 0.35), (0.8, 0.2))  # (centre, weight) of the voter clusters
SPREAD = 0.07
MAX_APPROVALS = 8
# per model: the radius a voter approves candidates within (drawn for each voter), and the
# chance she approves each candidate within it
MODELS = {"wide": ((0.08, 0.25), 0.9), "narrow": ((0.03, 0.12), 0.8)}
STRAY = 0.3  # chance she also approves one candidate from anywhere

SLOW = 20.0  # a count slower than this (seconds) is not repeated
CHILD_TIMEOUT = 180.0  # seconds for one child process, start-up included
LOTTERY_REF_TIMEOUT = 240.0  # seconds for one sortition-algorithms child (leximin: 1.5-4 min)
PAV_TIME_LIMIT = 120  # rules.time_limit for PAV and maximin: measure the time, not the limit
MAXIMIN_PANELS = 1000  # rules.panels' default: the published list of equally likely panels

# Targets of the project's issue (seconds), reported against, asserted nowhere.
TARGET_APPROVAL_STV = 1.0  # every approval and STV method at 10,000 x 50
TARGET_PAV_CONSTRAINED = 5.0
TARGET_MAXIMIN = 10.0

# abcvoting algorithms per rule: the exact ones, then the floating-point one
ABC_ALGORITHMS = {
    "approval.phragmen": (
        "seqphragmen",
        ("gmpy2-fractions", "standard-fractions", "float-fractions"),
    ),
    "approval.equal_shares": (
        "equal-shares",
        ("gmpy2-fractions", "standard-fractions", "float-fractions"),
    ),
    "approval.pav": ("pav", ("pulp-highs", "pulp-cbc")),
}
# seconds for one abcvoting PAV child, per backend: its ILP takes about a minute at 10,000 x 50 on
# HiGHS; CBC took over 200 s there in a trial, so it is stopped sooner
PAV_REF_TIMEOUT = {"pulp-highs": 150.0, "pulp-cbc": 60.0}
SORTITION_ALGORITHMS = ("maximin", "leximin", "legacy")  # nash: about a minute, not Mandate's
# What each sortition-algorithms algorithm is to Mandate: the same distribution or only a
# stratified draw of its own.
SAME_AS = {"lottery.maximin": ("maximin",), "lottery.uniform": ()}


# --- the inputs -------------------------------------------------------------------------------


@functools.cache
def election(model: str, voters: int, cands: int) -> dict[str, Any]:
    """Candidates with attributes, one approval set and one partial ranking per voter."""
    rng = random.Random(DATA_SEED + voters + cands)
    radii, keep = MODELS[model]
    positions = sorted(rng.random() for _ in range(cands))
    ids = [f"c{j:02d}" for j in range(cands)]
    rng.shuffle(ids)  # so that id order says nothing about where a candidate stands
    near = sorted(range(cands), key=lambda j: min(abs(positions[j] - c) for c, _ in CENTRES))
    men = set(near[: (cands * 2) // 5])
    candidates = []
    others = 0
    for j in range(cands):
        if j in men:
            gender = "man"
        else:
            gender = "woman" if others % 2 == 0 else "man"
            others += 1
        region = f"region-{min(int(positions[j] * REGIONS), REGIONS - 1)}"
        candidates.append({"id": ids[j], "attributes": {"gender": gender, "region": region}})
    approvals: list[list[str]] = []
    rankings: list[list[str]] = []
    centres = [c for c, _ in CENTRES]
    weights = [w for _, w in CENTRES]
    for _ in range(voters):
        centre = rng.choices(centres, weights)[0]
        x = min(1.0, max(0.0, rng.gauss(centre, SPREAD)))
        radius = rng.uniform(*radii)
        by_distance = sorted(range(cands), key=lambda j: (abs(positions[j] - x), j))
        # the candidates within the radius, each kept with probability 0.9, and now and then
        # one from anywhere on the line: many distinct approval sets, as in a real count
        near_x = [j for j in by_distance if abs(positions[j] - x) <= radius]
        chosen = [j for j in near_x if rng.random() < keep][:MAX_APPROVALS] or by_distance[:1]
        if rng.random() < STRAY:
            stray = rng.randrange(cands)
            if stray not in chosen:
                chosen = [*chosen[: MAX_APPROVALS - 1], stray]
        approvals.append(sorted(ids[j] for j in chosen))
        noisy = sorted(range(cands), key=lambda j: (abs(positions[j] - x) + rng.gauss(0, 0.03), j))
        length = min(cands, len(chosen) + rng.randint(0, 3))
        rankings.append([ids[j] for j in noisy[:length]])
    return {"candidates": candidates, "approvals": approvals, "rankings": rankings}


def approval_constraints(seats: int) -> list[dict[str, Any]]:
    women = 1 if seats <= 2 else 2
    return [
        {"attribute": "gender", "value": "woman", "min": women, "max": None},
        {"attribute": "region", "value": None, "min": 0, "max": 1},
    ]


POOL_ATTRIBUTES = {
    "region": (("north", 0.4), ("east", 0.3), ("south", 0.2), ("west", 0.1)),
    "gender": (("woman", 0.47), ("man", 0.47), ("nonbinary", 0.06)),
    "migrant_led": (("yes", 0.15), ("no", 0.85)),
}
# quota (min, max) on a panel of 10 for every value: the rare values are over-represented
POOL_QUOTAS = {
    "region": {"north": (2, 3), "east": (2, 3), "south": (2, 3), "west": (2, 3)},
    "gender": {"woman": (4, 6), "man": (4, 6), "nonbinary": (1, 2)},
    "migrant_led": {"yes": (3, 5), "no": (5, 7)},
}


def lottery_pool(size: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    people = []
    for i in range(size):
        attributes = {
            name: rng.choices([v for v, _ in values], [w for _, w in values])[0]
            for name, values in POOL_ATTRIBUTES.items()
        }
        people.append({"id": f"p{i:03d}", "attributes": attributes})
    constraints = [
        {"attribute": name, "value": value, "min": lo, "max": hi}
        for name, quotas in POOL_QUOTAS.items()
        for value, (lo, hi) in quotas.items()
    ]
    return {"candidates": people, "constraints": constraints}


def distinct(
    ballots: Sequence[Sequence[str]], index: dict[str, int], *, ordered: bool
) -> list[Any]:
    """Each distinct ballot once, as candidate numbers, with how many cast it (sorted)."""
    counts = Counter(
        tuple(index[c] for c in b) if ordered else tuple(sorted(index[c] for c in b))
        for b in ballots
    )
    return [[list(b), n] for b, n in sorted(counts.items())]


def quotas_for_sortition(constraints: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"feature": c["attribute"], "value": c["value"], "min": c["min"], "max": c["max"]}
        for c in constraints
    ]


# --- inside a child: one Mandate count, timed -------------------------------------------------


def mandate_child(job: dict[str, Any]) -> dict[str, Any]:
    """Count ``job`` with ``policies.methods.run`` ``job["repeat"]`` times; time only the call."""
    from policies.methods import MODULES, Inputs, run
    from policies.rules import (
        ApprovalBallot,
        Candidate,
        Constraint,
        RankedBallot,
        SelectionRules,
    )

    method = str(job["method"])
    # the method's module (and HiGHS, for PAV and maximin) loads before the clock starts, as
    # the references' libraries do: loading is start-up, not counting
    importlib.import_module(MODULES[method])
    candidates = [Candidate(c["id"], c["attributes"]) for c in job["candidates"]]
    ballots: list[ApprovalBallot | RankedBallot]
    if method.startswith("approval."):
        ballots = [ApprovalBallot(f"v{i}", frozenset(a)) for i, a in enumerate(job["ballots"])]
    elif method.startswith("ranked."):
        ballots = [RankedBallot(f"v{i}", tuple(r)) for i, r in enumerate(job["ballots"])]
    else:
        ballots = []
    rules = SelectionRules(
        seats=int(job["seats"]),
        method=method,
        constraints=tuple(Constraint(**c) for c in job["constraints"]),
        time_limit=PAV_TIME_LIMIT,
    )
    inputs = Inputs(candidates, ballots)
    walls: list[float] = []
    cpus: list[float] = []
    answers: list[dict[str, Any]] = []
    while True:
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        result = run(rules, inputs, SEED)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        answers.append(result.to_json())
        if enough(walls, int(job["repeat"]), SLOW):
            break
    last = answers[-1]
    steps = last["steps"]
    out: dict[str, Any] = {
        "winners": last["winners"],
        "unfilled": last["unfilled"],
        "unfilled_reason": last["unfilled_reason"],
        "wall": walls,
        "cpu": cpus,
        "same_each_time": all(a == last for a in answers),
        "steps": len(steps),
        # steps where the lot order decided between candidates that were otherwise equal
        "lot_ties": sum(1 for s in steps if s.get("tied") or "lot" in str(s.get("note", ""))),
    }
    details = dict(last.get("details") or {})
    panels = details.pop("panels", None)
    if isinstance(panels, list) and panels:
        out["panels"] = panels
    lottery = details.pop("lottery", None)  # the maximin's optimal lottery: its size will do
    if isinstance(lottery, list):
        details["lottery_panels"] = len(lottery)
    out["details"] = details
    return out


def child_main() -> int:
    job = json.load(sys.stdin)
    try:
        out = mandate_child(job)
    except ModuleNotFoundError as exc:
        out = {"error": f"not there yet: {exc}"}
    except Exception as exc:  # a method in progress may fail in any way: report it, go on
        out = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
    print(json.dumps(out))
    return 0


# --- the parent: every job in its own process, one after the other ---------------------------


def bench_python() -> Path:
    """The throwaway venv with sortition-algorithms (and Gurobi for its leximin), made once."""
    python = BENCH_VENV / "bin" / "python"
    stamp = BENCH_VENV / ".installed"
    pins = " ".join(BENCH_PINS)
    if python.exists() and stamp.exists() and stamp.read_text() == pins:
        return python
    print(f"making {BENCH_VENV}: python -m venv, pip install {pins}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(BENCH_VENV)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *BENCH_PINS,
        ],
        check=True,
    )
    stamp.write_text(pins)
    return python


def child(
    python: Path,
    module: str,
    job: dict[str, Any],
    timeout: float,
    cpu_limit: int | None = None,
) -> dict[str, Any]:
    """Run ``python -m module`` on ``job``; its JSON answer, or what went wrong. With
    ``cpu_limit``, the child (and each process it starts) is stopped after that many seconds of
    CPU: on a busy machine, a fairer limit than wall time."""
    load = os.getloadavg()[0]  # the machine's load as the child starts: other tenants show here
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    args = [str(python), "-m", module]
    if module in ("bench.methods", "bench.pav"):  # Mandate's own counts, not a reference
        args.append("--child")

    def limit() -> None:
        if cpu_limit is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))

    try:
        done = subprocess.run(
            args,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
            check=False,
            preexec_fn=limit if cpu_limit is not None else None,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s (stopped)", "timeout": timeout}
    process = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if cpu_limit is not None and done.returncode == -signal.SIGXCPU:
        return {
            "error": f"no answer within {cpu_limit} s of CPU (stopped)",
            "cpu_limit": cpu_limit,
            "process_seconds": process,
            "process_cpu_seconds": used,
            "load_average_1min": round(load, 2),
        }
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}"}
    try:
        out: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"no JSON answer: {done.stdout.strip()[-500:]}"}
    out["process_seconds"] = process
    out["process_cpu_seconds"] = used
    out["load_average_1min"] = round(load, 2)
    return out


def median(out: dict[str, Any], what: str = "wall") -> float | None:
    if what not in out:
        return None
    return float(statistics.median(out[what]))


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def mandate_job(
    method: str,
    candidates: list[dict[str, Any]],
    ballots: list[Any],
    seats: int,
    constraints: list[dict[str, Any]],
    repeat: int,
) -> dict[str, Any]:
    return {
        "method": method,
        "candidates": candidates,
        "ballots": ballots,
        "seats": seats,
        "constraints": constraints,
        "repeat": repeat,
    }


def count_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Approval and ranked methods at every size, without and with the constraints."""
    methods = [
        m
        for m in (*APPROVAL_METHODS, STV)
        if args.only is None or args.only == ("ranked" if m == STV else "approval")
    ]
    rows: list[dict[str, Any]] = []
    for model, voters, cands, seats in APPROVAL_SIZES:
        e = election(model, voters, cands)
        ids = sorted(c["id"] for c in e["candidates"])
        index = {c: i for i, c in enumerate(ids)}
        for method in methods:
            ranked = method == STV
            ballots = e["rankings"] if ranked else e["approvals"]
            grouped = distinct(ballots, index, ordered=ranked)
            for constraints in ([], approval_constraints(seats)):
                row: dict[str, Any] = {
                    "family": "ranked" if ranked else "approval",
                    "method": method,
                    "model": model,
                    "voters": voters,
                    "candidates": cands,
                    "distinct_ballots": len(grouped),
                    "seats": seats,
                    "constraints": constraints,
                }
                job = mandate_job(method, e["candidates"], ballots, seats, constraints, args.repeat)
                progress(row)
                row["mandate"] = child(MANDATE_PYTHON, "bench.methods", job, CHILD_TIMEOUT)
                row["refs"] = []
                if not constraints and not args.no_refs:
                    row["refs"] = reference_counts(method, cands, seats, grouped, ids, args)
                rows.append(row)
    return rows


def reference_counts(
    method: str,
    cands: int,
    seats: int,
    grouped: list[Any],
    ids: list[str],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    if method == STV:
        job = {"num_cand": cands, "seats": seats, "ballots": grouped}
        out = child(ORACLE_PYTHON, "bench.refs.pref_voting_ref", job | timing(args), CHILD_TIMEOUT)
        refs.append({"name": "pref_voting stv_scottish", "same": True, **out})
    else:
        rule, algorithms = ABC_ALGORITHMS[method]
        for algorithm in algorithms:
            job = {
                "rule": rule,
                "algorithm": algorithm,
                "num_cand": cands,
                "committeesize": seats,
                "ballots": grouped,
            }
            timeout = PAV_REF_TIMEOUT.get(algorithm, CHILD_TIMEOUT)
            out = child(ORACLE_PYTHON, "bench.refs.abcvoting_ref", job | timing(args), timeout)
            refs.append({"name": f"abcvoting {rule} {algorithm}", "same": True, **out})
    for ref in refs:
        if "winners" in ref:
            ref["winners"] = [ids[i] for i in ref["winners"]]
    return refs


def timing(args: argparse.Namespace) -> dict[str, Any]:
    return {"repeat": args.repeat, "slow": SLOW}


def lottery_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    pool = lottery_pool(POOL, DATA_SEED)
    rows: list[dict[str, Any]] = []
    for method in LOTTERIES:
        row: dict[str, Any] = {
            "family": "lottery",
            "method": method,
            "pool": POOL,
            "seats": PANEL,
            "constraints": pool["constraints"],
        }
        job = mandate_job(method, pool["candidates"], [], PANEL, pool["constraints"], args.repeat)
        progress(row)
        row["mandate"] = child(MANDATE_PYTHON, "bench.methods", job, CHILD_TIMEOUT)
        row["refs"] = []
        rows.append(row)
    if args.no_refs:
        return rows
    python = bench_python()
    refs: list[dict[str, Any]] = []
    for algorithm in SORTITION_ALGORITHMS:
        job = {
            "algorithm": algorithm,
            "people": pool["candidates"],
            "quotas": quotas_for_sortition(pool["constraints"]),
            "panel": PANEL,
            "panels": MAXIMIN_PANELS,
            "seed": DATA_SEED,
        }
        print(f"  sortition-algorithms {algorithm}", file=sys.stderr, flush=True)
        out = child(python, "bench.refs.sortition_ref", job | timing(args), LOTTERY_REF_TIMEOUT)
        refs.append({"name": f"sortition-algorithms {algorithm}", "algorithm": algorithm, **out})
    for row in rows:
        same = SAME_AS[row["method"]]
        row["refs"] = [ref | {"same": ref["algorithm"] in same} for ref in refs]
    return rows


def progress(row: dict[str, Any]) -> None:
    size = f"{row['voters']} x {row['candidates']}" if "voters" in row else f"pool {row['pool']}"
    bound = "constrained" if row["constraints"] else "unconstrained"
    print(f"{row['method']} {size} k={row['seats']} {bound}", file=sys.stderr, flush=True)


# --- what the numbers say ---------------------------------------------------------------------


def analyse(rows: list[dict[str, Any]]) -> None:
    """Add to each row: medians, the fastest reference doing the same thing and the ratio,
    whether the winners agree, whether the constraints bind and hold."""
    from policies.constraints import violations
    from policies.rules import Candidate, Constraint

    unconstrained = {
        (r["method"], r.get("model"), r.get("voters"), r["seats"]): r
        for r in rows
        if not r["constraints"]
    }
    pools: dict[tuple[str, int, int], dict[str, Candidate]] = {}
    for row in rows:
        mandate = row["mandate"]
        row["mandate_seconds"] = median(mandate)
        row["mandate_cpu_seconds"] = median(mandate, "cpu")
        same = [
            (median(ref), median(ref, "cpu"), ref["name"])
            for ref in row["refs"]
            if ref.get("same") and median(ref) is not None
        ]
        if same:
            seconds, cpu, name = min(same)
            row["fastest_reference"] = {"name": name, "seconds": seconds, "cpu_seconds": cpu}
            if row["mandate_seconds"] is not None and seconds:
                row["ratio"] = row["mandate_seconds"] / seconds
            if row["mandate_cpu_seconds"] is not None and cpu:
                row["ratio_cpu"] = row["mandate_cpu_seconds"] / cpu
        if row["family"] == "lottery":
            continue
        key = (row["model"], row["voters"], row["candidates"])
        if key not in pools:
            e = election(*key)
            pools[key] = {c["id"]: Candidate(c["id"], c["attributes"]) for c in e["candidates"]}
        pool = pools[key]
        if not row["constraints"]:
            row["agree"] = agreement(row, pool)
            continue
        constraints = [Constraint(**c) for c in row["constraints"]]
        base = unconstrained.get((row["method"], row["model"], row["voters"], row["seats"]))
        free = base and winners_of(base)
        if free:
            row["binds"] = violations([pool[c] for c in free], constraints)
        if "winners" in mandate:
            broken = violations([pool[c] for c in mandate["winners"]], constraints)
            row["constraints_hold"] = not broken and mandate["unfilled"] == 0
            if free:
                row["winners_changed"] = sorted(set(mandate["winners"]) - set(free))


def winners_of(row: dict[str, Any]) -> list[str] | None:
    """The unconstrained winners: Mandate's, or a reference's when Mandate's count failed."""
    for out in [row["mandate"], *row["refs"]]:
        if "winners" in out:
            return list(out["winners"])
    return None


def agreement(row: dict[str, Any], pool: dict[str, Any]) -> dict[str, Any]:
    mandate = row["mandate"]
    if "winners" not in mandate:
        return {"checked": False, "why": "no Mandate count"}
    ours = set(mandate["winners"])
    differ = {
        ref["name"]: sorted(ref["winners"])
        for ref in row["refs"]
        if "winners" in ref and set(ref["winners"]) != ours
    }
    answered = sum(1 for ref in row["refs"] if "winners" in ref)
    out: dict[str, Any] = {
        "checked": answered > 0,
        "references": answered,
        "all_agree": answered > 0 and not differ,
        "differ": differ,
        "lot_ties": mandate.get("lot_ties", 0),
    }
    if differ and row["method"] == "approval.pav":
        # two committees with the same PAV score are a tie, not a disagreement
        e = election(row["model"], row["voters"], row["candidates"])
        out["pav_scores"] = {
            "mandate": str(pav_score(e["approvals"], ours)),
            **{name: str(pav_score(e["approvals"], set(w))) for name, w in differ.items()},
        }
    return out


def pav_score(approvals: Sequence[Sequence[str]], committee: set[str]) -> Fraction:
    harmonic = [Fraction(0)]
    for i in range(1, len(committee) + 1):
        harmonic.append(harmonic[-1] + Fraction(1, i))
    return sum((harmonic[len(committee.intersection(a))] for a in approvals), Fraction(0))


def analyse_lotteries(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How tightly the quotas bind, and the smallest selection probability each lottery gives."""
    out: dict[str, Any] = {}
    lottery = [r for r in rows if r["family"] == "lottery"]
    if not lottery:
        return out
    pool = lottery_pool(POOL, DATA_SEED)
    try:
        from policies.lottery import inclusion_probabilities, valid_panel_count
        from policies.rules import Candidate, Constraint, SelectionRules

        candidates = [Candidate(c["id"], c["attributes"]) for c in pool["candidates"]]
        rules = SelectionRules(
            seats=PANEL,
            method="lottery.uniform",
            constraints=tuple(Constraint(**c) for c in pool["constraints"]),
        )
        valid = valid_panel_count(candidates, rules)
        out["valid_panels"] = str(valid)
        out["all_panels"] = str(math.comb(POOL, PANEL))
        out["valid_share"] = valid / math.comb(POOL, PANEL)
        uniform = inclusion_probabilities(candidates, rules)
        out["min_probability"] = {"lottery.uniform (exact)": float(min(uniform.values()))}
    except Exception as exc:  # the lottery module is being written: report it, go on
        out["error"] = f"{type(exc).__name__}: {exc}"
    probabilities = out.setdefault("min_probability", {})
    ids = [p["id"] for p in pool["candidates"]]
    for row in lottery:
        mandate = row["mandate"]
        if "lp_value" in mandate.get("details", {}):
            probabilities[f"{row['method']}, Mandate's optimum"] = float(
                mandate["details"]["lp_value"]
            )
        if "panels" in mandate:
            probabilities[f"{row['method']}, Mandate's list of {len(mandate['panels'])}"] = (
                list_minimum(mandate["panels"], ids)
            )
    for ref in lottery[0]["refs"]:
        if "distribution_min" in ref:
            probabilities[f"{ref['name']}, its distribution"] = ref["distribution_min"]
        if len(ref.get("panels", [])) > 1:
            probabilities[f"{ref['name']}, its list of {len(ref['panels'])}"] = list_minimum(
                ref["panels"], ids
            )
    return out


def list_minimum(panels: list[list[str]], ids: list[str]) -> float:
    """The smallest selection probability in a list of equally likely panels."""
    held = Counter(c for panel in panels for c in panel)
    return min(held.get(c, 0) for c in ids) / len(panels)


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of the project's issue, met or not (by wall time; CPU time beside it)."""
    found: list[dict[str, Any]] = []
    for row in rows:
        seconds, cpu = row.get("mandate_seconds"), row.get("mandate_cpu_seconds")
        name = f"{row['method']} {size_label(row)} k={row['seats']} {bound_label(row)}"
        if seconds is None:
            found.append({"target": name, "met": False, "why": row["mandate"].get("error")})
            continue
        limits = []
        pav_constrained = row["method"] == "approval.pav" and row["constraints"]
        if row["family"] != "lottery" and row["voters"] == APPROVAL_SIZES[-1][1]:
            limits.append(TARGET_PAV_CONSTRAINED if pav_constrained else TARGET_APPROVAL_STV)
        elif pav_constrained:
            limits.append(TARGET_PAV_CONSTRAINED)
        if row["method"] == "lottery.maximin":
            limits.append(TARGET_MAXIMIN)
        for limit in limits:
            found.append(
                {
                    "target": f"{name} < {limit:g} s",
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "met": seconds < limit,
                    "met_by_cpu": cpu is not None and cpu < limit,
                }
            )
        if "ratio" in row:
            found.append(
                {
                    "target": f"{name} at least as fast as {row['fastest_reference']['name']}",
                    "ratio": row["ratio"],
                    "ratio_cpu": row.get("ratio_cpu"),
                    "met": row["ratio"] <= 1.0,
                }
            )
    return found


def size_label(row: dict[str, Any]) -> str:
    if row["family"] == "lottery":
        return f"pool {row['pool']}"
    return f"{row['voters']:,} x {row['candidates']} {row['model']}"


def bound_label(row: dict[str, Any]) -> str:
    return "constrained" if row["constraints"] else "unconstrained"


def seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.3f}"
    return f"{seconds:.1f}"


def outcome_text(out: dict[str, Any]) -> str:
    """A count's median, or why there is none."""
    if "skipped" in out:
        return "skipped"
    if "timeout" in out:
        return f"> {out['timeout']:.0f} (stopped)"
    if "error" in out:
        return "failed"
    runs = len(out["wall"])
    text = f"{seconds_text(median(out))} ({seconds_text(median(out, 'cpu'))})"
    return text + ("" if runs > 1 else " 1 run")


def mandate_text(out: dict[str, Any]) -> str:
    if "error" in out and "timeout" not in out:
        return "failed: " + str(out["error"])[:80].replace("|", "/")
    return outcome_text(out)


def ratio_text(row: dict[str, Any]) -> str:
    if "ratio" not in row:
        return "—"
    cpu = f" ({row['ratio_cpu']:.2f})" if "ratio_cpu" in row else ""
    return f"{row['ratio']:.2f}{cpu}"


def binds_text(row: dict[str, Any], pool: dict[str, dict[str, str]]) -> str:
    """What the unconstrained winners break, briefly: "0 women; 3 in region-1"."""
    base = row.get("unconstrained_winners")
    if not base:
        return "—"
    parts = []
    women = sum(1 for c in base if pool[c]["gender"] == "woman")
    least = next(c["min"] for c in row["constraints"] if c["attribute"] == "gender")
    if women < least:
        parts.append(f"{women} {'woman' if women == 1 else 'women'} (< {least})")
    regions = Counter(pool[c]["region"] for c in base)
    parts += [f"{n} in {region}" for region, n in sorted(regions.items()) if n > 1]
    return "binds: " + "; ".join(parts) if parts else "does not bind"


def agree_text(row: dict[str, Any]) -> str:
    agree = row.get("agree") or {}
    if not agree.get("checked"):
        return "—"
    ties = agree.get("lot_ties", 0)
    tie_note = "" if not ties else f" ({ties} lot tie{'s' if ties > 1 else ''} in Mandate's count)"
    if agree["all_agree"]:
        return f"yes, {agree['references']} of {agree['references']}{tie_note}"
    names = ", ".join(sorted(agree["differ"]))
    return f"**no**: {names}{tie_note}"


def reference_text(row: dict[str, Any]) -> tuple[str, str]:
    """The fastest reference computing the same thing (name, seconds), or why there is none."""
    fastest = row.get("fastest_reference")
    if fastest:
        seconds = f"{seconds_text(fastest['seconds'])} ({seconds_text(fastest['cpu_seconds'])})"
        return fastest["name"], seconds
    if row["family"] == "lottery":
        return "none", "—"
    return ("none has constraints" if row["constraints"] else "none answered"), "—"


def others_text(row: dict[str, Any]) -> str:
    fastest = (row.get("fastest_reference") or {}).get("name")
    return (
        "; ".join(
            f"{ref.get('algorithm') or ref['name'].split(' ', 2)[-1]} {outcome_text(ref)}"
            for ref in row["refs"]
            if ref["name"] != fastest
        )
        or "—"
    )


def markdown(rows: list[dict[str, Any]], lotteries: dict[str, Any]) -> str:
    """The tables for the README: seconds are medians, wall time (CPU time) of the call."""
    lines = [
        "| method | model | voters × candidates (distinct ballots) | k | constraints | Mandate s | "
        "fastest reference | reference s | Mandate ÷ reference | winners agree / constraints "
        "bind | other references, s |",
        "| --- | --- | --- | ---: | --- | ---: | --- | ---: | ---: | --- | --- |",
    ]
    pools: dict[tuple[str, int, int], dict[str, dict[str, str]]] = {}
    for row in rows:
        if row["family"] == "lottery":
            continue
        key = (row["model"], row["voters"], row["candidates"])
        if key not in pools:
            pools[key] = {c["id"]: c["attributes"] for c in election(*key)["candidates"]}
        if row["constraints"]:
            holds = row.get("constraints_hold")
            check = binds_text(row, pools[key])
            if holds is not None:
                check += "; Mandate's winners meet them" if holds else "; **not met**"
            cons = f"≥ {row['constraints'][0]['min']} women, ≤ 1 per region"
        else:
            check = agree_text(row)
            cons = "none"
        bought = row["mandate"].get("details", {}).get("bought_with_equal_shares")
        if bought is not None:
            check += f"; Equal Shares bought {bought} of {row['seats']}, then the completion"
        name, seconds = reference_text(row)
        lines.append(
            f"| `{row['method']}` | {row['model']} | {row['voters']:,} × {row['candidates']} "
            f"({row['distinct_ballots']:,}) | {row['seats']} | {cons} | "
            f"{mandate_text(row['mandate'])} | {name} | {seconds} | {ratio_text(row)} | "
            f"{check} | {others_text(row)} |"
        )
    lottery = [r for r in rows if r["family"] == "lottery"]
    if lottery:
        lines += [
            "",
            "| method | pool / panel | Mandate s | same thing in sortition-algorithms | "
            "reference s | Mandate ÷ reference | other references, s |",
            "| --- | --- | ---: | --- | ---: | ---: | --- |",
        ]
        for row in lottery:
            name, seconds = reference_text(row)
            lines.append(
                f"| `{row['method']}` | {row['pool']} / {row['seats']} | "
                f"{mandate_text(row['mandate'])} | {name} | {seconds} | {ratio_text(row)} | "
                f"{others_text(row)} |"
            )
        if "valid_share" in lotteries:
            lines += [
                "",
                f"Valid panels: {int(lotteries['valid_panels']):.3e} of the "
                f"{int(lotteries['all_panels']):.3e} panels of {PANEL} "
                f"({lotteries['valid_share']:.2%}).",
            ]
        lines += ["", "| smallest selection probability | |", "| --- | ---: |"]
        for name, p in lotteries.get("min_probability", {}).items():
            lines.append(f"| {name} | {p:.5f} |")
    return "\n".join(lines)


def header(
    benchmark: str, argv: list[str], started: float, load_before: list[float]
) -> dict[str, Any]:
    """What every results file starts with: the run, the machine, the code."""
    return {
        "benchmark": benchmark,
        "date": datetime.now(UTC).date().isoformat(),
        "argv": argv,
        "elapsed_seconds": time.perf_counter() - started,
        "machine": machine(load_before),
        "code": code_state(),
    }


def save(report: dict[str, Any], out: Path | None, stem: str) -> Path:
    """Write ``report`` to ``out``, or to ``bench/results/<stem>-<date>.json``."""
    path = out or RESULTS / f"{stem}-{report['date']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    return path


def machine(load_before: list[float]) -> dict[str, Any]:
    """The machine, and its load average before the run and now (other tenants show here)."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def code_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        # the method modules may be someone's work in progress: say which were not committed
        "uncommitted": git("status", "--porcelain", "--", "policies").splitlines(),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=5, help="most runs per count (median reported)"
    )
    parser.add_argument("--only", choices=["approval", "ranked", "lottery"], default=None)
    parser.add_argument("--no-refs", action="store_true", help="time Mandate only")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = load_average()
    rows: list[dict[str, Any]] = []
    if args.only != "lottery":
        rows += count_rows(args)
    if args.only in (None, "lottery"):
        rows += lottery_rows(args)
    analyse(rows)
    for row in rows:
        if row["family"] != "lottery" and row["constraints"]:
            base = next(
                (
                    r
                    for r in rows
                    if r["method"] == row["method"]
                    and r.get("model") == row["model"]
                    and r.get("voters") == row["voters"]
                    and r["seats"] == row["seats"]
                    and not r["constraints"]
                ),
                None,
            )
            row["unconstrained_winners"] = base and winners_of(base)
    lotteries = analyse_lotteries(rows)
    table = markdown(rows, lotteries)
    for row in rows:  # the panel lists are long and can be recomputed: keep their length only
        for out in [row["mandate"], *row["refs"]]:
            if "panels" in out:
                out["panels"] = len(out["panels"])
    report = header("bench.methods", argv, started, load_before) | {
        "seed": SEED,
        "data_seed": DATA_SEED,
        "targets": targets(rows),
        "lotteries": lotteries,
        "rows": rows,
        "table": table,
    }
    out_path = save(report, args.out, "methods")
    print(table)
    print()
    for target in report["targets"]:
        measured = {k: v for k, v in target.items() if k not in ("target", "met")}
        print(("met    " if target["met"] else "MISSED ") + target["target"], measured)
    print(f"\n{report['elapsed_seconds']:.0f} s in all; results in {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
