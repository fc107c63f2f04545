"""The operator is never locked out: `mandate secretariat-token issue|list|revoke` on the server,
with only the data folder (or the database URL) and the keys folder, against a running API.

A token issued there works at once against the API; revoked there, the API refuses it at once;
both are logged in the registry scope as the API logs them, by the actor ``operator``.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import org_body
from tests.conftest import free_port, throwaway_postgres
from tests.e2e.processes import eventually, mandate, mandate_env, run_mandate, running
from tests.keys import ORIGIN

TOKEN = re.compile(r"^mdt_[A-Za-z0-9_-]{43}$")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The server's settings: a data folder of its own, and on PostgreSQL its database."""
    base = {"data_dir": str(tmp_path / "data"), "log_origin": ORIGIN}
    if request.param == "sqlite":
        yield base  # the database is the data folder's own SQLite file
        return
    with throwaway_postgres() as url:
        yield {**base, "database_url": url}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = run_mandate(env, *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def issued(done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """The credential id and the token `issue` printed (the token alone on the last line)."""
    assert done.returncode == 0, done.stderr
    first, token = done.stdout.strip().splitlines()
    found = re.match(r"^issued secretariat token (\S+) \(", first)
    assert found, first
    assert TOKEN.fullmatch(token), token
    return found.group(1), token


def listed(env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """`list` as {id: (state, label)}."""
    done = cli(env, "secretariat-token", "list")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.strip().splitlines()
    assert header.split() == ["ID", "CREATED", "STATE", "LABEL"]
    out = {}
    for row in rows:
        cid, _created, state, *rest = row.split()
        if state == "revoked":
            state, rest = f"revoked {rest[0]}", rest[1:]
        out[cid] = (state, " ".join(rest))
    return out


def _healthy(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def register(http: httpx.Client, token: str) -> httpx.Response:
    return http.post(
        "/v1/organisations", json=org_body(), headers={"Authorization": f"Bearer {token}"}
    )


def registry_log(http: httpx.Client) -> list[dict[str, Any]]:
    entries = http.get("/v1/log/registry").json()["entries"]
    return [json.loads(e["statement"]) for e in entries]


def test_the_operator_issues_lists_and_revokes_secretariat_tokens(
    settings: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = mandate_env(**settings, api_port=str(port))

    # Before `mandate bootstrap` there is nothing to issue into, and nothing is created.
    early = cli(env, "secretariat-token", "issue")
    assert early.returncode == 1
    assert "no Mandate database at" in early.stderr
    assert "run `mandate bootstrap` first" in early.stderr
    assert not Path(settings["data_dir"]).exists() or "database_url" in settings

    boot = cli(env, "bootstrap")
    assert boot.returncode == 0, boot.stderr
    [first] = re.findall(r"^(mdt_\S+)$", boot.stdout, re.MULTILINE)
    [(bootstrap_id, (state, label))] = listed(env).items()
    assert (state, label) == ("active", "bootstrap secretariat")

    lost = "after the laptop was lost"
    new_id, token = issued(cli(env, "secretariat-token", "issue", "--label", lost))
    with (
        running([mandate("api", env, tmp_path / "api.log")]),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http,
    ):
        eventually(partial(_healthy, http), 30, "the API")
        assert register(http, token).status_code == 201
        coordinator = _coordinator(http, token)

        # The bootstrap token revoked from the server: the API refuses it at once.
        done = cli(env, "secretariat-token", "revoke", bootstrap_id)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"revoked secretariat token {bootstrap_id} (bootstrap secretariat)\n"
        assert done.stderr == ""  # another secretariat token is still active: no warning
        refused = register(http, first)
        assert (refused.status_code, refused.json()["error"]) == (401, "unauthenticated")
        assert register(http, token).status_code == 201

        # Revoking the last one is allowed, with a warning: the operator can always issue again.
        done = cli(env, "secretariat-token", "revoke", new_id)
        assert done.returncode == 0, done.stderr
        assert "warning: no secretariat token is active now" in done.stderr
        refused = register(http, token)
        assert (refused.status_code, refused.json()["error"]) == (401, "unauthenticated")
        again = cli(env, "secretariat-token", "revoke", new_id)
        assert again.returncode == 0, again.stderr
        assert "was revoked already" in again.stdout

        # Refusals: an unknown id, a coordinator's token, a bad label. Clear, exit 1.
        unknown = cli(env, "secretariat-token", "revoke", "no-such-id")
        assert (unknown.returncode, unknown.stdout) == (1, "")
        assert unknown.stderr == (
            "mandate secretariat-token revoke: no credential with id no-such-id\n"
        )
        other = cli(env, "secretariat-token", "revoke", coordinator)
        assert other.returncode == 1
        assert f"credential {coordinator} is a coordinator token, not a secretariat" in (
            other.stderr
        )
        empty = cli(env, "secretariat-token", "issue", "--label", "  ")
        assert empty.returncode == 1
        assert "got a label of 0 characters, expected 1 to 100" in empty.stderr

        # Locked out of the API no longer: a new token from the server works.
        back_id, back = issued(cli(env, "secretariat-token", "issue"))
        assert register(http, back).status_code == 201

        tokens = listed(env)
        assert list(tokens) == [bootstrap_id, new_id, back_id]  # in the order issued
        assert tokens[bootstrap_id][0].startswith("revoked 20")
        assert tokens[new_id] == (tokens[new_id][0], lost)
        assert tokens[new_id][0].startswith("revoked 20")
        assert tokens[back_id] == ("active", "secretariat (server command line)")
        shown = cli(env, "secretariat-token", "list").stdout
        assert not any(t in shown for t in (first, token, back))  # never the token

        # The log says who did what, in the API's own entry types.
        logged = [
            (s["type"], s["data"]["id"], s["actor"])
            for s in registry_log(http)
            if s["type"].startswith("credential.") and s["data"]["id"] != coordinator
        ]
        assert logged == [
            ("credential.issued", bootstrap_id, None),
            ("credential.issued", new_id, "operator"),
            ("credential.revoked", bootstrap_id, "operator"),
            ("credential.revoked", new_id, "operator"),
            ("credential.issued", back_id, "operator"),
        ]
        issued_entry = next(
            s
            for s in registry_log(http)
            if s["type"] == "credential.issued" and s["data"]["id"] == new_id
        )
        assert issued_entry["data"]["role"] == "secretariat"


def _coordinator(http: httpx.Client, token: str) -> str:
    """A coordinator's credential id, named through the API."""
    auth = {"Authorization": f"Bearer {token}"}
    c = http.post("/v1/constituencies", json={"name": "Youth"}, headers=auth)
    assert c.status_code == 201, c.text
    k = http.post(
        f"/v1/constituencies/{c.json()['id']}/coordinators",
        json={"name": "Ama Mensah", "email": "ama@example.org"},
        headers=auth,
    )
    assert k.status_code == 201, k.text
    credential_id: str = k.json()["credential"]["id"]
    return credential_id
