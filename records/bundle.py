"""Offline verification of a round bundle: signatures, the hash chain, the criteria, and a
recount of every outcome from the logged inputs.

Imports only the standard library, ``cryptography``, ``records`` and ``policies``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from policies.errors import DomainError
from policies.rules import ApprovalBallot, Candidate, SelectionRules
from records import dsse
from records.canonical import canonical_json, parse_canonical, sha256_hex
from records.chain import ChainEntry, chain_problems
from records.keys import public_key_from_b64
from records.outcome import outcome_statement

BUNDLE_FORMAT = "mandate.bundle/1"


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


@dataclass
class _Log:
    statements: dict[int, dict[str, Any]] = field(default_factory=dict)


def verify_bundle(bundle: Mapping[str, Any], pinned_key_ids: Sequence[str] = ()) -> Report:
    """Check everything; report every problem found, each naming where it is.

    A bundle lists its own keys; ``pinned_key_ids`` (the ids the auditor got from the
    operator's published key list) makes any other key untrusted.
    """
    report = Report()
    try:
        _verify(bundle, report, pinned_key_ids)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        report.fail("bundle", f"malformed ({exc!r})")
    return report


def _verify(bundle: Mapping[str, Any], report: Report, pinned: Sequence[str]) -> None:
    if bundle.get("format") != BUNDLE_FORMAT:
        report.fail("bundle", f"format is {bundle.get('format')!r}, expected {BUNDLE_FORMAT!r}")
        return
    keys = _keys(bundle["keys"], report)
    if pinned:
        for key_id in sorted(set(keys) - set(pinned)):
            report.fail(f"key {key_id}", "is not the pinned key; its signatures are not trusted")
            del keys[key_id]
    log = _log(bundle["log"], report)
    criteria = _criteria(bundle["criteria"], keys, log, report)
    if criteria is None:
        return
    for i, item in enumerate(bundle["outcomes"]):
        _outcome(i, item, keys, log, criteria, report)
    missing = {p["constituency_id"] for p in criteria["participants"]} - {
        item.get("constituency_id") for item in bundle["outcomes"]
    }
    decided = any(
        s.get("type") == "phase.changed" and s["data"]["phase"] == "decided"
        for s in log.statements.values()
    )
    if decided and missing:
        report.fail("outcomes", f"no outcome for constituencies {', '.join(sorted(missing))}")


def _keys(items: Any, report: Report) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for item in items:
        try:
            keys[item["key_id"]] = public_key_from_b64(item["public_key"])
        except DomainError as exc:
            report.fail(f"key {item.get('key_id')}", exc.detail)
    report.checked.append(f"{len(keys)} key(s)")
    return keys


def _log(items: Any, report: Report) -> _Log:
    entries = [
        ChainEntry(int(e["seq"]), e["statement"].encode(), e["prev_hash"], e["entry_hash"])
        for e in items
    ]
    for problem in chain_problems(entries):
        report.fail("log", problem)
    log = _Log()
    for e in entries:
        try:
            statement = parse_canonical(e.statement)
        except DomainError:
            continue  # already reported by chain_problems
        if isinstance(statement, dict):
            log.statements[e.seq] = statement
    report.checked.append(f"{len(entries)} log entries in a hash chain")
    return log


def _envelope_payload(
    where: str, obj: Any, keys: Mapping[str, Ed25519PublicKey], kind: str, report: Report
) -> bytes | None:
    try:
        envelope = dsse.Envelope.from_json(obj)
        return dsse.verify(envelope, keys, payload_type=dsse.payload_type_for(kind))
    except DomainError as exc:
        report.fail(where, exc.detail)
        return None


def _criteria(
    item: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey], log: _Log, report: Report
) -> dict[str, Any] | None:
    payload = _envelope_payload("criteria", item["envelope"], keys, "criteria", report)
    if payload is None:
        return None
    digest = sha256_hex(payload)
    published = [
        (seq, s) for seq, s in log.statements.items() if s.get("type") == "criteria.published"
    ]
    if not published:
        report.fail("log", "no criteria.published entry")
    for seq, s in published:
        if s["data"]["criteria_hash"] != digest:
            report.fail(
                f"log entry {seq}",
                f"criteria hash {s['data']['criteria_hash']} does not match the signed "
                f"criteria ({digest})",
            )
    criteria = parse_canonical(payload)
    assert isinstance(criteria, dict)
    report.checked.append(f"criteria {digest} signed and logged")
    return {**criteria, "_hash": digest}


def _outcome(
    i: int,
    item: Mapping[str, Any],
    keys: Mapping[str, Ed25519PublicKey],
    log: _Log,
    criteria: Mapping[str, Any],
    report: Report,
) -> None:
    where = f"outcome {i} ({item.get('constituency_id')})"
    payload = _envelope_payload(where, item["envelope"], keys, "outcome", report)
    if payload is None:
        return
    signed = parse_canonical(payload)
    assert isinstance(signed, dict)
    cid = signed["constituency_id"]
    digest = sha256_hex(payload)
    logged = [
        seq
        for seq, s in log.statements.items()
        if s.get("type") == "outcome.published"
        and s["data"]["constituency_id"] == cid
        and s["data"]["outcome_hash"] == digest
    ]
    if not logged:
        report.fail(where, f"the signed outcome {digest} is not in the log")
    participant = next((p for p in criteria["participants"] if p["constituency_id"] == cid), None)
    if participant is None:
        report.fail(where, f"constituency {cid} does not take part in the round")
        return
    candidates, ballots, at = _inputs(log, cid)
    recount = outcome_statement(
        round_id=criteria["round_id"],
        constituency_id=cid,
        criteria_hash=criteria["_hash"],
        criteria_version=criteria["version"],
        rules=SelectionRules.from_json(participant["rules"]),
        candidates=candidates,
        ballots=ballots,
    )
    if canonical_json(recount) != payload:
        diff = sorted(k for k in recount if recount[k] != signed.get(k))
        report.fail(
            where,
            f"the recount from the logged ballots differs in {', '.join(diff) or 'its bytes'}"
            + (f" (inputs read up to log entry {at})" if at else ""),
        )
    else:
        report.checked.append(f"{where}: recount of {len(ballots)} ballot(s) matches")


def _inputs(log: _Log, cid: str) -> tuple[list[Candidate], list[ApprovalBallot], int | None]:
    """The standing candidates and each voter's last ballot cast before voting closed."""
    candidates: list[Candidate] = []
    last: dict[str, ApprovalBallot] = {}
    closed_at = None
    for seq in sorted(log.statements):
        s = log.statements[seq]
        kind, data = s.get("type"), s.get("data", {})
        if kind == "phase.changed" and data.get("phase") == "voting_closed":
            closed_at = seq
            break
        if data.get("constituency_id") != cid:
            continue
        if kind == "candidates.fixed":
            candidates = [
                Candidate(id=c["id"], attributes=dict(c["attributes"])) for c in data["standing"]
            ]
        elif kind == "ballot.cast":
            last[data["voter"]] = ApprovalBallot(data["voter"], frozenset(data["approvals"]))
    return candidates, [last[v] for v in sorted(last)], closed_at
