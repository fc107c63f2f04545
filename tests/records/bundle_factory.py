"""A pure builder of valid round bundles, from the records primitives alone: format 2 (ballots
logged in clear as they were cast, as older rounds did) or, with ``sealed``, format 3 (sealed
ballots opened at the close, open or secret).

It simulates a small log the way the store keeps one: entries of several scopes interleaved
(another round, the registry, the key list, this round), one Merkle tree over all of them,
checkpoints signed under the log's origin, and a records key rotated halfway through the vote.
The bundle then holds only this round's entries and the key list's, as the exporter does.

Variants for the tamper tests are keyword arguments; the default builds a decided round whose
bundle verifies.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from policies.criteria import lot_of, round_criteria
from policies.rules import ApprovalBallot, Candidate, Constraint, SelectionRules
from policies.schedule import Schedule
from policies.times import iso
from records import dsse
from records.ballot_seal import (
    ballot_commitment,
    new_salt,
    opening,
    opening_parts,
    secret_ballot_names,
)
from records.bundle import (
    BUNDLE_FORMAT,
    UNSEALED_FORMAT,
    bundle_entry,
    bundle_outcome,
    bundle_scopes,
    make_bundle,
)
from records.canonical import canonical_hash, canonical_json, sha256_hex
from records.keylist import KeyList, listed_key, rotate
from records.keys import Signer, generate_signer
from records.logentry import KEYS_SCOPE, Statement, round_scope, sign_entry
from records.merkle import (
    Tree,
    consistency_proof_from,
    inclusion_proof_from,
    leaf_hash,
    root_from,
)
from records.note import Checkpoint, NoteSigner, sign_checkpoint
from records.outcome import outcome_statement

ORIGIN = "mandate.example/log"
ROUND = "r-2025-geneva"
OTHER_ROUND = "r-2024-nairobi"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
ROTATION = datetime(2025, 3, 1, tzinfo=UTC)


def at(days: float, seconds: float = 0) -> str:
    """A statement time: days (and seconds) after 1 January 2025, UTC."""
    return iso(T0 + timedelta(days=days, seconds=seconds))


def public_of_note_signer(signer: NoteSigner) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(signer.verifier.public_key)


@dataclass
class Keys:
    """The operator's keys: records keys before and after a rotation, one checkpoints key,
    and a revoked records key (listed, never to be trusted)."""

    old_records: Signer
    new_records: Signer
    revoked: Signer
    checkpoints: NoteSigner
    key_list_before: KeyList
    key_list: KeyList

    @property
    def checkpoints_as_signer(self) -> Signer:
        """The checkpoints key as a DSSE signer: a key of the wrong purpose for entries."""
        return Signer(Ed25519PrivateKey.from_private_bytes(self.checkpoints.seed))

    def records_at(self, when: str) -> Signer:
        return self.old_records if when < iso(ROTATION) else self.new_records


def make_keys(origin: str = ORIGIN) -> Keys:
    old, new, revoked = generate_signer(), generate_signer(), generate_signer()
    checkpoints = NoteSigner(origin, os.urandom(32))
    start = iso(T0)
    revoked_key = dataclasses.replace(
        listed_key(revoked.public_key, "records", start), status="revoked"
    )
    before = KeyList(
        (
            listed_key(old.public_key, "records", start),
            listed_key(public_of_note_signer(checkpoints), "checkpoints", start),
            revoked_key,
        )
    )
    after = rotate(
        before, old.key_id, listed_key(new.public_key, "records", iso(ROTATION)), iso(ROTATION)
    )
    return Keys(old, new, revoked, checkpoints, before, after)


class Log:
    """An append-only log over every scope: signed entries, their seqs and the Merkle tree."""

    def __init__(self, keys: Keys, origin: str = ORIGIN) -> None:
        self.keys = keys
        self.origin = origin
        self.entries: list[bytes] = []
        self.scopes: list[str] = []
        self.seqs: dict[str, int] = {}
        self.tree = Tree()
        self.nodes: dict[tuple[int, int], bytes] = {}

    def append(
        self,
        scope: str,
        kind: str,
        data: dict[str, Any],
        when: str,
        *,
        actor: str | None = None,
        signer: Signer | None = None,
    ) -> int:
        """Append one signed entry; return its index in the tree."""
        seq = self.seqs.get(scope, 0) + 1
        self.seqs[scope] = seq
        statement = Statement(kind, scope, seq, when, actor, data)
        self.add_bytes(scope, sign_entry(signer or self.keys.records_at(when), statement))
        return len(self.entries) - 1

    def add_bytes(self, scope: str, entry: bytes) -> None:
        self.entries.append(entry)
        self.scopes.append(scope)
        for node in self.tree.append(leaf_hash(entry)):
            self.nodes[(node.level, node.index)] = node.hash

    @property
    def size(self) -> int:
        return len(self.entries)

    def read(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.size if size is None else size
        return Checkpoint(self.origin, size, root_from(size, self.read))

    def signed_checkpoint(self, size: int | None = None, signer: NoteSigner | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), [signer or self.keys.checkpoints])

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return inclusion_proof_from(index, size, self.read)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return consistency_proof_from(old, new, self.read)


@dataclass(frozen=True)
class Seat:
    constituency_id: str
    rules: SelectionRules
    candidates: tuple[Candidate, ...]


SEATS = (
    Seat(
        "c-africa",
        SelectionRules(seats=2, alternates=1, constraints=(Constraint("gender", "woman", min=1),)),
        (
            Candidate("a1", {"gender": "man", "region": "north"}),
            Candidate("a2", {"gender": "man", "region": "south"}),
            Candidate("a3", {"gender": "woman", "region": "south"}),
            Candidate("a4", {"gender": "woman", "region": "north"}),
        ),
    ),
    Seat(
        "c-youth",
        SelectionRules(seats=1),
        (Candidate("y1", {"gender": "woman"}), Candidate("y2", {"gender": "man"})),
    ),
)


def default_ballots(voters: int) -> list[tuple[str, str, list[str]]]:
    """(constituency, voter, approvals): men lead in c-africa, so the constraint bites."""
    out = []
    for n in range(voters):
        if n % 3 == 2:
            out.append(("c-youth", f"v{n:06d}", ["y1"] if n % 2 else ["y2", "y1"]))
        else:
            pick = (["a1", "a2"], ["a1", "a3"], ["a2"], ["a4", "a1"])[n % 4]
            out.append(("c-africa", f"v{n:06d}", pick))
    return out


@dataclass
class Built:
    bundle: dict[str, Any]
    log: Log
    keys: Keys
    round_id: str
    origin: str
    outcome_size: int  # the checkpoint size the outcomes name
    indexes: dict[str, list[int]] = field(default_factory=dict)  # statement type -> indexes

    def entry_at(self, index: int) -> dict[str, Any]:
        return next(e for e in self.bundle["entries"] if e["index"] == index)

    def position_of(self, index: int) -> int:
        return next(i for i, e in enumerate(self.bundle["entries"]) if e["index"] == index)


SignerFor = Callable[[Statement], Signer | None]
Counted = Callable[[str, list[ApprovalBallot]], list[ApprovalBallot]]


def decided_round(
    *,
    voters: int = 24,
    ballots: Sequence[tuple[str, str, list[str]]] | None = None,
    sign_with: SignerFor | None = None,
    counted: Counted | None = None,
    outcome_covers_last_ballot: bool = True,
    since: Sequence[int] = (),
    keys: Keys | None = None,
    origin: str = ORIGIN,
    sealed: bool = False,
    secrecy: str = "open",
    opened: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None,
) -> Built:
    """A decided round in a log shared with another round and the registry.

    ``sign_with`` may pick another signer for any statement (None: the right one); ``counted``
    may change the ballots the operator counts (None: those logged); with
    ``outcome_covers_last_ballot`` false, the outcome names a checkpoint taken before the last
    ballot was integrated; ``since`` lists the older sizes to include consistency proofs from.
    ``sealed`` logs commitments while voting is open and the openings at the close, under the
    ``secrecy`` the rules give; ``opened`` may change a constituency's opening before it is
    signed.
    """
    seats = [
        Seat(s.constituency_id, dataclasses.replace(s.rules, ballot_secrecy=secrecy), s.candidates)
        for s in SEATS
    ]
    keys = keys or make_keys(origin)
    log = Log(keys, origin)
    scope = round_scope(ROUND)
    other = round_scope(OTHER_ROUND)
    indexes: dict[str, list[int]] = {}

    def add(sc: str, kind: str, data: dict[str, Any], when: str, actor: str | None = None) -> int:
        statement = Statement(kind, sc, log.seqs.get(sc, 0) + 1, when, actor, data)
        signer = sign_with(statement) if sign_with else None
        index = log.append(sc, kind, data, when, actor=actor, signer=signer)
        if sc in (scope, KEYS_SCOPE):
            indexes.setdefault(kind, []).append(index)
        return index

    def publish_keys(key_list: KeyList, when: str) -> None:
        body = key_list.to_json()
        add(
            KEYS_SCOPE,
            "keys.published",
            {"key_list": body, "key_list_hash": canonical_hash(body)},
            when,
        )

    publish_keys(keys.key_list_before, at(0))
    add("registry", "constituency.registered", {"constituency_id": "c-africa"}, at(0, 60), "sec")
    add("registry", "constituency.registered", {"constituency_id": "c-youth"}, at(0, 120), "sec")
    add(other, "phase.changed", {"phase": "decided"}, at(1), "sec")

    schedule = Schedule(
        nominations_open_at=T0 + timedelta(days=5),
        nominations_close_at=T0 + timedelta(days=30),
        voting_open_at=T0 + timedelta(days=40),
        voting_close_at=T0 + timedelta(days=68),
    )
    criteria = round_criteria(
        round_id=ROUND,
        version=1,
        title="Geneva forum 2025: speakers",
        segments=[{"id": "opening", "title": "Opening plenary"}],
        participants=[
            {"constituency_id": s.constituency_id, "seats": s.rules.seats} for s in seats
        ],
        schedule=schedule,
        rules={s.constituency_id: s.rules.to_json() for s in seats},
    )
    criteria_bytes = canonical_json(criteria)
    published_at = at(4)
    criteria_signer = keys.records_at(published_at)
    criteria_envelope = dsse.sign(
        criteria_signer, dsse.payload_type_for("criteria"), criteria_bytes
    )
    criteria_hash = sha256_hex(criteria_bytes)
    add(
        scope,
        "criteria.published",
        {"criteria_hash": criteria_hash, "version": 1, "key_id": criteria_signer.key_id},
        published_at,
        "sec",
    )
    add(scope, "phase.changed", {"phase": "nominations_open"}, at(5), None)
    add("registry", "member.admitted", {"constituency_id": "c-youth", "member": "m9"}, at(6), "co")
    add(scope, "phase.changed", {"phase": "nominations_closed"}, at(30), None)
    for seat in seats:
        add(
            scope,
            "candidates.fixed",
            {
                "constituency_id": seat.constituency_id,
                "standing": [
                    {"id": c.id, "attributes": dict(c.attributes)} for c in seat.candidates
                ],
            },
            at(30, 1),
            None,
        )
    add(scope, "phase.changed", {"phase": "voting_open"}, at(40), None)

    cast = list(ballots) if ballots is not None else default_ballots(voters)
    # Half the ballots before the key rotation (day 59), half after; the first voter votes
    # twice, and only the last ballot counts.
    span = 27 * 86_400
    times = [at(41, span * (i + 1) // (len(cast) + 2)) for i in range(len(cast))]
    rotated = False
    last: dict[str, dict[str, ApprovalBallot]] = {}
    # Sealed: each constituency's casts in order, (voter, commitment, approvals, salt).
    casts: dict[str, list[tuple[str, str, list[str], str]]] = {}

    def vote(cid: str, voter: str, approvals: list[str], when: str) -> None:
        if not sealed:
            data = {"constituency_id": cid, "voter": voter, "approvals": approvals}
            add(scope, "ballot.cast", data, when, voter)
            last.setdefault(cid, {})[voter] = ApprovalBallot(voter, frozenset(approvals))
            return
        salt = new_salt()
        commitment = ballot_commitment(cid, approvals, None, salt)
        data = {"constituency_id": cid, "commitment": commitment}
        previous = [c for c in casts.get(cid, []) if c[0] == voter]
        if secrecy == "secret":
            if previous:
                data["replaces"] = previous[-1][1]
            add(scope, "ballot.cast", data, when, None)
        else:
            add(scope, "ballot.cast", {**data, "voter": voter}, when, voter)
        casts.setdefault(cid, []).append((voter, commitment, approvals, salt))
        key = commitment if secrecy == "secret" else voter
        if secrecy == "secret" and previous:
            del last[cid][previous[-1][1]]
        last.setdefault(cid, {})[key] = ApprovalBallot(key, frozenset(sorted(approvals)))

    for i, (cid, voter, approvals) in enumerate(cast):
        if not rotated and times[i] >= iso(ROTATION):
            publish_keys(keys.key_list, iso(ROTATION))
            rotated = True
        if i == 1:
            vote(cast[0][0], cast[0][1], ["a4"], times[i])  # changes their mind
        vote(cid, voter, approvals, times[i])
        if i % 5 == 0:
            add(
                other,
                "ballot.cast",
                {"constituency_id": "c-x", "voter": f"o{i}", "approvals": []},
                times[i],
                "o",
            )
    if not rotated:
        publish_keys(keys.key_list, iso(ROTATION))
    last_ballot = indexes.get("ballot.cast", [log.size])[-1]
    add(scope, "phase.changed", {"phase": "voting_closed"}, at(68), None)
    for cid in sorted(casts):
        final = {c[0]: c for c in casts[cid]}  # each voter's last
        counted_ids = {c[1] for c in final.values()}
        [data] = opening_parts(
            cid,
            secrecy,
            [
                opening(c[1], sorted(c[2]), None, c[3], None if secrecy == "secret" else c[0])
                for c in sorted(final.values(), key=lambda c: c[1])
            ],
            sorted(c[1] for c in casts[cid] if c[1] not in counted_ids),
            sorted(final) if secrecy == "secret" else None,
        )
        add(scope, "ballots.opened", opened(cid, data) if opened else data, at(68), None)
    add(
        "registry",
        "member.admitted",
        {"constituency_id": "c-africa", "member": "m3"},
        at(68, 5),
        "co",
    )

    # The count runs once the log has integrated every ballot, under that checkpoint.
    named_size = log.size if outcome_covers_last_ballot else last_ballot
    named = log.checkpoint(named_size)
    named_json = {"origin": origin, "size": named.size, "root_hash": named.root.hex()}
    outcomes = []
    decided_at = at(69)
    for seat in seats:
        votes = last.get(seat.constituency_id, {})
        if secrecy == "secret":  # counted under the names their contents give them
            names = secret_ballot_names(
                {c: ("approvals", tuple(sorted(b.approvals))) for c, b in votes.items()}
            )
            votes = {names[c]: ApprovalBallot(names[c], b.approvals) for c, b in votes.items()}
        counted_ballots = [votes[v] for v in sorted(votes)]
        if counted:
            counted_ballots = counted(seat.constituency_id, counted_ballots)
        record = outcome_statement(
            round_id=ROUND,
            constituency_id=seat.constituency_id,
            criteria_hash=criteria_hash,
            criteria_version=1,
            rules=seat.rules,
            candidates=seat.candidates,
            ballots=counted_ballots,
            checkpoint=named_json,
            lot=lot_of(criteria),
        )
        payload = canonical_json(record)
        signer = keys.records_at(decided_at)
        envelope = dsse.sign(signer, dsse.payload_type_for("outcome"), payload)
        add(
            scope,
            "outcome.published",
            {
                "constituency_id": seat.constituency_id,
                "outcome_hash": sha256_hex(payload),
                "key_id": signer.key_id,
                "winners": record["result"]["winners"],
                "alternates": record["result"]["alternates"],
                "unfilled": record["result"]["unfilled"],
            },
            decided_at,
            "sec",
        )
        outcomes.append((seat.constituency_id, envelope))
    add(scope, "phase.changed", {"phase": "decided"}, at(69, 1), None)
    add("registry", "constituency.registered", {"constituency_id": "c-pacific"}, at(70), "sec")
    add(other, "phase.changed", {"phase": "archived"}, at(70, 1), None)

    size = log.size
    wanted = set(bundle_scopes(ROUND))
    bundle = make_bundle(
        round_id=ROUND,
        origin=origin,
        checkpoint=log.signed_checkpoint(size),
        key_list=keys.key_list,
        criteria=criteria_bytes,
        criteria_envelope=criteria_envelope,
        entries=[
            bundle_entry(i, log.entries[i], log.inclusion(i, size))
            for i in range(size)
            if log.scopes[i] in wanted
        ],
        outcomes=[
            bundle_outcome(cid, envelope, log.consistency(named.size, size))
            for cid, envelope in outcomes
        ],
        consistency=[(old, log.consistency(old, size)) for old in since],
        format=BUNDLE_FORMAT if sealed else UNSEALED_FORMAT,
    )
    return Built(bundle, log, keys, ROUND, origin, named.size, indexes)
