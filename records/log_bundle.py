"""What every bundle of log entries shares: the key list, the checkpoint, the entries with
their inclusion proofs, their order, and the signed records beside them.

A round bundle (:mod:`records.bundle`) and a campaign bundle (:mod:`records.campaign_bundle`)
differ only in what they read from their entries and in the records they check against them;
:class:`LogBundleVerifier` does the rest, the same way for both.

Imports only the standard library, ``cryptography``, ``records`` and ``policies``.
"""

from __future__ import annotations

import binascii
import gc
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from policies.errors import DomainError
from records import dsse
from records.bundle_entries import EntryRules, Signatures, check_entries, spare_cpus
from records.canonical import canonical_hash
from records.keylist import KeyList, PublishedKeys
from records.logentry import KEYS_SCOPE
from records.merkle import ProofError, verify_consistency
from records.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    parse_note_unverified,
)

_HASH_SIZE = 32
# The keys an auditor trusts: the operator's published key list, or pinned key ids.
Trusted = PublishedKeys | tuple[str, ...]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


@dataclass(frozen=True, slots=True)
class Logged:
    """A verified entry the checks after the log need: where, when and what."""

    index: int
    at: str
    data: dict[str, Any]


class LogBundleVerifier:
    """The checks every bundle gets; a subclass reads its own entries and records."""

    FORMAT: ClassVar[str]
    OLDER_FORMATS: ClassVar[tuple[str, ...]] = ()  # formats still read, as they were written
    SUBJECT: ClassVar[str]  # the bundle field naming what it is of: round_id, campaign_id
    KIND: ClassVar[str]  # how a report names it: round, campaign

    def __init__(
        self,
        bundle: object,
        report: Report,
        trusted: Trusted,
        older: str | None,
        workers: int | None,
    ) -> None:
        self.bundle = bundle
        self.report = report
        self.trusted = trusted
        self.older = older
        self.subject_id = ""
        self.format = self.FORMAT
        self.origin = ""
        self.keys: KeyList | None = None
        self.signatures = Signatures(None)
        self.workers = workers
        self.checkpoint: Checkpoint | None = None
        self.keys_logged: Logged | None = None
        self.rejected = 0  # entries that did not verify, left out of any recount
        self.setup()

    @classmethod
    def verify(
        cls,
        bundle: object,
        trusted: Sequence[str] | PublishedKeys = (),
        older_checkpoint: str | None = None,
        workers: int | None = None,
    ) -> Report:
        """Check everything; report every problem found, each naming where it is.

        ``trusted``: the keys the auditor trusts, as the operator's published key list or as
        pinned key ids; any other key the bundle lists is untrusted. Empty: the bundle's own.

        The cyclic garbage collector is paused meanwhile: it would walk the whole parsed
        bundle again and again, and nothing made here needs it.
        """
        report = Report()
        collecting = gc.isenabled()
        gc.disable()
        try:
            pins = trusted if isinstance(trusted, PublishedKeys) else tuple(trusted)
            cls(bundle, report, pins, older_checkpoint, workers).run()
        except Exception as exc:  # never raise on a malformed bundle: report it
            report.fail("bundle", f"could not be checked further ({exc!r})")
        finally:
            if collecting:
                gc.enable()
        return report

    def fail(self, where: str, what: str) -> None:
        self.report.fail(where, what)

    def run(self) -> None:
        bundle = self.bundle
        if not isinstance(bundle, dict):
            self.fail("bundle", f"got {type(bundle).__name__}, expected a JSON object")
            return
        if bundle.get("format") not in (self.FORMAT, *self.OLDER_FORMATS):
            self.fail("bundle", f"format is {bundle.get('format')!r}, expected {self.FORMAT!r}")
            return
        self.format = str(bundle["format"])
        self.report.checked.append(f"format {self.format}")
        subject, origin = bundle.get(self.SUBJECT), bundle.get("origin")
        if not isinstance(subject, str) or not subject:
            self.fail("bundle", f"got {self.SUBJECT} {subject!r}, expected a non-empty string")
        else:
            self.subject_id = subject
        if not isinstance(origin, str) or not origin:
            self.fail("bundle", f"got origin {origin!r}, expected a non-empty string")
        else:
            self.origin = origin
        self._key_list(bundle.get("key_list"))
        self._checkpoint(bundle.get("checkpoint"))
        if self.older is not None:
            self._older_checkpoint(self.older, bundle.get("consistency", []))
        self._entries(bundle.get("entries"))
        self._logged_key_list(bundle.get("key_list"))
        self.check_records(bundle)

    # -- what a subclass adds

    def setup(self) -> None:
        """Make the state the subclass gathers from the entries."""

    def scope(self) -> str:
        """The scope of the subject's own entries (the bundle holds those and the key list's)."""
        raise NotImplementedError

    def collect(self, index: int, kind: str, at: str, data: dict[str, Any]) -> None:
        """Read a verified entry of the subject's scope, in index order."""
        raise NotImplementedError

    def entries_checked(self) -> None:
        """Called once every entry is read: add what the reading found to the report."""

    def check_records(self, bundle: dict[str, Any]) -> None:
        """Check the signed records of the bundle against what the entries said."""
        raise NotImplementedError

    # -- keys

    def _key_list(self, raw: object) -> None:
        try:
            keys = KeyList.from_json(raw)
        except DomainError as exc:
            self.fail("key list", f"{exc.detail}; no signature can be trusted")
            return
        keys = self._trusted_of(keys)
        self.keys = keys
        self.signatures = Signatures(keys)
        counts = {p: sum(k.purpose == p for k in keys.keys) for p in ("records", "checkpoints")}
        vouched = (
            " (as the published key list has them)"
            if isinstance(self.trusted, PublishedKeys)
            else ""
        )
        self.report.checked.append(
            f"key list: {len(keys.keys)} trusted key(s), {counts['records']} for records and "
            f"{counts['checkpoints']} for checkpoints{vouched}"
        )

    def _trusted_of(self, keys: KeyList) -> KeyList:
        """The bundle's keys the auditor trusts; every other one is reported."""
        trusted = self.trusted
        if isinstance(trusted, PublishedKeys):
            if trusted.origin is not None and self.origin and trusted.origin != self.origin:
                self.fail(
                    "key list",
                    f"the published key list you trust is for log {trusted.origin!r}, this is "
                    f"log {self.origin!r}",
                )
            vouched, problems = trusted.vouch(keys)
            for problem in problems:
                self.fail("key list", problem)
            return vouched
        if not trusted:
            return keys
        for key in keys.keys:
            if key.key_id not in trusted and key.status != "revoked":
                self.fail(
                    "key list",
                    f"key {key.key_id} ({key.purpose}) is not one of the pinned keys; "
                    "its signatures are not trusted",
                )
        return KeyList(tuple(k for k in keys.keys if k.key_id in trusted))

    # -- checkpoints

    def _checkpoint_verifiers(self) -> list[NoteVerifier]:
        if self.keys is None or not self.origin:
            return []
        return [
            NoteVerifier(self.origin, listed.raw)
            for listed in self.signatures.listed.values()
            if listed.purpose == "checkpoints" and not listed.revoked
        ]

    def _checkpoint(self, note: object) -> None:
        if not isinstance(note, str):
            self.fail("checkpoint", f"got {type(note).__name__}, expected a signed note (text)")
            return
        try:
            checkpoint = open_checkpoint(note, self._checkpoint_verifiers(), origin=self.origin)
        except DomainError as exc:
            self.fail("checkpoint", f"{exc.detail}; its tree is not trusted")
            try:  # read it anyway, to go on finding the problems that do not depend on it
                self.checkpoint = parse_checkpoint(parse_note_unverified(note).text)
            except DomainError:
                return
            return
        self.checkpoint = checkpoint
        self.report.checked.append(
            f"checkpoint: {checkpoint.origin} at size {checkpoint.size}, "
            "signed by a listed checkpoints key"
        )

    def _older_checkpoint(self, note: str, proofs: object) -> None:
        where = "older checkpoint"
        try:
            old = open_checkpoint(note, self._checkpoint_verifiers(), origin=self.origin)
        except DomainError as exc:
            self.fail(where, exc.detail)
            return
        new = self.checkpoint
        if new is None:
            return
        if old.size > new.size:
            self.fail(
                "checkpoint",
                f"the bundle's checkpoint (size {new.size}) is older than the checkpoint you "
                f"kept (size {old.size}); get a newer bundle",
            )
            return
        if old.size == new.size:
            if old.root != new.root:
                self.fail(
                    "checkpoint",
                    f"has the size {new.size} of the checkpoint you kept but another root: "
                    "the log was rewritten",
                )
            else:
                self.report.checked.append(
                    f"checkpoint: the same as the one kept (size {old.size})"
                )
            return
        proof = None
        for item in proofs if isinstance(proofs, list) else []:
            if isinstance(item, dict) and item.get("old_size") == old.size:
                proof = self._hashes(item.get("proof"), f"consistency from size {old.size}")
                break
        if proof is None:
            self.fail(
                "checkpoint",
                f"the bundle has no consistency proof from the size of the checkpoint you "
                f"kept ({old.size}) to its own ({new.size}); export the bundle with "
                f"?since={old.size}",
            )
            return
        try:
            verify_consistency(old.size, new.size, old.root, new.root, proof)
        except ProofError as exc:
            self.fail(
                "checkpoint",
                f"does not extend the checkpoint you kept (size {old.size}): {exc.detail}",
            )
            return
        self.report.checked.append(
            f"checkpoint: extends the one kept (size {old.size} to {new.size})"
        )

    def _hashes(self, raw: object, where: str) -> list[bytes] | None:
        if not isinstance(raw, list):
            self.fail(where, f"got {type(raw).__name__}, expected a list of base64 hashes")
            return None
        out: list[bytes] = []
        for position, text in enumerate(raw):
            h = unb64_hash(text)
            if h is None:
                self.fail(where, f"hash [{position}] is not base64 of {_HASH_SIZE} bytes")
                return None
            out.append(h)
        return out

    # -- entries

    def _entries(self, raw: object) -> None:
        if not isinstance(raw, list):
            self.fail("entries", f"got {type(raw).__name__}, expected a list")
            return
        order: list[tuple[int, int]] = []  # (index, position in the list)
        previous: int | None = None
        for position, item in enumerate(raw):
            index = item.get("index") if isinstance(item, dict) else None
            if isinstance(index, bool) or not isinstance(index, int):
                self.fail(f"entries[{position}]", f"got index {index!r}, expected an integer")
                continue
            if previous is not None and index < previous:
                self.fail(
                    f"entry {index}",
                    f"listed after entry {previous}; entries must be sorted by index",
                )
            previous = index
            order.append((index, position))
        order.sort()
        items: list[tuple[int, object, object]] = []
        last = None
        for index, position in order:
            if index == last:
                self.fail(f"entry {index}", "listed more than once")
                continue
            last = index
            item = raw[position]
            items.append((index, item.get("envelope"), item.get("proof")))
        checkpoint = self.checkpoint
        if checkpoint is None:
            self.fail("entries", "no checkpoint to check their inclusion against")
        scopes = {self.scope(): [0, -1], KEYS_SCOPE: [0, -1]}
        rules = EntryRules(
            self.keys,
            None if checkpoint is None else (checkpoint.size, checkpoint.root),
            tuple(scopes),
            f"{self.KIND} {self.subject_id}",
        )
        workers = spare_cpus() if self.workers is None else self.workers
        verified = 0
        # Entries too damaged to read their scope and seq: reported once each, they may be the
        # very seqs a later entry seems to skip, which must not be reported again as missing.
        unreadable: list[int] = []
        for checked in check_entries(rules, items, workers):
            index, scope = checked.entry, checked.scope
            for problem in checked.problems:
                self.fail(f"entry {index}", problem)
            if scope is None:
                unreadable.append(index)
            seqs = None if scope is None else scopes.get(scope)
            if scope is None or seqs is None or checked.data is None:
                continue
            if checked.seq == seqs[0] + 1:
                seqs[0], seqs[1] = checked.seq, index
            else:
                between = bisect_left(unreadable, index) - bisect_right(unreadable, seqs[1])
                self._sequence(index, scope, checked.seq, seqs, between)
            if checked.type == "keys.published" and scope == KEYS_SCOPE:
                # The latest in the bundle, verified or not (if not, that is reported above).
                self.keys_logged = Logged(index, checked.at, checked.data)
            elif checked.good:
                self.collect(index, checked.type, checked.at, checked.data)
            if checked.good:
                verified += 1
        self.rejected = len(raw) - verified
        self.report.checked.append(
            f"{verified} of {len(raw)} entries included in the checkpoint's tree and signed "
            "by records keys valid at their time"
        )
        self.entries_checked()
        for scope, (seq, _) in sorted(scopes.items()):
            if seq:
                self.report.checked.append(f"scope {scope}: seq 1 to {seq}, in index order")

    def _sequence(
        self, index: int, scope: str, seq: int, seqs: list[int], unreadable: int = 0
    ) -> None:
        """Check that ``seq`` follows the scope's last; ``unreadable`` entries lie between the
        two, already reported as damaged, so a gap they can fill is not reported again."""
        last, last_index = seqs
        if seq == last + 1:
            seqs[0], seqs[1] = seq, index
            return
        if last + 1 < seq <= last + 1 + unreadable:
            seqs[0], seqs[1] = seq, index
            return
        if seq > last + 1:
            missing = (
                f"seq {last + 1} is" if seq == last + 2 else f"seqs {last + 1} to {seq - 1} are"
            )
            after = f"after seq {last} (entry {last_index})" if last else "first"
            self.fail(
                f"entry {index}",
                f"{scope} seq {seq} comes {after}: {missing} missing",
            )
            seqs[0], seqs[1] = seq, index
            return
        self.fail(
            f"entry {index}",
            f"{scope} seq {seq} comes after seq {last} (entry {last_index}): "
            "seqs must increase by one with the index",
        )

    def _logged_key_list(self, raw: object) -> None:
        logged = self.keys_logged
        if logged is None:
            self.fail("key list", "no keys.published entry in the bundle logs it")
            return
        try:
            bundle_hash = canonical_hash(raw)
            logged_hash = canonical_hash(logged.data.get("key_list"))
        except DomainError as exc:
            self.fail("key list", exc.detail)
            return
        if logged.data.get("key_list_hash") != logged_hash:
            self.fail(
                f"entry {logged.index}",
                f"keys.published key_list_hash {logged.data.get('key_list_hash')!r} is not the "
                f"hash of its key list ({logged_hash})",
            )
        if bundle_hash != logged_hash:
            self.fail(
                "key list",
                f"the bundle's key list ({bundle_hash}) is not the one last logged at entry "
                f"{logged.index} ({logged_hash})",
            )
        else:
            self.report.checked.append(f"key list: the one logged at entry {logged.index}")

    # -- signed records

    def envelope_of(
        self, where: str, item: object, statement_type: str
    ) -> tuple[dict[str, Any], dsse.Envelope] | None:
        """The bundle item as an object and its envelope, which should be of ``statement_type``."""
        if not isinstance(item, dict):
            self.fail(where, f"got {type(item).__name__}, expected an object")
            return None
        try:
            envelope = dsse.Envelope.from_json(item.get("envelope"))
        except DomainError as exc:
            self.fail(where, exc.detail)
            return None
        expected = dsse.payload_type_for(statement_type)
        if envelope.payload_type != expected:
            self.fail(where, f"got payload type {envelope.payload_type!r}, expected {expected!r}")
        return item, envelope

    def named_checkpoint(self, where: str, named: object, raw_proof: object) -> int | None:
        """The size of the checkpoint the outcome names, once shown consistent with the
        bundle's; None (and a problem reported) otherwise."""
        if not isinstance(named, dict):
            self.fail(where, f"names checkpoint {named!r}, expected origin, size and root_hash")
            return None
        origin, size, root_hex = named.get("origin"), named.get("size"), named.get("root_hash")
        if origin != self.origin:
            self.fail(where, f"names a checkpoint of log {origin!r}, expected {self.origin!r}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            self.fail(where, f"names checkpoint size {size!r}, expected an integer ≥ 0")
            return None
        try:
            root = bytes.fromhex(root_hex) if isinstance(root_hex, str) else b""
        except ValueError:
            root = b""
        if len(root) != _HASH_SIZE:
            self.fail(where, f"names checkpoint root_hash {root_hex!r}, expected 64 hex digits")
            return None
        checkpoint = self.checkpoint
        if checkpoint is None:
            return None
        if size > checkpoint.size:
            self.fail(
                where,
                f"names a checkpoint of size {size}, beyond the bundle's ({checkpoint.size})",
            )
            return None
        proof = self._hashes(raw_proof, f"{where} consistency")
        if proof is None:
            return None
        try:
            verify_consistency(size, checkpoint.size, root, checkpoint.root, proof)
        except ProofError as exc:
            self.fail(
                where,
                f"the checkpoint it names (size {size}) is not consistent with the bundle's: "
                f"{exc.detail}",
            )
            return None
        return size


def unb64_hash(text: object) -> bytes | None:
    """A 32-byte hash from standard base64, or None."""
    if not isinstance(text, str) or len(text) != 44:
        return None
    try:
        h = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return h if len(h) == _HASH_SIZE else None
