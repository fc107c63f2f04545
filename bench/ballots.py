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

    .venv/bin/python -m bench.ballots [--clients 100] [--ballots 2000] [--no-baseline]

With ``--compare-rev REV`` it measures instead the mandate path of this checkout ("new") against
a stack started from REV ("old", a ``git worktree`` in a temporary folder, run with the same
Python and ``PYTHONPATH`` pointing at it), each on a fresh stack of its own, taking turns
``--compare-repeat`` times; it reports the ratio of the median throughputs new / old (the
project's target for the Merkle log: at least 0.8), p50/p99 of both, and CPU milliseconds per
ballot by process. The new stack's log integrator runs meanwhile, as the worker starts it.

    .venv/bin/python -m bench.ballots --compare-rev 4b5c8c0 [--compare-repeat 2]

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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator
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
TARGET_INGEST_RATIO = 0.8  # with --compare-rev: new / old throughput
TARGET_SPEEDUP = 2.5  # with --compare-rev c1ab520: new / old throughput (the ingest issue)
TARGET_P99_MS = 250.0
TARGET_API_CPU_MS = 1.5
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
    """``mandate up`` as a child process on free ports and its own data folder.

    With ``code`` (a checkout of another revision), ``python -m mandate.cli up`` runs from that
    checkout, with the same Python and packages: ``PYTHONPATH`` puts the checkout's packages
    ahead of the editable install of this one, and the stack's own processes inherit it.
    """

    def __init__(
        self, data_dir: Path, code: Path | None = None, extra_env: dict[str, str] | None = None
    ) -> None:
        self.api_port, self.temporal_port, self.ui_port = free_ports(3)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MANDATE_")}
        env.update(
            MANDATE_DATA_DIR=str(data_dir),
            MANDATE_API_HOST=HOST,
            MANDATE_API_PORT=str(self.api_port),
            MANDATE_TEMPORAL_ADDRESS=self.temporal_address,
            MANDATE_TEMPORAL_UI_PORT=str(self.ui_port),
            # The round's schedule is seconds long: no minimum notice (older code ignores it).
            MANDATE_NOTICE_NOMINATIONS="0",
            MANDATE_NOTICE_CONSENT="0",
            MANDATE_NOTICE_VOTING="0",
            MANDATE_NOTICE_ACCEPTANCE="0",
        )
        env.update(extra_env or {})
        if code is None:
            command, cwd = [str(_mandate_command()), "up"], ROOT
        else:
            command, cwd = [sys.executable, "-m", "mandate.cli", "up"], code
            env["PYTHONPATH"] = str(code)
        self.lines: deque[str] = deque(maxlen=200)
        self.token: str | None = None
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            command,
            cwd=cwd,
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
    (this one and the stack's), so that load from elsewhere on the machine shows; and by each
    of the benchmark's processes by role (the API, the worker, the Temporal server, the
    benchmark itself). Linux only; empty elsewhere."""

    def __init__(self, root_pid: int, database: str | None = None) -> None:
        self.root_pid = root_pid
        # PostgreSQL's backends serving the stack's own database (its name in their title).
        self.database = database
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._start: tuple[float, float, dict[int, tuple[str, float]]] | None = None

    def _ours(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    parents[int(entry.name)] = int(_proc_fields(entry / "stat")[1])
        ours = {os.getpid(), self.root_pid}
        for _ in range(5):  # descendants, a few levels deep
            ours |= {pid for pid, ppid in parents.items() if ppid in ours}
        if self.database:
            for pid in parents:
                with contextlib.suppress(OSError):
                    if f" {self.database} ".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                        ours.add(pid)
        return sorted(ours)

    def _role(self, pid: int) -> str:
        if pid == os.getpid():
            return "benchmark"
        if pid == self.root_pid:
            return "mandate up"
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        words = [a.decode(errors="replace") for a in args if a]
        if self.database and words and words[0].startswith("postgres:"):
            return "postgresql"
        if words and words[-1] in ("api", "worker"):
            return words[-1]
        if any(w.endswith("temporal") for w in words[:1]):
            return "temporal server"
        return "other (" + " ".join(words)[:40] + ")"

    def _sample(self) -> tuple[float, float, dict[int, tuple[str, float]]]:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        own: dict[int, tuple[str, float]] = {}
        parent: dict[int, int] = {}
        for pid in self._ours():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = _proc_fields(Path(f"/proc/{pid}/stat"))
                used = (int(fields[11]) + int(fields[12])) / self.hz  # utime + stime
                own[pid] = (self._role(pid), used)
                parent[pid] = int(fields[1])
        for pid, (role, used) in own.items():
            # Several API processes (MANDATE_API_PROCESSES): uvicorn's manager, `mandate api`,
            # starts them; all of them count as the API.
            above = own.get(parent.get(pid, 0))
            if role.startswith("other") and above is not None and above[0] == "api":
                own[pid] = ("api", used)
        return time.monotonic(), busy / self.hz, own

    def start(self) -> None:
        self._start = self._sample() if Path("/proc/stat").exists() else None

    def stop(self) -> dict[str, Any]:
        if self._start is None:
            return {}
        t1, busy1, own1 = self._sample()
        t0, busy0, own0 = self._start
        wall = t1 - t0
        roles: dict[str, float] = {}
        for pid, (role, used) in own1.items():
            roles[role] = roles.get(role, 0.0) + used - own0.get(pid, (role, 0.0))[1]
        machine, ours = (busy1 - busy0) / wall, sum(roles.values()) / wall
        return {
            "machine_busy_cores": round(machine, 2),
            "benchmark_processes_cores": round(ours, 2),
            "other_processes_cores": round(max(0.0, machine - ours), 2),
            "cores_by_process": {k: round(v / wall, 2) for k, v in sorted(roles.items())},
            "seconds": round(wall, 2),
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


async def log_size(base_url: str) -> int | None:
    """The size of the latest signed checkpoint, or None for a stack without a Merkle log."""
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) as http:
        r = await http.get("/v1/log")
    if r.status_code != 200:
        return None
    size: int = r.json()["size"]
    return size


async def mandate_path(
    base_url: str,
    e: Election,
    clients: int,
    total: int,
    limit: float,
    cpu: CpuMeter | None = None,
    name: str = "mandate",
) -> PathResult:
    """The Mandate path; ``cpu`` (started by the caller) is stopped as soon as the last call
    ends. On a stack with a Merkle log, also how far its integrator had got by then."""
    size_before = await log_size(base_url)
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

    if cpu is not None:
        cpu.start()
    try:
        result = await drive(name, clients, total, limit, cast)
    finally:
        if cpu is not None:
            result_cpu = cpu.stop()
        for http in https:
            await http.aclose()
    if cpu is not None:
        result.notes["cpu"] = result_cpu
    if size_before is not None:
        result.notes["merkle log"] = await integrator_progress(
            base_url, size_before, result.accepted
        )
    result.notes["ballot.cast entries in the audit log"] = await logged_ballots(
        base_url, e.round_id
    )
    return result


async def integrator_progress(base_url: str, before: int, accepted: int) -> dict[str, Any]:
    """How many entries the stack's integrator had put in a signed checkpoint when the path
    ended, and how long it then took to cover every accepted ballot (polled, up to 60 s)."""
    at_end = await log_size(base_url)
    t0 = time.perf_counter()
    size = at_end
    while size is not None and size < before + accepted and time.perf_counter() - t0 < 60:
        await asyncio.sleep(0.25)
        size = await log_size(base_url)
    return {
        "checkpoint size before the path": before,
        "checkpoint size when the last ballot was answered": at_end,
        "entries still to integrate then (at least)": max(0, before + accepted - (at_end or 0)),
        "seconds until a checkpoint covered every ballot": None
        if size is None or size < before + accepted
        else round(time.perf_counter() - t0, 2),
    }


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


def machine(database: str | None = None) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "temporalio": temporalio.__version__,
        "database": "SQLite (embedded stack)"
        if database is None
        else f"PostgreSQL ({database.rsplit('@', 1)[-1]}), a new database per stack",
        "load_average_at_end": os.getloadavg(),
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


def summary(mandate: PathResult, baseline: PathResult | None) -> dict[str, Any]:
    if baseline is None:
        return {"ratio": None, "ratio_note": "the baseline was not run (--no-baseline)"}
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


def database_name(env: dict[str, str]) -> str | None:
    url = env.get("MANDATE_DATABASE_URL")
    return None if url is None else url.rsplit("/", 1)[1]


@contextlib.contextmanager
def stack_env(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The stack's settings from the options; with ``--database``, a new empty database on
    that server for this stack, dropped afterwards."""
    env = {}
    if args.api_processes is not None:
        env["MANDATE_API_PROCESSES"] = str(args.api_processes)
    if args.database is None:
        yield env
        return
    from sqlalchemy import create_engine, text

    name = f"mandate_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(args.database, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        env["MANDATE_DATABASE_URL"] = args.database.rsplit("/", 1)[0] + f"/{name}"
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="mandate-bench-") as tmp, stack_env(args) as env:
        stack = Stack(Path(tmp) / "data", extra_env=env)
        try:
            token = await asyncio.to_thread(stack.wait_ready, 180)
            print(f"stack up: API {stack.base_url}, Temporal {stack.temporal_address}", flush=True)
            election = await set_up_election(stack.base_url, token, args.clients)
            print(f"round {election.round_id}: voting open, {args.clients} members", flush=True)
            cpu = CpuMeter(stack.proc.pid, database_name(env))
            mandate = await mandate_path(
                stack.base_url, election, args.clients, args.ballots, args.path_timeout, cpu
            )
            print(table([mandate]), flush=True)
            baseline = None
            if args.baseline:
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
        "machine": machine(args.database),
        "code": code_state(),
        "params": {"clients": args.clients, "ballots": args.ballots},
        "mandate": asdict(mandate),
        "baseline": None if baseline is None else asdict(baseline),
        **summary(mandate, baseline),
    }


