"""Ballot intake under load: Mandate's database path against one Workflow Update per ballot.

What it measures, in one invocation on one machine:

* **mandate** - ``--clients`` concurrent HTTP clients (one ``httpx.AsyncClient`` and one member
  token each) cast ``--ballots`` approval ballots in total with
  ``PUT /v1/rounds/{rid}/constituencies/{cid}/ballot`` against the embedded stack, started the
  way ``./run`` starts it (``mandate up``: Temporal dev server, SQLite, worker, one uvicorn API
  process) on free ports and a temporary data folder. Each ballot is validated, gated on the
  round row and written with its audit-log entry in one transaction; no Temporal call.
* **baseline** - the design DESIGN.md rejects: the same number of ballots at the same
  concurrency, each one Workflow Update on a single workflow (``bench/update_baseline.py``),
  against the same Temporal dev server, with a worker for it in this process. An Update that
  raises (Temporal allows 10 in flight and 2,000 in total per workflow run) is an error; errors
  are counted and reported by kind, never retried or hidden.

For each path: accepted ballots per second (accepted / wall time of the path), p50 and p99
latency of the accepted ones, and errors. Then the ratio of the two throughputs. The table is
printed and written to ``bench/results/ballots-<date>.json``.

    .venv/bin/python -m bench.ballots [--clients 100] [--ballots 2000]

All traffic goes to 127.0.0.1. Every loop is bounded by a count and by ``--path-timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import temporalio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Worker

from bench.update_baseline import Ballot, BallotBoxWorkflow, BoxInput

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
READY_LINE = "Press Ctrl-C to stop."
TOKEN_LINE = re.compile(r"^\s+(mdt_\S+)$")
TARGET_RATIO = 5.0
CALL_TIMEOUT = 60.0  # seconds; a call that takes longer counts as an error


# --- the stack ---------------------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


class Stack:
    """``mandate up`` as a child process on free ports and its own data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.api_port, self.temporal_port, self.ui_port = free_ports(3)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MANDATE_")}
        env.update(
            MANDATE_DATA_DIR=str(data_dir),
            MANDATE_API_HOST=HOST,
            MANDATE_API_PORT=str(self.api_port),
            MANDATE_TEMPORAL_ADDRESS=self.temporal_address,
            MANDATE_TEMPORAL_UI_PORT=str(self.ui_port),
        )
        self.lines: deque[str] = deque(maxlen=200)
        self.token: str | None = None
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [str(_mandate_command()), "up"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def temporal_address(self) -> str:
        return f"{HOST}:{self.temporal_port}"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # ends when the process closes its output
            line = line.rstrip("\n")
            self.lines.append(line)
            match = TOKEN_LINE.match(line)
            if match:
                self.token = match.group(1)
            if READY_LINE in line:
                self.ready.set()

    def wait_ready(self, within: float) -> str:
        deadline = time.monotonic() + within
        while not self.ready.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`mandate up` did not start:\n{self.output}")
        if self.token is None:
            raise RuntimeError(f"`mandate up` printed no secretariat token:\n{self.output}")
        return self.token

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> int:
        """Ctrl-C, as an operator would; killed outright if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._reader.join(10)
        return self.proc.returncode


def _mandate_command() -> Path:
    here = Path(sys.executable).parent / "mandate"
    return here if here.is_file() else ROOT / ".venv" / "bin" / "mandate"


# --- setting up a round with its voters --------------------------------------------------------


@dataclass
class Election:
    round_id: str
    ballot_path: str
    tokens: list[str]  # one member token per client
    choices: list[list[str]]  # the approvals the clients take turns sending


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def _ok(http: httpx.AsyncClient, method: str, path: str, token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await http.request(method, path, json=body, headers=headers)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path} answered {r.status_code}: {r.text}")
    return r.json()


async def _wait_phase(http: httpx.AsyncClient, round_id: str, phase: str, within: float) -> None:
    deadline = time.monotonic() + within
    while (await _ok(http, "GET", f"/v1/rounds/{round_id}/phase", None, None))["phase"] != phase:
        if time.monotonic() > deadline:
            raise RuntimeError(f"round {round_id} did not reach {phase} within {within:.0f} s")
        await asyncio.sleep(0.2)


async def set_up_election(base_url: str, secretariat: str, members: int) -> Election:
    """A constituency of ``members`` organisations, each with a member token, and a round with
    two candidates whose voting window stays open for the rest of the run."""
    s = secretariat
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) as http:
        c = (await _ok(http, "POST", "/v1/constituencies", s, {"name": "Bench constituency"}))["id"]
        k = await _ok(
            http,
            "POST",
            f"/v1/constituencies/{c}/coordinators",
            s,
            {"name": "Bench Coordinator", "email": "coordinator@example.org"},
        )
        coordinator = k["token"]
        gate = asyncio.Semaphore(10)

        async def member(i: int) -> tuple[str, str]:
            async with gate:
                org = await _ok(
                    http,
                    "POST",
                    "/v1/organisations",
                    s,
                    {
                        "name": f"Bench member {i:04d}",
                        "country": "KE",
                        "region": "africa",
                        "type": "network",
                        "migrant_led": False,
                        "grassroots": True,
                        "contact_email": f"member{i}@example.org",
                    },
                )
                path = f"/v1/constituencies/{c}/members"
                await _ok(http, "POST", path, coordinator, {"organisation_id": org["id"]})
                token = await _ok(http, "POST", f"{path}/{org['id']}/tokens", coordinator, {})
                return org["id"], token["token"]

        orgs = await asyncio.gather(*(member(i) for i in range(members)))
        body = {
            "title": "Bench round",
            "segments": [{"key": "plenary", "title": "Plenary"}],
            "participants": [{"constituency_id": c, "seats": 1}],
            "schedule": {
                "nominations_open_at": _at(1),
                "nominations_close_at": _at(8),
                "voting_open_at": _at(8),
                "voting_close_at": _at(3600),
            },
        }
        rid = (await _ok(http, "POST", "/v1/rounds", s, body))["id"]
        base = f"/v1/rounds/{rid}/constituencies/{c}"
        await _ok(http, "PUT", f"{base}/rules", coordinator, {})
        await _ok(http, "POST", f"/v1/rounds/{rid}/publish", s, None)
        await _wait_phase(http, rid, "nominations_open", 30)
        candidates = []
        for (org_id, token), name in zip(orgs[:2], ("Amal", "Bea"), strict=True):
            made = await _ok(
                http,
                "POST",
                f"{base}/nominations",
                token,
                {"nominee_name": name, "organisation_id": org_id, "statement": {"en": name}},
            )
            await _ok(
                http,
                "POST",
                f"/v1/nominations/{made['nomination']['id']}/consent",
                None,
                {"token": made["consent_token"], "decision": "accept"},
            )
            candidates.append(made["nomination"]["id"])
        await _wait_phase(http, rid, "voting_open", 60)
    a, b = candidates
    return Election(rid, f"{base}/ballot", [t for _, t in orgs], [[a], [b], [a, b]])


async def logged_ballots(base_url: str, round_id: str) -> int:
    """How many ballot.cast entries the round's audit log holds."""
    n, after = 0, 0
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) as http:
        for _ in range(10_000):  # pages of 1,000: bounded well above any --ballots
            page = await _ok(
                http, "GET", f"/v1/rounds/{round_id}/log?after={after}&limit=1000", None, None
            )
            n += sum(e["type"] == "ballot.cast" for e in page["entries"])
            if page["next_after"] is None:
                break
            after = page["next_after"]
    return n


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class PathResult:
    path: str
    clients: int
    attempted: int = 0
    accepted: int = 0
    errors: int = 0
    seconds: float = 0.0
    accepted_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when it is empty."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


