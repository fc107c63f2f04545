"""A records key rotation as an operator drives it, against running API and worker processes.

``mandate bootstrap`` lists the first keys; ``mandate keys rotate records --at T`` lists a new
key from ``T`` and retires the old one then. The running API learns of it without a restart:
what it logs before ``T`` is signed by the old key, from ``T`` on by the new one, and an auditor
with only ``/v1/keys`` and the log can tell which key was valid for each entry. The rotation
itself is logged as a ``keys.published`` entry holding the new list.
"""

from __future__ import annotations

import base64
import json
import re
import stat
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from policies.errors import SignatureError
from policies.times import iso
from records import dsse
from records.canonical import canonical_hash
from records.keylist import KeyList
from records.note import NoteVerifier, open_checkpoint
from tests.api.conftest import org_body
from tests.conftest import free_port
from tests.e2e.processes import (
    eventually,
    mandate,
    mandate_env,
    run_mandate,
    running,
    stop,
    temporal_dev_server,
)
from tests.keys import ORIGIN

pytestmark = pytest.mark.slow

# How far ahead the rotation is listed: more than the 5 s every process needs to learn of it,
# and room for a write still signed by the old key.
LEAD = timedelta(seconds=8)


def _healthy(http: httpx.Client) -> bool:
    try:
        r = http.get("/healthz")
    except httpx.TransportError:
        return False
    return r.status_code == 200


def _register(http: httpx.Client) -> str:
    r = http.post("/v1/organisations", json=org_body())
    assert r.status_code == 201, r.text
    receipt: str = r.headers["Mandate-Receipt"]
    return receipt


def _registry(http: httpx.Client) -> dict[str, dict[str, Any]]:
    entries = http.get("/v1/log/registry").json()["entries"]
    return {e["leaf_hash"]: e for e in entries}


def _integrated(http: httpx.Client, receipts: list[str]) -> list[dict[str, Any]] | None:
    """Every integrated entry, once each of ``receipts`` is among them."""
    entries: list[dict[str, Any]] = []
    start: int | None = 0
    while start is not None:
        page = http.get("/v1/log/entries", params={"start": start}).json()
        entries += page["entries"]
        start = page["next_start"]
    leaves = {e["leaf_hash"] for e in entries}
    return entries if all(r in leaves for r in receipts) else None


def _signer_of(envelope: str) -> str:
    [signature] = json.loads(envelope)["signatures"]
    keyid: str = signature["keyid"]
    return keyid


def _statement(envelope: str) -> dict[str, Any]:
    statement: dict[str, Any] = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    return statement


def _verify_as_auditor(keys: KeyList, envelope: str) -> dict[str, Any]:
    """Check the entry's signature with the key the list says was valid at its time."""
    statement = _statement(envelope)
    public = keys.check_signed_at(_signer_of(envelope), "records", statement["at"])
    parsed = dsse.Envelope.from_bytes(envelope.encode())
    assert dsse.verify(parsed, {_signer_of(envelope): public}) == parsed.payload
    return statement


