"""The offline round-bundle verifier (format 2): a valid bundle verifies with its recount, and
every kind of tampering is reported, naming the entry, checkpoint or outcome at fault."""

from __future__ import annotations

import base64
import copy
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import records.bundle_entries as be
from policies.rules import ApprovalBallot
from records import dsse
from records.bundle import BUNDLE_FORMAT, UNSEALED_FORMAT, Report, verify_bundle
from records.canonical import canonical_json
from records.keys import generate_signer
from records.logentry import Statement, round_scope
from records.note import NoteSigner
from tests.records.bundle_factory import ROTATION, ROUND, Built, decided_round

SCOPE = round_scope(ROUND)


@pytest.fixture(scope="module")
def built() -> Built:
    return decided_round()


def fresh(built: Built) -> dict[str, Any]:
    return copy.deepcopy(built.bundle)


def problems_at(report: Report, where: str) -> list[str]:
    return [p for p in report.problems if p.startswith(f"{where}: ")]


def ballot_of(built: Built, voter: str) -> int:
    """The index of ``voter``'s (last) ballot."""
    found: list[int] = [
        e["index"]
        for e in built.bundle["entries"]
        if f'"voter":"{voter}"' in _payload(e["envelope"]).decode()
    ]
    return found[-1]


def _payload(envelope: str) -> bytes:
    return base64.b64decode(json.loads(envelope)["payload"])


# -- the valid bundle


def test_a_valid_bundle_verifies_with_its_recount(built: Built) -> None:
    report = verify_bundle(built.bundle)
    assert report.ok, report.problems
    # Ballots in clear, as rounds before sealed ballots logged them: format 2 still verifies.
    assert built.bundle["format"] == UNSEALED_FORMAT == "mandate.bundle/2"
    assert BUNDLE_FORMAT == "mandate.bundle/3"
    checked = "\n".join(report.checked)
    assert "checkpoint: mandate.example/log at size" in checked
    assert "outcome 0 (c-africa): recount of 16 ballot(s) matches" in checked
    assert "outcome 1 (c-youth): recount of 8 ballot(s) matches" in checked
    assert f"scope {SCOPE}: seq 1 to" in checked
    assert "key list: the one logged at entry" in checked


def test_the_bundle_holds_only_this_round_and_the_key_list(built: Built) -> None:
    scopes = {built.log.scopes[e["index"]] for e in built.bundle["entries"]}
    assert scopes == {SCOPE, "keys"}
    assert len(built.bundle["entries"]) < built.log.size  # other scopes are in the tree


def test_entries_signed_before_the_rotation_verify_with_the_retired_key(built: Built) -> None:
    signers = {
        json.loads(built.entry_at(i)["envelope"])["signatures"][0]["keyid"]
        for i in built.indexes["ballot.cast"]
    }
    assert signers == {built.keys.old_records.key_id, built.keys.new_records.key_id}
    old = built.keys.key_list.find(built.keys.old_records.key_id)
    assert old is not None
    assert old.status == "retired"


def test_pinning_every_listed_key_verifies_and_pinning_fewer_does_not(built: Built) -> None:
    every = [k.key_id for k in built.keys.key_list.keys if k.status != "revoked"]
    assert verify_bundle(built.bundle, every).ok
    report = verify_bundle(built.bundle, [built.keys.new_records.key_id])
    old = built.keys.old_records.key_id
    assert any(
        old in p and "not one of the pinned keys" in p for p in problems_at(report, "key list")
    )
    assert problems_at(report, "checkpoint")  # its key was not pinned either
    first_ballot = built.indexes["ballot.cast"][0]
    assert any(
        "expected one in the key list" in p for p in problems_at(report, f"entry {first_ballot}")
    )


# -- tampering with entries


