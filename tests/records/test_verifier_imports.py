"""`mandate verify` runs offline on the standard library, cryptography, records and policies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.records.bundle_factory import decided_round

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"records", "policies", "cryptography", "cffi", "_cffi_backend", "mandate"}
SCRIPT = """
import json, sys
import records.bundle
import records.log_bundle
import records.bundle_entries
from mandate.cli import main
if sys.argv[2] == "parallel":  # check entries in a worker process too
    records.bundle_entries.PARALLEL_FROM = 1
    records.log_bundle.spare_cpus = lambda: 1
code = main(["verify", sys.argv[1]])
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules})]))
"""


@pytest.mark.parametrize("mode", ["serial", "parallel"])
def test_verify_imports_only_the_allowed_packages(tmp_path: Path, mode: str) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(decided_round(voters=6).bundle))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(bundle), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    code, modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert code == 0, result.stdout  # the whole bundle was checked, recount included
    loaded = set(modules)
    outside = sorted(m for m in loaded - ALLOWED - sys.stdlib_module_names if not m.startswith("_"))
    assert outside == [], outside
    # `mandate` here is only the CLI module: no settings, no pydantic, no database.
    assert "pydantic" not in loaded
    assert "sqlalchemy" not in loaded
