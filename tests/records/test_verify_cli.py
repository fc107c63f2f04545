"""`mandate verify BUNDLE [--key-id ID]... [--since OLD_CHECKPOINT_FILE]`: exit 0 when the
bundle verifies, 1 with every problem printed, 2 when the input cannot be read."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mandate.cli import main
from tests.records.bundle_factory import Built, decided_round

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> Built:
    return decided_round(since=[20])


def write(tmp_path: Path, name: str, bundle: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_a_good_bundle_exits_0(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "good.json", built.bundle)
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"VERIFIED: {path} (round {built.round_id})" in out
    assert "  ok  outcome 0 (c-africa): recount of 16 ballot(s) matches the signed outcome" in out


def test_a_tampered_bundle_exits_1_and_prints_every_problem(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = copy.deepcopy(built.bundle)
    del bundle["outcomes"][1]
    bundle["criteria"]["canonical"] += " "
    path = write(tmp_path, "bad.json", bundle)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    problems = [line for line in out.splitlines() if line.startswith("  !!  ")]
    assert f"FAILED: {len(problems)} problem(s) in {path}:" in out
    assert len(problems) == 3
    assert any(p.startswith("  !!  outcomes: the round is decided") for p in problems)
    assert "  !!  criteria: the canonical text is not the signed payload" in problems


@pytest.mark.parametrize(
    "content", ["{not json", "", "[1, 2]", "\udcff"], ids=["broken", "empty", "list", "utf8"]
)
def test_unreadable_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert main(["verify", str(path)]) == 2
    assert capsys.readouterr().out.startswith("FAILED: ")


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "nowhere.json")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_pinned_keys(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "good.json", built.bundle)
    trusted = [k.key_id for k in built.keys.key_list.keys if k.status != "revoked"]
    assert main(["verify", str(path), *(f"--key-id={k}" for k in trusted)]) == 0
    capsys.readouterr()
    assert main(["verify", str(path), "--key-id", trusted[0]]) == 1
    assert "is not one of the pinned keys" in capsys.readouterr().out


def test_since_a_kept_checkpoint(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "good.json", built.bundle)
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(built.log.signed_checkpoint(20), encoding="utf-8")
    assert main(["verify", str(path), "--since", str(kept)]) == 0
    assert "  ok  checkpoint: extends the one kept (size 20 to" in capsys.readouterr().out
    kept.write_text(built.log.signed_checkpoint(21), encoding="utf-8")
    assert main(["verify", str(path), "--since", str(kept)]) == 1
    assert "export the bundle with ?since=21" in capsys.readouterr().out
    assert main(["verify", str(path), "--since", str(tmp_path / "none.txt")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_the_command_line_entry_point(built: Built, tmp_path: Path) -> None:
    good = write(tmp_path, "good.json", built.bundle)
    bad_bundle = copy.deepcopy(built.bundle)
    bad_bundle["entries"].pop(5)
    bad = write(tmp_path, "bad.json", bad_bundle)
    unreadable = tmp_path / "unreadable.json"
    unreadable.write_text("{", encoding="utf-8")
    codes = {}
    for path in (good, bad, unreadable):
        done = subprocess.run(
            [sys.executable, "-m", "mandate.cli", "verify", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        codes[path.name] = done.returncode
        assert done.stderr == ""
    assert codes == {"good.json": 0, "bad.json": 1, "unreadable.json": 2}
