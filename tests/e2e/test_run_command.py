"""Start the stack exactly as the README says (./run), drive it over HTTP, stop it, resume it."""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import stat
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from records.note import NoteVerifier, open_checkpoint
from tests.conftest import free_port
from tests.e2e.processes import ROOT, eventually, mandate_env
from tests.receivers import CODE

pytestmark = pytest.mark.slow


class Stack:
    """``./run`` as a child process whose output is collected line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(ROOT / "run")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"./run exited with {self.proc.returncode}:\n{self.output}")
            return any("Press Ctrl-C to stop." in line for line in self.lines)

        eventually(ready, 180, "./run to report the stack running")

    def ctrl_c(self) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C
        return self.proc.wait(60)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._reader.join(10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _checkpoint(http: httpx.Client) -> str | None:
    r = http.get("/v1/log/checkpoint")
    return r.text if r.status_code == 200 else None


def _at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def test_run_command_starts_drives_stops_and_resumes(tmp_path: Path) -> None:
    ports = {"api_port": free_port(), "temporal": free_port(), "temporal_ui_port": free_port()}
    env = mandate_env(
        data_dir=str(tmp_path / "data"),
        api_port=str(ports["api_port"]),
        temporal_address=f"127.0.0.1:{ports['temporal']}",
        temporal_ui_port=str(ports["temporal_ui_port"]),
    )
    base = f"http://127.0.0.1:{ports['api_port']}"

    stack = Stack(env)
    try:
        stack.wait_ready()
        assert f"{base}/docs" in stack.output
        assert f"http://127.0.0.1:{ports['temporal_ui_port']}" in stack.output
        match = re.search(r"^\s+(mdt_\S+)$", stack.output, re.MULTILINE)
        assert match, stack.output
        token = match.group(1)
        token_file = tmp_path / "data" / "secretariat.token"
        assert token_file.read_text().strip() == token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert (tmp_path / "data" / "temporal.db").exists()
        assert (tmp_path / "data" / "mandate.db").exists()
        # First start lists a records and a checkpoints key; their private halves stay in
        # data/keys, mode 0600.
        key_files = sorted((tmp_path / "data" / "keys").glob("*.pem"))
        assert len(key_files) == 2, key_files
        for path in key_files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        with httpx.Client(base_url=base, timeout=30) as http:
            listed = http.get("/v1/keys").json()
            # The integrator runs in the stack: a signed checkpoint appears within seconds.
            note = eventually(partial(_checkpoint, http), 30, "a signed checkpoint")
        assert sorted(k["purpose"] for k in listed["keys"]) == ["checkpoints", "records"]
        assert sorted(k["key_id"] for k in listed["keys"]) == sorted(p.stem for p in key_files)
        verifiers = [NoteVerifier.from_key(k) for k in listed["checkpoint_verifier_keys"]]
        assert open_checkpoint(note, verifiers, origin=listed["origin"]).size >= 1

        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=30) as http:
            c = http.post("/v1/constituencies", json={"name": "Diaspora networks"}).json()
            r = http.post(
                "/v1/rounds",
                json={
                    "title": "Forum 2027",
                    "segments": [{"key": "plenary", "title": "Plenary"}],
                    "participants": [{"constituency_id": c["id"], "seats": 2}],
                    "schedule": {
                        "nominations_open_at": _at(1),
                        "nominations_close_at": _at(20),
                        "voting_open_at": _at(21),
                        "voting_close_at": _at(22),
                    },
                    # Windows of seconds: the round says so in its own minimum notice.
                    "minimum_notice": {"nominations": 0, "consent": 0, "voting": 0},
                },
            )
            assert r.status_code == 201, r.text
            round_id = r.json()["id"]
            # The constituency's coordinator publishes its rules; then the round can be.
            k = http.post(
                f"/v1/constituencies/{c['id']}/coordinators",
                json={"name": "Amina", "email": "amina@example.org"},
            ).json()
            rules = http.put(
                f"/v1/rounds/{round_id}/constituencies/{c['id']}/rules",
                json={"alternates": 1},
                headers={"Authorization": f"Bearer {k['token']}"},
            )
            assert rules.status_code == 200, rules.text
            assert http.post(f"/v1/rounds/{round_id}/publish").status_code == 200

            def phase() -> Any:
                return http.get(f"/v1/rounds/{round_id}/phase").json()["phase"]

            eventually(lambda: phase() == "nominations_open", 30, "nominations to open")

            # A sign-on campaign: with no mail server configured, mail goes to data/mail.
            made = http.post(
                "/v1/campaigns",
                json={
                    "statement": {"en": {"title": "Joint statement", "text": "We..."}},
                    "opens_at": _at(0.5),
                    "closes_at": _at(25),
                    "contact": {"name": "Desk", "email": "desk@example.org"},
                },
            )
            assert made.status_code == 201, made.text
            campaign_id = made.json()["id"]
            published = http.post(f"/v1/campaigns/{campaign_id}/publish").json()
            eventually(
                lambda: http.get(f"/v1/campaigns/{campaign_id}").json()["phase"] == "open",
                30,
                "the campaign to open",
            )
            signed = httpx.post(
                f"{base}/v1/campaigns/{campaign_id}/signatures",
                json={
                    "statement_hash": published["statement_hash"],
                    "organisation": {"name": "Red Migrante", "country": "MX", "type": "network"},
                    "signer": {"name": "Rosa", "role": "Coordinator"},
                    "email": "rosa@example.org",
                },
            )
            assert signed.status_code == 202, signed.text
            signature_id = signed.json()["signature"]["id"]
            code = eventually(
                partial(mailed_code, tmp_path / "data" / "mail", signature_id),
                30,
                "the confirmation mail in data/mail",
            )
            confirmed = httpx.post(
                f"{base}/v1/signatures/{signature_id}/confirmation", json={"code": code}
            )
            assert confirmed.json()["state"] == "confirmed", confirmed.text

        assert stack.ctrl_c() == 0, stack.output
        assert "Stopped." in stack.output
        for port in ports.values():
            assert not _listening(port), f"port {port} still open after Ctrl-C"
    finally:
        stack.kill()

    # Again: no new token is shown, and the open round carries on where it was.
    again = Stack(env)
    try:
        again.wait_ready()
        assert "mdt_" not in again.output
        # No new key on a restart: the same list, the same files.
        assert sorted((tmp_path / "data" / "keys").glob("*.pem")) == key_files
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.get("/v1/keys").json() == listed
            eventually(
                lambda: http.get(f"/v1/rounds/{round_id}/phase").json()["phase"] == "decided",
                60,
                "the resumed round to be decided",
            )
            log = http.get(f"/v1/rounds/{round_id}/log").json()["entries"]
            assert [e["type"] for e in log].count("phase.changed") == 6
            # The campaign carried on too: closed after the restart, its list published.
            eventually(
                lambda: http.get(f"/v1/campaigns/{campaign_id}").json()["phase"] == "concluded",
                60,
                "the resumed campaign to conclude",
            )
            listed = http.get(f"/v1/campaigns/{campaign_id}/signatories").json()["record"]
        assert [s["signature_id"] for s in listed["signatories"]] == [signature_id]
        eventually(
            lambda: any(
                "1 organisation signed." in p.read_text()
                for p in (tmp_path / "data" / "mail").glob("*.eml")
            ),
            30,
            "the closing notice in data/mail",
        )
        assert again.ctrl_c() == 0, again.output
    finally:
        again.kill()


def mailed_code(folder: Path, signature_id: str) -> str | None:
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        if f"/v1/signatures/{signature_id}/confirmation" in text:
            found = CODE.search(text)
            return None if found is None else found.group(1)
    return None


def test_cli_help_explains_each_command() -> None:
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mandate"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("up", "worker", "api", "migrate", "bootstrap", "keys", "verify"):
        assert re.search(rf"^\s+{command}\s+\S", result.stdout, re.MULTILINE), command
    keys = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mandate"), "keys", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for action in ("list", "rotate"):
        assert re.search(rf"^\s+{action}\s+\S", keys.stdout, re.MULTILINE), action
