"""Round bundles: one file holding everything an auditor needs to verify a round offline.

Format ``mandate.bundle/3`` (a JSON object; this docstring is the reference)::

    {
      "format": "mandate.bundle/3",
      "round_id": str,
      "origin": str,             # the log's origin: checkpoint first line and note key name
      "checkpoint": str,         # signed checkpoint note (c2sp.org/tlog-checkpoint);
                                 #   every proof below is against its tree
      "key_list": {...},         # the published key list (mandate.keylist/1)
      "criteria": {"canonical": str, "envelope": {DSSE JSON}},
      "entries": [               # sorted by index: every entry of scope "round:<round_id>"
        {"index": int,           #   and every entry of scope "keys"
         "envelope": str,        # the entry's exact bytes (its Merkle leaf) as UTF-8 text
         "proof": [base64, ...]} # RFC 6962 inclusion proof of that leaf in the checkpoint's tree
      ],
      "outcomes": [
        {"constituency_id": str,
         "envelope": {DSSE JSON},        # the signed outcome record (mandate.outcome/2)
         "consistency": [base64, ...]}   # consistency proof from the checkpoint the outcome
      ],                                 #   names to the bundle's checkpoint
      "consistency": [                   # optional: asked for at export with ?since=<size>
        {"old_size": int, "proof": [base64, ...]}  # from old_size to the checkpoint's size
      ],
      "profiles": [                      # optional: nominees' profiles (records.profile_check)
        {"nomination_id": str, "nominee_name": str, "statement": {...}, "attributes": {...},
         "salt": base64}                 #   disclosed once the nominee consented, or
        | {"nomination_id": str, "erased": true}  # its personal data were erased
      ],
      "pending_entries": int             # optional, for information only: entries of the
    }                                    #   round logged after the checkpoint (not verified)

Log entries (see :mod:`records.logentry`) are DSSE envelopes over canonical JSON statements
``{"type", "scope", "seq", "at", "actor", "data"}``, signed by the ``records`` key valid at
``at``. The checkpoint is a signed note under the log's origin, by a ``checkpoints`` key of the
key list. The statements a verifier reads:

- ``criteria.published`` {criteria_hash, version, key_id}: the signed criteria, by hash;
- ``phase.changed`` {phase, ...}: ballots count until ``voting_closed``; ``decided`` means
  every participating constituency has its outcome;
- ``candidates.fixed`` {constituency_id, standing: [{id, attributes}]};
- ``ballot.cast`` {constituency_id, commitment, voter | replaces}: a sealed ballot
  (``records.ballot_seal``), logged while voting is open; under an open ballot it names its
  voter and each voter's last counts; under a secret one it names no voter (nor actor), and a
  replacement names the commitment it replaces;
- ``ballots.opened`` {constituency_id, ballot_secrecy, ballots: [{commitment, approvals |
  ranking, salt, voter (open only)}] in commitment order, replaced: [commitment], voters (secret
  only): [organisation id]}: logged at the close in voting_closed's transaction; every counted
  commitment opened once, each opening matching its commitment, the replaced ones listed, and
  under a secret ballot one voter listed per counted ballot;
- format 2 (``mandate.bundle/2``, still verified): ``ballot.cast`` {constituency_id, voter,
  approvals | ranking}, the ballot in clear as cast, a voter's last counting; in format 3 such
  an entry is a problem (contents public while voting was open);
- ``randomness.committed`` {constituency_id, party, commitment} (on time before
  ``nominations_closed``), ``randomness.revealed`` {constituency_id, party, secret} (under the
  criteria's ``"lot": "mandate.lot/2"``: after ``voting_closed``, before ``counting`` and before
  the rules' reveal window ends; under ``mandate.lot/1``, criteria without ``lot``: before
  ``voting_closed``), ``beacon.recorded`` {constituency_id, chain_hash, round, randomness,
  signature}: what the seed mixes in (``policies.randomness``);
- ``beacon.scheduled`` {constituency_id, chain_hash, round, at}: the beacon round the schedule
  gives, logged at publication and when voting close moves; ``deadline.extended`` {deadline,
  from, to, reason}: the schedule after extensions, from which the verifier derives the reveal
  window and the beacon round itself;
- ``designation.proposed`` {constituency_id, coordinator, decision, decision_hash} and
  ``designation.approved`` {constituency_id, coordinator, decision_hash}: a designation's
  decisions and approvals (``policies.designation``);
- ``outcome.published`` {constituency_id, outcome_hash, key_id, winners, alternates, unfilled};
- ``seats.offered``, ``seat.accepted``, ``seat.declined``, ``outcome.amended`` and
  ``seats.confirmed``: the seats offered to the winners, their answers, each substitution
  chained to the outcome, and the final seats (``records.seat_check``, store/seats.py);
- ``nomination.submitted`` {nomination_id, constituency_id, organisation_id,
  profile_commitment}: a salted commitment to the nominee's name, statement and attributes
  (``records.profile_seal``), never the profile itself (entries logged before profiles were
  sealed carry it in clear, and are left as they are); ``candidates.fixed`` gives each standing
  candidate's ``profile_commitment`` too, and its attributes in clear, as the recount needs them;
  ``nomination.accepted`` {nomination_id}: the nominee's consent, without which no profile may
  be disclosed; ``personal_data.erased`` {subject, id, reason}: a nominee's profile
  (``"nomination"``) or a signer's contact details erased, the reason published;
- ``keys.published`` (scope ``keys``) {key_list, key_list_hash}: the latest must be the
  bundle's key list.

The bundle's ``profiles`` are checked against these entries (:mod:`records.profile_check`):
each disclosed profile must hash to its logged commitment and be consented to and not erased;
each erased one must have its ``personal_data.erased`` entry, and is reported as erased.

What :func:`verify_bundle` checks:

1. the format; the key list (with the auditor's published key list, or pinned key ids, any
   other key is untrusted);
2. the checkpoint: signed by a listed checkpoints key, not revoked, under the bundle's origin;
3. a checkpoint the auditor kept from before (``--since``): signed likewise, and the bundle's
   checkpoint extends it by the consistency proof the bundle carries for its size;
4. every entry: its inclusion proof against the checkpoint, its strict form, a payload type
   that is its statement's, a signature by the key it names, that key a records key valid at
   the statement's ``at`` (the bytes received are what is hashed and verified, never a
   re-serialisation), and a scope of this round or ``keys``;
5. the order: indexes strictly increasing; in each scope, seqs 1, 2, 3... with no gap, rising
   with the index (a dropped entry is named by its missing seq and its neighbours);
6. the key list is the one the latest ``keys.published`` entry logs;
7. the criteria: the canonical text is the signed payload, signed by a records key valid when
   logged, with the logged hash;
8. every outcome: its signature (a records key valid when it was logged), the
   ``outcome.published`` entry with its hash, the checkpoint it names (the bundle's origin,
   consistent with the bundle's checkpoint, covering every ballot counted), and a recount
   from the logged ballots (each voter's last before voting closed; under format 3, the
   openings, each checked against its commitment first), commitments, reveals,
   beacon value and designation approvals that gives the same bytes, by the method the
   criteria name; a beacon value must verify against the rules' public key where one is named
   (always, under mandate.lot/2, and be the round the final schedule gives); under
   mandate.lot/2 a reveal logged before voting closed, or randomness the rules do not name, is
   a problem; a decided round has an outcome for every participating constituency;
9. the seats (``records.seat_check``): every amendment chained to the outcome and recomputed
   from the published alternate order and constraints, answers before their deadlines, and
   confirmed seats that were accepted and keep the constraints the outcome met.

Every problem found is reported, each naming where (``entry <index>``, ``checkpoint``,
``outcome <n> (<constituency>)``, ``key list``...); malformed input is reported, never raised.

Imports only the standard library, ``cryptography``, ``records`` and ``policies``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from policies.criteria import lot_of
from policies.designation import Approval, Decision
from policies.errors import DomainError
from policies.lot import LOT_DOMAIN_V1
from policies.randomness import (
    BeaconValue,
    Commitment,
    RandomnessTerms,
    Reveal,
    check_new_randomness_rules,
    randomness_terms,
    settle,
)
from policies.rules import ApprovalBallot, Candidate, RankedBallot, SelectionRules
from records import dsse
from records.canonical import canonical_json, sha256_hex
from records.canonical_fast import loads_canonical
from records.keylist import KeyList, PublishedKeys
from records.log_bundle import LogBundleVerifier, Logged
from records.log_bundle import Report as Report
from records.logentry import KEYS_SCOPE, round_scope
from records.outcome import outcome_statement
from records.profile_check import PROFILE_ENTRIES, ProfileLog
from records.sealed_ballots import SealedBallots
from records.seat_check import SEAT_ENTRIES, SeatLog

BUNDLE_FORMAT = "mandate.bundle/3"
UNSEALED_FORMAT = "mandate.bundle/2"  # ballots logged in clear as cast: still verified
CRITERIA_TYPE = "criteria"  # the DSSE payload types of the signed criteria and outcomes
OUTCOME_TYPE = "outcome"


def verify_bundle(
    bundle: object,
    trusted: Sequence[str] | PublishedKeys = (),
    older_checkpoint: str | None = None,
    *,
    workers: int | None = None,
) -> Report:
    """Check everything; report every problem found, each naming where it is.

    A bundle lists its own keys; ``trusted`` (the operator's published key list the auditor
    took from ``GET /v1/keys``, or key ids from it) makes any other key untrusted, and each key
    valid only within the window the published list gives it. ``older_checkpoint`` is a
    signed checkpoint note the auditor kept from before: the bundle's checkpoint must extend
    it, shown by a consistency proof in the bundle.

    Big bundles are checked in ``workers`` other processes as well as this one (None: one per
    spare CPU; 0: this process only); the report is the same.
    """
    return _Verifier.verify(bundle, trusted, older_checkpoint, workers)


# -- building (the store's exporter and the tests share these)


def bundle_entry(index: int, envelope: bytes, proof: Iterable[bytes]) -> dict[str, Any]:
    """One item of ``entries``: the entry's bytes and its inclusion proof."""
    return {"index": index, "envelope": envelope.decode("utf-8"), "proof": _b64_list(proof)}