def test_a_flipped_envelope_byte_is_reported_with_its_entry(built: Built) -> None:
    bundle = fresh(built)
    index = built.indexes["ballot.cast"][3]
    entry = bundle["entries"][built.position_of(index)]
    text = entry["envelope"]
    cut = text.index('"payload":"') + 30
    entry["envelope"] = text[:cut] + ("A" if text[cut] != "A" else "B") + text[cut + 1 :]
    report = verify_bundle(bundle)
    assert not report.ok
    at_entry = problems_at(report, f"entry {index}")
    assert any("not in the checkpoint's tree" in p for p in at_entry), report.problems


def test_an_altered_payload_with_the_old_signature_is_reported(built: Built) -> None:
    bundle = fresh(built)
    index = ballot_of(built, "v000004")
    entry = bundle["entries"][built.position_of(index)]
    envelope = dsse.Envelope.from_bytes(entry["envelope"].encode())
    statement = json.loads(envelope.payload)
    statement["data"]["approvals"] = ["a3"]
    altered = dsse.Envelope(envelope.payload_type, canonical_json(statement), envelope.signatures)
    entry["envelope"] = altered.to_bytes().decode()
    report = verify_bundle(bundle)
    at_entry = problems_at(report, f"entry {index}")
    assert any("not in the checkpoint's tree" in p for p in at_entry), report.problems
    assert any("does not match the payload" in p for p in at_entry), report.problems


@pytest.mark.parametrize("where", ["payloadType", "payload", "sig"])
def test_a_damaged_entry_is_reported_once_not_as_a_missing_seq_after_it(
    built: Built, where: str
) -> None:
    """One byte damaged where the entry can no longer be read: the entry is named, and the
    next entry of its scope is not reported for the seq the damaged one still holds."""
    bundle = fresh(built)
    index = built.indexes["ballot.cast"][3]
    entry = bundle["entries"][built.position_of(index)]
    text = entry["envelope"]
    cut = text.index(f'"{where}":"') + len(where) + 3
    entry["envelope"] = text[:cut] + "\x7f" + text[cut + 1 :]
    report = verify_bundle(bundle)
    entries_at_fault = {p.split(":")[0] for p in report.problems if p.startswith("entry ")}
    assert entries_at_fault == {f"entry {index}"}, report.problems
    assert not any("missing" in p for p in report.problems), report.problems


def test_a_dropped_entry_is_reported_with_the_missing_seq(built: Built) -> None:
    bundle = fresh(built)
    index = built.indexes["ballot.cast"][5]
    position = built.position_of(index)
    dropped = bundle["entries"].pop(position)
    seq = json.loads(_payload(dropped["envelope"]))["seq"]
    before, after = bundle["entries"][position - 1]["index"], bundle["entries"][position]["index"]
    report = verify_bundle(bundle)
    assert problems_at(report, f"entry {after}") == [
        f"entry {after}: {SCOPE} seq {seq + 1} comes after seq {seq - 1} (entry {before}): "
        f"seq {seq} is missing"
    ], report.problems


def test_reordered_entries_are_reported(built: Built) -> None:
    bundle = fresh(built)
    p = built.position_of(built.indexes["ballot.cast"][2])
    entries = bundle["entries"]
    entries[p], entries[p + 1] = entries[p + 1], entries[p]
    report = verify_bundle(bundle)
    first, second = entries[p]["index"], entries[p + 1]["index"]
    assert report.problems == [
        f"entry {second}: listed after entry {first}; entries must be sorted by index"
    ]


def test_a_duplicated_entry_is_reported(built: Built) -> None:
    bundle = fresh(built)
    p = built.position_of(built.indexes["ballot.cast"][2])
    bundle["entries"].insert(p, copy.deepcopy(bundle["entries"][p]))
    index = bundle["entries"][p]["index"]
    report = verify_bundle(bundle)
    assert problems_at(report, f"entry {index}") == [f"entry {index}: listed more than once"]