# --- against an earlier revision ---------------------------------------------------------------


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def code_state() -> dict[str, Any]:
    """The commit measured, and whether the checkout had uncommitted changes to the code."""
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_files": git(
            "status", "--porcelain", "--", "api", "activities", "mandate", "policies", "records",
            "store", "workflows",
        ).splitlines(),
    }  # fmt: skip


@contextlib.contextmanager
def worktree(rev: str, parent: Path) -> Iterator[Path]:
    """A detached ``git worktree`` of ``rev`` under ``parent``, removed afterwards."""
    path = parent / "tree"
    git("worktree", "add", "--detach", str(path), rev)
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(path)],
            cwd=ROOT,
            capture_output=True,
            check=False,
            timeout=120,
        )


async def stack_run(
    label: str, code: Path | None, args: argparse.Namespace, with_baseline: bool
) -> tuple[PathResult, PathResult | None]:
    """Start a stack (this checkout, or ``code``), set up a round, measure the Mandate path
    (and the Update baseline, if asked), stop the stack."""
    baseline = None
    with (
        tempfile.TemporaryDirectory(prefix=f"mandate-bench-{label}-") as tmp,
        stack_env(args) as env,
    ):
        stack = Stack(Path(tmp) / "data", code, env)
        try:
            token = await asyncio.to_thread(stack.wait_ready, 180)
            election = await set_up_election(stack.base_url, token, args.clients)
            print(f"{label}: stack up, round {election.round_id} open for voting", flush=True)
            result = await mandate_path(
                stack.base_url,
                election,
                args.clients,
                args.ballots,
                args.path_timeout,
                CpuMeter(stack.proc.pid, database_name(env)),
                label,
            )
            print(table([result]), flush=True)
            if with_baseline:
                cpu = CpuMeter(stack.proc.pid, database_name(env))
                cpu.start()
                baseline = await baseline_path(
                    stack.temporal_address, args.clients, args.ballots, args.path_timeout
                )
                baseline.notes["cpu"] = cpu.stop()
        finally:
            code_ = await asyncio.to_thread(stack.stop)
            print(f"{label}: stack stopped (exit {code_})", flush=True)
    return result, baseline


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 2) if known else None