def test_records_key_rotation_driven_from_the_cli(fresh_db_url: str, tmp_path: Path) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    logs.mkdir()
    with temporal_dev_server(tmp_path, logs / "temporal.log") as address:
        port = free_port()
        env = mandate_env(
            data_dir=str(data),
            database_url=fresh_db_url,
            temporal_address=address,
            task_queue=f"rotation-{uuid.uuid4()}",
            log_origin=ORIGIN,
            api_port=str(port),
        )
        boot = run_mandate(env, "bootstrap")
        assert boot.returncode == 0, boot.stderr
        [token] = re.findall(r"^(mdt_\S+)$", boot.stdout, re.MULTILINE)

        procs = [mandate("api", env, logs / "api.log"), mandate("worker", env, logs / "worker.log")]
        with (
            running(procs),
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            ) as http,
        ):
            eventually(partial(_healthy, http), 30, "the API")
            before = http.get("/v1/keys").json()
            [old] = [k for k in before["keys"] if k["purpose"] == "records"]
            [checkpoints_key] = [k for k in before["keys"] if k["purpose"] == "checkpoints"]
            signed_before = _register(http)

            # Refused: a rotation must be listed ahead of time.
            past = run_mandate(env, "keys", "rotate", "records", "--at", iso(datetime.now(UTC)))
            assert past.returncode == 1, past
            assert "or later" in past.stderr, past.stderr

            at = iso(datetime.now(UTC) + LEAD)
            rotated = run_mandate(env, "keys", "rotate", "records", "--at", at)
            assert rotated.returncode == 0, rotated.stderr
            match = re.search(
                r"rotated records key (\w+) -> (\w+); the new key signs from (\S+)$",
                rotated.stdout.strip(),
            )
            assert match, rotated.stdout
            assert (match.group(1), match.group(3)) == (old["key_id"], at)
            new_id = match.group(2)
            pem = data / "keys" / f"{new_id}.pem"
            assert stat.S_IMODE(pem.stat().st_mode) == 0o600

            # Still before the rotation time: the old key signs.
            signed_between = _register(http)
            assert datetime.now(UTC) < datetime.fromisoformat(at), "the write came too late"

            # Both keys are published, each with its window; the checkpoints key is untouched.
            listed = http.get("/v1/keys").json()
            by_id = {k["key_id"]: k for k in listed["keys"]}
            assert by_id[old["key_id"]] == {**old, "valid_until": at, "status": "retired"}
            new = by_id[new_id]
            assert (new["purpose"], new["valid_from"], new["valid_until"], new["status"]) == (
                "records",
                at,
                None,
                "active",
            )
            assert by_id[checkpoints_key["key_id"]] == checkpoints_key
            assert listed["checkpoint_verifier_keys"] == before["checkpoint_verifier_keys"]
            cli_list = json.loads(run_mandate(env, "keys", "list").stdout)
            assert cli_list == {"format": listed["format"], "keys": listed["keys"]}

            time.sleep((datetime.fromisoformat(at) - datetime.now(UTC)).total_seconds() + 0.5)
            signed_after = _register(http)

            registry = _registry(http)
            keys = KeyList.from_json({"format": listed["format"], "keys": listed["keys"]})
            for receipt, signer in [
                (signed_before, old["key_id"]),
                (signed_between, old["key_id"]),
                (signed_after, new_id),
            ]:
                envelope = registry[receipt]["envelope"]
                assert _signer_of(envelope) == signer, receipt
                _verify_as_auditor(keys, envelope)
            # The old key is not valid for an entry of the new key's time, and the other way.
            after_statement = _statement(registry[signed_after]["envelope"])
            with pytest.raises(SignatureError):
                keys.check_signed_at(old["key_id"], "records", after_statement["at"])
            before_statement = _statement(registry[signed_before]["envelope"])
            with pytest.raises(SignatureError):
                keys.check_signed_at(new_id, "records", before_statement["at"])

            # The worker's integrator puts all of it in the log; the last keys.published entry
            # holds the list /v1/keys shows, logged by the rotation, signed by the old key.
            receipts = [signed_before, signed_between, signed_after]
            entries = eventually(
                partial(_integrated, http, receipts), 30, "the writes to be integrated"
            )
            published = [
                (e, _verify_as_auditor(keys, e["envelope"]))
                for e in entries
                if _statement(e["envelope"])["type"] == "keys.published"
            ]
            assert [s["actor"] for _, s in published] == ["bootstrap", "mandate keys rotate"]
            first_list = published[0][1]["data"]["key_list"]
            assert [k["key_id"] for k in first_list["keys"]] == [
                k["key_id"] for k in before["keys"]
            ]
            entry, statement = published[-1]
            assert statement["scope"] == "keys"
            assert statement["data"]["key_list"] == cli_list
            assert statement["data"]["key_list_hash"] == canonical_hash(cli_list)
            assert _signer_of(entry["envelope"]) == old["key_id"]

            # Checkpoints over all of it still open with the unchanged checkpoints key.
            note = http.get("/v1/log/checkpoint").text
            verifiers = [NoteVerifier.from_key(k) for k in listed["checkpoint_verifier_keys"]]
            assert open_checkpoint(note, verifiers, origin=ORIGIN).size >= len(entries)

            codes = [stop(proc) for proc in procs]
            assert codes == [0, 0], (logs / "api.log").read_text()
