"""The operator's published key list as the auditor's trust: parsing the answer of
``GET /v1/keys``, and a bundle whose keys it vouches for, or not (offline, pure)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from policies.times import iso
from records.bundle import verify_bundle
from records.keylist import KeyList, KeyListError, PublishedKeys, listed_key, rotate
from tests.records.bundle_factory import ORIGIN, ROTATION, T0, Built, decided_round, make_keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> Built:
    return decided_round(voters=6)


def answer(keys: KeyList, origin: str = ORIGIN) -> dict[str, Any]:
    """A key list as GET /v1/keys answers it."""
    return {**keys.to_json(), "origin": origin, "checkpoint_verifier_keys": []}


def problems_of(built: Built, published: PublishedKeys) -> list[str]:
    report = verify_bundle(built.bundle, published, workers=0)
    assert not report.ok
    return report.problems


def test_the_answer_of_get_keys_and_a_bare_list_parse() -> None:
    keys = make_keys().key_list
    published = PublishedKeys.from_json(answer(keys))
    assert published == PublishedKeys(keys, ORIGIN)
    assert PublishedKeys.from_json(keys.to_json()) == PublishedKeys(keys, None)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda a: [a], "got JSON list, expected a key list"),
        (lambda a: {**a, "format": "mandate.bundle/2"}, "got format 'mandate.bundle/2'"),
        (lambda a: {k: v for k, v in a.items() if k != "format"}, "got format None"),
        (lambda a: {**a, "entries": []}, "got key list fields ['entries']"),
        (lambda a: {**a, "origin": 7}, "got origin 7, expected the log's name"),
        (lambda a: {**a, "keys": {}}, "got key list keys of type dict, expected a list"),
        (
            lambda a: {**a, "keys": [{**a["keys"][0], "key_id": "0" * 64}]},
            "(SHA-256 of the raw public key)",
        ),
    ],
    ids=["not-an-object", "a-bundle", "no-format", "unknown-field", "origin", "keys", "key-id"],
)
def test_a_malformed_key_list_is_refused_saying_why(change: Any, expected: str) -> None:
    with pytest.raises(KeyListError, match=re.escape(expected)):
        PublishedKeys.from_json(change(answer(make_keys().key_list)))


def test_the_deployments_own_list_vouches_for_the_bundle(built: Built) -> None:
    report = verify_bundle(built.bundle, PublishedKeys(built.keys.key_list, ORIGIN), workers=0)
    assert report.ok, report.problems
    assert (
        "key list: 4 trusted key(s), 3 for records and 1 for checkpoints "
        "(as the published key list has them)"
    ) in report.checked


def test_another_deployments_list_names_every_key_it_does_not_vouch_for(built: Built) -> None:
    other = make_keys().key_list
    problems = problems_of(built, PublishedKeys(other, ORIGIN))
    for key in built.keys.key_list.keys:
        if key.status == "revoked":
            continue
        assert (
            f"key list: key {key.key_id} ({key.purpose}) is not in the published key list you "
            "trust; its signatures are not trusted"
        ) in problems
    # Nothing the untrusted keys signed is taken: the checkpoint, and every entry.
    assert any(p.startswith("checkpoint: ") for p in problems)
    assert sum(p.startswith("entry ") for p in problems) >= len(built.bundle["entries"])


def test_a_key_the_operator_revoked_since_is_not_trusted(built: Built) -> None:
    new = built.keys.new_records.key_id
    revoked = KeyList(
        tuple(
            dataclasses.replace(k, status="revoked") if k.key_id == new else k
            for k in built.keys.key_list.keys
        )
    )
    problems = problems_of(built, PublishedKeys(revoked, ORIGIN))
    assert (
        f"key list: key {new} (records) is revoked in the published key list you trust; its "
        "signatures are not trusted"
    ) in problems
    assert any(f"got key {new}, which is revoked" in p for p in problems)


def test_the_published_window_decides_not_the_bundles(built: Built) -> None:
    # The operator's list retires the old records key ten days before the bundle's list does:
    # what that key signed in those ten days is not trusted.
    earlier = iso(ROTATION - timedelta(days=10))
    keys = built.keys
    published = rotate(
        keys.key_list_before,
        keys.old_records.key_id,
        listed_key(keys.new_records.public_key, "records", earlier),
        earlier,
    )
    problems = problems_of(built, PublishedKeys(published, ORIGIN))
    assert any(
        f"for key {keys.old_records.key_id}, expected one within [{iso(T0)}, {earlier})" in p
        for p in problems
    ), problems
    assert not any(p.startswith("key list") for p in problems)


def test_a_key_listed_for_another_purpose_is_not_trusted(built: Built) -> None:
    checkpoints = next(k for k in built.keys.key_list.keys if k.purpose == "checkpoints")
    published = KeyList((dataclasses.replace(checkpoints, purpose="records"),))
    problems = problems_of(built, PublishedKeys(published, ORIGIN))
    assert (
        f"key list: key {checkpoints.key_id} is listed for checkpoints here but for records in "
        "the published key list you trust; its signatures are not trusted"
    ) in problems


def test_a_list_for_another_log_is_named(built: Built) -> None:
    problems = problems_of(built, PublishedKeys(built.keys.key_list, "elsewhere.example/log"))
    assert (
        "key list: the published key list you trust is for log 'elsewhere.example/log', this "
        f"is log {ORIGIN!r}"
    ) in problems


SCRIPT = """
import json, sys
from mandate.cli import main
code = main(["verify", sys.argv[1], "--keys", sys.argv[2]])
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules})]))
"""


def test_a_key_list_file_keeps_the_verifier_offline(built: Built, tmp_path: Path) -> None:
    bundle, keys = tmp_path / "bundle.json", tmp_path / "keys.json"
    bundle.write_text(json.dumps(built.bundle))
    keys.write_text(json.dumps(answer(built.keys.key_list)))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(bundle), str(keys)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    code, modules = json.loads(result.stdout.strip().splitlines()[-1])
    assert code == 0, result.stdout
    assert "VERIFIED" in result.stdout
    assert not {"httpx", "httpcore", "sqlalchemy", "pydantic"} & set(modules)
