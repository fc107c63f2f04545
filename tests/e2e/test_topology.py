"""The production topology of docker-compose.yml, without Docker.

A real PostgreSQL database, a standalone Temporal server, and several Mandate processes
started with the production commands: ``mandate keygen``, ``migrate``, ``bootstrap``, two
``worker`` processes and two ``api`` processes sharing one database, one Temporal task queue
and one signing key. One worker is killed outright mid-round; the other carries the round on.
"""

from __future__ import annotations

import hashlib
import re
import signal
import socket
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BIN, free_port, throwaway_postgres
from tests.e2e.processes import ROOT, eventually, mandate, mandate_env, running, spawn, stop

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _run(command: list[str], env: dict[str, str]) -> str:
    """A one-shot ``mandate`` command run to completion; its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "mandate.cli", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_compose_topology_without_docker(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()

    def dump() -> str:
        return "\n".join(
            f"===== {log.name} =====\n{log.read_text(errors='replace')}"
            for log in sorted(logs.glob("*.log"))
        )

    with throwaway_postgres() as database_url:
        temporal_port, ui_port = free_port(), free_port()
        api_ports = [free_port(), free_port()]
        assert len({temporal_port, ui_port, *api_ports}) == 4
        key_file = tmp_path / "secrets" / "record_key.pem"
        common = {
            "database_url": database_url,
            "temporal_address": f"127.0.0.1:{temporal_port}",
            "temporal_namespace": "default",
            "task_queue": "mandate",
            "data_dir": str(tmp_path / "data"),
            "api_host": "127.0.0.1",
            "record_key_file": str(key_file),
        }
        env = mandate_env(**common)

        # The record key is made beforehand, like the compose file's secret.
        keygen = _run(["keygen", str(key_file)], env)
        key_id = re.search(r"\(key id (\S+)\)", keygen)
        assert key_id, keygen
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

        temporal = spawn(
            [
                str(BIN / "temporal"), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(temporal_port), "--ui-port", str(ui_port),
                "--db-filename", str(tmp_path / "temporal.db"),
                "--log-level", "warn",
            ],
            env,
            logs / "temporal.log",
        )  # fmt: skip
        try:
            with running([temporal]) as procs:

                def temporal_up() -> bool:
                    assert temporal.poll() is None, "Temporal exited early"
                    return _listening(temporal_port)

                eventually(temporal_up, 30, "the Temporal frontend port")

                # One-shot jobs, as mandate-migrate and `docker compose run mandate-api bootstrap`.
                assert "database schema is up to date" in _run(["migrate"], env)
                out = _run(["bootstrap"], env)
                tokens = re.findall(r"^(mdt_\S+)$", out, re.MULTILINE)
                assert len(tokens) == 1, out
                auth = {"Authorization": f"Bearer {tokens[0]}"}
                assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # bootstrap kept the key

                workers = [mandate("worker", env, logs / f"worker{i}.log") for i in (1, 2)]
                procs.extend(workers)
                apis = [
                    mandate("api", mandate_env(**common, api_port=str(port)), logs / f"api{i}.log")
                    for i, port in enumerate(api_ports, 1)
                ]
                procs.extend(apis)
                clients = [
                    httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth, timeout=10)
                    for port in api_ports
                ]
                try:
                    one, two = clients

                    def all_alive() -> None:
                        for proc in procs:
                            assert proc.poll() is None, f"{proc.args!r} exited early"

                    def healthy(http: httpx.Client) -> bool:
                        all_alive()
                        try:
                            r = http.get("/healthz")
                        except httpx.TransportError:
                            return False
                        return r.status_code == 200 and r.json() == {
                            "status": "ok",
                            "temporal": "connected",
                        }

                    def polling(i: int) -> bool:
                        all_alive()
                        return "worker polling task queue" in (logs / f"worker{i}.log").read_text()

                    for http in clients:
                        eventually(partial(healthy, http), 30, f"{http.base_url}/healthz")
                    for i in (1, 2):
                        eventually(partial(polling, i), 30, f"worker {i} to poll")

                    # One signing key, from the secret, behind both APIs.
                    keys = [http.get("/v1/keys").json() for http in clients]
                    assert keys[0] == keys[1]
                    assert [k["key_id"] for k in keys[0]] == [key_id.group(1)]

                    # Commands through API #1.
                    c = one.post("/v1/constituencies", json={"name": "Domestic workers"})
                    assert c.status_code == 201, c.text
                    r = one.post(
                        "/v1/rounds",
                        json={
                            "title": "Topology forum",
                            "segments": [{"key": "plenary", "title": "Plenary"}],
                            "participants": [{"constituency_id": c.json()["id"], "seats": 1}],
                            "schedule": {
                                "nominations_open_at": _at(1),
                                "nominations_close_at": _at(3),
                                "voting_open_at": _at(4),
                                "voting_close_at": _at(5),
                            },
                        },
                    )
                    assert r.status_code == 201, r.text
                    round_id = r.json()["id"]
                    k = one.post(
                        f"/v1/constituencies/{c.json()['id']}/coordinators",
                        json={"name": "Rosa", "email": "rosa@example.org"},
                    ).json()
                    rules = one.put(
                        f"/v1/rounds/{round_id}/constituencies/{c.json()['id']}/rules",
                        json={},
                        headers={"Authorization": f"Bearer {k['token']}"},
                    )
                    assert rules.status_code == 200, rules.text
                    published = one.post(f"/v1/rounds/{round_id}/publish")
                    assert published.status_code == 200, published.text

                    # Reads through API #2.
                    got = two.get(f"/v1/rounds/{round_id}")
                    assert got.status_code == 200, got.text
                    assert got.json()["title"] == "Topology forum"
                    criteria = [
                        http.get(f"/v1/rounds/{round_id}/criteria").json() for http in clients
                    ]
                    assert criteria[0]["criteria_hash"] == criteria[1]["criteria_hash"]
                    canonical = criteria[1]["canonical"].encode()
                    assert hashlib.sha256(canonical).hexdigest() == criteria[1]["criteria_hash"]

                    def phase() -> Any:
                        return two.get(f"/v1/rounds/{round_id}/phase").json()["phase"]

                    eventually(lambda: phase() == "nominations_open", 15, "nominations to open")
                    assert stop(workers[0], signal.SIGKILL) == -signal.SIGKILL
                    eventually(lambda: phase() == "decided", 40, "the round to be decided")
                    log = two.get(f"/v1/rounds/{round_id}/log").json()["entries"]
                    assert [e["type"] for e in log].count("phase.changed") == 6
                finally:
                    for http in clients:
                        http.close()

                # Stop everything as an orchestrator does: APIs, then workers, then Temporal.
                codes = {f"api{i}": stop(proc) for i, proc in enumerate(apis, 1)}
                codes["worker2"] = stop(workers[1])
                stop(temporal)
                assert codes == {"api1": 0, "api2": 0, "worker2": 0}, codes
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{dump()}") from exc
