"""Commit-reveal randomness and beacon values of a selection: written behind their windows.

Under ``mandate.lot/2`` (``policies.randomness``) commitments are accepted from the round's
publication until nominations close, and reveals only once voting has closed (the round row's
phase, which the workflow's close sets under the same row lock every ballot takes: no ballot is
admitted after any reveal), until the rules' reveal window ends. A beacon value is recorded
only after voting closes, only for the round the schedule gives, and only once it verifies
against the key the rules pin. Rounds published under ``mandate.lot/1`` keep their own windows.
Everything is logged (``randomness.committed``, ``randomness.revealed``, ``beacon.recorded``);
the count settles it with ``policies.randomness.settle``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, select

from policies.beacon import BeaconDue
from policies.errors import Conflict, DomainError, NotFound, PhaseClosed, WrongPhase
from policies.lot import LOT_DOMAIN_V1
from policies.messages import N_, Phrase, phrase
from policies.phases import Phase, is_before
from policies.randomness import (
    BeaconInvalid,
    BeaconValue,
    BeaconWrongRound,
    Commitment,
    Randomness,
    RandomnessTerms,
    Reveal,
    RevealMismatch,
    check_hex64,
    commitment_for,
    settle,
)
from policies.times import iso
from records import drand
from store import audit
from store.db import utcnow
from store.lot_terms import lot_of_round, terms_for
from store.rounds import get as get_round
from store.rules import seats_of
from store.tables import beacon_value, randomness_commitment, randomness_reveal

SECRETARIAT_PARTY = "secretariat"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIGNATURE = re.compile(r"(?:[0-9a-f]{2}){1,200}")


class BeaconPending(Exception):
    """The rules call for a beacon round whose value nobody has recorded yet: count later."""


def _round(conn: Connection, round_id: str, constituency_id: str) -> RowMapping:
    # FOR SHARE, as ballots are: the close waits for every admitted write.
    row = get_round(conn, round_id, for_share=True)
    seats_of(row, constituency_id)  # takes part in the round
    return row


def _commit_reveal(terms: RandomnessTerms, constituency_id: str) -> tuple[datetime, datetime]:
    if terms.reveals is None:
        raise Conflict(
            N_(
                "the rules of %(constituency_id)s name no commit-reveal: nothing to commit or "
                "reveal"
            ),
            constituency_id=constituency_id,
        )
    return terms.reveals


def commit(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    party: str,
    commitment: str,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    row = _round(conn, round_id, constituency_id)
    check_hex64("a commitment", commitment)
    phase = Phase(row["phase"])
    if phase in (Phase.DRAFT, Phase.CANCELLED):
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s: commitments open when it is published"),
            round_id=round_id,
            phase=phase.value,
        )
    terms = terms_for(conn, row, constituency_id)
    _commit_reveal(terms, constituency_id)
    closes = terms.commitments_close_at
    if now >= closes or not is_before(phase, Phase.NOMINATIONS_CLOSED):
        raise PhaseClosed(
            N_("commitments closed with nominations at %(closes)s; it is now %(now)s"),
            closes=iso(closes),
            now=iso(now),
        )
    entry = audit.append(
        conn,
        audit.round_scope(round_id),
        "randomness.committed",
        {"constituency_id": constituency_id, "party": party, "commitment": commitment},
        actor,
        now,
    )
    result = conn.execute(
        randomness_commitment.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            party=party,
            commitment=commitment,
            committed_at=now,
        )
    )
    return _row(conn, randomness_commitment, result.inserted_primary_key, entry.leaf_hash)


def reveal(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    party: str,
    secret: str,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    row = _round(conn, round_id, constituency_id)
    check_hex64("a secret", secret)
    terms = terms_for(conn, row, constituency_id)
    _reveal_window(row, terms, _commit_reveal(terms, constituency_id), now)
    mine = _last_commitment(conn, round_id, constituency_id, party)
    if mine is None:
        raise NotFound(
            N_(
                "%(party)s made no commitment in this selection before nominations closed, so "
                "there is nothing to reveal"
            ),
            party=party,
        )
    if commitment_for(party, secret) != mine:
        raise RevealMismatch(
            N_("this secret's commitment is %(commitment)s, but %(party)s committed to %(mine)s"),
            commitment=commitment_for(party, secret),
            party=party,
            mine=mine,
        )
    entry = audit.append(
        conn,
        audit.round_scope(round_id),
        "randomness.revealed",
        {"constituency_id": constituency_id, "party": party, "secret": secret},
        actor,
        now,
    )
    result = conn.execute(
        randomness_reveal.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            party=party,
            secret=secret,
            revealed_at=now,
        )
    )
    return _row(conn, randomness_reveal, result.inserted_primary_key, entry.leaf_hash)


def _reveal_window(
    row: RowMapping,
    terms: RandomnessTerms,
    window: tuple[datetime, datetime],
    now: datetime,
) -> None:
    phase = Phase(row["phase"])
    opens, closes = window
    if terms.lot == LOT_DOMAIN_V1:  # rounds published before: from nominations to voting close
        if phase is Phase.CANCELLED or (now < opens and is_before(phase, Phase.NOMINATIONS_CLOSED)):
            raise WrongPhase(
                N_("reveals open when nominations close, at %(opens)s; round is %(phase)s"),
                opens=iso(opens),
                phase=phase.value,
            )
        if now >= closes or not is_before(phase, Phase.VOTING_CLOSED):
            raise PhaseClosed(
                N_("reveals closed with voting at %(closes)s; it is now %(now)s"),
                closes=iso(closes),
                now=iso(now),
            )
        return
    # The phase, not the clock: voting_closed is set by the close, which waits for every
    # ballot admitted before it and after which no ballot is admitted.
    if phase is Phase.CANCELLED or is_before(phase, Phase.VOTING_CLOSED):
        raise WrongPhase(
            N_(
                "reveals open once voting has closed (at %(opens)s), so that no ballot can be "
                "cast knowing a secret; round %(id)s is %(phase)s"
            ),
            opens=iso(opens),
            id=row["id"],
            phase=phase.value,
        )
    if now >= closes or not is_before(phase, Phase.COUNTING):
        raise PhaseClosed(
            N_("reveals closed at %(closes)s, at the end of the reveal window; it is now %(now)s"),
            closes=iso(closes),
            now=iso(now),
        )


# -- the beacon


@dataclass(frozen=True)
class VerifiedBeacon:
    """A beacon value that ``verify_beacon_value`` checked against ``due``: the only way to
    record one."""

    due: BeaconDue
    randomness: str
    signature: str


def beacon_due_for(conn: Connection, round_id: str, constituency_id: str) -> BeaconDue:
    """The beacon round the selection's rules and its schedule call for."""
    row = get_round(conn, round_id)
    seats_of(row, constituency_id)
    due = terms_for(conn, row, constituency_id).beacon
    if due is None:
        raise Conflict(
            N_("the rules of %(constituency_id)s name no beacon"), constituency_id=constituency_id
        )
    return due


