"""`mandate verify` runs offline on the standard library, cryptography, records and policies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"records", "policies", "cryptography", "cffi", "_cffi_backend", "mandate"}
SCRIPT = """
import json, sys
from mandate.cli import main
code = main(["verify", sys.argv[1]])
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_verify_imports_only_the_allowed_packages(tmp_path: Path) -> None:
    bundle = tmp_path / "empty.json"
    bundle.write_text(json.dumps({"format": "mandate.bundle/1"}))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(bundle)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    outside = sorted(m for m in loaded - ALLOWED - sys.stdlib_module_names if not m.startswith("_"))
    assert outside == [], outside
    # `mandate` here is only the CLI module: no settings, no pydantic, no database.
    assert "pydantic" not in loaded
    assert "sqlalchemy" not in loaded