def bundle_outcome(
    constituency_id: str, envelope: dsse.Envelope, consistency: Iterable[bytes]
) -> dict[str, Any]:
    """One item of ``outcomes``: the signed outcome and the consistency proof from the
    checkpoint it names to the bundle's checkpoint."""
    return {
        "constituency_id": constituency_id,
        "envelope": envelope.to_json(),
        "consistency": _b64_list(consistency),
    }


def make_bundle(
    *,
    round_id: str,
    origin: str,
    checkpoint: str,
    key_list: KeyList,
    criteria: bytes,
    criteria_envelope: dsse.Envelope,
    entries: Iterable[Mapping[str, Any]],
    outcomes: Iterable[Mapping[str, Any]],
    consistency: Iterable[tuple[int, Sequence[bytes]]] = (),
    format: str = BUNDLE_FORMAT,
) -> dict[str, Any]:
    """A bundle from its parts (``entries`` and ``outcomes`` as made by :func:`bundle_entry`
    and :func:`bundle_outcome`); ``format`` the older one only to write test bundles."""
    bundle: dict[str, Any] = {
        "format": format,
        "round_id": round_id,
        "origin": origin,
        "checkpoint": checkpoint,
        "key_list": key_list.to_json(),
        "criteria": {
            "canonical": criteria.decode("utf-8"),
            "envelope": criteria_envelope.to_json(),
        },
        "entries": sorted((dict(e) for e in entries), key=lambda e: int(e["index"])),
        "outcomes": [dict(o) for o in outcomes],
    }
    proofs = [{"old_size": size, "proof": _b64_list(proof)} for size, proof in consistency]
    if proofs:
        bundle["consistency"] = proofs
    return bundle


