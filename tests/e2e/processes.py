"""Start and stop Mandate's processes the way an operator does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from tests.conftest import BIN, free_port

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def mandate_env(**settings: str) -> dict[str, str]:
    """The current environment without stray MANDATE_ variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANDATE_")}
    env.update({f"MANDATE_{k.upper()}": v for k, v in settings.items()})
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def run_mandate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """A one-shot ``mandate`` command run to completion, its output kept."""
    return subprocess.run(
        [sys.executable, "-m", "mandate.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def mandate(command: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return spawn([sys.executable, "-m", "mandate.cli", command], env, log)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout)


@contextmanager
def running(procs: list[subprocess.Popen[bytes]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


async def wait_for(check: Callable[[], T | None], within: float, what: str) -> T:
    """Poll ``check`` (in a thread: it may touch the database) until it answers."""
    deadline = time.monotonic() + within
    while True:
        result = await asyncio.to_thread(check)
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.2)


def eventually(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None and result is not False:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def temporal_dev_server(folder: Path, log: Path) -> Iterator[str]:
    """A standalone Temporal dev server of its own (SQLite file in ``folder``); its address.

    Its own, so that workflows with fixed ids (the log integrator) belong to this test alone.
    """
    port, ui_port = free_port(), free_port()
    proc = spawn(
        [
            str(BIN / "temporal"), "server", "start-dev", "--headless",
            "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(ui_port),
            "--db-filename", str(folder / "temporal.db"),
            "--log-level", "warn",
        ],
        mandate_env(),
        log,
    )  # fmt: skip
    with running([proc]):

        def up() -> bool:
            assert proc.poll() is None, f"Temporal exited early:\n{log.read_text()}"
            return listening(port)

        eventually(up, 30, "the Temporal frontend port")
        yield f"127.0.0.1:{port}"
        stop(proc)
