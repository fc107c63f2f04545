"""A bundle made before the lot moved to mandate.lot/2 still verifies: reveals taken while
voting was open count, the beacon rounds its rules named are checked (against the pinned key
where the rules gave one), and its seeds are recomputed under mandate.lot/1."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from records.bundle import verify_bundle

FIXTURE = Path(__file__).parent / "fixtures" / "round_bundle_lot1.json"


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


def _payload(envelope: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(envelope["payload"]))
    return decoded


def test_the_old_bundle_verifies(bundle: dict[str, Any]) -> None:
    report = verify_bundle(copy.deepcopy(bundle))
    assert report.ok, report.problems
    checked = "\n".join(report.checked)
    assert "beacon round 1000 verifies" in checked
    assert "beacon randomness matches its signature (no public key named)" in checked
    assert "recount of 4 ballot(s) matches the signed outcome" in checked
    assert "recount of 0 ballot(s) matches the signed outcome" in checked


def test_its_reveals_came_during_voting_and_its_seeds_are_lot_1(bundle: dict[str, Any]) -> None:
    criteria = json.loads(bundle["criteria"]["canonical"])
    assert "lot" not in criteria
    types = [
        json.loads(base64.b64decode(json.loads(e["envelope"])["payload"]))["type"]
        for e in bundle["entries"]
    ]
    assert types.index("randomness.revealed") < types.index("ballot.cast")
    for item in bundle["outcomes"]:
        record = _payload(item["envelope"])
        assert "lot" not in record
        text = "\n".join(
            [
                "mandate.lot/1",
                record["criteria_hash"],
                record.get("ballot_set_hash") or record["nominee_set_hash"],
                *record["randomness"]["contributions"],
            ]
        )
        assert hashlib.sha256(text.encode()).hexdigest() == record["seed"]
        assert len(record["randomness"]["left_out"]) == 1


def test_a_changed_outcome_in_the_old_bundle_is_still_caught(bundle: dict[str, Any]) -> None:
    changed = copy.deepcopy(bundle)
    envelope = changed["outcomes"][1]["envelope"]
    record = _payload(envelope)
    record["seed"] = "0" * 64
    envelope["payload"] = base64.b64encode(json.dumps(record).encode()).decode()
    assert not verify_bundle(changed).ok