def cpu_ms_per_ballot(r: PathResult) -> dict[str, float]:
    """CPU milliseconds per accepted ballot, by process: what each ballot cost, whatever the
    machine's other load (which changes the wall time, not the work)."""
    return cpu_ms_per(r.notes.get("cpu") or {}, r.accepted)


def cpu_ms_per(cpu: dict[str, Any], n: int) -> dict[str, float]:
    """CPU milliseconds per unit of work, by process, from a ``CpuMeter`` reading over ``n``
    units; with the stack's three processes summed. Empty without a reading or work."""
    if not n or "seconds" not in cpu:
        return {}
    per = cpu["seconds"] * 1000 / n
    out = {k: round(v * per, 2) for k, v in cpu["cores_by_process"].items()}
    out["stack (api + worker + temporal server)"] = round(
        sum(v for k, v in out.items() if k in ("api", "worker", "temporal server")), 2
    )
    return out


def medians(runs: list[PathResult]) -> dict[str, Any]:
    costs = [cpu_ms_per_ballot(r) for r in runs]
    return {
        "runs": len(runs),
        "accepted_per_s": _median([r.accepted_per_s for r in runs]),
        "p50_ms": _median([r.p50_ms for r in runs]),
        "p99_ms": _median([r.p99_ms for r in runs]),
        "errors": sum(r.errors for r in runs),
        "other_processes_cores": _median(
            [(r.notes.get("cpu") or {}).get("other_processes_cores") for r in runs]
        ),
        "cpu_ms_per_ballot": {
            k: _median([c.get(k) for c in costs]) for k in sorted({k for c in costs for k in c})
        },
    }


