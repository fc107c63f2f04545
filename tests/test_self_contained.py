"""A clone of the repository tests itself: nothing in it reads the folder beside the project."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A path that leaves the repository: the notes folder beside it, or parents[N] past the root.
OUTSIDE = re.compile(r"\.\./shared|/ \"shared\"|parents\[[3-9]\]")


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_tracked_file_reaches_outside_the_repository() -> None:
    offenders = []
    for path in _tracked():
        if (
            path.suffix not in {".py", ".sh", ".md", ".toml", ".yml", ".cfg", ""}
            or not path.is_file()
        ):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_the_vectors_and_the_design_are_in_the_repository() -> None:
    assert (ROOT / "tests" / "vectors" / "tlog-go-xmod.json").is_file()
    assert "golang.org/x/mod/sumdb" in (ROOT / "tests" / "vectors" / "README.md").read_text()
    assert (ROOT / "docs" / "DESIGN.md").is_file()


def test_ci_runs_the_tests_in_a_clone_with_nothing_beside_it() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "git clone" in ci
    assert "mktemp -d" in ci
    assert ci.rstrip().endswith("exec ./test")
