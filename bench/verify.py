"""Bundle verification speed: ``records.bundle.verify_bundle`` against the raw cryptographic limit.

For each size (default 1,000, 10,000 and 100,000 ballots) a real bundle is built through the
store code (``bench/bundle_builder.py``) and cached by size (``--cache``, a temporary folder by
default; ``--rebuild`` builds again). Then, each in its own child process so that peak memory
is the measurement's own:

* **verify** - read the file, parse the JSON, ``verify_bundle(bundle)`` as ``mandate verify``
  runs it (for a big bundle it starts worker processes on spare CPUs); it must report ok.
  Timed from reading the file to the report. Records/s = entries in the bundle / that time.
  Peak memory: the resident memory of the verifying process and its workers together,
  sampled every 0.1 s by the parent (and never less than the process's own ``ru_maxrss``).
* **verify-1** - the same with ``workers=0``: everything in one process.
* **raw** - the same file: read and parse it, take out for each entry its public key,
  signature, DSSE PAE message and envelope bytes (not timed), then time a plain loop of
  ``Ed25519PublicKey.verify`` + ``sha256(0x00 || envelope)`` per entry, in one process.

The ratio verify/raw (records/s) is the result; the project's targets are a ratio of at least
0.7, and a 100,000-ballot bundle verified in under 30 s with under 1 GiB peak memory. Each
measurement runs ``--repeat`` times, the three taking turns; medians are reported. Each child
records the machine's CPU use during its timed section (all processes, and its own), so that
load from elsewhere on the machine shows.

    .venv/bin/python -m bench.verify [--sizes 1000 10000 100000] [--repeat 3] [--rev REV]
    .venv/bin/python -m bench.verify --profile 100000   # cProfile of verify-1, top functions

``--rev`` measures the verifier of a commit (from a ``git worktree``) rather than the checkout,
which may hold someone's unfinished change. Results go to ``bench/results/verify-<date>.json``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "mandate-bench-bundles"
TARGET_RATIO = 0.7
TARGET_SECONDS_100K = 30.0
TARGET_PEAK_MIB = 1024.0
CHILD_TIMEOUT = 3600.0


# --- inside a child: one measurement ----------------------------------------------------------


class Load:
    """CPU used by the whole machine and by this process between ``start`` and ``stop``, in
    cores (Linux ``/proc/stat``; empty elsewhere)."""

    def __init__(self) -> None:
        self.hz = os.sysconf("SC_CLK_TCK")
        self._t0 = self._busy0 = self._own0 = 0.0
        self._load0: tuple[float, float, float] | None = None

    def _busy(self) -> float:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        return (sum(ticks) - ticks[3] - ticks[4]) / self.hz  # all but idle and iowait

    @staticmethod
    def _own() -> float:
        """CPU seconds of this process and of its children that have ended (the verifier's
        worker processes, once it has shut them down)."""
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def start(self) -> None:
        self._load0 = os.getloadavg()
        self._t0, self._busy0, self._own0 = time.monotonic(), self._busy(), self._own()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        machine = (self._busy() - self._busy0) / wall
        own = (self._own() - self._own0) / wall
        assert self._load0 is not None
        return {
            "machine_busy_cores": round(machine, 2),
            "measured_processes_cores": round(own, 2),
            "other_processes_cores": round(max(0.0, machine - own), 2),
            "loadavg_1min_at_start": round(self._load0[0], 2),
        }


def peak_mib() -> float:
    """Peak resident memory of this process.

    Not of its children: a child's ``ru_maxrss`` starts from its parent's RSS at the fork
    before its exec, so it says nothing about the child. The parent samples the whole process
    tree instead (:func:`run_child`)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def child_verify(path: Path, workers: int | None) -> dict[str, Any]:
    """``workers`` as ``verify_bundle`` takes it: None for its default (as ``mandate verify``
    runs it), 0 for this process only."""
    from records.bundle import verify_bundle

    load = Load()
    load.start()
    t0 = time.perf_counter()
    data = path.read_bytes()
    t1 = time.perf_counter()
    bundle = json.loads(data)
    t2 = time.perf_counter()
    del data
    report = verify_bundle(bundle, workers=workers)
    t3 = time.perf_counter()
    seconds = t3 - t0
    cpu = load.stop()
    entries = len(bundle["entries"])
    return {
        "ok": report.ok,
        "problems": report.problems[:5],
        "entries": entries,
        "seconds": round(seconds, 3),
        "records_per_s": round(entries / seconds, 1),
        # The parts: reading the file (the page cache of this machine does not keep it long),
        # parsing the JSON, and verify_bundle itself.
        "read_seconds": round(t1 - t0, 3),
        "parse_seconds": round(t2 - t1, 3),
        "verify_bundle_seconds": round(t3 - t2, 3),
        "peak_mib_process": peak_mib(),
        "load": cpu,
    }


