"""What the count tests share: the hash-seed check and the oracle runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORACLE_PYTHON = ROOT / ".venv-oracle" / "bin" / "python"
HERE = Path(__file__).resolve().parent


def same_output_under_hash_seeds(script: str) -> str:
    """Run ``script`` under three PYTHONHASHSEEDs; the output, which must be the same each time."""
    outputs = []
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    return outputs[0]


def run_oracle(script: str, elections: Any, timeout: int = 120) -> Any:
    """Answers from an oracle script (in this folder) run by the test-only ``.venv-oracle``.

    Missing oracle: a failure under CI or MANDATE_REQUIRE_ORACLE, a skip otherwise.
    """
    if not ORACLE_PYTHON.exists():
        reason = (
            f"test oracle missing: {ORACLE_PYTHON} does not exist "
            "(./test creates it with scripts/oracle.sh)"
        )
        if os.environ.get("CI") or os.environ.get("MANDATE_REQUIRE_ORACLE"):
            pytest.fail(reason)
        pytest.skip(reason)
    done = subprocess.run(
        [str(ORACLE_PYTHON), str(HERE / script)],
        input=json.dumps(elections),
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return json.loads(done.stdout)