class CpuMeter:
    """CPU used during a path, in cores: by the whole machine and by this benchmark's processes
    (this one and the stack's), so that load from elsewhere on the machine shows. Linux only;
    empty elsewhere."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._start: tuple[float, float, float] | None = None

    def _ours(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    parents[int(entry.name)] = int(_proc_fields(entry / "stat")[1])
        ours = {os.getpid(), self.root_pid}
        for _ in range(5):  # descendants, a few levels deep
            ours |= {pid for pid, ppid in parents.items() if ppid in ours}
        return sorted(ours)

    def _sample(self) -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        own = 0
        for pid in self._ours():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = _proc_fields(Path(f"/proc/{pid}/stat"))
                own += int(fields[11]) + int(fields[12])  # utime + stime
        return time.monotonic(), busy / self.hz, own / self.hz

    def start(self) -> None:
        self._start = self._sample() if Path("/proc/stat").exists() else None

    def stop(self) -> dict[str, float]:
        if self._start is None:
            return {}
        t1, busy1, own1 = self._sample()
        t0, busy0, own0 = self._start
        wall = t1 - t0
        machine, ours = (busy1 - busy0) / wall, (own1 - own0) / wall
        return {
            "machine_busy_cores": round(machine, 2),
            "benchmark_processes_cores": round(ours, 2),
            "other_processes_cores": round(max(0.0, machine - ours), 2),
        }


def _proc_fields(stat: Path) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    return stat.read_text().rsplit(")", 1)[1].split()


Call = Callable[[int, int], Awaitable[str | None]]  # (client, n) -> None or an error kind


async def drive(name: str, clients: int, total: int, limit: float, call: Call) -> PathResult:
    """``clients`` concurrent loops sharing ``total`` calls; stops early after ``limit`` s."""
    numbers = itertools.count()
    latencies: list[float] = []
    kinds: Counter[str] = Counter()
    attempted = 0
    started = time.perf_counter()
    deadline = started + limit

    async def loop(i: int) -> None:
        nonlocal attempted
        while time.perf_counter() < deadline:
            n = next(numbers)
            if n >= total:
                return
            attempted += 1
            t0 = time.perf_counter()
            try:
                kind = await asyncio.wait_for(call(i, n), CALL_TIMEOUT)
            except TimeoutError:
                kind = f"no answer within {CALL_TIMEOUT:.0f} s"
            if kind is None:
                latencies.append(time.perf_counter() - t0)
            else:
                kinds[kind] += 1

    await asyncio.gather(*(loop(i) for i in range(clients)))
    seconds = time.perf_counter() - started
    latencies.sort()
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return PathResult(
        path=name,
        clients=clients,
        attempted=attempted,
        accepted=len(latencies),
        errors=sum(kinds.values()),
        seconds=round(seconds, 3),
        accepted_per_s=round(len(latencies) / seconds, 1),
        p50_ms=None if p50 is None else round(p50 * 1000, 1),
        p99_ms=None if p99 is None else round(p99 * 1000, 1),
        error_kinds=dict(kinds.most_common()),
    )


async def mandate_path(
    base_url: str, e: Election, clients: int, total: int, limit: float
) -> PathResult:
    https = [
        httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {e.tokens[i % len(e.tokens)]}"},
            timeout=CALL_TIMEOUT,
        )
        for i in range(clients)
    ]

    async def cast(i: int, n: int) -> str | None:
        try:
            r = await https[i].put(e.ballot_path, json={"approvals": e.choices[n % len(e.choices)]})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:120]
        if r.status_code == 200:
            return None
        return f"HTTP {r.status_code} {r.text[:100]}"

    try:
        result = await drive("mandate", clients, total, limit, cast)
    finally:
        for http in https:
            await http.aclose()
    result.notes["ballot.cast entries in the audit log"] = await logged_ballots(
        base_url, e.round_id
    )
    return result


def error_kind(exc: BaseException) -> str:
    """A short, stable description: the exception and its causes, numbers blanked out."""
    parts = []
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            break
        parts.append(f"{type(seen).__name__}: {seen}".strip())
        seen = seen.__cause__
    return re.sub(r"\d+", "N", " <- ".join(parts))[:200]


async def baseline_path(address: str, clients: int, total: int, limit: float) -> PathResult:
    # The SDK logs each retried Update as a warning; the errors are counted here instead.
    quiet = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )
    client = await Client.connect(address, data_converter=pydantic_data_converter, runtime=quiet)
    queue = f"bench-ballot-box-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[BallotBoxWorkflow]):
        handle = await client.start_workflow(
            BallotBoxWorkflow.run, BoxInput(name="bench"), id=queue, task_queue=queue
        )
        choices = [["a"], ["b"], ["a", "b"]]

        async def cast(i: int, n: int) -> str | None:
            ballot = Ballot(voter=f"member-{i}", approvals=choices[n % len(choices)])
            try:
                await handle.execute_update(BallotBoxWorkflow.cast, ballot)
            except Exception as exc:  # any failure of the Update is the baseline's error
                return error_kind(exc)
            return None

        result = await drive("baseline", clients, total, limit, cast)
        try:
            await handle.signal(BallotBoxWorkflow.close)
            held = await asyncio.wait_for(handle.result(), 30)
            result.notes["ballots held by the workflow"] = held.ballots
        except Exception as exc:
            result.notes["workflow end"] = error_kind(exc)
            with contextlib.suppress(Exception):
                await handle.terminate("benchmark over")
        desc = await handle.describe()
        result.notes["history events"] = desc.history_length
    return result


# --- reporting ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "temporalio": temporalio.__version__,
        "database": "SQLite (embedded stack)",
    }


def table(rows: list[PathResult]) -> str:
    head = (
        "path",
        "clients",
        "ballots",
        "accepted",
        "errors",
        "seconds",
        "accepted/s",
        "p50 ms",
        "p99 ms",
    )
    lines = [head]
    for r in rows:
        lines.append(
            (
                r.path,
                str(r.clients),
                str(r.attempted),
                str(r.accepted),
                str(r.errors),
                f"{r.seconds:.1f}",
                f"{r.accepted_per_s:.1f}",
                "-" if r.p50_ms is None else f"{r.p50_ms:.0f}",
                "-" if r.p99_ms is None else f"{r.p99_ms:.0f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def summary(mandate: PathResult, baseline: PathResult) -> dict[str, Any]:
    ratio = (
        None
        if baseline.accepted_per_s == 0
        else round(mandate.accepted_per_s / baseline.accepted_per_s, 2)
    )
    met = mandate.errors == 0 and (ratio is None or ratio >= TARGET_RATIO) and mandate.accepted > 0
    return {
        "ratio": ratio,
        "ratio_note": "mandate accepted/s divided by baseline accepted/s"
        + ("; baseline accepted nothing" if ratio is None else ""),
        "target": f">= {TARGET_RATIO:g}x the baseline's throughput, 0 errors on the mandate path",
        "target_met": met,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mandate-bench-") as tmp:
        stack = Stack(Path(tmp) / "data")
        try:
            token = await asyncio.to_thread(stack.wait_ready, 180)
            print(f"stack up: API {stack.base_url}, Temporal {stack.temporal_address}", flush=True)
            election = await set_up_election(stack.base_url, token, args.clients)
            print(f"round {election.round_id}: voting open, {args.clients} members", flush=True)
            cpu = CpuMeter(stack.proc.pid)
            cpu.start()
            mandate = await mandate_path(
                stack.base_url, election, args.clients, args.ballots, args.path_timeout
            )
            mandate.notes["cpu"] = cpu.stop()
            print(table([mandate]), flush=True)
            cpu.start()
            baseline = await baseline_path(
                stack.temporal_address, args.clients, args.ballots, args.path_timeout
            )
            baseline.notes["cpu"] = cpu.stop()
        finally:
            code = await asyncio.to_thread(stack.stop)
            print(f"stack stopped (exit {code})", flush=True)
    return {
        "benchmark": "ballots",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "params": {"clients": args.clients, "ballots": args.ballots},
        "mandate": asdict(mandate),
        "baseline": asdict(baseline),
        **summary(mandate, baseline),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ballots", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (and members)")
    parser.add_argument("--ballots", type=int, default=2000, help="ballots per path, in total")
    parser.add_argument(
        "--path-timeout", type=float, default=120, help="seconds after which a path stops early"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default bench/results/ballots-DATE.json)",
    )
    args = parser.parse_args(argv)
    if args.clients < 2 or args.ballots < 1:
        parser.error("--clients must be at least 2 (two members stand) and --ballots at least 1")
    report = asyncio.run(run(args))
    mandate, baseline = PathResult(**report["mandate"]), PathResult(**report["baseline"])
    print()
    print(table([mandate, baseline]))
    for r in (mandate, baseline):
        for kind, n in r.error_kinds.items():
            print(f"  {r.path} error x{n}: {kind}")
        for what, value in r.notes.items():
            print(f"  {r.path}: {what}: {value}")
    ratio = "n/a" if report["ratio"] is None else f"{report['ratio']}x"
    print(f"ratio (mandate accepted/s / baseline accepted/s): {ratio}")
    print(f"target {report['target']}: {'MET' if report['target_met'] else 'NOT MET'}")
    out = args.out or RESULTS / f"ballots-{datetime.now(UTC).date().isoformat()}.json"
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