def child_raw(path: Path) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from records.dsse import pae

    t0 = time.perf_counter()
    bundle = json.loads(path.read_bytes())
    read_and_parse = time.perf_counter() - t0
    public = {
        k["key_id"]: Ed25519PublicKey.from_public_bytes(base64.b64decode(k["public_key"]))
        for k in bundle["key_list"]["keys"]
    }
    work: list[tuple[Ed25519PublicKey, bytes, bytes, bytes]] = []
    for entry in bundle["entries"]:
        data = entry["envelope"].encode()
        envelope = json.loads(data)
        signature = envelope["signatures"][0]
        message = pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
        work.append((public[signature["keyid"]], base64.b64decode(signature["sig"]), message, data))
    del bundle, envelope
    sha256 = hashlib.sha256
    load = Load()
    load.start()
    t0 = time.perf_counter()
    for key, sig, message, data in work:
        key.verify(sig, message)
        sha256(b"\x00" + data).digest()
    seconds = time.perf_counter() - t0
    cpu = load.stop()
    return {
        "entries": len(work),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(work) / seconds, 1),
        "read_and_parse_seconds_not_timed": round(read_and_parse, 3),
        "peak_mib_process": peak_mib(),
        "load": cpu,
    }


def child_profile(path: Path, top: int = 40) -> dict[str, Any]:
    """cProfile of one process verifying (``workers=0``: a profile sees only its process)."""
    from records.bundle import verify_bundle

    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    report = verify_bundle(json.loads(path.read_bytes()), workers=0)
    profile.disable()
    seconds = time.perf_counter() - t0
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    import records

    code = str(Path(records.__file__).resolve().parents[1]) + os.sep
    return {
        "ok": report.ok,
        "seconds_under_profiler": round(seconds, 3),
        "stats": out.getvalue().replace(code, ""),
    }


def child_build(voters: int, out: Path) -> dict[str, Any]:
    from bench.bundle_builder import build

    with tempfile.TemporaryDirectory(prefix="mandate-bench-build-") as tmp:
        built = build(voters, out, Path(tmp))
    return {
        "voters": built.voters,
        "entries": built.entries,
        "bytes": built.bytes,
        "build_seconds": built.seconds,
        "round_id": built.round_id,
    }


CHILDREN: dict[str, Callable[[list[str]], dict[str, Any]]] = {
    "verify": lambda a: child_verify(Path(a[0]), None),
    "verify-1": lambda a: child_verify(Path(a[0]), 0),
    "raw": lambda a: child_raw(Path(a[0])),
    "profile": lambda a: child_profile(Path(a[0])),
    "build": lambda a: child_build(int(a[0]), Path(a[1])),
}


# --- the parent: bundles, runs, report ---------------------------------------------------------


def tree_rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants now, in MiB (Linux)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return total / 2**20


