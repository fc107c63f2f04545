"""The benchmarks' round builder keeps pace with the store: a small bundle builds and verifies
(``bench.verify`` measures bundles built by it, so a change to the store must not break it)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bundle_builder import build
from records.bundle import verify_bundle


def test_a_small_bundle_builds_and_verifies(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    built = build(12, out, tmp_path)
    report = verify_bundle(json.loads(out.read_text()))
    assert report.ok, report
    assert built.voters == 12
    assert built.entries > 12 + 10  # the ballots and the nominations, at least
