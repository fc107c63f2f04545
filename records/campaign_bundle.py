"""Campaign bundles: one file holding everything an auditor needs to check a sign-on campaign
offline, its signatory list recounted from the log.

Format ``mandate.campaign-bundle/1`` (a JSON object; this docstring is the reference)::

    {
      "format": "mandate.campaign-bundle/1",
      "campaign_id": str,
      "origin": str,             # the log's origin
      "checkpoint": str,         # signed checkpoint note; every proof below is against it
      "key_list": {...},         # the published key list (mandate.keylist/1)
      "statements": [            # every version of the statement, in order
        {"version": int, "canonical": str, "envelope": {DSSE JSON}}
      ],
      "entries": [               # sorted by index: every entry of scope "campaign:<id>" and
        {"index", "envelope", "proof"}   # every entry of scope "keys", as in a round bundle
      ],
      "record": null | {                 # the signed signatory record (mandate.signatories/1)
        "envelope": {DSSE JSON},
        "consistency": [base64, ...]     # from the checkpoint the record names to the bundle's
      },
      "consistency": [{"old_size", "proof"}],   # optional, asked for with ?since=<size>
      "pending_entries": int             # information only: entries after the checkpoint
    }

The statements a verifier reads: ``campaign.published`` {statement_hash, signers,
constituencies, opens_at, closes_at, milestones}; ``statement.published`` {version,
statement_hash, previous_hash, reason, key_id}; ``deadline.extended`` {deadline, from, to,
reason}; ``phase.changed`` {phase, ...} (signatures count until ``closed``; ``concluded`` means
the record is published); ``signature.submitted`` / ``.confirmed`` / ``.withdrawn`` /
``.lapsed`` (see :mod:`records.signatories`); ``signatories.published`` {record_hash, key_id,
total, checkpoint}.

What :func:`verify_campaign_bundle` checks, besides what every log bundle gets
(:mod:`records.log_bundle`: key list, checkpoint, inclusion, signatures, order):

1. every statement version: its canonical text is the signed payload (a records key valid
   when logged), its version follows the one before and names that one's hash, and a
   ``statement.published`` entry logs its hash; no logged version is missing;
2. the record, where one is logged or the campaign concluded: its signature, its hash as
   logged, the checkpoint it names (this log, consistent with the bundle's, holding every
   signature entry it counts), and a recount from the logged signatures up to the close,
   with every statement version and the close time the log gives, that gives the same bytes.

Imports only the standard library, ``cryptography``, ``records`` and ``policies``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policies.errors import DomainError
from records.canonical import canonical_json, sha256_hex
from records.canonical_fast import loads_canonical
from records.keylist import PublishedKeys
from records.log_bundle import LogBundleVerifier, Logged, Report
from records.logentry import campaign_scope
from records.signatories import (
    SIGNATORIES_TYPE,
    SIGNATURE_ENTRIES,
    LogReading,
    recount_scheme,
    signatory_record,
)

CAMPAIGN_BUNDLE_FORMAT = "mandate.campaign-bundle/1"
STATEMENT_TYPE = "statement"


def verify_campaign_bundle(
    bundle: object,
    trusted: Sequence[str] | PublishedKeys = (),
    older_checkpoint: str | None = None,
    *,
    workers: int | None = None,
) -> Report:
    """Check everything; report every problem found, each naming where it is."""
    return _CampaignVerifier.verify(bundle, trusted, older_checkpoint, workers)


class _CampaignVerifier(LogBundleVerifier):
    FORMAT = CAMPAIGN_BUNDLE_FORMAT
    SUBJECT = "campaign_id"
    KIND = "campaign"

    def setup(self) -> None:
        self.published: Logged | None = None  # campaign.published
        self.versions: dict[int, Logged] = {}  # statement.published, by version
        self.closes_at: str | None = None
        self.closed_at: int | None = None
        self.concluded_at: int | None = None
        self.records_logged: list[Logged] = []
        self.reading = LogReading()
        self.signature_indexes: list[int] = []
        self.late = 0

    def scope(self) -> str:
        return campaign_scope(self.subject_id)

    def collect(self, index: int, kind: str, at: str, data: dict[str, Any]) -> None:
        if kind in SIGNATURE_ENTRIES:
            if self.closed_at is not None:
                self.late += 1
                return
            try:
                self.reading.read(index, kind, at, data)
            except (KeyError, TypeError, ValueError) as exc:
                self.fail(f"entry {index}", f"{kind} data is malformed ({exc})")
                return
            self.signature_indexes.append(index)
        elif kind == "campaign.published":
            self.published = Logged(index, at, data)
            self.closes_at = data.get("closes_at")
        elif kind == "statement.published":
            version = data.get("version")
            if type(version) is int:
                self.versions[version] = Logged(index, at, data)
            else:
                self.fail(f"entry {index}", f"statement.published names version {version!r}")
        elif kind == "deadline.extended":
            self.closes_at = data.get("to")
        elif kind == "phase.changed":
            phase = data.get("phase")
            if phase == "closed" and self.closed_at is None:
                self.closed_at = index
            elif phase == "concluded":
                self.concluded_at = index
        elif kind == "signatories.published":
            self.records_logged.append(Logged(index, at, data))

    def entries_checked(self) -> None:
        if self.late:
            self.report.checked.append(
                f"{self.late} signature entr(ies) logged after the close (entry "
                f"{self.closed_at}) are not counted"
            )

    def check_records(self, bundle: dict[str, Any]) -> None:
        statements = self._statements(bundle.get("statements"))
        self._record(bundle.get("record"), statements)

    # -- statements

    def _statements(self, raw: object) -> list[tuple[int, str]] | None:
        """(version, hash) of every version that verified; None if any did not."""
        if not isinstance(raw, list):
            self.fail("statements", f"got {type(raw).__name__}, expected a list")
            return None
        found: list[tuple[int, str]] = []
        sound = True
        previous: str | None = None
        for position, item in enumerate(raw):
            where = f"statement {position + 1}"
            digest = self._statement(where, item, position + 1, previous)
            if digest is None:
                sound = False
                previous = None
            else:
                found.append((position + 1, digest))
                previous = digest
        for version in sorted(set(self.versions) - {v for v, _ in found}):
            if version > len(raw):
                self.fail(
                    f"entry {self.versions[version].index}",
                    f"statement version {version} is logged but not in the bundle",
                )
                sound = False
        if (
            self.published is not None
            and found
            and found[0][1] != self.published.data.get("statement_hash")
        ):
            self.fail(
                f"entry {self.published.index}",
                "campaign.published names another statement than version 1",
            )
        if sound and found:
            self.report.checked.append(
                f"{len(found)} statement version(s): signed, logged and chained"
            )
        return found if sound else None

    def _statement(
        self, where: str, item: object, version: int, previous: str | None
    ) -> str | None:
        opened = self.envelope_of(where, item, STATEMENT_TYPE)
        if opened is None:
            return None
        item, envelope = opened
        payload = envelope.payload
        canonical = item.get("canonical")
        if not isinstance(canonical, str) or canonical.encode("utf-8", "replace") != payload:
            self.fail(where, "the canonical text is not the signed payload")
            return None
        try:
            document = loads_canonical(payload)
        except DomainError as exc:
            self.fail(where, f"is not canonical JSON ({exc.detail})")
            return None
        if not isinstance(document, dict):
            self.fail(where, "is not a JSON object")
            return None
        digest = sha256_hex(payload)
        problems = []
        if document.get("campaign_id") != self.subject_id:
            problems.append(f"is of campaign {document.get('campaign_id')!r}")
        if document.get("version") != version:
            problems.append(f"says version {document.get('version')!r}, expected {version}")
        if document.get("previous_hash") != previous:
            problems.append(
                f"names previous version {document.get('previous_hash')!r}, expected {previous!r}"
            )
        logged = self.versions.get(version)
        if logged is None:
            problems.append("no statement.published entry logs it")
        elif logged.data.get("statement_hash") != digest:
            problems.append(
                f"its hash {digest} is not the one logged at entry {logged.index} "
                f"({logged.data.get('statement_hash')})"
            )
        problems.extend(
            self.signatures.problems(envelope, "records", logged.at if logged else None)
        )
        for problem in problems:
            self.fail(where, problem)
        return None if problems else digest

    # -- the signatory record

    def _record(self, raw: object, statements: list[tuple[int, str]] | None) -> None:
        logged = self.records_logged[-1] if self.records_logged else None
        if raw is None:
            if logged is not None:
                self.fail(
                    f"entry {logged.index}", "the signatory record it logs is not in the bundle"
                )
            elif self.concluded_at is not None:
                self.fail(
                    "record",
                    f"the campaign concluded (entry {self.concluded_at}) but the bundle has "
                    "no record",
                )
            return
        where = "record"
        opened = self.envelope_of(where, raw, SIGNATORIES_TYPE)
        if opened is None:
            return
        item, envelope = opened
        payload = envelope.payload
        digest = sha256_hex(payload)
        if logged is None:
            self.fail(where, f"the record {digest} is not logged by a signatories.published entry")
        elif logged.data.get("record_hash") != digest:
            self.fail(
                where,
                f"its hash {digest} is not the one logged at entry {logged.index} "
                f"({logged.data.get('record_hash')})",
            )
        for problem in self.signatures.problems(envelope, "records", logged.at if logged else None):
            self.fail(where, problem)
        try:
            signed = loads_canonical(payload)
        except DomainError as exc:
            self.fail(where, f"is not canonical JSON ({exc.detail})")
            return
        if not isinstance(signed, dict):
            self.fail(where, "is not a JSON object")
            return
        named = self.named_checkpoint(where, signed.get("checkpoint"), item.get("consistency"))
        if named is not None:
            late = [i for i in self.signature_indexes if i >= named]
            if late:
                self.fail(
                    where,
                    f"counts {len(late)} entr(ies) that the checkpoint it names (size {named}) "
                    f"does not hold: entry {', '.join(map(str, late[:5]))}",
                )
        if self.closed_at is None:
            self.fail(where, "the log does not show the sign-on window closing")
            return
        if statements is None or self.closes_at is None:
            self.fail(where, "not recounted: the statement versions or the close do not verify")
            return
        recount = signatory_record(
            campaign_id=self.subject_id,
            statements=statements,
            closes_at=self.closes_at,
            checkpoint=signed.get("checkpoint") or {},
            signatories=self.reading.signatories(),
            region_scheme=recount_scheme(signed),
        )
        if canonical_json(recount) != payload:
            differ = sorted(k for k in recount if recount[k] != signed.get(k))
            extra = sorted(set(signed) - set(recount))
            self.fail(
                where,
                "the recount from the logged signatures differs in "
                + (", ".join(differ + extra) or "its bytes")
                + (
                    f" ({self.rejected} entries that did not verify left out)"
                    if self.rejected
                    else ""
                ),
            )
        else:
            self.report.checked.append(
                f"record: recount of {recount['counts']['total']} signatories matches the "
                "signed list"
            )
