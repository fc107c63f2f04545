"""The production topology of docker-compose.yml, without Docker.

A real PostgreSQL database, a standalone Temporal server, and several Mandate processes
started with the production commands: ``migrate``, ``bootstrap`` (which lists the signing keys
and writes their private halves to the keys folder, the compose file's secrets volume), two
``worker`` processes and two ``api`` processes sharing one database, one Temporal task queue
and one keys folder. One worker is killed outright mid-round; the other carries the round and
the log's integration on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import signal
import socket
import stat
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from records import dsse
from records.keys import public_key_from_b64
from records.merkle import verify_inclusion
from records.note import NoteVerifier, open_checkpoint
from tests.conftest import BIN, free_port, throwaway_postgres
from tests.e2e.processes import (
    eventually,
    mandate,
    mandate_env,
    run_mandate,
    running,
    spawn,
    stop,
)
from tests.e2e.test_run_command import mailed_code

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _run(command: list[str], env: dict[str, str]) -> str:
    """A one-shot ``mandate`` command run to completion; its stdout."""
    result = run_mandate(env, *command)
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
        keys_dir = tmp_path / "secrets" / "keys"
        common = {
            "database_url": database_url,
            "temporal_address": f"127.0.0.1:{temporal_port}",
            "temporal_namespace": "default",
            "task_queue": "mandate",
            "data_dir": str(tmp_path / "data"),
            "api_host": "127.0.0.1",
            "keys_dir": str(keys_dir),
        }
        env = mandate_env(**common)

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
                # Bootstrap listed a records and a checkpoints key; only their files hold the
                # private keys, mode 0600. Running it again changes nothing.
                key_files = sorted(keys_dir.glob("*.pem"))
                assert len(key_files) == 2, key_files
                for path in key_files:
                    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
                assert "exists already" in _run(["bootstrap"], env)
                assert sorted(keys_dir.glob("*.pem")) == key_files
                key_list = json.loads(_run(["keys", "list"], env))
                assert sorted(k["key_id"] for k in key_list["keys"]) == [p.stem for p in key_files]

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
                        return r.status_code == 200 and r.json()["temporal"] == "connected"

                    def polling(i: int) -> bool:
                        all_alive()
                        return "worker polling task queue" in (logs / f"worker{i}.log").read_text()

                    for http in clients:
                        eventually(partial(healthy, http), 30, f"{http.base_url}/healthz")
                    for i in (1, 2):
                        eventually(partial(polling, i), 30, f"worker {i} to poll")

                    # One key list, from the keys folder, behind both APIs: what bootstrap listed.
                    keys = [http.get("/v1/keys").json() for http in clients]
                    assert keys[0] == keys[1]
                    assert {"format": keys[0]["format"], "keys": keys[0]["keys"]} == key_list
                    records_key = next(k for k in key_list["keys"] if k["purpose"] == "records")
                    verifiers = [
                        NoteVerifier.from_key(k) for k in keys[0]["checkpoint_verifier_keys"]
                    ]

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
                            # Windows of seconds: the round says so in its own minimum notice.
                            "minimum_notice": {"nominations": 0, "consent": 0, "voting": 0},
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
                    signed_by = {
                        records_key["key_id"]: public_key_from_b64(records_key["public_key"])
                    }
                    envelope = dsse.Envelope.from_json(criteria[1]["envelope"])
                    assert dsse.verify(envelope, signed_by) == canonical

                    def phase() -> Any:
                        return two.get(f"/v1/rounds/{round_id}/phase").json()["phase"]

                    eventually(lambda: phase() == "nominations_open", 15, "nominations to open")

                    # A campaign through API #1, signed through API #2 by an outside
                    # organisation, confirmed with the code the workers wrote to the mail
                    # folder (no SMTP server configured).
                    made = one.post(
                        "/v1/campaigns",
                        json={
                            "statement": {"en": {"title": "Joint statement", "text": "We..."}},
                            "opens_at": _at(0.2),
                            "closes_at": _at(10),
                            "contact": {"name": "Desk", "email": "desk@example.org"},
                        },
                    )
                    assert made.status_code == 201, made.text
                    campaign_id = made.json()["id"]
                    statement_hash = one.post(f"/v1/campaigns/{campaign_id}/publish").json()[
                        "statement_hash"
                    ]
                    time.sleep(0.5)
                    signed = httpx.post(
                        f"{two.base_url}/v1/campaigns/{campaign_id}/signatures",
                        json={
                            "statement_hash": statement_hash,
                            "organisation": {
                                "name": "Red Kasambahay",
                                "country": "PH",
                                "type": "union",
                            },
                            "signer": {"name": "Lita", "role": "Chair"},
                            "email": "lita@example.org",
                        },
                    )
                    assert signed.status_code == 202, signed.text
                    signature_id = signed.json()["signature"]["id"]
                    code = eventually(
                        partial(mailed_code, tmp_path / "data" / "mail", signature_id),
                        30,
                        "the confirmation mail",
                    )
                    confirmed = httpx.post(
                        f"{one.base_url}/v1/signatures/{signature_id}/confirmation",
                        json={"code": code},
                    )
                    assert confirmed.json()["state"] == "confirmed", confirmed.text

                    assert stop(workers[0], signal.SIGKILL) == -signal.SIGKILL
                    eventually(lambda: phase() == "decided", 40, "the round to be decided")
                    # The surviving worker closes the campaign and publishes its list.
                    eventually(
                        lambda: (
                            two.get(f"/v1/campaigns/{campaign_id}").json()["phase"] == "concluded"
                        ),
                        40,
                        "the campaign to conclude",
                    )
                    listed = two.get(f"/v1/campaigns/{campaign_id}/signatories").json()
                    assert [x["signature_id"] for x in listed["record"]["signatories"]] == [
                        signature_id
                    ]
                    log = two.get(f"/v1/rounds/{round_id}/log").json()["entries"]
                    assert [e["type"] for e in log].count("phase.changed") == 6

                    # The surviving worker integrates the log too: every entry of the round
                    # gets an index, provable against a checkpoint either API serves.
                    def integrated() -> list[Any] | None:
                        entries: list[Any] = one.get(f"/v1/rounds/{round_id}/log").json()["entries"]
                        return entries if all(e["index"] is not None for e in entries) else None

                    entries = eventually(integrated, 20, "the round's entries to be integrated")
                    last = entries[-1]
                    proof = two.get(
                        "/v1/log/proof/inclusion", params={"leaf_hash": last["leaf_hash"]}
                    ).json()
                    checkpoint = open_checkpoint(
                        proof["checkpoint"], verifiers, origin=keys[0]["origin"]
                    )
                    verify_inclusion(
                        last["index"],
                        checkpoint.size,
                        bytes.fromhex(last["leaf_hash"]),
                        [base64.b64decode(h) for h in proof["proof"]],
                        checkpoint.root,
                    )
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