def test_an_entry_of_another_scope_is_reported(built: Built) -> None:
    bundle = fresh(built)
    index = next(i for i, s in enumerate(built.log.scopes) if s == "registry")
    proof = built.log.inclusion(index, built.log.size)
    bundle["entries"].append(
        {
            "index": index,
            "envelope": built.log.entries[index].decode(),
            "proof": [base64.b64encode(h).decode() for h in proof],
        }
    )
    bundle["entries"].sort(key=lambda e: e["index"])
    report = verify_bundle(bundle)
    assert [p for p in report.problems if "does not belong" in p] == [
        f"entry {index}: scope 'registry' does not belong in the bundle of round {ROUND} "
        f"(only keys, {SCOPE})"
    ]


def test_a_wrong_proof_hash_is_reported_with_its_entry(built: Built) -> None:
    bundle = fresh(built)
    index = built.indexes["ballot.cast"][7]
    entry = bundle["entries"][built.position_of(index)]
    entry["proof"][-1] = base64.b64encode(b"\x00" * 32).decode()
    report = verify_bundle(bundle)
    root = base64.b64encode(built.log.checkpoint().root).decode()
    [problem] = [p for p in report.problems if not p.startswith("outcome ")]
    assert problem.startswith(
        f"entry {index}: not in the checkpoint's tree: inclusion proof for leaf {index} of a "
        f"tree of size {built.log.size} leads to root "
    )
    assert problem.endswith(f", expected {root}")
    # The entry is left out of the recount, and the recount says so.
    assert all("1 entries that did not verify left out" in p for p in report.problems[1:])


# -- keys


def signed_by(kind: str, voter: str, signer: Any) -> Any:
    def pick(statement: Statement) -> Any:
        if statement.type == kind and statement.data.get("voter") == voter:
            return signer
        return None

    return pick


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("stranger", "expected one in the key list"),
        ("checkpoints", "for purpose 'checkpoints', expected a 'records' key"),
        ("revoked", "which is revoked"),
    ],
)
def test_an_entry_signed_by_a_wrong_key_is_reported(who: str, expected: str) -> None:
    reference = decided_round()
    signer = {
        "stranger": generate_signer(),
        "checkpoints": reference.keys.checkpoints_as_signer,
        "revoked": reference.keys.revoked,
    }[who]
    built = decided_round(
        sign_with=signed_by("ballot.cast", "v000006", signer), keys=reference.keys
    )
    report = verify_bundle(built.bundle)
    index = ballot_of(built, "v000006")
    assert any(expected in p for p in problems_at(report, f"entry {index}")), report.problems
    assert all(p.startswith((f"entry {index}:", "outcome 0")) for p in report.problems), (
        report.problems
    )


def test_an_entry_signed_by_the_retired_key_after_the_rotation_is_reported() -> None:
    reference = decided_round()
    late_voter = "v000021"  # votes after the rotation
    built = decided_round(
        sign_with=signed_by("ballot.cast", late_voter, reference.keys.old_records),
        keys=reference.keys,
    )
    index = ballot_of(built, late_voter)
    statement = json.loads(_payload(built.entry_at(index)["envelope"]))
    assert statement["at"] > ROTATION.isoformat().replace("+00:00", "Z")
    report = verify_bundle(built.bundle)
    assert any(
        "expected one within [2025-01-01T00:00:00Z, 2025-03-01T00:00:00Z)" in p
        for p in problems_at(report, f"entry {index}")
    ), report.problems


def test_a_key_list_that_is_not_the_logged_one_is_reported(built: Built) -> None:
    bundle = fresh(built)
    bundle["key_list"] = built.keys.key_list_before.to_json()
    report = verify_bundle(bundle)
    assert any("is not the one last logged at entry" in p for p in problems_at(report, "key list"))


def test_a_bundle_without_a_logged_key_list_is_reported(built: Built) -> None:
    bundle = fresh(built)
    keys_entries = set(built.indexes["keys.published"])
    bundle["entries"] = [e for e in bundle["entries"] if e["index"] not in keys_entries]
    report = verify_bundle(bundle)
    assert "key list: no keys.published entry in the bundle logs it" in report.problems


# -- checkpoints