async def run_compare(args: argparse.Namespace) -> dict[str, Any]:
    """The Mandate path on this checkout ("new") and on ``--compare-rev`` ("old"), each on its
    own fresh stack, taking turns new-old, old-new, ... so that drifting load from elsewhere
    falls on both."""
    rev = git("rev-parse", "--short", f"{args.compare_rev}^{{commit}}")
    new_runs: list[PathResult] = []
    old_runs: list[PathResult] = []
    baseline = None
    with (
        tempfile.TemporaryDirectory(prefix="mandate-bench-rev-") as tmp,
        worktree(rev, Path(tmp)) as old_code,
    ):
        print(f"old: {args.compare_rev} ({rev}) checked out at {old_code}", flush=True)
        for i in range(args.compare_repeat):
            order = ("new", "old") if i % 2 == 0 else ("old", "new")
            for label in order:
                if label == "new":
                    want_baseline = args.baseline and baseline is None
                    result, b = await stack_run("new", None, args, want_baseline)
                    baseline = baseline or b
                    new_runs.append(result)
                else:
                    result, _ = await stack_run("old", old_code, args, False)
                    old_runs.append(result)
    new, old = medians(new_runs), medians(old_runs)
    ratio = (
        round(new["accepted_per_s"] / old["accepted_per_s"], 3)
        if new["accepted_per_s"] and old["accepted_per_s"]
        else None
    )
    # Each turn ran one stack right after the other: their ratio sees the least load drift.
    paired = [
        round(n.accepted_per_s / o.accepted_per_s, 3)
        for n, o in zip(new_runs, old_runs, strict=True)
        if o.accepted_per_s
    ]
    api_new = new["cpu_ms_per_ballot"].get("api")
    api_old = old["cpu_ms_per_ballot"].get("api")
    return {
        "benchmark": "ballots-compare",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.database),
        "code": {"new": code_state(), "old": {"rev": args.compare_rev, "commit": rev}},
        "params": {
            "clients": args.clients,
            "ballots": args.ballots,
            "compare_repeat": args.compare_repeat,
        },
        "new": new,
        "old": old,
        "new_runs": [asdict(r) for r in new_runs],
        "old_runs": [asdict(r) for r in old_runs],
        "baseline": None if baseline is None else asdict(baseline),
        "ratio": ratio,
        "ratio_note": "median accepted/s of the new stack divided by that of the old one",
        "paired_ratios": paired,
        "paired_ratio_median": _median(list(paired)),
        "api_cpu_ratio": round(api_old / api_new, 3) if api_new and api_old else None,
        "api_cpu_ratio_note": "old API CPU ms per ballot divided by new: the throughput ratio "
        "an API process with a core to itself would show",
        "target": f">= {TARGET_INGEST_RATIO:g}, 0 errors on either path",
        "target_met": ratio is not None
        and ratio >= TARGET_INGEST_RATIO
        and new["errors"] == 0
        and old["errors"] == 0,
        # The ingest issue's targets against c1ab520: throughput, tail latency, API CPU.
        "speed_target": f">= {TARGET_SPEEDUP:g}x, p99 <= {TARGET_P99_MS:g} ms, 0 errors, API "
        f"CPU <= {TARGET_API_CPU_MS:g} ms per ballot",
        "speed_target_met": ratio is not None
        and ratio >= TARGET_SPEEDUP
        and (new["p99_ms"] or float("inf")) <= TARGET_P99_MS
        and new["errors"] == 0
        and (api_new or float("inf")) <= TARGET_API_CPU_MS,
    }


