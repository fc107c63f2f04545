"""`mandate verify FILE --keys KEYLIST`: the auditor trusts the key list the operator publishes
at ``GET /v1/keys``, saved to a file or fetched from its URL, for round bundles, campaign
bundles and signatories' proofs alike; a list of another deployment's keys, or a malformed
one, fails naming the problem."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from mandate.cli import main
from mandate.settings import Settings
from records.bundle import BUNDLE_FORMAT
from records.keylist import KeyList, listed_key
from records.keys import generate_signer
from store import log, signatures
from store.db import Database
from tests.campaign_support import ACTOR, conclude, constituency, member, published_campaign
from tests.e2e.processes import ROOT
from tests.keys import CHECKPOINTS, ORIGIN, RECORDS
from tests.workflows.support import published_round

KINDS = ["round", "campaign", "proof"]


@dataclass
class Published:
    """What an auditor downloads from a deployment, saved as files."""

    folder: Path
    keys: dict[str, Any]  # the answer of GET /v1/keys
    files: dict[str, Path]  # a round bundle, a campaign bundle, a signatory's proof

    def key_list(self, name: str, content: object) -> Path:
        path = self.folder / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path


@pytest.fixture(scope="module")
async def published(db: Database, tmp_path_factory: pytest.TempPathFactory) -> Published:
    tmp_path = tmp_path_factory.mktemp("published")
    now = datetime.now(UTC)
    rid = published_round(db, now)["id"]
    campaign = published_campaign(db, now - timedelta(hours=1), now + timedelta(days=1))
    cid = constituency(db)
    org = member(db, cid)
    with db.write() as conn:
        signed = signatures.sign_as_member(
            conn, campaign["id"], org, cid, campaign["statement_hash"], None, ACTOR
        )
    conclude(db, campaign["id"])
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    app = create_app(Settings(data_dir=tmp_path, log_origin=ORIGIN), db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        answers = {}
        for name, path in [
            ("keys", "/v1/keys"),
            ("round", f"/v1/rounds/{rid}/bundle"),
            ("campaign", f"/v1/campaigns/{campaign['id']}/bundle"),
            ("proof", f"/v1/signatures/{signed.signature['id']}/proof"),
        ]:
            r = await http.get(path)
            assert r.status_code == 200, (path, r.text)
            answers[name] = r
    files = {}
    for name, r in answers.items():
        files[name] = tmp_path / f"{name}.json"
        files[name].write_bytes(r.content)  # as `curl -s ... > file` saves it
    return Published(tmp_path, answers["keys"].json(), files)


def verify(
    capsys: pytest.CaptureFixture[str], path: Path, keys: Path | str, *extra: str
) -> tuple[int, str]:
    code = main(["verify", str(path), "--keys", str(keys), *extra])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("kind", KINDS)
def test_the_published_key_list_vouches_for_what_it_signed(
    published: Published, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert {k["key_id"] for k in published.keys["keys"]} == {RECORDS.key_id, CHECKPOINTS.key_id}
    code, out = verify(capsys, published.files[kind], published.files["keys"])
    assert code == 0, out
    assert f"VERIFIED: {published.files[kind]}" in out
    assert "for checkpoints (as the published key list has them)" in out


@pytest.mark.parametrize("kind", KINDS)
def test_another_deployments_key_list_names_the_untrusted_keys(
    published: Published, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A deployment of its own: its keys, freshly made, listed and published the same way.
    since = "2000-01-01T00:00:00Z"
    fresh = KeyList(
        (
            listed_key(generate_signer().public_key, "records", since),
            listed_key(generate_signer().public_key, "checkpoints", since),
        )
    )
    other = published.key_list("other.json", {**published.keys, "keys": fresh.to_json()["keys"]})
    code, out = verify(capsys, published.files[kind], other)
    assert code == 1, out
    assert "VERIFIED" not in out
    for key_id, purpose in [(RECORDS.key_id, "records"), (CHECKPOINTS.key_id, "checkpoints")]:
        assert (
            f"  !!  key list: key {key_id} ({purpose}) is not in the published key list you "
            "trust; its signatures are not trusted"
        ) in out


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """A local HTTP server answering ``body`` at /v1/keys and 404 elsewhere; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/v1/keys"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b'{"error": "not_found"}')

        def log_message(self, *_: object) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_list_fetched_from_its_url(
    published: Published, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(published.files["keys"].read_bytes()) as base:
        code, out = verify(capsys, published.files[kind], f"{base}/v1/keys")
        assert code == 0, out
        assert "VERIFIED" in out
        code, out = verify(capsys, published.files[kind], f"{base}/v1/nothing")
        assert code == 1, out
        assert (
            f"FAILED: fetching the key list from {base}/v1/nothing answered HTTP 404, expected 200"
        ) in out
    code, out = verify(capsys, published.files[kind], f"{base}/v1/keys")  # the server is gone
    assert code == 1, out
    assert f"FAILED: cannot fetch the key list from {base}/v1/keys: " in out


def test_a_malformed_key_list_fails_naming_the_problem(
    published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = published.files["round"]
    cases: list[tuple[Path, str]] = [
        (published.key_list("broken.json", "{"), "is not JSON"),
        (bundle, f"is malformed: got format '{BUNDLE_FORMAT}', expected 'mandate.keylist/1'"),
        (
            published.key_list("bad-key.json", {**published.keys, "keys": [{"key_id": "x"}]}),
            "is malformed: got listed key fields ['key_id'], expected",
        ),
        (published.folder / "missing.json", "FAILED: cannot read the key list"),
    ]
    for path, expected in cases:
        code, out = verify(capsys, bundle, path)
        assert code == 1, (path, out)
        assert out.startswith("FAILED: "), out
        assert expected in out, out


def test_a_key_the_operator_revoked_since_fails_the_bundle(
    published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = [
        {**k, "status": "revoked"} if k["purpose"] == "records" else k
        for k in published.keys["keys"]
    ]
    revoked = published.key_list("revoked.json", {**published.keys, "keys": keys})
    code, out = verify(capsys, published.files["campaign"], revoked)
    assert code == 1, out
    assert f"key {RECORDS.key_id} (records) is revoked in the published key list you trust" in out


def test_keys_and_pinned_key_ids_do_not_mix(published: Published) -> None:
    run = subprocess.run(
        [
            *(sys.executable, "-m", "mandate.cli", "verify", str(published.files["proof"])),
            *("--keys", str(published.files["keys"]), "--key-id", RECORDS.key_id),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "argument --key-id: not allowed with argument --keys" in run.stderr
    assert "Traceback" not in run.stderr
