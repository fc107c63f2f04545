"""A signatory's proof that it is on a campaign's signed signatory list, checked offline.

Format ``mandate.signatory-proof/1`` (``GET /v1/signatures/{id}/proof``)::

    {
      "format": "mandate.signatory-proof/1",
      "campaign_id": str, "signature_id": str,
      "origin": str, "checkpoint": str,       # a signed checkpoint note of the log
      "key_list": {...},                      # mandate.keylist/1
      "record": {DSSE JSON},                  # the signed signatory record
      "position": int,                        # the signatory's line in the record's list
      "entries": [{"index", "envelope", "proof"}]  # the signature's log entries and the
    }                                              #   signatories.published entry

What :func:`verify_signatory_proof` checks: the checkpoint (a listed checkpoints key); every
entry's inclusion in the checkpoint's tree, its form, its signature by a records key valid at
its time, and that it is of the campaign's scope; the record's signature and that the
``signatories.published`` entry logs its hash; that the record's line at ``position`` is this
signature, and that the entry which made it count says the same organisation, country, type,
region, version and day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policies.errors import DomainError
from policies.signatories import Signatory
from records.bundle_entries import EntryChecker, EntryRules
from records.canonical import sha256_hex
from records.canonical_fast import loads_canonical
from records.keylist import PublishedKeys
from records.log_bundle import LogBundleVerifier, Report
from records.logentry import KEYS_SCOPE, campaign_scope
from records.signatories import SIGNATORIES_TYPE, LogReading

PROOF_FORMAT = "mandate.signatory-proof/1"


def verify_signatory_proof(proof: object, trusted: Sequence[str] | PublishedKeys = ()) -> Report:
    return _ProofVerifier.verify(proof, trusted, workers=0)


class _ProofVerifier(LogBundleVerifier):
    FORMAT = PROOF_FORMAT
    SUBJECT = "campaign_id"
    KIND = "campaign"

    def run(self) -> None:
        proof = self.bundle
        if not isinstance(proof, dict) or proof.get("format") != self.FORMAT:
            got = proof.get("format") if isinstance(proof, dict) else type(proof).__name__
            self.fail("proof", f"format is {got!r}, expected {self.FORMAT!r}")
            return
        self.subject_id = str(proof.get("campaign_id") or "")
        sid = proof.get("signature_id")
        if not self.subject_id or not isinstance(sid, str):
            self.fail("proof", "expected a campaign_id and a signature_id, both strings")
            return
        origin = proof.get("origin")
        self.origin = origin if isinstance(origin, str) else ""
        self._key_list(proof.get("key_list"))
        self._checkpoint(proof.get("checkpoint"))
        published, made = self._proof_entries(proof.get("entries"), sid)
        self._record(proof, sid, published, made)

    def _proof_entries(
        self, raw: object, sid: str
    ) -> tuple[tuple[int, str, dict[str, Any]] | None, Signatory | None]:
        items = (
            [
                (item.get("index"), item.get("envelope"), item.get("proof"))
                for item in raw
                if isinstance(item, dict) and isinstance(item.get("index"), int)
            ]
            if isinstance(raw, list)
            else []
        )
        if not items:
            self.fail("entries", "the proof holds no log entries")
            return None, None
        checkpoint = self.checkpoint
        rules = EntryRules(
            self.keys,
            None if checkpoint is None else (checkpoint.size, checkpoint.root),
            (campaign_scope(self.subject_id), KEYS_SCOPE),
            f"campaign {self.subject_id}",
        )
        reading = LogReading()
        published = None
        good = 0
        for checked in EntryChecker(rules).check(items):  # type: ignore[arg-type]
            for problem in checked.problems:
                self.fail(f"entry {checked.entry}", problem)
            if not checked.good or checked.data is None:
                continue
            good += 1
            if checked.type == "signatories.published":
                published = (checked.entry, checked.at, checked.data)
            elif checked.data.get("signature_id") == sid:
                try:
                    reading.read(checked.entry, checked.type, checked.at, checked.data)
                except (KeyError, TypeError, ValueError) as exc:
                    self.fail(f"entry {checked.entry}", f"malformed signature entry ({exc})")
        self.report.checked.append(
            f"{good} of {len(items)} entries included in the checkpoint's tree and signed"
        )
        made = reading.counting.get(sid)
        if made is None:
            self.fail("entries", f"no entry makes signature {sid} count, or it was withdrawn")
        return published, None if made is None else made[1]

    def _record(
        self,
        proof: dict[str, Any],
        sid: str,
        published: tuple[int, str, dict[str, Any]] | None,
        made: Signatory | None,
    ) -> None:
        opened = self.envelope_of("record", {"envelope": proof.get("record")}, SIGNATORIES_TYPE)
        if opened is None:
            return
        envelope = opened[1]
        if published is None:
            self.fail("record", "no signatories.published entry in the proof logs it")
        else:
            index, at, data = published
            digest = sha256_hex(envelope.payload)
            if data.get("record_hash") != digest:
                self.fail(
                    "record",
                    f"its hash {digest} is not the one logged at entry {index} "
                    f"({data.get('record_hash')})",
                )
            for problem in self.signatures.problems(envelope, "records", at):
                self.fail("record", problem)
        try:
            record = loads_canonical(envelope.payload)
            line = record["signatories"][proof["position"]]
            campaign = record["campaign_id"]
        except (DomainError, KeyError, IndexError, TypeError) as exc:
            self.fail("record", f"has no line at position {proof.get('position')!r} ({exc!r})")
            return
        if campaign != self.subject_id:
            self.fail("record", f"is of campaign {campaign!r}, expected {self.subject_id!r}")
        if not isinstance(line, dict) or line.get("signature_id") != sid:
            self.fail("record", f"line {proof.get('position')} is not signature {sid}")
            return
        if made is not None and made.to_json() != line:
            self.fail(
                "record",
                f"line {proof.get('position')} ({line}) is not what the log says of the "
                f"signature ({made.to_json()})",
            )
        if not self.report.problems:
            self.report.checked.append(
                f"signature {sid} ({line.get('organisation')}, {line.get('country')}) is line "
                f"{proof.get('position')} of the signed signatory record"
            )
