"""Several API processes behind one port, as ``./run`` starts them: each serving its own
socket, every answer counted once in /metrics whichever process gave it, a process killed
outright replaced while the port keeps answering, and the worker's Temporal metrics served
where the setting says."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.e2e.processes import eventually, mandate_env
from tests.e2e.test_run_command import Stack

pytestmark = pytest.mark.slow

PROCESSES = 2
_PID = re.compile(r"^gauge_livesum_(\d+)\.db$")


def _api_pids(folder: Path) -> set[int]:
    """The API processes alive now: each writes its in-progress gauge to a file of its own."""
    found = set()
    for file in folder.iterdir():
        m = _PID.match(file.name)
        if m and Path(f"/proc/{m.group(1)}").exists():
            found.add(int(m.group(1)))
    return found


def _count(text: str, route: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "mandate_http_requests_total" and s.labels.get("route") == route
    )


def _served_by(folder: Path, pid: int, route: str) -> float:
    """The answers to ``route`` that process ``pid`` counted (its own file of counters)."""
    file = folder / f"counter_{pid}.db"
    if not file.exists():
        return 0
    total = 0.0
    read = MmapedDict.read_all_values_from_file(str(file))  # type: ignore[no-untyped-call]
    for key, value, *_ in read:
        _, name, labels, _ = json.loads(key)
        if name == "mandate_http_requests_total" and labels.get("route") == route:
            total += value
    return total


def _answer(conn: socket.socket) -> bytes:
    conn.settimeout(30)
    got = b""
    while chunk := conn.recv(65536):
        got += chunk
    return got


def _text(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=5).text or None
    except httpx.TransportError:
        return None


def test_api_processes_share_one_port_and_their_metrics(tmp_path: Path) -> None:
    ports = {"api_port": free_port(), "temporal": free_port(), "temporal_ui_port": free_port()}
    worker_metrics = f"127.0.0.1:{free_port()}"
    data = tmp_path / "data"
    env = mandate_env(
        data_dir=str(data),
        api_port=str(ports["api_port"]),
        temporal_address=f"127.0.0.1:{ports['temporal']}",
        temporal_ui_port=str(ports["temporal_ui_port"]),
        api_processes=str(PROCESSES),
        worker_metrics_address=worker_metrics,
        metrics_dir=str(tmp_path / "metrics"),
    )
    base = f"http://127.0.0.1:{ports['api_port']}"
    folder = tmp_path / "metrics"
    stack = Stack(env)
    try:
        stack.wait_ready()
        assert f"API processes: {PROCESSES}" in stack.output
        pids = eventually(
            lambda: p if len(p := _api_pids(folder)) == PROCESSES else None,
            30,
            f"{PROCESSES} API processes",
        )
        # New connections each time, so the kernel hands them to either process.
        for _ in range(30):
            assert httpx.get(f"{base}/v1/keys", timeout=30).status_code == 200
        for _ in range(3):  # any process's scrape adds up all of them
            scraped = httpx.get(f"{base}/metrics", timeout=30)
            assert scraped.status_code == 200
            assert _count(scraped.text, "/v1/keys") == 30

        # A burst of connections made at once: the kernel hashes them over the processes'
        # sockets (mandate/api_sockets.py), and every process serves its share.
        burst = [socket.create_connection(("127.0.0.1", ports["api_port"])) for _ in range(40)]
        for conn in burst:
            with conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert _answer(conn).startswith(b"HTTP/1.1 200 ")
        shares = {pid: _served_by(folder, pid, "/healthz") for pid in pids}
        assert sum(shares.values()) >= len(burst)
        assert all(share >= len(burst) / 5 for share in shares.values()), shares

        victim = min(pids)
        os.kill(victim, signal.SIGKILL)
        # Every request is answered meanwhile: by the other process, or, on the killed one's
        # socket (mandate/api_sockets.py), by its replacement once it is up.
        for _ in range(10):
            assert httpx.get(f"{base}/v1/keys", timeout=30).status_code == 200
        replaced = eventually(
            lambda: p if len(p := _api_pids(folder)) == PROCESSES and victim not in p else None,
            60,
            "a new API process in place of the one killed",
        )
        assert len(replaced & pids) == PROCESSES - 1
        # What the killed process counted still counts.
        assert _count(httpx.get(f"{base}/metrics", timeout=30).text, "/v1/keys") == 40

        # The Temporal SDK's own metrics of the worker: workflow and activity failures...
        sdk = eventually(lambda: _text(f"http://{worker_metrics}/metrics"), 30, "worker metrics")
        assert "temporal_" in sdk
        assert stack.ctrl_c() == 0
    finally:
        stack.kill()