def run_child(*args: str, code: Path | None = None) -> dict[str, Any]:
    """Run a measurement in a fresh process; with ``code`` (a checkout of another revision),
    ``records`` and ``policies`` come from there (this file is run by its path, so that the
    checkout's packages come first on ``sys.path``).

    Meanwhile, the resident memory of the process and of any worker processes it starts is
    sampled every 0.1 s; ``peak_mib`` is the larger of the highest sum seen and the process's
    own peak. Shared library pages count once per process."""
    env = dict(os.environ)
    if code is None:
        command = [sys.executable, "-m", "bench.verify", "--child", *args]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
        env["PYTHONPATH"] = str(code)
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + CHILD_TIMEOUT
    sampled = 0.0
    while True:
        try:
            out, err = proc.communicate(timeout=0.1)  # output is kept across timeouts
            break
        except subprocess.TimeoutExpired:
            sampled = max(sampled, tree_rss_mib(proc.pid))
            if time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise RuntimeError(f"child {args[0]} ran over {CHILD_TIMEOUT:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({proc.returncode}):\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if "peak_mib_process" in result:
        result["peak_mib_sampled_tree"] = round(sampled, 1)
        result["peak_mib"] = round(max(sampled, result["peak_mib_process"]), 1)
    return result


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def code_state(rev: str | None) -> dict[str, Any]:
    """Which verifier was measured: a commit, or this checkout with its uncommitted changes."""
    if rev is not None:
        return {
            "verifier_from": "a worktree of the commit",
            "commit": git("rev-parse", "--short", f"{rev}^{{commit}}"),
            "records_bundle_last_commit": git(
                "log", "-1", "--format=%h %s", rev, "--", "records/bundle.py"
            ),
        }
    return {
        "verifier_from": "this checkout",
        "commit": git("rev-parse", "--short", "HEAD"),
        "records_bundle_last_commit": git("log", "-1", "--format=%h %s", "--", "records/bundle.py"),
        "uncommitted_in_records_or_policies": git(
            "status", "--porcelain", "--", "records", "policies"
        ).splitlines(),
    }


@contextlib.contextmanager
def worktree(rev: str | None) -> Iterator[Path | None]:
    """A detached ``git worktree`` of ``rev`` in a temporary folder, removed afterwards."""
    if rev is None:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="mandate-bench-verify-") as tmp:
        path = Path(tmp) / "tree"
        git("worktree", "add", "--detach", str(path), rev)
        try:
            yield path
        finally:
            git("worktree", "remove", "--force", str(path))


def bundle_for(voters: int, cache: Path, rebuild: bool) -> tuple[Path, dict[str, Any]]:
    from records.bundle import BUNDLE_FORMAT

    tag = BUNDLE_FORMAT.rsplit("/", 1)[-1]
    path = cache / f"bundle-v{tag}-{voters}.json"
    meta_path = path.with_suffix(".meta.json")
    if rebuild or not (path.is_file() and meta_path.is_file()):
        cache.mkdir(parents=True, exist_ok=True)
        print(f"building a bundle of {voters} ballots ...", flush=True)
        partial = path.with_suffix(".partial")
        meta = run_child("build", str(voters), str(partial))
        partial.replace(path)
        meta |= {
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
            "builder_commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_in_store": git("status", "--porcelain", "--", "store").splitlines(),
        }
        meta_path.write_text(json.dumps(meta, indent=2) + "\n")
        print(f"  built in {meta['build_seconds']} s: {meta['entries']} entries", flush=True)
    meta = json.loads(meta_path.read_text())
    return path, meta


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


MODES = ("verify", "verify-1", "raw")  # verify_bundle as is; in one process; the raw loop


