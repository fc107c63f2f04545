"""Workflow code stays free of database code and of I/O-bearing modules."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.processes import ROOT

CHECK = """
import sys
import workflows.selection_round
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"sqlalchemy", "store", "psycopg"})
print(",".join(leaked))
"""


def test_workflows_import_no_database_code() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