def test_a_forged_checkpoint_is_reported(built: Built) -> None:
    bundle = fresh(built)
    forger = NoteSigner(built.origin, os.urandom(32))
    bundle["checkpoint"] = built.log.signed_checkpoint(signer=forger)
    report = verify_bundle(bundle)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("checkpoint: got signatures by keys")
    assert "its tree is not trusted" in report.problems[0]


def test_a_checkpoint_of_another_origin_is_reported(built: Built) -> None:
    bundle = fresh(built)
    bundle["origin"] = "elsewhere.example/log"
    report = verify_bundle(bundle)
    assert problems_at(report, "checkpoint")


def test_an_older_checkpoint_of_the_same_log_is_extended() -> None:
    first = decided_round(since=[20])
    older = first.log.signed_checkpoint(20)
    report = verify_bundle(first.bundle, older_checkpoint=older)
    assert report.ok, report.problems
    assert f"checkpoint: extends the one kept (size 20 to {first.log.size})" in report.checked
    same = verify_bundle(first.bundle, older_checkpoint=first.bundle["checkpoint"])
    assert same.ok, same.problems


def test_without_a_consistency_proof_the_auditor_is_told_how_to_get_one(built: Built) -> None:
    report = verify_bundle(built.bundle, older_checkpoint=built.log.signed_checkpoint(20))
    assert report.problems == [
        "checkpoint: the bundle has no consistency proof from the size of the checkpoint you "
        f"kept (20) to its own ({built.log.size}); export the bundle with ?since=20"
    ]


def test_a_checkpoint_that_does_not_extend_the_kept_one_is_reported() -> None:
    first = decided_round(since=[20])
    # The same operator keys, another history: a fork of the log.
    other = decided_round(voters=9, keys=first.keys)
    kept = other.log.signed_checkpoint(20)
    report = verify_bundle(first.bundle, older_checkpoint=kept)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith(
        "checkpoint: does not extend the checkpoint you kept (size 20): consistency proof"
    )


def test_a_kept_checkpoint_newer_than_the_bundle_is_reported() -> None:
    first = decided_round()
    later = first.log
    later.append("registry", "member.admitted", {"member": "m7"}, "2025-04-01T00:00:00Z")
    report = verify_bundle(first.bundle, older_checkpoint=later.signed_checkpoint())
    assert report.problems == [
        f"checkpoint: the bundle's checkpoint (size {later.size - 1}) is older than the "
        f"checkpoint you kept (size {later.size}); get a newer bundle"
    ]


def test_a_kept_checkpoint_of_the_same_size_with_another_root_is_reported(built: Built) -> None:
    other = decided_round(keys=built.keys, voters=23)  # one ballot less, one size less...
    other.log.append("registry", "member.admitted", {"member": "m7"}, "2025-04-01T00:00:00Z")
    assert other.log.size == built.log.size
    report = verify_bundle(built.bundle, older_checkpoint=other.log.signed_checkpoint())
    assert report.problems == [
        f"checkpoint: has the size {built.log.size} of the checkpoint you kept but another "
        "root: the log was rewritten"
    ]


def test_an_unsigned_kept_checkpoint_is_reported(built: Built) -> None:
    forger = NoteSigner(built.origin, os.urandom(32))
    report = verify_bundle(built.bundle, older_checkpoint=built.log.signed_checkpoint(9, forger))
    assert len(problems_at(report, "older checkpoint")) == 1


# -- criteria and outcomes


def test_criteria_text_that_is_not_the_signed_payload_is_reported(built: Built) -> None:
    bundle = fresh(built)
    bundle["criteria"]["canonical"] = bundle["criteria"]["canonical"].replace("Geneva", "Genf")
    report = verify_bundle(bundle)
    assert report.problems == ["criteria: the canonical text is not the signed payload"]