def print_paths(rows: list[PathResult]) -> None:
    print(table(rows))
    for r in rows:
        for kind, n in r.error_kinds.items():
            print(f"  {r.path} error x{n}: {kind}")
        for what, value in r.notes.items():
            print(f"  {r.path}: {what}: {value}")


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
        "--compare-rev",
        metavar="REV",
        help="also measure the Mandate path on a stack started from REV (a git worktree), "
        "and report the throughput ratio this checkout / REV",
    )
    parser.add_argument(
        "--compare-repeat",
        type=int,
        default=2,
        help="with --compare-rev: runs of each stack, taking turns (medians are reported)",
    )
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the Update baseline path (default: yes, but no with --compare-rev)",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=None,
        help="MANDATE_API_PROCESSES for the stacks (default: the setting's default, the core "
        "count; code older than the setting runs one)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="MANDATE_DATABASE_URL for the stacks, e.g. an empty PostgreSQL database for each "
        "run is made from it (default: SQLite in the stack's data folder)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default bench/results/ballots[-compare]-DATE.json)",
    )
    args = parser.parse_args(argv)
    if args.clients < 2 or args.ballots < 1 or args.compare_repeat < 1:
        parser.error(
            "--clients must be at least 2 (two members stand), --ballots and --compare-repeat "
            "at least 1"
        )
    if args.baseline is None:
        args.baseline = args.compare_rev is None
    date = datetime.now(UTC).date().isoformat()
    if args.compare_rev:
        report = asyncio.run(run_compare(args))
        print()
        print_paths(
            [PathResult(**r) for r in report["new_runs"] + report["old_runs"]]
            + ([PathResult(**report["baseline"])] if report["baseline"] else [])
        )
        print(f"new (median of {report['new']['runs']}): {report['new']}")
        print(f"old (median of {report['old']['runs']}): {report['old']}")
        print(f"ratio (new accepted/s / old accepted/s): {report['ratio']}")
        print(f"  turn by turn: {report['paired_ratios']}")
        print(f"  API CPU per ballot, old / new: {report['api_cpu_ratio']}")
        print(f"target {report['target']}: {'MET' if report['target_met'] else 'NOT MET'}")
        met = "MET" if report["speed_target_met"] else "NOT MET"
        print(f"speed target {report['speed_target']}: {met}")
        default_out = RESULTS / f"ballots-compare-{date}.json"
    else:
        report = asyncio.run(run(args))
        print()
        rows = [PathResult(**report["mandate"])]
        if report["baseline"] is not None:
            rows.append(PathResult(**report["baseline"]))
        print_paths(rows)
        if report["ratio"] is not None:
            print(f"ratio (mandate accepted/s / baseline accepted/s): {report['ratio']}x")
            print(f"target {report['target']}: {'MET' if report['target_met'] else 'NOT MET'}")
        default_out = RESULTS / f"ballots-{date}.json"
    out = (args.out or default_out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
