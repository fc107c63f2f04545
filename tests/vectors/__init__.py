"""Test vectors made by independent implementations, kept in the repository (see README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GO_TLOG = HERE / "tlog-go-xmod.json"


def go_tlog() -> dict[str, Any]:
    """The log, checkpoints and proofs made with Go's x/mod/sumdb (tlog-go-xmod.json)."""
    vectors: dict[str, Any] = json.loads(GO_TLOG.read_text(encoding="utf-8"))
    return vectors
