"""Commit-reveal randomness and beacon values of a selection: written behind their windows.

Commitments are accepted from the round's publication until nominations close; reveals from
nominations close until voting closes. Both are logged (``randomness.committed``,
``randomness.revealed``), as is the beacon value the secretariat records
(``beacon.recorded``). The count settles them with ``policies.randomness.settle``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, select

from policies.errors import Conflict, InvalidInput, NotFound, PhaseClosed, WrongPhase
from policies.phases import Phase, is_before
from policies.randomness import (
    BeaconValue,
    Commitment,
    Randomness,
    Reveal,
    RevealMismatch,
    check_hex64,
    commitment_for,
    settle,
)
from policies.times import iso
from store import audit
from store import rules as rules_store
from store.db import utcnow
from store.rounds import get as get_round
from store.rules import seats_of
from store.tables import beacon_value, randomness_commitment, randomness_reveal

SECRETARIAT_PARTY = "secretariat"


class BeaconPending(Exception):
    """The rules name a beacon round whose value nobody has recorded yet: count later."""


def _round(conn: Connection, round_id: str, constituency_id: str) -> RowMapping:
    # FOR SHARE, as ballots are: the close waits for every admitted write.
    row = get_round(conn, round_id, for_share=True)
    seats_of(row, constituency_id)  # takes part in the round
    return row


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
            f"round {round_id} is {phase.value}: commitments open when it is published"
        )
    closes = row["nominations_close_at"]
    if now >= closes or not is_before(phase, Phase.NOMINATIONS_CLOSED):
        raise PhaseClosed(
            f"commitments closed with nominations at {iso(closes)}; it is now {iso(now)}"
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
    _reveal_window(row, now)
    mine = _last_commitment(conn, round_id, constituency_id, party)
    if mine is None:
        raise NotFound(
            f"{party} made no commitment in this selection before nominations closed, "
            "so there is nothing to reveal"
        )
    if commitment_for(party, secret) != mine:
        raise RevealMismatch(
            f"this secret's commitment is {commitment_for(party, secret)}, but {party} "
            f"committed to {mine}"
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


def record_beacon(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    beacon_round: int,
    randomness: str,
    signature: str,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    """The secretariat records the beacon value the rules name, once it is published."""
    now = now or utcnow()
    row = _round(conn, round_id, constituency_id)
    named = rules_store.rules_for(conn, round_id, constituency_id).beacon
    if named is None:
        raise Conflict(f"the rules of {constituency_id} name no beacon")
    if beacon_round != named.round:
        raise InvalidInput(f"the rules name beacon round {named.round}, got round {beacon_round}")
    check_hex64("the beacon randomness", randomness)
    if not signature or len(signature) > 400 or any(c not in "0123456789abcdef" for c in signature):
        raise InvalidInput("the beacon signature must be lowercase hex, as drand publishes it")
    # Verified offline (records.drand) against the rules' public key, by `mandate verify`.
    phase = Phase(row["phase"])
    if phase in (Phase.DRAFT, Phase.CANCELLED) or not is_before(phase, Phase.COUNTING):
        raise WrongPhase(
            f"round {round_id} is {phase.value}: the beacon is recorded before the count"
        )
    if _beacon_row(conn, round_id, constituency_id) is not None:
        raise Conflict(f"the beacon value of {constituency_id} is already recorded")
    audit.append(
        conn,
        audit.round_scope(round_id),
        "beacon.recorded",
        {
            "constituency_id": constituency_id,
            "chain_hash": named.chain_hash,
            "round": beacon_round,
            "randomness": randomness,
            "signature": signature,
        },
        actor,
        now,
    )
    conn.execute(
        beacon_value.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            chain_hash=named.chain_hash,
            beacon_round=beacon_round,
            randomness=randomness,
            signature=signature,
            recorded_at=now,
        )
    )
    found = _beacon_row(conn, round_id, constituency_id)
    assert found is not None
    return found


def _reveal_window(row: RowMapping, now: datetime) -> None:
    phase = Phase(row["phase"])
    opens, closes = row["nominations_close_at"], row["voting_close_at"]
    if phase is Phase.CANCELLED or (now < opens and is_before(phase, Phase.NOMINATIONS_CLOSED)):
        raise WrongPhase(
            f"reveals open when nominations close, at {iso(opens)}; round is {phase.value}"
        )
    if now >= closes or not is_before(phase, Phase.VOTING_CLOSED):
        raise PhaseClosed(f"reveals closed with voting at {iso(closes)}; it is now {iso(now)}")


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


def settled(conn: Connection, round_id: str, constituency_id: str) -> Randomness:
    """What goes into the seed. Every stored commitment was on time and every stored reveal
    matched: the windows and the match are enforced at write."""
    found = listing(conn, round_id, constituency_id)
    commitments = [Commitment(c["party"], c["commitment"], on_time=True) for c in found.commitments]
    reveals = [Reveal(r["party"], r["secret"]) for r in found.reveals]
    named = rules_store.rules_for(conn, round_id, constituency_id).beacon
    value = None
    if found.beacon is not None:
        b = found.beacon
        value = BeaconValue(b["chain_hash"], b["beacon_round"], b["randomness"], b["signature"])
    elif named is not None:
        raise BeaconPending(
            f"the rules of {constituency_id} name drand round {named.round}; "
            "its value is not recorded yet"
        )
    return settle(commitments, reveals, value, beacon_named=named is not None)