def beacon_wanted(conn: Connection, round_id: str, constituency_id: str) -> BeaconDue | None:
    """The beacon round still to record: None once recorded, or if the round was cancelled."""
    if Phase(get_round(conn, round_id)["phase"]) is Phase.CANCELLED:
        return None
    if _beacon_row(conn, round_id, constituency_id) is not None:
        return None
    return beacon_due_for(conn, round_id, constituency_id)


def verify_beacon_value(
    due: BeaconDue, round: int, randomness: str, signature: str
) -> VerifiedBeacon:
    """The value checked: the round ``due`` names, lowercase hex, and the network's signature
    under the pinned key (rules published before, which pinned none, get only the check that
    the randomness is the SHA-256 of the signature). No I/O: call it outside a transaction."""
    if round != due.round:
        when: Phrase | str = (
            "" if due.at is None else phrase(N_(", published at %(at)s"), at=iso(due.at))
        )
        early = (
            N_(" (an earlier round could have been known while participants could still act)")
            if round < due.round
            else ""
        )
        raise BeaconWrongRound(
            N_(
                "this selection waits for round %(round)s of drand chain %(chain_hash)s%(when)s; "
                "got round %(round2)s%(early)s"
            ),
            round=due.round,
            chain_hash=due.chain_hash,
            when=when,
            round2=round,
            early=early,
        )
    if not isinstance(randomness, str) or _HEX64.fullmatch(randomness) is None:
        raise BeaconInvalid(
            N_("beacon randomness must be 64 lowercase hex digits, got %(randomness)s"),
            randomness=repr(randomness),
        )
    if not isinstance(signature, str) or _SIGNATURE.fullmatch(signature) is None:
        raise BeaconInvalid(
            N_("beacon signature must be lowercase hex bytes, as drand publishes it")
        )
    try:
        if due.public_key is None:
            if drand.beacon_randomness(signature) != randomness:
                raise BeaconInvalid(N_("beacon randomness is not the SHA-256 of its signature"))
        else:
            drand.verify_beacon(
                public_key_hex=due.public_key,
                round=round,
                signature_hex=signature,
                randomness_hex=randomness,
            )
    except BeaconInvalid:
        raise
    except DomainError as exc:
        raise BeaconInvalid(
            N_("beacon round %(round)s does not verify: %(detail)s"), round=round, detail=exc.detail
        ) from exc
    return VerifiedBeacon(due, randomness, signature)