def test_an_altered_ballot_count_changes_the_recount_and_is_reported() -> None:
    def swap_a_vote(cid: str, ballots: list[ApprovalBallot]) -> list[ApprovalBallot]:
        if cid != "c-africa":
            return ballots
        return [ApprovalBallot(b.voter, frozenset({"a3", "a4"})) for b in ballots]

    built = decided_round(counted=swap_a_vote)
    report = verify_bundle(built.bundle)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("outcome 0 (c-africa): the recount from the logged ballots differs")
    assert "ballot_set_hash" in problem
    assert "result" in problem


def test_a_missing_outcome_is_reported(built: Built) -> None:
    bundle = fresh(built)
    del bundle["outcomes"][1]
    report = verify_bundle(bundle)
    decided = built.indexes["phase.changed"][-1]
    published = built.indexes["outcome.published"][1]
    assert sorted(report.problems) == sorted(
        [
            f"outcomes: the round is decided (entry {decided}) but there is no outcome for c-youth",
            f"entry {published}: outcome.published for c-youth has no signed outcome in the bundle",
        ]
    )


def test_an_outcome_naming_a_checkpoint_without_a_counted_ballot_is_reported() -> None:
    built = decided_round(outcome_covers_last_ballot=False)
    last = built.indexes["ballot.cast"][-1]
    assert built.outcome_size == last
    report = verify_bundle(built.bundle)
    assert report.problems == [
        f"outcome 1 (c-youth): counts 1 entry(ies) that the checkpoint it names (size {last}) "
        f"does not cover: entry {last}"
    ]


def test_an_outcome_whose_consistency_proof_fails_is_reported(built: Built) -> None:
    bundle = fresh(built)
    bundle["outcomes"][0]["consistency"][0] = base64.b64encode(b"\x01" * 32).decode()
    report = verify_bundle(bundle)
    assert len(report.problems) == 1
    assert report.problems[0].startswith("outcome 0 (c-africa): the checkpoint it names (size"), (
        report.problems
    )


def test_an_outcome_signed_by_a_stranger_is_reported(built: Built) -> None:
    bundle = fresh(built)
    envelope = dsse.Envelope.from_json(bundle["outcomes"][0]["envelope"])
    forged = dsse.sign(generate_signer(), envelope.payload_type, envelope.payload)
    bundle["outcomes"][0]["envelope"] = forged.to_json()
    report = verify_bundle(bundle)
    at_outcome = problems_at(report, "outcome 0 (c-africa)")
    assert any("expected one in the key list" in p for p in at_outcome), report.problems
    assert any("logs key" in p for p in at_outcome), report.problems


# -- many problems at once, and malformed input


def test_every_problem_is_reported_at_once(built: Built) -> None:
    bundle = fresh(built)
    flipped = built.indexes["ballot.cast"][1]
    entry = bundle["entries"][built.position_of(flipped)]
    entry["envelope"] = entry["envelope"].replace('"payloadType"', '"payloadtype"')
    dropped = built.position_of(built.indexes["ballot.cast"][9])
    after = bundle["entries"][dropped + 1]["index"]
    del bundle["entries"][dropped]
    del bundle["outcomes"][1]
    bundle["criteria"]["canonical"] += " "
    report = verify_bundle(bundle)
    wheres = {p.split(": ")[0] for p in report.problems}
    assert {f"entry {flipped}", f"entry {after}", "outcomes", "criteria"} <= wheres, report.problems


@pytest.mark.parametrize(
    "bundle",
    [
        None,
        [],
        "mandate.bundle/2",
        {},
        {"format": "mandate.bundle/1"},
        {"format": BUNDLE_FORMAT},
        {"format": BUNDLE_FORMAT, "entries": [None, {"index": "1"}, {"index": 2}]},
        {"format": BUNDLE_FORMAT, "key_list": {"format": "x"}, "checkpoint": 3, "outcomes": 5},
        {"format": BUNDLE_FORMAT, "outcomes": [None, {"envelope": {}}], "criteria": []},
    ],
)
def test_malformed_bundles_are_reported_never_raised(bundle: Any) -> None:
    report = verify_bundle(bundle)
    assert not report.ok
    assert not any("could not be checked further" in p for p in report.problems), report.problems


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*path, i))
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), replacement=JSON)
def test_any_part_replaced_by_other_json_is_reported_never_raised(
    built: Built, data: st.DataObject, replacement: Any
) -> None:
    bundle = fresh(built)
    path = data.draw(st.sampled_from(_paths(bundle)[1:]))
    target = bundle
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    report = verify_bundle(bundle)
    assert not any("could not be checked further" in p for p in report.problems), report.problems