def measure(
    voters: int, path: Path, meta: dict[str, Any], repeat: int, code: Path | None
) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for i in range(repeat):
        for mode in MODES:  # taking turns, so that drifting load falls on each alike
            result = run_child(mode, str(path), code=code)
            if mode != "raw" and not result["ok"]:
                raise RuntimeError(f"verify_bundle did not report ok on {path}: {result}")
            runs[mode].append(result)
        print(
            f"  {voters}: run {i + 1}: "
            + ", ".join(
                f"{m} {runs[m][-1]['seconds']:.2f} s ({runs[m][-1]['records_per_s']:.0f}/s, "
                f"{runs[m][-1]['peak_mib']:.0f} MiB, other load "
                f"{runs[m][-1]['load']['other_processes_cores']})"
                for m in MODES
            ),
            flush=True,
        )

    def med(mode: str, key: str) -> float:
        return median([r[key] for r in runs[mode]])

    raw_rate = med("raw", "records_per_s")
    return {
        "voters": voters,
        "entries": meta["entries"],
        "bundle_mib": round(meta["bytes"] / 2**20, 1),
        "build_seconds": meta["build_seconds"],
        "verify_seconds": med("verify", "seconds"),
        "verify_records_per_s": med("verify", "records_per_s"),
        "verify_peak_mib": med("verify", "peak_mib"),
        "verify_peak_mib_process": med("verify", "peak_mib_process"),
        "verify_read_seconds": med("verify", "read_seconds"),
        "verify_parse_seconds": med("verify", "parse_seconds"),
        "verify_bundle_seconds": med("verify", "verify_bundle_seconds"),
        "verify_1_seconds": med("verify-1", "seconds"),
        "verify_1_verify_bundle_seconds": med("verify-1", "verify_bundle_seconds"),
        "verify_1_records_per_s": med("verify-1", "records_per_s"),
        "verify_1_peak_mib": med("verify-1", "peak_mib"),
        "raw_seconds": med("raw", "seconds"),
        "raw_records_per_s": raw_rate,
        "ratio": round(med("verify", "records_per_s") / raw_rate, 3),
        "ratio_1": round(med("verify-1", "records_per_s") / raw_rate, 3),
        "other_processes_cores": {
            m: median([r["load"]["other_processes_cores"] for r in runs[m]]) for m in MODES
        },
        "runs": runs,
    }


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ratio": f">= {TARGET_RATIO} at every size",
        "ratio_met": all(r["ratio"] >= TARGET_RATIO for r in rows),
    }
    big = [r for r in rows if r["voters"] >= 100_000]
    if big:
        r = big[0]
        out |= {
            "time_100k": f"< {TARGET_SECONDS_100K:g} s",
            "time_100k_met": r["verify_seconds"] < TARGET_SECONDS_100K,
            "memory_100k": f"< {TARGET_PEAK_MIB:g} MiB peak",
            "memory_100k_met": r["verify_peak_mib"] < TARGET_PEAK_MIB,
        }
    return out


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "ballots",
        "entries",
        "verify s",
        "verify rec/s",
        "raw rec/s",
        "ratio",
        "peak MiB",
        "1-proc rec/s",
        "1-proc ratio",
        "build s",
    )
    lines = [head] + [
        (
            str(r["voters"]),
            str(r["entries"]),
            f"{r['verify_seconds']:.2f}",
            f"{r['verify_records_per_s']:.0f}",
            f"{r['raw_records_per_s']:.0f}",
            f"{r['ratio']:.2f}",
            f"{r['verify_peak_mib']:.0f}",
            f"{r['verify_1_records_per_s']:.0f}",
            f"{r['ratio_1']:.2f}",
            f"{r['build_seconds']:.0f}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def machine() -> dict[str, Any]:
    import cryptography

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "python": platform.python_version(),
        "cryptography": cryptography.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(CHILDREN[argv[1]](argv[2:])))
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.verify", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="built bundles")
    parser.add_argument("--rebuild", action="store_true", help="build the bundles again")
    parser.add_argument("--profile", type=int, metavar="SIZE", help="cProfile verify at SIZE")
    parser.add_argument(
        "--rev",
        help="measure the verifier of this git revision (a worktree) instead of the checkout",
    )
    parser.add_argument("--out", type=Path, default=None, help="results file")
    args = parser.parse_args(argv)
    date = datetime.now(UTC).date().isoformat()
    state = code_state(args.rev)
    with worktree(args.rev) as code:
        if args.profile:
            path, _ = bundle_for(args.profile, args.cache, args.rebuild)
            prof = run_child("profile", str(path), code=code)
            out = args.out or RESULTS / f"verify-profile-{args.profile}-{date}.txt"
            out.write_text(
                f"cProfile of verify_bundle(workers=0) on {args.profile} ballots "
                f"({state['commit']}), {prof['seconds_under_profiler']} s under the profiler, "
                f"ok={prof['ok']}\n\n" + prof["stats"]
            )
            print(prof["stats"][:6000])
            print(f"written to {out}")
            return 0
        rows = []
        for voters in args.sizes:
            path, meta = bundle_for(voters, args.cache, args.rebuild)
            rows.append(measure(voters, path, meta, args.repeat, code))
    report = {
        "benchmark": "verify",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "code": state,
        "params": {"sizes": args.sizes, "repeat": args.repeat},
        "rows": rows,
        **targets(rows),
    }
    print()
    print(table(rows))
    print(json.dumps(targets(rows)))
    out = (args.out or RESULTS / f"verify-{date}.json").resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