def record_beacon(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    verified: VerifiedBeacon,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    """Record a verified beacon value: by the secretariat's PUT, or by the worker's relay."""
    now = now or utcnow()
    row = _round(conn, round_id, constituency_id)
    terms = terms_for(conn, row, constituency_id)
    due = terms.beacon
    if due is None:
        raise Conflict(
            N_("the rules of %(constituency_id)s name no beacon"), constituency_id=constituency_id
        )
    if verified.due != due:  # the schedule moved since the value was checked
        raise BeaconWrongRound(
            N_("this selection now waits for round %(round)s, not round %(round2)s"),
            round=due.round,
            round2=verified.due.round,
        )
    phase = Phase(row["phase"])
    # Under mandate.lot/2 the round is only known for good once voting has closed.
    earliest = Phase.PUBLISHED if terms.lot == LOT_DOMAIN_V1 else Phase.VOTING_CLOSED
    if (
        phase is Phase.CANCELLED
        or is_before(phase, earliest)
        or not is_before(phase, Phase.DECIDED)
    ):
        raise WrongPhase(
            N_(
                "round %(round_id)s is %(phase)s: the beacon is recorded after %(earliest)s and "
                "before the round is decided"
            ),
            round_id=round_id,
            phase=phase.value,
            earliest=earliest.value.replace("_", " "),
        )
    if _beacon_row(conn, round_id, constituency_id) is not None:
        raise Conflict(
            N_("the beacon value of %(constituency_id)s is already recorded"),
            constituency_id=constituency_id,
        )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "beacon.recorded",
        {
            "constituency_id": constituency_id,
            "chain_hash": due.chain_hash,
            "round": due.round,
            "randomness": verified.randomness,
            "signature": verified.signature,
        },
        actor,
        now,
    )
    conn.execute(
        beacon_value.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            chain_hash=due.chain_hash,
            beacon_round=due.round,
            randomness=verified.randomness,
            signature=verified.signature,
            recorded_at=now,
        )
    )
    found = _beacon_row(conn, round_id, constituency_id)
    assert found is not None
    return found


def _last_commitment(
    conn: Connection, round_id: str, constituency_id: str, party: str
) -> str | None:
    row = conn.execute(
        select(randomness_commitment.c.commitment)
        .where(
            randomness_commitment.c.round_id == round_id,
            randomness_commitment.c.constituency_id == constituency_id,
            randomness_commitment.c.party == party,
        )
        .order_by(randomness_commitment.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else str(row[0])


def _beacon_row(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    row = conn.execute(
        select(beacon_value).where(
            beacon_value.c.round_id == round_id,
            beacon_value.c.constituency_id == constituency_id,
        )
    ).first()
    return None if row is None else row._mapping


def _row(conn: Connection, table: Table, key: Any, receipt: str) -> dict[str, Any]:
    found = conn.execute(select(table).where(table.c.id == key[0])).one()
    return {**found._mapping, "receipt": receipt}


def _rows(conn: Connection, table: Table, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(table)
        .where(table.c.round_id == round_id, table.c.constituency_id == constituency_id)
        .order_by(table.c.id)
    )
    return [r._mapping for r in rows]


@dataclass(frozen=True)
class Listing:
    commitments: list[RowMapping]
    reveals: list[RowMapping]
    beacon: RowMapping | None


def listing(conn: Connection, round_id: str, constituency_id: str) -> Listing:
    """Every commitment, reveal and the beacon value, in log order: public once logged."""
    return Listing(
        _rows(conn, randomness_commitment, round_id, constituency_id),
        _rows(conn, randomness_reveal, round_id, constituency_id),
        _beacon_row(conn, round_id, constituency_id),
    )


def terms(conn: Connection, round_id: str, constituency_id: str) -> RandomnessTerms:
    """The selection's windows and beacon round; a draft without rules has neither yet."""
    row = get_round(conn, round_id)
    try:
        return terms_for(conn, row, constituency_id)
    except NotFound:
        return RandomnessTerms(lot_of_round(row), row["nominations_close_at"], None, None)


def count_plan(conn: Connection, round_id: str) -> tuple[datetime | None, list[str]]:
    """When the count may run, and the constituencies whose rules call for a beacon."""
    row = get_round(conn, round_id)
    count_at: datetime | None = None
    beacons = []
    for p in row["participants"]:
        found = terms_for(conn, row, p["constituency_id"])
        if found.count_at is not None and (count_at is None or found.count_at > count_at):
            count_at = found.count_at
        if found.beacon is not None:
            beacons.append(p["constituency_id"])
    return count_at, beacons


def settled(conn: Connection, round_id: str, constituency_id: str) -> Randomness:
    """What goes into the seed. Every stored commitment was on time and every stored reveal
    was in its window and matched: the windows and the match are enforced at write."""
    found = listing(conn, round_id, constituency_id)
    commitments = [Commitment(c["party"], c["commitment"], on_time=True) for c in found.commitments]
    reveals = [Reveal(r["party"], r["secret"]) for r in found.reveals]
    due = terms_for(conn, get_round(conn, round_id), constituency_id).beacon
    value = None
    if found.beacon is not None:
        b = found.beacon
        value = BeaconValue(b["chain_hash"], b["beacon_round"], b["randomness"], b["signature"])
    elif due is not None:
        raise BeaconPending(
            f"the rules of {constituency_id} call for drand round {due.round}; "
            "its value is not recorded yet"
        )
    return settle(commitments, reveals, value, beacon_named=due is not None)