# -- checking in worker processes gives the same report


def tampered(built: Built) -> dict[str, Any]:
    bundle = fresh(built)
    entries = bundle["entries"]
    for position in (3, len(entries) // 2, len(entries) - 5):
        entries[position]["envelope"] = entries[position]["envelope"].replace("vnd", "vnD")
    del entries[len(entries) // 3]
    entries[7]["proof"][0] = base64.b64encode(b"\x07" * 32).decode()
    return bundle


def worker_running(code: str, *args: str) -> list[str]:
    """A worker command that runs ``code`` first, then the real worker."""
    run = f"{code}\nfrom records.bundle_worker import main\nmain()"
    return [sys.executable, "-c", run, *args]


@pytest.fixture
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(be, "PARALLEL_FROM", 1)
    monkeypatch.setattr(be, "CHUNK", 4)


@pytest.mark.usefixtures("small_shares")
def test_workers_report_exactly_what_one_process_does(
    built: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = "import os, pathlib, sys\npathlib.Path(sys.argv[1], str(os.getpid())).touch()"
    monkeypatch.setattr(be, "worker_command", lambda: worker_running(code, str(tmp_path)))
    for bundle in (built.bundle, tampered(built)):
        alone = verify_bundle(bundle, workers=0)
        together = verify_bundle(bundle, workers=2)
        assert together == alone
    assert alone.problems  # the tampered one
    assert len(list(tmp_path.iterdir())) == 4  # two workers, twice


@pytest.mark.usefixtures("small_shares")
@pytest.mark.parametrize(
    "command",
    [
        ["/nowhere/python"],  # cannot start
        [sys.executable, "-c", "import sys; sys.stdin.buffer.read(100); sys.exit(3)"],
        [sys.executable, "-c", "import sys; print('not a pickle'); sys.stdin.buffer.read()"],
    ],
    ids=["no-process", "dies", "garbled"],
)
def test_what_no_worker_checks_is_checked_here(
    built: Built, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setattr(be, "worker_command", lambda: command)
    bundle = tampered(built)
    assert verify_bundle(bundle, workers=1) == verify_bundle(bundle, workers=0)


@pytest.mark.usefixtures("small_shares")
def test_shares_a_slow_worker_has_not_taken_are_taken_back(
    built: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    done = tmp_path / "shares"
    code = (
        "import sys, time, records.bundle_entries as be\n"
        "real = be.EntryChecker.check\n"
        "def slow(self, items):\n"
        "    time.sleep(0.5)\n"
        "    with open(sys.argv[1], 'a') as f: f.write('share\\n')\n"
        "    return real(self, items)\n"
        "be.EntryChecker.check = slow"
    )
    monkeypatch.setattr(be, "worker_command", lambda: worker_running(code, str(done)))
    bundle = tampered(built)
    assert verify_bundle(bundle, workers=1) == verify_bundle(bundle, workers=0)
    entries = len(bundle["entries"])
    for_workers = len(range(entries // 2, entries, 4))
    assert for_workers > 3
    assert len(done.read_text().splitlines()) <= 2  # two in hand at most; the rest taken back


def test_the_garbage_collector_is_left_as_it_was(built: Built) -> None:
    assert gc.isenabled()
    verify_bundle(built.bundle)
    assert gc.isenabled()
    gc.disable()
    try:
        verify_bundle(tampered(built))
        assert not gc.isenabled()
    finally:
        gc.enable()
