"""Sign-ons in the last minutes before a campaign closes, against ballot intake in the same run.

What it measures, in one invocation on one machine, on one embedded stack started the way
``./run`` starts it (``mandate up``: Temporal dev server, SQLite, worker, one uvicorn API
process), with mail going over SMTP to a server in a process of its own (aiosmtpd,
``bench.smtp_sink``):

* **ballots** (the baseline): ``--clients`` concurrent clients cast ``--ballots`` approval
  ballots with ``PUT .../ballot`` (``bench.ballots``' Mandate path), in a round whose voting
  is open.
* **sign-ons**: the same number of clients make ``--signons`` sign-ons on one campaign whose
  close falls while they are still at it. A share (``--outside-share``) are organisations
  outside the constituencies: each POSTs its signature (202, pending), waits for the code to
  arrive by mail, and POSTs it (200). The rest are member organisations, each signing with its
  own token in one request (201). Members, their organisations and tokens are written straight
  into the stack's database beforehand; that is set-up, not measured.

The close is set from the ballots' throughput so that about ``--late-share`` of the sign-ons
come after it. The ballots run again after the sign-ons (the machine's speed drifts; the
baseline is the mean of the two). Reported: sign-ons that counted per second (counted / time
from the first request to the last acknowledged sign-on before the close), p50 and p99
latency of a counted sign-on (an outside one's from its first request to its confirmation),
by kind, and requests per second; then the ratio to the ballots' accepted/s (target: at least
0.8, "the same throughput class as ballots, within 20%").

Checked after the close, from the published signatory list: every acknowledged sign-on is on
it, nothing else is, every request after the close was answered 409 ``phase_closed``, and no
other answer than 201/202/200 or that 409 was given.

    .venv/bin/python -m bench.signons [--clients 200] [--signons 20000] [--ballots 5000]

Results go to ``bench/results/signons-<date>.json``. All traffic goes to 127.0.0.1.

With ``--compare-rev REV`` it measures instead the sign-ons of this checkout ("new") against a
stack started from REV ("old": a ``git worktree`` in a temporary folder, run with the same
Python and ``PYTHONPATH`` pointing at it, as ``bench.ballots --compare-rev`` does), each turn on
a fresh stack of its own with its own SMTP server, taking turns new-old, old-new, ...
``--compare-repeat`` times. In each turn the ballots run once, before, only to pace the close
as above; the sign-ons and the checks after the close are those of the single run. Reported
per version (medians over its turns): sign-ons counted per second, p50/p99, errors (answers
other than 201/202/200 or 409 ``phase_closed``), CPU milliseconds per counted sign-on by
process (the API's; the load generator's, this process; read from the start of the sign-ons
to the close, the window the counted ones fall in) and the other processes' load; then the
ratio new / old of sign-ons counted per second, turn by turn and of the medians, and whether
the issue's target is met: at least 2.5x, p99 at most 250 ms, 0 errors, every check held, at
most 1.5 ms of API CPU per sign-on. The exit status is 1 when a turn's checks failed.

    .venv/bin/python -m bench.signons --clients 100 --signons 4000 --compare-rev c1ab520

What differs at ``c1ab520``, and how each version still gets the same campaign:

* The members and their tokens are written by the stack's own code (its ``store.registry``
  and ``store.credentials``, signed with its keys), in a process of its own with that
  revision's ``PYTHONPATH``, so that each writes its own schema and log entries. There an
  organisation's ``region`` is required (a free label; a signature's region came from its
  country), while later code takes a code of its region list and derives it from the country
  when none is given; the set-up names the country's M49 region (``region_of``, in both), so
  both registries hold the same regions.
* ``c1ab520`` has no rate limits and no mail budgets (``MANDATE_RATE_LIMITS_ENABLED`` is
  unknown to it and ignored); the new stack runs with them switched off, as in the single run.
* The campaign and signature routes take the same bodies and give the fields read here; later
  code adds ``code_sent_to`` to a 202 (not read) and answers in the request's language (none
  is asked: English).
* ``c1ab520`` runs one API process; the new stack ``MANDATE_API_PROCESSES`` (the core count).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.ballots import (
    CALL_TIMEOUT,
    RESULTS,
    ROOT,
    TARGET_API_CPU_MS,
    TARGET_P99_MS,
    TARGET_SPEEDUP,
    CpuMeter,
    PathResult,
    Stack,
    _median,
    code_state,
    cpu_ms_per,
    database_name,
    free_ports,
    git,
    machine,
    mandate_path,
    percentile,
    set_up_election,
    stack_env,
    table,
    worktree,
)

TARGET_RATIO = 0.8  # sign-ons counted/s over ballots accepted/s


class Codes:
    """The SMTP server (``bench.smtp_sink``, a process of its own) and the confirmation code of
    every signature it has been mailed."""

    def __init__(self, port: int) -> None:
        self.codes: dict[str, str] = {}
        self.lock = threading.Lock()
        self.mails = 0
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink", str(port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self.ready.wait(30):
            self.stop()
            raise RuntimeError("the SMTP server did not start")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            words = line.split()
            if words == ["READY"]:
                self.ready.set()
            elif len(words) == 3 and words[0] == "MAIL":
                with self.lock:
                    self.mails += 1
                    if words[1] != "-":
                        self.codes[words[1]] = words[2]

    def get(self, signature_id: str) -> str | None:
        with self.lock:
            return self.codes.get(signature_id)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self._reader.join(10)


def members_in_database(data_dir: str, constituency_id: str, n: int) -> list[str]:
    """``n`` member organisations with a token each, written straight into a stack's database
    (with their registry log entries, signed by the stack's keys).

    ``members_by`` runs it in a process of its own with the code of the stack's revision: so it
    imports what it uses itself, and uses only what ``c1ab520`` and later code have alike. Each
    organisation names its country's M49 region, which later code would derive by itself and
    which ``c1ab520`` requires.
    """
    from pathlib import Path

    from mandate import keyfile
    from mandate.settings import Settings
    from policies.access import Role
    from policies.regions import region_of
    from store import credentials, registry
    from store.db import Database

    settings = Settings(data_dir=Path(data_dir))
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
    tokens: list[str] = []
    try:
        for start in range(0, n, 500):
            with db.write() as conn:
                for i in range(start, min(n, start + 500)):
                    country = ("KE", "BR", "IN", "DE", "FJ")[i % 5]
                    org = registry.register_organisation(
                        conn,
                        {
                            "name": f"Bench union {i:05d}",
                            "country": country,
                            "region": region_of(country),
                            "type": ("trade_union", "network", "ngo")[i % 3],
                            "migrant_led": i % 2 == 0,
                            "grassroots": True,
                            "contact_email": f"union{i}@example.org",
                        },
                        "bench",
                    )
                    registry.admit_member(conn, constituency_id, org["id"], "bench")
                    issued = credentials.issue(
                        conn,
                        Role.MEMBER,
                        "bench member",
                        "bench",
                        constituency_id=constituency_id,
                        organisation_id=org["id"],
                    )
                    tokens.append(issued.token)
    finally:
        db.dispose()
    return tokens


def members_by(
    code: Path | None, data: Path, constituency_id: str, n: int, database_url: str | None = None
) -> list[str]:
    """``members_in_database`` run by the stack's own code, in a process of its own: with
    ``PYTHONPATH`` at ``code`` (another revision's checkout, as ``Stack`` runs it), or this
    checkout; on the stack's database (``database_url``, else the SQLite file in ``data``).
    Its tokens come back one a line."""
    script = (
        textwrap.dedent(inspect.getsource(members_in_database))
        + "\nimport sys\n"
        + "print('\\n'.join(members_in_database(sys.argv[1], sys.argv[2], int(sys.argv[3]))))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDATE_")}
    if database_url is not None:
        env["MANDATE_DATABASE_URL"] = database_url
    if code is not None:
        env["PYTHONPATH"] = str(code)
    done = subprocess.run(
        [sys.executable, "-c", script, str(data), constituency_id, str(n)],
        cwd=code or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    tokens = done.stdout.split()
    if done.returncode != 0 or len(tokens) != n:
        raise RuntimeError(
            f"writing {n} members gave {len(tokens)} tokens (exit {done.returncode}):\n"
            + done.stderr[-3000:]
        )
    return tokens


@dataclass
class SignOn:
    kind: str  # member | outside
    sent: float  # perf_counter at the first request
    done: float  # at the last answer
    status: int  # the last answer's status
    error: str | None  # the last answer's error code
    signature: str | None  # the signature that counts when it was acknowledged
    requests: int
    sent_after_close: bool  # the request that decided it was sent at or after the close


@dataclass
class SignOnResult:
    clients: int
    attempted: int = 0
    counted: int = 0
    late_refused: int = 0
    other_answers: dict[str, int] = field(default_factory=dict)
    seconds_to_close: float = 0.0
    counted_per_s: float = 0.0
    requests_per_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    by_kind: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


async def _ok(http: httpx.AsyncClient, method: str, path: str, token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await http.request(method, path, json=body, headers=headers)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path} answered {r.status_code}: {r.text}")
    return r.json()


async def signons(
    base_url: str,
    secretariat: str,
    data: Path,
    code: Path | None,
    codes: Codes,
    args: argparse.Namespace,
    expected_per_s: float,
    cpu: CpuMeter,
    database_url: str | None = None,
) -> SignOnResult:
    total, clients = args.signons, args.clients
    outside_n = round(total * args.outside_share)
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) as http:
        c = await _ok(http, "POST", "/v1/constituencies", secretariat, {"name": "Bench signers"})
        print(f"writing {total - outside_n} members into the database ...", flush=True)
        t0 = time.perf_counter()
        tokens = await asyncio.to_thread(
            members_by, code, data, c["id"], total - outside_n, database_url
        )
        print(f"  done in {time.perf_counter() - t0:.0f} s", flush=True)
        # The close: about late_share of the sign-ons come after it at the expected pace.
        window = total * (1 - args.late_share) / expected_per_s
        body = {
            "statement": {"en": {"title": "Bench statement", "text": "We, the undersigned..."}},
            "opens_at": datetime.now(UTC).isoformat(),
            "closes_at": (datetime.now(UTC) + timedelta(seconds=window + 3)).isoformat(),
            "milestones": [100, 1000, 10000],
            "contact": {"name": "Bench desk", "email": "desk@example.org"},
        }
        campaign = await _ok(http, "POST", "/v1/campaigns", secretariat, body)
        cid = campaign["id"]
        published = await _ok(http, "POST", f"/v1/campaigns/{cid}/publish", secretariat, None)
        statement_hash = published["statement_hash"]
        for _ in range(300):
            found = await _ok(http, "GET", f"/v1/campaigns/{cid}", None, None)
            if found["phase"] == "open":
                break
            await asyncio.sleep(0.1)
        close_at = datetime.fromisoformat(found["closes_at"])
    # The outside sign-ons spread through the run, not bunched at one end.
    plan = ["outside"] * outside_n + ["member"] * (total - outside_n)
    kinds = [plan[(i * 7919) % total] for i in range(total)] if total % 7919 else plan
    close_mono = time.perf_counter() + (close_at - datetime.now(UTC)).total_seconds()
    results: list[SignOn] = []
    counter = iter(range(total))
    member_tokens = iter(tokens)
    requests = 0
    https = [httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) for _ in range(clients)]

    async def member_sign(http: httpx.AsyncClient, token: str) -> SignOn:
        nonlocal requests
        sent = time.perf_counter()
        requests += 1
        r = await http.post(
            f"/v1/campaigns/{cid}/signatures",
            json={"statement_hash": statement_hash},
            headers={"Authorization": f"Bearer {token}"},
        )
        done = time.perf_counter()
        body = r.json()
        return SignOn(
            "member",
            sent,
            done,
            r.status_code,
            body.get("error"),
            body.get("signature", {}).get("id") if r.status_code == 201 else None,
            1,
            sent >= close_mono,
        )

    async def outside_sign(http: httpx.AsyncClient, n: int) -> SignOn:
        nonlocal requests
        sent = time.perf_counter()
        requests += 1
        r = await http.post(
            f"/v1/campaigns/{cid}/signatures",
            json={
                "statement_hash": statement_hash,
                "organisation": {
                    "name": f"Outside network {n:05d}",
                    "country": "PH",
                    "type": "ngo",
                },
                "signer": {"name": "Bench signer", "role": "Director"},
                "email": f"network{n}@example.org",
            },
        )
        body = r.json()
        if r.status_code != 202:
            return SignOn(
                "outside",
                sent,
                time.perf_counter(),
                r.status_code,
                body.get("error"),
                None,
                1,
                sent >= close_mono,
            )
        sid = body["signature"]["id"]
        code = None
        for _ in range(int(CALL_TIMEOUT / 0.05)):
            code = codes.get(sid)
            if code is not None:
                break
            await asyncio.sleep(0.05)
        if code is None:
            return SignOn("outside", sent, time.perf_counter(), 0, "no code mailed", None, 1, False)
        confirm_sent = time.perf_counter()
        requests += 1
        r = await http.post(f"/v1/signatures/{sid}/confirmation", json={"code": code})
        body = r.json()
        return SignOn(
            "outside",
            sent,
            time.perf_counter(),
            r.status_code,
            body.get("error"),
            sid if r.status_code == 200 else None,
            2,
            confirm_sent >= close_mono,
        )

    async def client(i: int) -> None:
        http = https[i]
        for n in counter:
            try:
                if kinds[n] == "member":
                    results.append(await member_sign(http, next(member_tokens)))
                else:
                    results.append(await outside_sign(http, n))
            except httpx.HTTPError as exc:
                now = time.perf_counter()
                results.append(SignOn(kinds[n], now, now, 0, type(exc).__name__, None, 1, False))

    left = (close_at - datetime.now(UTC)).total_seconds()
    print(
        f"campaign {cid}: {total} sign-ons, {clients} clients, closing in {left:.0f} s", flush=True
    )
    # The CPU is read at the close as well: the counted sign-ons all fall before it.
    to_close: dict[str, Any] | None = None

    async def read_at_close() -> None:
        nonlocal to_close
        await asyncio.sleep(max(0.0, close_mono - time.perf_counter()))
        to_close = cpu.stop()

    cpu.start()
    started = time.perf_counter()
    reader = asyncio.create_task(read_at_close())
    try:
        await asyncio.gather(*(client(i) for i in range(clients)))
    finally:
        cpu_used = cpu.stop()
        reader.cancel()
        for http in https:
            await http.aclose()
    wall = time.perf_counter() - started
    out = await _check(
        base_url, cid, results, started, close_mono, wall, requests, clients, cpu_used, codes
    )
    out.notes["cpu until the close"] = cpu_used if to_close is None else to_close
    return out


async def _check(
    base_url: str,
    cid: str,
    results: list[SignOn],
    started: float,
    close_mono: float,
    wall: float,
    requests: int,
    clients: int,
    cpu_used: dict[str, Any],
    codes: Codes,
) -> SignOnResult:
    counted = [r for r in results if r.signature is not None]
    late = [r for r in results if r.sent_after_close]
    refused_late = [r for r in late if r.status == 409 and r.error == "phase_closed"]
    other = Counter(
        f"{r.status} {r.error}"
        for r in results
        if r.signature is None and not (r.status == 409 and r.error == "phase_closed")
    )
    before_close = max((r.done for r in counted), default=started)
    out = SignOnResult(clients=clients, attempted=len(results), counted=len(counted))
    out.late_refused = len(refused_late)
    out.other_answers = dict(other.most_common())
    out.seconds_to_close = round(before_close - started, 2)
    out.counted_per_s = round(len(counted) / max(before_close - started, 1e-9), 1)
    out.requests_per_s = round(requests / wall, 1)
    latencies = sorted(r.done - r.sent for r in counted)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    out.p50_ms = None if p50 is None else round(p50 * 1000, 1)
    out.p99_ms = None if p99 is None else round(p99 * 1000, 1)
    for kind in ("member", "outside"):
        mine = sorted(r.done - r.sent for r in counted if r.kind == kind)
        k50, k99 = percentile(mine, 0.5), percentile(mine, 0.99)
        out.by_kind[kind] = {
            "counted": len(mine),
            "p50_ms": None if k50 is None else round(k50 * 1000, 1),
            "p99_ms": None if k99 is None else round(k99 * 1000, 1),
        }
    print("waiting for the campaign to conclude ...", flush=True)
    async with httpx.AsyncClient(base_url=base_url, timeout=CALL_TIMEOUT) as http:
        for _ in range(1200):
            found = (await http.get(f"/v1/campaigns/{cid}")).json()
            if found["phase"] == "concluded":
                break
            await asyncio.sleep(0.5)
        record = (await http.get(f"/v1/campaigns/{cid}/signatories")).json()["record"]
    listed = {s["signature_id"] for s in record["signatories"]}
    acknowledged = {r.signature for r in counted}
    out.checks = {
        "every acknowledged sign-on is on the published list": acknowledged <= listed,
        "nothing else is on it": listed <= acknowledged,
        "acknowledged but not listed": len(acknowledged - listed),
        "listed but not acknowledged": len(listed - acknowledged),
        "every request after the close got 409 phase_closed": len(refused_late) == len(late),
        "requests after the close": len(late),
        "acknowledged although sent after the close": sum(1 for r in counted if r.sent_after_close),
        "answers other than 201/202/200 or 409 phase_closed": sum(other.values()),
        "published total": record["counts"]["total"],
    }
    out.notes = {"cpu": cpu_used, "mail received by the SMTP server": codes.mails}
    return out


def report(ballots: PathResult, s: SignOnResult) -> str:
    lines = [table([ballots]), ""]
    lines.append(
        f"sign-ons: {s.attempted} attempted, {s.counted} counted in {s.seconds_to_close:.1f} s "
        f"before the close = {s.counted_per_s:.1f}/s; p50 {s.p50_ms} ms, p99 {s.p99_ms} ms; "
        f"{s.requests_per_s:.1f} requests/s overall"
    )
    for kind, k in s.by_kind.items():
        lines.append(
            f"  {kind}: {k['counted']} counted, p50 {k['p50_ms']} ms, p99 {k['p99_ms']} ms"
        )
    lines.append(f"  after the close: {s.late_refused} refused with 409 phase_closed")
    for name, value in s.checks.items():
        lines.append(f"  check: {name}: {value}")
    return "\n".join(lines)


def sound(s: SignOnResult) -> bool:
    """The checks after the close held, and no request got an answer it should not have."""
    return (
        all(
            s.checks[k]
            for k in (
                "every acknowledged sign-on is on the published list",
                "nothing else is on it",
                "every request after the close got 409 phase_closed",
            )
        )
        and not s.checks["answers other than 201/202/200 or 409 phase_closed"]
    )


@dataclass
class StackRun:
    """One stack's run: the ballots that paced the close, the sign-ons (checked after the
    close), the ballots after them if asked, and how the stack stopped."""

    label: str
    ballots: PathResult
    signons: SignOnResult
    ballots_after: PathResult | None
    stack_exit: int


async def stack_run(
    args: argparse.Namespace, code: Path | None = None, label: str = "", after: bool = True
) -> StackRun:
    """A fresh stack (this checkout, or ``code``) and SMTP server: ballots, sign-ons, ballots
    again if ``after``; the stack stopped."""
    prefix = f"{label}: " if label else ""
    port = free_ports(1)[0]
    codes = Codes(port)
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"mandate-bench-{label or 'signons'}-") as tmp,
            stack_env(args) as env,
        ):
            data = Path(tmp) / "data"
            stack = Stack(
                data,
                code,
                extra_env={
                    "MANDATE_SMTP_HOST": "127.0.0.1",
                    "MANDATE_SMTP_PORT": str(port),
                    "MANDATE_MAIL_INTERVAL": "0.2",
                    # Thousands of outside sign-ons from one address to one campaign: past
                    # the per-address limit and the campaign's mail budget by design.
                    "MANDATE_RATE_LIMITS_ENABLED": "false",
                    **env,
                },
            )
            try:
                token = await asyncio.to_thread(stack.wait_ready, 180)
                print(f"{prefix}stack up: API {stack.base_url}", flush=True)
                election = await set_up_election(stack.base_url, token, args.clients)
                cpu = CpuMeter(stack.proc.pid, database_name(env))
                name = f"{prefix}ballots"
                ballots = await mandate_path(
                    stack.base_url, election, args.clients, args.ballots, 600, cpu, name=name
                )
                print(table([ballots]), flush=True)
                result = await signons(
                    stack.base_url,
                    token,
                    data,
                    code,
                    codes,
                    args,
                    ballots.accepted_per_s,
                    cpu,
                    env.get("MANDATE_DATABASE_URL"),
                )
                # Ballots again, after: the machine's speed drifts, and the baseline is the
                # mean of the runs either side of the sign-ons.
                ballots_after = None
                if after:
                    ballots_after = await mandate_path(
                        stack.base_url, election, args.clients, args.ballots, 600, cpu, name=name
                    )
            finally:
                exit_code = await asyncio.to_thread(stack.stop)
                print(f"{prefix}stack stopped (exit {exit_code})", flush=True)
    finally:
        codes.stop()
    return StackRun(label, ballots, result, ballots_after, exit_code)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    done = await stack_run(args)
    ballots, result, after = done.ballots, done.signons, done.ballots_after
    assert after is not None
    baseline = (ballots.accepted_per_s + after.accepted_per_s) / 2
    ratio = round(result.counted_per_s / baseline, 2) if baseline else None
    print(report(ballots, result), flush=True)
    print(table([after]), flush=True)
    print(f"ratio sign-ons/ballots: {ratio} (target >= {TARGET_RATIO})", flush=True)
    return {
        "benchmark": "signons",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.database),
        "code": code_state(),
        "params": params(args),
        "ballots": asdict(ballots),
        "signons": asdict(result),
        "ballots_after": asdict(after),
        "baseline_per_s": round(baseline, 1),
        "ratio": ratio,
        "ratio_note": "sign-ons counted/s before the close divided by the mean of the ballots "
        "accepted/s measured before and after them",
        "target": f">= {TARGET_RATIO:g} (the same throughput class as ballots, within 20%)",
        "target_met": bool(ratio is not None and ratio >= TARGET_RATIO and sound(result)),
        "stack_exit": done.stack_exit,
    }


def params(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "clients": args.clients,
        "signons": args.signons,
        "ballots": args.ballots,
        "outside_share": args.outside_share,
        "late_share": args.late_share,
    }


# --- against an earlier revision ---------------------------------------------------------------


def cpu_ms_per_signon(s: SignOnResult) -> dict[str, float]:
    """CPU milliseconds per counted sign-on, by process, from the start of the sign-ons to the
    close (the counted ones all fall in it; the refusals after it do not weigh)."""
    return cpu_ms_per(s.notes.get("cpu until the close") or {}, s.counted)


def errors(s: SignOnResult) -> int:
    """Answers other than 201/202/200 or 409 ``phase_closed`` (a failed call is one too)."""
    return sum(s.other_answers.values())


def medians(runs: list[StackRun]) -> dict[str, Any]:
    costs = [cpu_ms_per_signon(r.signons) for r in runs]
    readings = [r.signons.notes.get("cpu until the close") or {} for r in runs]
    return {
        "runs": len(runs),
        "counted_per_s": _median([r.signons.counted_per_s for r in runs]),
        "p50_ms": _median([r.signons.p50_ms for r in runs]),
        "p99_ms": _median([r.signons.p99_ms for r in runs]),
        "errors": sum(errors(r.signons) for r in runs),
        "runs_whose_checks_held": sum(sound(r.signons) for r in runs),
        "api_cpu_ms_per_signon": _median([c.get("api") for c in costs]),
        "load_generator_cpu_ms_per_signon": _median([c.get("benchmark") for c in costs]),
        "other_processes_cores": _median([c.get("other_processes_cores") for c in readings]),
        "cpu_ms_per_signon": {
            k: _median([c.get(k) for c in costs]) for k in sorted({k for c in costs for k in c})
        },
        "ballots_per_s_pacing_the_close": _median([r.ballots.accepted_per_s for r in runs]),
    }


async def run_compare(args: argparse.Namespace) -> dict[str, Any]:
    """The sign-ons on this checkout ("new") and on ``--compare-rev`` ("old"), each turn on a
    fresh stack of its own, taking turns new-old, old-new, ... so that drifting load from
    elsewhere falls on both."""
    rev = git("rev-parse", "--short", f"{args.compare_rev}^{{commit}}")
    runs: dict[str, list[StackRun]] = {"new": [], "old": []}
    with (
        tempfile.TemporaryDirectory(prefix="mandate-bench-rev-") as tmp,
        worktree(rev, Path(tmp)) as old_code,
    ):
        print(f"old: {args.compare_rev} ({rev}) checked out at {old_code}", flush=True)
        for i in range(args.compare_repeat):
            order = ("new", "old") if i % 2 == 0 else ("old", "new")
            for label in order:
                code = None if label == "new" else old_code
                runs[label].append(await stack_run(args, code, label, after=False))
    new, old = medians(runs["new"]), medians(runs["old"])
    ratio = (
        round(new["counted_per_s"] / old["counted_per_s"], 3)
        if new["counted_per_s"] and old["counted_per_s"]
        else None
    )
    # Each turn ran one stack right after the other: their ratio sees the least load drift.
    paired = [
        round(n.signons.counted_per_s / o.signons.counted_per_s, 3)
        for n, o in zip(runs["new"], runs["old"], strict=True)
        if o.signons.counted_per_s
    ]
    api_new, api_old = new["api_cpu_ms_per_signon"], old["api_cpu_ms_per_signon"]
    checks_held = all(sound(r.signons) for r in runs["new"] + runs["old"])
    return {
        "benchmark": "signons-compare",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.database),
        "code": {"new": code_state(), "old": {"rev": args.compare_rev, "commit": rev}},
        "params": {**params(args), "compare_repeat": args.compare_repeat},
        "new": new,
        "old": old,
        "new_runs": [asdict(r) for r in runs["new"]],
        "old_runs": [asdict(r) for r in runs["old"]],
        "ratio": ratio,
        "ratio_note": "median sign-ons counted/s (before the close) of the new stack divided by "
        "that of the old one",
        "paired_ratios": paired,
        "paired_ratio_median": _median(list(paired)),
        "api_cpu_ratio": round(api_old / api_new, 3) if api_new and api_old else None,
        "api_cpu_ratio_note": "old API CPU ms per counted sign-on divided by new",
        "checks_held": checks_held,
        "target": f">= {TARGET_SPEEDUP:g}x, p99 <= {TARGET_P99_MS:g} ms, 0 errors, API CPU <= "
        f"{TARGET_API_CPU_MS:g} ms per sign-on",
        "target_met": ratio is not None
        and ratio >= TARGET_SPEEDUP
        and (new["p99_ms"] or float("inf")) <= TARGET_P99_MS
        and new["errors"] == 0
        and new["runs_whose_checks_held"] == new["runs"]
        and (api_new or float("inf")) <= TARGET_API_CPU_MS,
    }


def print_compare(found: dict[str, Any]) -> None:
    turns = zip(found["new_runs"], found["old_runs"], strict=True)
    for i, (new, old) in enumerate(turns, 1):
        for r in (new, old) if i % 2 else (old, new):  # the order they ran in
            s = SignOnResult(**r["signons"])
            cost = cpu_ms_per_signon(s)
            print(
                f"turn {i} {r['label']}: {s.counted}/{s.attempted} counted, "
                f"{s.counted_per_s:.1f}/s, p50 {s.p50_ms} ms, p99 {s.p99_ms} ms, "
                f"errors {errors(s)}, API CPU {cost.get('api')} ms/sign-on, load generator "
                f"{cost.get('benchmark')} ms/sign-on, other load "
                f"{(s.notes.get('cpu until the close') or {}).get('other_processes_cores')} "
                f"cores; checks {'held' if sound(s) else 'FAILED'}"
            )
            if not sound(s):
                for name, value in s.checks.items():
                    print(f"  check: {name}: {value}")
                for answer, n in s.other_answers.items():
                    print(f"  answer x{n}: {answer}")
    print(f"new (median of {found['new']['runs']}): {found['new']}")
    print(f"old (median of {found['old']['runs']}): {found['old']}")
    print(f"ratio (new counted/s / old counted/s): {found['ratio']}")
    print(f"  turn by turn: {found['paired_ratios']}")
    print(f"  API CPU per sign-on, old / new: {found['api_cpu_ratio']}")
    print(f"checks after the close, every turn: {'held' if found['checks_held'] else 'FAILED'}")
    print(f"speed target {found['target']}: {'MET' if found['target_met'] else 'NOT MET'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--signons", type=int, default=20_000)
    parser.add_argument("--ballots", type=int, default=5_000)
    parser.add_argument("--outside-share", type=float, default=0.2)
    parser.add_argument("--late-share", type=float, default=0.2)
    parser.add_argument(
        "--compare-rev",
        metavar="REV",
        help="measure the sign-ons on this checkout and on a stack started from REV (a git "
        "worktree), taking turns, and report the throughput ratio this checkout / REV",
    )
    parser.add_argument(
        "--compare-repeat",
        type=int,
        default=2,
        help="with --compare-rev: runs of each stack, taking turns (medians are reported)",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=None,
        help="MANDATE_API_PROCESSES for the stacks (default: the setting's default, the core "
        "count)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="a PostgreSQL server for the stacks: each stack gets a new empty database made "
        "from this URL, dropped afterwards (default: SQLite in the stack's data folder)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results file (default bench/results/signons[-compare]-DATE.json)",
    )
    args = parser.parse_args(argv)
    if args.compare_repeat < 1:
        parser.error("--compare-repeat must be at least 1")
    date = f"{datetime.now(UTC):%Y-%m-%d}"
    if args.compare_rev:
        found = asyncio.run(run_compare(args))
        print()
        print_compare(found)
        out = args.out or RESULTS / f"signons-compare-{date}.json"
        status = 0 if found["checks_held"] else 1
    else:
        found = asyncio.run(run(args))
        out = args.out or RESULTS / f"signons-{date}.json"
        status = 0 if found["target_met"] else 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=2) + "\n")
    print(f"written to {out}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