def bundle_scopes(round_id: str) -> tuple[str, str]:
    """The scopes whose entries a round's bundle holds, every one of them."""
    return round_scope(round_id), KEYS_SCOPE


def _b64_list(hashes: Iterable[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


# -- verification


class _Verifier(LogBundleVerifier):
    FORMAT = BUNDLE_FORMAT
    OLDER_FORMATS = (UNSEALED_FORMAT,)
    SUBJECT = "round_id"
    KIND = "round"

    def setup(self) -> None:
        # What the log says, from entries that verified.
        self.criteria_logged: list[Logged] = []
        self.outcomes_logged: list[Logged] = []
        self.profiles = ProfileLog()  # nominees' profile commitments, consents and erasures
        self.closed_at: int | None = None
        self.decided_at: int | None = None
        self.candidates: dict[str, tuple[int, list[Candidate]]] = {}
        self.ballots: dict[str, dict[str, tuple[int, ApprovalBallot | RankedBallot]]] = {}
        self.nominations_closed_at: int | None = None
        self.counting_at: int | None = None
        self.voting_close_moved_to: str | None = None  # the last deadline.extended of it
        self.inputs: dict[str, _SelectionInputs] = {}  # randomness and designation, by constituency
        self.late_ballots = 0
        self.sealed = SealedBallots(self.fail)
        self.seats = SeatLog()  # seat acceptance and amendments (records.seat_check)

    @property
    def round_id(self) -> str:
        return self.subject_id

    def scope(self) -> str:
        return round_scope(self.round_id)

    def check_records(self, bundle: dict[str, Any]) -> None:
        self.profiles.check(self.report, bundle.get("profiles"), self.candidates)
        criteria = self._criteria(bundle.get("criteria"))
        self._outcomes(bundle.get("outcomes"), criteria)
        self.seats.check(
            self.fail,
            self.report.checked,
            [(o.index, o.data) for o in self.outcomes_logged],
            self.candidates,
            criteria,
        )
        # Openings are checked even where no outcome recounts them (yet).
        secrecy: dict[object, str] = {}
        for p in (criteria or {}).get("participants", []):
            try:
                secrecy[p["constituency_id"]] = str(p["rules"].get("ballot_secrecy", "open"))
            except (KeyError, TypeError, AttributeError):
                continue  # the outcome checks report malformed criteria
        for cid in self.sealed.constituencies():
            self.sealed.counted(cid, secrecy.get(cid, "open"))

    def entries_checked(self) -> None:
        if self.late_ballots:
            self.report.checked.append(
                f"{self.late_ballots} ballot(s) logged after voting closed (entry "
                f"{self.closed_at}) are not counted"
            )

    def collect(self, index: int, kind: str, at: str, data: dict[str, Any]) -> None:
        if kind == "ballot.cast" and "commitment" in data:
            if self.closed_at is not None:
                self.late_ballots += 1
            else:
                self.sealed.cast(index, data)
        elif kind == "ballots.opened":
            self.sealed.opened(index, data, before_close=self.closed_at is None)
        elif kind == "ballot.cast":
            cid, voter = data.get("constituency_id"), data.get("voter")
            approvals, ranking = data.get("approvals"), data.get("ranking")
            content = approvals if ranking is None else ranking
            if not (
                type(cid) is str
                and type(voter) is str
                and (approvals is None) != (ranking is None)
                and type(content) is list
                and {type(a) for a in content} <= {str}
            ):
                self.fail(
                    f"entry {index}",
                    "ballot.cast data is malformed: expected a constituency_id, a voter and "
                    "either a list of approvals or a ranking, all strings",
                )
                return
            if self.closed_at is not None:
                self.late_ballots += 1
                return
            if self.format != UNSEALED_FORMAT:
                self.fail(
                    f"entry {index}",
                    "logs a ballot's contents while voting is open: ballots are sealed "
                    "until the close",
                )
            votes = self.ballots.get(cid)
            if votes is None:
                votes = self.ballots[cid] = {}
            cast: ApprovalBallot | RankedBallot = (
                ApprovalBallot(voter, frozenset(content))
                if ranking is None
                else RankedBallot(voter, tuple(content))
            )
            votes[voter] = (index, cast)
        elif kind in _SELECTION_INPUTS:
            self._selection_input(index, kind, at, data)
        elif kind == "phase.changed":
            phase = data.get("phase")
            if phase == "nominations_closed" and self.nominations_closed_at is None:
                self.nominations_closed_at = index
            if phase == "voting_closed" and self.closed_at is None:
                self.closed_at = index
            elif phase == "counting" and self.counting_at is None:
                self.counting_at = index
            elif phase == "decided":
                self.decided_at = index
        elif kind == "candidates.fixed":
            if self.closed_at is not None:
                return
            try:
                cid = data["constituency_id"]
                standing = [
                    Candidate(id=str(c["id"]), attributes=dict(c["attributes"]))
                    for c in data["standing"]
                ]
            except (KeyError, TypeError, ValueError) as exc:
                self.fail(f"entry {index}", f"candidates.fixed data is malformed ({exc!r})")
                return
            self.candidates[str(cid)] = (index, standing)
        elif kind == "deadline.extended":
            if data.get("deadline") == "voting_close" and self.closed_at is None:
                self.voting_close_moved_to = str(data.get("to"))
        elif kind == "criteria.published":
            self.criteria_logged.append(Logged(index, at, data))
        elif kind == "outcome.published":
            self.outcomes_logged.append(Logged(index, at, data))
        elif kind in SEAT_ENTRIES:
            problem = self.seats.read(index, kind, at, data)
            if problem is not None:
                self.fail(f"entry {index}", problem)
        elif kind in PROFILE_ENTRIES:
            problem = self.profiles.read(index, kind, data)
            if problem is not None:
                self.fail(f"entry {index}", problem)

    # -- criteria and outcomes

    def _criteria(self, item: object) -> dict[str, Any] | None:
        where = "criteria"
        opened = self.envelope_of(where, item, CRITERIA_TYPE)
        if opened is None:
            return None
        item, envelope = opened
        payload = envelope.payload
        canonical = item.get("canonical")
        if not isinstance(canonical, str) or canonical.encode("utf-8", "replace") != payload:
            self.fail(where, "the canonical text is not the signed payload")
        try:
            criteria = loads_canonical(payload)
        except DomainError as exc:
            self.fail(where, f"the signed criteria are not canonical JSON ({exc.detail})")
            return None
        if not isinstance(criteria, dict):
            self.fail(where, f"got criteria of type {type(criteria).__name__}, expected an object")
            return None
        digest = sha256_hex(payload)
        if criteria.get("round_id") != self.round_id:
            self.fail(
                where, f"are for round {criteria.get('round_id')!r}, expected {self.round_id!r}"
            )
        logged = self.criteria_logged[-1] if self.criteria_logged else None
        if logged is None:
            self.fail(where, "no criteria.published entry in the bundle logs them")
        else:
            data = logged.data
            if data.get("criteria_hash") != digest:
                self.fail(
                    where,
                    f"the signed criteria ({digest}) are not those logged at entry "
                    f"{logged.index} ({data.get('criteria_hash')})",
                )
            if data.get("version") != criteria.get("version"):
                self.fail(
                    where,
                    f"version {criteria.get('version')!r} is not the one logged at entry "
                    f"{logged.index} ({data.get('version')!r})",
                )
            signers = sorted(s.keyid for s in envelope.signatures)
            if data.get("key_id") not in signers:
                self.fail(
                    where,
                    f"signed by {', '.join(signers)}, but entry {logged.index} logs key "
                    f"{data.get('key_id')}",
                )
        problems = self.signatures.problems(envelope, "records", logged.at if logged else None)
        for problem in problems:
            self.fail(where, problem)
        if not problems and logged is not None:
            self.report.checked.append(
                f"criteria {digest}: signed, and logged at entry {logged.index}"
            )
        criteria["_hash"] = digest
        return criteria

    def _outcomes(self, raw: object, criteria: dict[str, Any] | None) -> None:
        if not isinstance(raw, list):
            self.fail("outcomes", f"got {type(raw).__name__}, expected a list")
            raw = []
        found: set[str] = set()
        for i, item in enumerate(raw):
            cid = item.get("constituency_id") if isinstance(item, dict) else None
            where = f"outcome {i} ({cid})"
            try:
                signed_cid = self._outcome(where, item, criteria)
            except (KeyError, TypeError, ValueError, AttributeError, DomainError) as exc:
                self.fail(where, f"malformed ({exc!r})")
                continue
            if signed_cid is not None:
                found.add(signed_cid)
        published = {str(o.data.get("constituency_id")): o.index for o in self.outcomes_logged}
        for cid in sorted(set(published) - found):
            self.fail(
                f"entry {published[cid]}",
                f"outcome.published for {cid} has no signed outcome in the bundle",
            )
        if self.decided_at is not None and criteria is not None:
            participants = {
                str(p.get("constituency_id"))
                for p in criteria.get("participants", [])
                if isinstance(p, dict)
            }
            missing = sorted(participants - found)
            if missing:
                self.fail(
                    "outcomes",
                    f"the round is decided (entry {self.decided_at}) but there is no outcome "
                    f"for {', '.join(missing)}",
                )

    def _outcome(self, where: str, item: object, criteria: dict[str, Any] | None) -> str | None:
        opened = self.envelope_of(where, item, OUTCOME_TYPE)
        if opened is None:
            return None
        item, envelope = opened
        payload = envelope.payload
        try:
            signed = loads_canonical(payload)
        except DomainError as exc:
            self.fail(where, f"the signed outcome is not canonical JSON ({exc.detail})")
            return None
        if not isinstance(signed, dict):
            self.fail(where, f"got an outcome of type {type(signed).__name__}, expected an object")
            return None
        cid = signed.get("constituency_id")
        if not isinstance(cid, str):
            self.fail(where, f"got constituency_id {cid!r}, expected a string")
            return None
        if item.get("constituency_id") != cid:
            self.fail(where, f"the signed outcome is for {cid!r}")
        if signed.get("round_id") != self.round_id:
            self.fail(where, f"is for round {signed.get('round_id')!r}, expected {self.round_id!r}")
        digest = sha256_hex(payload)
        logged = [
            o
            for o in self.outcomes_logged
            if o.data.get("constituency_id") == cid and o.data.get("outcome_hash") == digest
        ]
        entry = logged[-1] if logged else None
        if entry is None:
            self.fail(where, f"the signed outcome {digest} is not logged by an outcome.published")
        else:
            self._outcome_logged_agrees(where, entry, signed, envelope)
        signature_problems = self.signatures.problems(
            envelope, "records", entry.at if entry else None
        )
        for problem in signature_problems:
            self.fail(where, problem)
        named = self.named_checkpoint(where, signed.get("checkpoint"), item.get("consistency"))
        if criteria is None:
            self.fail(where, "not recounted: the criteria do not verify")
            return cid
        participant = next(
            (
                p
                for p in criteria.get("participants", [])
                if isinstance(p, dict) and p.get("constituency_id") == cid
            ),
            None,
        )
        if participant is None:
            self.fail(where, f"constituency {cid} does not take part in the round")
            return cid
        index_candidates, candidates = self.candidates.get(cid, (None, []))
        rules = SelectionRules.from_json(participant.get("rules") or {})
        votes = self.ballots.get(cid, {})
        if cid in self.sealed.constituencies():
            votes = self.sealed.counted(cid, rules.ballot_secrecy) or {}
        if named is not None:
            late = sorted(i for i, _ in votes.values() if i >= named)
            if index_candidates is not None and index_candidates >= named:
                late.insert(0, index_candidates)
            if late:
                shown = ", ".join(str(i) for i in late[:5]) + (", ..." if len(late) > 5 else "")
                self.fail(
                    where,
                    f"counts {len(late)} entry(ies) that the checkpoint it names (size "
                    f"{named}) does not cover: entry {shown}",
                )
        ballots = [votes[voter][1] for voter in sorted(votes)]
        inputs = self.inputs.get(cid, _SelectionInputs())
        terms = self._terms(where, rules, criteria)
        if terms is None:
            return cid
        reveals = self._counted_reveals(where, terms, inputs)
        self._check_beacon(where, rules, terms, inputs)
        version = criteria.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            self.fail(where, f"not recounted: the criteria version is {version!r}")
            return cid
        try:
            recount = outcome_statement(
                round_id=self.round_id,
                constituency_id=cid,
                criteria_hash=criteria["_hash"],
                criteria_version=version,
                rules=rules,
                candidates=candidates,
                ballots=ballots,
                checkpoint=signed.get("checkpoint") or {},
                lot=terms.lot,
                randomness=settle(
                    inputs.commitments if terms.lot == LOT_DOMAIN_V1 or terms.reveals else [],
                    reveals,
                    inputs.beacon,
                    beacon_named=rules.beacon is not None,
                ),
                decisions=inputs.decisions,
                approvals=inputs.approvals,
            )
        except (DomainError, KeyError, TypeError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else repr(exc)
            self.fail(where, f"the recount could not run: {detail}")
            return cid
        if canonical_json(recount) != payload:
            diff = sorted(k for k in recount if recount[k] != signed.get(k))
            extra = sorted(set(signed) - set(recount))
            notes = []
            if self.closed_at is not None:
                notes.append(f"ballots read up to voting_closed at entry {self.closed_at}")
            if self.rejected:
                notes.append(f"{self.rejected} entries that did not verify left out")
            self.fail(
                where,
                "the recount from the logged ballots differs in "
                + (", ".join(diff + extra) or "its bytes")
                + (f" ({'; '.join(notes)})" if notes else ""),
            )
        else:
            self.report.checked.append(
                f"{where}: recount of {len(ballots)} ballot(s) matches the signed outcome"
            )
        return cid

    def _selection_input(self, index: int, kind: str, at: str, data: dict[str, Any]) -> None:
        """Commitments, reveals, the beacon value and designation entries, in log order."""
        cid = data.get("constituency_id")
        if type(cid) is not str:
            self.fail(f"entry {index}", f"{kind} data names no constituency_id")
            return
        found = self.inputs.setdefault(cid, _SelectionInputs())
        try:
            if kind == "randomness.committed":
                on_time = self.nominations_closed_at is None
                found.commitments.append(
                    Commitment(_text(data, "party"), _text(data, "commitment"), on_time)
                )
                found.commitment_entries.append(index)
            elif kind == "randomness.revealed":
                # Which reveals count depends on the round's lot domain: judged at the outcome.
                reveal = Reveal(_text(data, "party"), _text(data, "secret"))
                logged = _LoggedReveal(index, at, self.closed_at, self.counting_at, reveal)
                found.reveals.append(logged)
            elif kind == "beacon.scheduled":
                found.scheduled = (index, _integer(data, "round"))
            elif kind == "beacon.recorded":
                found.beacon = BeaconValue(
                    _text(data, "chain_hash"),
                    _integer(data, "round"),
                    _text(data, "randomness"),
                    _text(data, "signature"),
                )
            elif kind == "designation.proposed":
                decision = Decision.from_json(data.get("decision") or {})
                if decision.hash != data.get("decision_hash"):
                    raise ValueError("its decision_hash is not the hash of its decision")
                if self.closed_at is None:
                    found.decisions.append(decision)
                    found.approvals.append(Approval(_text(data, "coordinator"), decision.hash))
            elif self.closed_at is None:  # designation.approved
                found.approvals.append(
                    Approval(_text(data, "coordinator"), _text(data, "decision_hash"))
                )
        except (DomainError, ValueError) as exc:
            detail = exc.detail if isinstance(exc, DomainError) else str(exc)
            self.fail(f"entry {index}", f"{kind} data is malformed: {detail}")

    def _terms(
        self, where: str, rules: SelectionRules, criteria: dict[str, Any]
    ) -> RandomnessTerms | None:
        """The windows and the beacon round the criteria and the final schedule give."""
        try:
            lot = lot_of(criteria)
            if lot != LOT_DOMAIN_V1:  # a known beacon network, its key pinned, no round chosen
                check_new_randomness_rules(rules)
            schedule = criteria["schedule"]
            closes = self.voting_close_moved_to or schedule["voting_close_at"]
            return randomness_terms(
                rules,
                lot,
                datetime.fromisoformat(schedule["nominations_close_at"]),
                datetime.fromisoformat(closes),
            )
        except DomainError as exc:
            self.fail(where, f"not recounted: {exc.detail}")
        except (KeyError, TypeError, ValueError) as exc:
            self.fail(where, f"not recounted: the criteria's schedule is malformed ({exc!r})")
        return None

    def _counted_reveals(
        self, where: str, terms: RandomnessTerms, inputs: _SelectionInputs
    ) -> list[Reveal]:
        """The reveals the count takes, by the round's lot domain. Under mandate.lot/2 a reveal
        before voting closed could have let a voter choose a ballot knowing it: a problem."""
        if terms.lot == LOT_DOMAIN_V1:
            return [r.item for r in inputs.reveals if r.closed_at is None]
        if terms.reveals is None:
            for logged in [*inputs.commitment_entries, *(r.index for r in inputs.reveals)]:
                self.fail(f"entry {logged}", f"{where}: the rules name no commit-reveal")
            return []
        closes = terms.reveals[1]
        counted = []
        for r in inputs.reveals:
            if r.closed_at is None:
                self.fail(
                    f"entry {r.index}",
                    f"{where}: a secret revealed before voting closed (under {terms.lot} reveals "
                    "open at the close)",
                )
            elif r.counting_at is None and datetime.fromisoformat(r.at) < closes:
                counted.append(r.item)
        return counted

    def _check_beacon(
        self,
        where: str,
        rules: SelectionRules,
        terms: RandomnessTerms,
        inputs: _SelectionInputs,
    ) -> None:
        """The recorded beacon value: the round the rules name (mandate.lot/1) or the schedule
        gives (mandate.lot/2), its randomness the hash of its signature, and its signature valid
        under the rules' public key (always given under mandate.lot/2)."""
        named, due, value = rules.beacon, terms.beacon, inputs.beacon
        if named is None or due is None or value is None:
            if named is not None and due is not None:
                self.fail(where, f"the rules name drand round {due.round}; no value is logged")
            return
        if inputs.scheduled is not None and inputs.scheduled[1] != due.round:
            self.fail(
                f"entry {inputs.scheduled[0]}",
                f"{where}: beacon.scheduled names round {inputs.scheduled[1]}, the final "
                f"schedule gives round {due.round}",
            )
        if (value.chain_hash, value.round) != (named.chain_hash, due.round):
            self.fail(
                where,
                f"the logged beacon is round {value.round} of {value.chain_hash}, the "
                f"{'rules name' if named.round is not None else 'schedule gives'} round "
                f"{due.round} of {named.chain_hash}",
            )
            return
        from records import drand  # only bundles with a beacon need the pairing code

        try:
            if drand.beacon_randomness(value.signature) != value.randomness:
                self.fail(where, "the beacon randomness is not the SHA-256 of its signature")
                return
            if named.public_key is None:
                if terms.lot != LOT_DOMAIN_V1:
                    self.fail(where, "the rules pin no beacon public key")
                    return
                self.report.checked.append(
                    f"{where}: beacon randomness matches its signature (no public key named)"
                )
                return
            drand.verify_beacon(
                scheme=drand.SCHEME_QUICKNET,
                public_key_hex=named.public_key,
                round=due.round,
                signature_hex=value.signature,
            )
        except DomainError as exc:
            self.fail(where, f"the beacon value does not verify: {exc.detail}")
            return
        self.report.checked.append(f"{where}: beacon round {due.round} verifies")

    def _outcome_logged_agrees(
        self, where: str, entry: Logged, signed: dict[str, Any], envelope: dsse.Envelope
    ) -> None:
        result = signed.get("result")
        if isinstance(result, dict):
            for name in ("winners", "alternates", "unfilled"):
                if name in entry.data and entry.data[name] != result.get(name):
                    self.fail(
                        where,
                        f"{name} {result.get(name)!r} are not those logged at entry "
                        f"{entry.index} ({entry.data[name]!r})",
                    )
        signers = [s.keyid for s in envelope.signatures]
        if "key_id" in entry.data and entry.data["key_id"] not in signers:
            self.fail(
                where,
                f"signed by {', '.join(signers)}, but entry {entry.index} logs key "
                f"{entry.data['key_id']}",
            )


_SELECTION_INPUTS = frozenset(
    {
        "randomness.committed",
        "randomness.revealed",
        "beacon.scheduled",
        "beacon.recorded",
        "designation.proposed",
        "designation.approved",
    }
)


@dataclass(frozen=True)
class _LoggedReveal:
    """A reveal, where and when it was logged, and which phases had begun by then."""

    index: int
    at: str
    closed_at: int | None  # the voting_closed entry before it, if any
    counting_at: int | None  # the counting entry before it, if any
    item: Reveal


@dataclass
class _SelectionInputs:
    commitments: list[Commitment] = field(default_factory=list)
    commitment_entries: list[int] = field(default_factory=list)
    reveals: list[_LoggedReveal] = field(default_factory=list)
    scheduled: tuple[int, int] | None = None  # the last beacon.scheduled: entry, round
    beacon: BeaconValue | None = None
    decisions: list[Decision] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if type(value) is not str:
        raise ValueError(f"{name} is {value!r}, expected a string")
    return value


def _integer(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if type(value) is not int:
        raise ValueError(f"{name} is {value!r}, expected an integer")
    return value
