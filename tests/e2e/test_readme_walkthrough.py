"""The README's walkthrough, run as written against a real stack, so the docs cannot drift.

The ```sh blocks of the section "## Walkthrough: ..." are taken in order (a new block is picked
up by itself) and joined into one bash script, run under ``set -euo pipefail`` in a folder
where ``data`` is the stack's data folder and ``.venv`` links to the repository's virtualenv,
as in a checkout where ``./run`` is running. Two things are added, nothing else changes:

- the walkthrough's one line ``API=http://127.0.0.1:8000`` is pointed at this test's stack;
- ``curl`` is wrapped so that an HTTP error stops the script and shows the answer: the README
  says ``curl -s``, which carries on after a 4xx, as a person at a terminal would.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.processes import ROOT, eventually, mandate, mandate_env

HEADING = "## Walkthrough: a whole round and a whole campaign"
API_LINE = "API=http://127.0.0.1:8000"
# The round's windows end 100 s after it is drafted and the campaign's 40 s after its own draft;
# the rest takes seconds. This bounds every wait in the script.
SCRIPT_TIMEOUT = 240

PREAMBLE = """\
set -euo pipefail
curl() {  # the README's curl, except that an HTTP error stops the script, its answer shown
  local answer status=0 arg url=
  answer=$(command curl --fail-with-body "$@") || status=$?
  for arg in "$@"; do case $arg in http*) url=$arg ;; esac; done
  [ "$status" -eq 0 ] || echo "curl $url failed ($status): $answer" >&2
  printf '%s\\n' "$answer"
  return "$status"
}
"""


def walkthrough_blocks(readme: str) -> list[str]:
    """The ```sh blocks of the walkthrough section, in order."""
    start = readme.index(HEADING)
    end = readme.find("\n## ", start + len(HEADING))
    section = readme[start : None if end == -1 else end]
    return re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def walkthrough_script(api: str) -> str:
    blocks = walkthrough_blocks((ROOT / "README.md").read_text())
    body = "\n".join(blocks)
    assert body.count(f"\n{API_LINE}\n") + body.startswith(f"{API_LINE}\n") == 1, (
        f"the walkthrough should set {API_LINE} once, in its first block"
    )
    return PREAMBLE + body.replace(API_LINE, f"API={api}", 1)


def test_walkthrough_blocks_are_bash() -> None:
    blocks = walkthrough_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 15, f"only {len(blocks)} sh blocks under {HEADING!r}"
    for number, block in enumerate(blocks, 1):
        checked = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True)
        assert checked.returncode == 0, f"block {number}: {checked.stderr}\n{block}"
    script = walkthrough_script("http://127.0.0.1:1")
    assert "API=http://127.0.0.1:1\n" in script


def _ensure_jq() -> None:
    if shutil.which("jq") is not None:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail("the README's walkthrough needs jq: install it (apt-get install jq)")
    subprocess.run(["apt-get", "install", "-y", "-q", "jq"], check=True, capture_output=True)


@contextmanager
def stack(data: Path) -> Iterator[str]:
    """``mandate up`` (what ``./run`` starts) on its own data folder and ports; its API base."""
    api_port = free_port()
    env = mandate_env(
        data_dir=str(data),
        api_port=str(api_port),
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=str(free_port()),
    )
    data.mkdir()
    log = data.parent / "stack.log"
    proc = mandate("up", env, log)
    try:

        def ready() -> bool:
            assert proc.poll() is None, f"mandate up exited:\n{log.read_text()}"
            return "Press Ctrl-C to stop." in log.read_text()

        eventually(ready, 120, "mandate up to report the stack running")
        yield f"http://127.0.0.1:{api_port}"
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as at the terminal
        assert proc.wait(60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run_script(script: str, cwd: Path) -> tuple[int, str]:
    path = cwd / "walkthrough.sh"
    path.write_text(script)
    proc = subprocess.Popen(
        ["bash", str(path)],
        cwd=cwd,
        env=mandate_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=SCRIPT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        raise AssertionError(f"the walkthrough ran over {SCRIPT_TIMEOUT} s:\n{output}") from None
    (cwd / "walkthrough.out").write_text(output)  # what a reader would have seen
    return proc.returncode, output


@pytest.mark.slow
def test_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    _ensure_jq()
    work = tmp_path / "checkout"
    work.mkdir()
    (work / ".venv").symlink_to(ROOT / ".venv")
    with stack(work / "data") as api:
        status, output = run_script(walkthrough_script(api), work)
        assert status == 0, output
        with httpx.Client(base_url=api, timeout=30) as http:
            _check_round(http, output)
            _check_campaign(http, output)


def _check_round(http: httpx.Client, output: str) -> None:
    [round_] = http.get("/v1/rounds").json()
    assert round_["phase"] == "decided", round_
    [participant] = round_["participants"]
    base = f"/v1/rounds/{round_['id']}/constituencies/{participant['constituency_id']}"
    names = {n["id"]: n["nominee_name"] for n in http.get(f"{base}/nominations").json()}
    result: dict[str, Any] = http.get(f"{base}/outcome").json()["record"]["result"]
    # Without the balance rule Phragmén would seat Joseph and Ramon; the README says so.
    assert sorted(names[w] for w in result["winners"]) == ["Joseph", "Rosa"], result
    assert [names[a] for a in result["alternates"]] == ["Ramon"], result
    ballots = http.get(f"{base}/ballots").json()
    assert [b["counted"] for b in ballots] == [True] * 4, ballots
    # Joseph declined his seat: it passed to Ramon, the alternate; both seats are accepted, and
    # each confirmed speaker's letter checks by its code.
    letters = http.get(f"{base}/letters").json()
    assert sorted(names[x["statement"]["nomination_id"]] for x in letters) == ["Ramon", "Rosa"]
    assert '{"valid":true,"speaker":"' in output, output
    assert "%PDF-" in output, output
    notices = {line.split()[1] for line in output.splitlines() if "\t" in line}
    assert {"published", "phase_opened", "outcome", "seat_acceptance"} <= notices, output
    assert "VERIFIED: bundle.json" in output, output


def _check_campaign(http: httpx.Client, output: str) -> None:
    [campaign] = http.get("/v1/campaigns").json()
    assert campaign["phase"] == "concluded", campaign
    record = http.get(f"/v1/campaigns/{campaign['id']}/signatories").json()["record"]
    signed = sorted((s["organisation"], s["region"]) for s in record["signatories"])
    assert signed == [("Alianza Sur", "americas"), ("Kenya Domestic Workers Union", "africa")]
    assert "VERIFIED: campaign.json" in output, output
