"""Seats: each selected person accepts their seat within the acceptance window, or it passes on.

Once a round is decided, ``open_seats`` offers each constituency's seats to its winners (seat
1, 2... in the order elected), each until ``now`` + the round's acceptance window. The nominee
answers with their nomination's consent token (``answer``); the deadline is enforced at write
time. A decline, or a deadline passed without an answer (``lapse_due``, run by the round's
workflow), vacates the seat: ``policies.seats.substitute`` names the alternate asked next (who
gets a window of their own), and the change is logged as ``outcome.amended``, chained to the
outcome (its first amendment names the outcome's hash, each later one the previous amendment's
hash). A constituency is confirmed (``seats.confirmed``) once no seat waits for an answer: every
seat accepted, or left empty because no alternate could take it.

Log entries (scope ``round:<id>``):
- ``seats.offered`` {constituency_id, outcome_hash, substitution, seats: [{seat, nomination_id,
  deadline}]}: the winners asked;
- ``seat.accepted`` / ``seat.declined`` {constituency_id, seat, nomination_id};
- ``outcome.amended`` {constituency_id, outcome_hash, previous, substitution, seat, vacated,
  reason, successor, skipped, deadline, seats}: ``seats`` the panel after it (None: empty);
- ``seats.confirmed`` {constituency_id, outcome_hash, head, seats, empty}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from policies.errors import Conflict, NotFound, PhaseClosed
from policies.messages import N_
from policies.notice import MinimumNotice
from policies.phases import Phase
from policies.seats import DECLINED, LAPSED, SUBSTITUTION, substitute
from policies.times import iso
from records.canonical import canonical_hash
from store import audit, consent, nominations, seat_notices
from store import rules as rules_store
from store.db import utcnow
from store.rounds import get as get_round
from store.tables import outcome, seat_offer, seat_state

OFFERED = "offered"
ACCEPTED = "accepted"
EMPTY = "empty"
# A round published before its criteria carried minimums gives this long to accept.
DEFAULT_ACCEPTANCE = MinimumNotice().acceptance


@dataclass(frozen=True)
class SeatHolder:
    """A seat accepted: its number (1-based, in the outcome's order) and who holds it."""

    seat: int
    nomination_id: str
    accepted_at: datetime


@dataclass(frozen=True)
class SeatView:
    """A seat as it stands: its current offer (None: not offered yet) and the offers before."""

    seat: int
    nomination_id: str | None
    status: str  # offered | accepted | empty
    deadline: datetime | None
    answered_at: datetime | None
    earlier: tuple[RowMapping, ...]  # the offers declined or lapsed, in order


# -- what other parts read (signatures kept stable)


def seat_holders(conn: Connection, round_id: str, constituency_id: str) -> list[SeatHolder]:
    """The accepted seat holders of a constituency, in seat order, with their nomination ids."""
    rows = conn.execute(
        select(seat_offer)
        .where(
            seat_offer.c.round_id == round_id,
            seat_offer.c.constituency_id == constituency_id,
            seat_offer.c.status == ACCEPTED,
        )
        .order_by(seat_offer.c.seat)
    )
    return [
        SeatHolder(r.seat, str(r.nomination_id), r.answered_at)
        for r in rows
        if r.nomination_id is not None and r.answered_at is not None
    ]


def is_confirmed(conn: Connection, round_id: str, constituency_id: str) -> bool:
    """True once every seat of the constituency is accepted or stated empty."""
    row = _state(conn, round_id, constituency_id)
    return row is not None and row["confirmed_at"] is not None


def seats_of(conn: Connection, round_id: str, constituency_id: str) -> list[SeatView]:
    """Every seat of the constituency as it stands (empty before the seats are offered)."""
    offers = _offers(conn, round_id, constituency_id)
    out = []
    for seat in sorted({o["seat"] for o in offers}):
        mine = [o for o in offers if o["seat"] == seat]
        last = mine[-1]
        out.append(
            SeatView(
                seat,
                last["nomination_id"],
                last["status"],
                last["deadline"],
                last["answered_at"],
                tuple(mine[:-1]),
            )
        )
    return out


def state(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    """The constituency's seat state (head hash, confirmed_at); None before seats are offered."""
    return _state(conn, round_id, constituency_id)


def offer_for(conn: Connection, nomination_id: str) -> RowMapping | None:
    """The nomination's seat offer, the latest if several; None if it was never offered one."""
    row = conn.execute(
        select(seat_offer)
        .where(seat_offer.c.nomination_id == nomination_id)
        .order_by(seat_offer.c.id.desc())
    ).first()
    return None if row is None else row._mapping


def acceptance_window(round_row: RowMapping) -> timedelta:
    """How long each selected person has to accept: the round's published acceptance notice
    (``minimum_notice.acceptance``); ``DEFAULT_ACCEPTANCE`` where it sets none."""
    notice = round_row["minimum_notice"] or {}
    seconds = int(notice.get("acceptance") or 0)
    return timedelta(seconds=seconds or DEFAULT_ACCEPTANCE)


# -- the workflow's steps


def open_seats(conn: Connection, round_id: str, now: datetime | None = None) -> datetime | None:
    """Offer each decided constituency's seats to its winners (once: a retry changes nothing).
    Returns the earliest deadline still waiting for an answer, None when every constituency
    is confirmed."""
    now = now or utcnow()
    round_row = get_round(conn, round_id, for_update=True)
    window = acceptance_window(round_row)
    if round_row["phase"] == Phase.DECIDED:
        for p in round_row["participants"]:
            cid = p["constituency_id"]
            if _state(conn, round_id, cid) is not None:
                continue
            found = conn.execute(
                select(outcome).where(
                    outcome.c.round_id == round_id, outcome.c.constituency_id == cid
                )
            ).first()
            if found is None:
                continue
            result = json.loads(found.record)["result"]
            conn.execute(
                seat_state.insert().values(
                    round_id=round_id,
                    constituency_id=cid,
                    seats=int(p["seats"]),
                    head_hash=found.record_hash,
                    opened_at=now,
                )
            )
            seats = []
            for i, winner in enumerate(result["winners"], start=1):
                deadline = now + window
                _offer(conn, round_id, cid, i, winner, now, deadline)
                seats.append({"seat": i, "nomination_id": winner, "deadline": iso(deadline)})
            audit.append(
                conn,
                audit.round_scope(round_id),
                "seats.offered",
                {
                    "constituency_id": cid,
                    "outcome_hash": found.record_hash,
                    "substitution": SUBSTITUTION,
                    "seats": seats,
                },
                "workflow",
                now,
            )
            _confirm_if_settled(conn, round_id, cid, now)
    return next_deadline(conn, round_id)


def lapse_due(conn: Connection, round_id: str, now: datetime | None = None) -> datetime | None:
    """Lapse every offer whose deadline has passed unanswered and pass its seat on. Returns the
    earliest deadline still waiting, None when every constituency is confirmed."""
    now = now or utcnow()
    get_round(conn, round_id, for_update=True)
    due = conn.execute(
        select(seat_offer)
        .where(
            seat_offer.c.round_id == round_id,
            seat_offer.c.status == OFFERED,
            seat_offer.c.deadline <= now,
        )
        .order_by(seat_offer.c.constituency_id, seat_offer.c.seat)
    ).all()
    for row in due:
        _vacate(conn, row._mapping, LAPSED, now)
    for cid in sorted({r.constituency_id for r in due}):
        _confirm_if_settled(conn, round_id, cid, now)
    return next_deadline(conn, round_id)


def next_deadline(conn: Connection, round_id: str) -> datetime | None:
    found: datetime | None = conn.execute(
        select(seat_offer.c.deadline)
        .where(seat_offer.c.round_id == round_id, seat_offer.c.status == OFFERED)
        .order_by(seat_offer.c.deadline)
        .limit(1)
    ).scalar()
    return found


# -- the nominee's answer


def answer(
    conn: Connection,
    nomination_id: str,
    token: str,
    accept: bool,
    now: datetime | None = None,
) -> RowMapping:
    """The selected nominee accepts or declines their seat, with their nomination's consent
    token, before the deadline. Returns the offer as it now stands."""
    now = now or utcnow()
    row = consent.nomination_for_nominee(conn, nomination_id, token)  # Forbidden otherwise
    get_round(conn, row["round_id"], for_update=True)  # answers and lapses take turns
    offer = offer_for(conn, nomination_id)
    if offer is None:
        raise NotFound(
            N_("no seat has been offered to nomination %(nomination_id)s"),
            nomination_id=nomination_id,
        )
    if offer["status"] != OFFERED:
        raise Conflict(
            N_("the seat offered to this nomination is already %(status)s"),
            status=offer["status"],
        )
    if now >= offer["deadline"]:
        raise PhaseClosed(
            N_("the time to accept this seat ended at %(deadline)s (now %(now)s)"),
            deadline=iso(offer["deadline"]),
            now=iso(now),
        )
    rid, cid = offer["round_id"], offer["constituency_id"]
    if accept:
        conn.execute(
            update(seat_offer)
            .where(seat_offer.c.id == offer["id"])
            .values(status=ACCEPTED, answered_at=now)
        )
        audit.append(
            conn,
            audit.round_scope(rid),
            "seat.accepted",
            {"constituency_id": cid, "seat": offer["seat"], "nomination_id": nomination_id},
            "nominee",
            now,
        )
    else:
        audit.append(
            conn,
            audit.round_scope(rid),
            "seat.declined",
            {"constituency_id": cid, "seat": offer["seat"], "nomination_id": nomination_id},
            "nominee",
            now,
        )
        _vacate(conn, offer, DECLINED, now)
    _confirm_if_settled(conn, rid, cid, now)
    return _offer_row(conn, offer["id"])


# -- inside


def _state(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    row = conn.execute(
        select(seat_state).where(
            seat_state.c.round_id == round_id, seat_state.c.constituency_id == constituency_id
        )
    ).first()
    return None if row is None else row._mapping


def _offers(conn: Connection, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(seat_offer)
        .where(seat_offer.c.round_id == round_id, seat_offer.c.constituency_id == constituency_id)
        .order_by(seat_offer.c.id)
    )
    return [r._mapping for r in rows]


def _offer_row(conn: Connection, offer_id: int) -> RowMapping:
    return conn.execute(select(seat_offer).where(seat_offer.c.id == offer_id)).one()._mapping


def _offer(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    seat: int,
    nomination_id: str,
    now: datetime,
    deadline: datetime,
) -> None:
    conn.execute(
        seat_offer.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            seat=seat,
            nomination_id=nomination_id,
            status=OFFERED,
            offered_at=now,
            deadline=deadline,
        )
    )
    seat_notices.ask(conn, nomination_id, seat, deadline, now)


def _panel(offers: list[RowMapping]) -> list[str | None]:
    """The seats as they stand: each seat's latest offer, if offered or accepted."""
    latest: dict[int, RowMapping] = {}
    for o in offers:
        latest[o["seat"]] = o
    return [
        latest[s]["nomination_id"] if latest[s]["status"] in (OFFERED, ACCEPTED) else None
        for s in range(1, max(latest, default=0) + 1)
        if s in latest
    ]


def _vacate(conn: Connection, offer: RowMapping, reason: str, now: datetime) -> None:
    """Mark ``offer`` declined or lapsed, ask the next alternate that keeps the constraints
    (or state the seat empty), and log the amendment chained to the previous one."""
    rid, cid, seat = offer["round_id"], offer["constituency_id"], offer["seat"]
    state_row = (
        conn.execute(
            select(seat_state)
            .where(seat_state.c.round_id == rid, seat_state.c.constituency_id == cid)
            .with_for_update()
        )
        .one()
        ._mapping
    )
    offers = _offers(conn, rid, cid)
    panel = _panel(offers)  # with the vacated seat still held
    outcome_row = conn.execute(
        select(outcome).where(outcome.c.round_id == rid, outcome.c.constituency_id == cid)
    ).one()
    result = json.loads(outcome_row.record)["result"]
    asked = {str(o["nomination_id"]) for o in offers if o["nomination_id"] is not None}
    asked |= set(result["winners"])
    rules = rules_store.rules_for(conn, rid, cid)
    attributes = {c.id: c.attributes for c in nominations.candidates(conn, rid, cid)}
    change = substitute(
        panel=panel,
        seat=seat,
        reason=reason,
        alternates=result["alternates"],
        asked=asked,
        attributes=attributes,
        constraints=rules.constraints,
    )
    conn.execute(
        update(seat_offer)
        .where(seat_offer.c.id == offer["id"])
        .values(status=reason, answered_at=now)
    )
    deadline: datetime | None = None
    if change.successor is None:
        conn.execute(
            seat_offer.insert().values(
                round_id=rid,
                constituency_id=cid,
                seat=seat,
                nomination_id=None,
                status=EMPTY,
                offered_at=now,
            )
        )
    else:
        deadline = now + acceptance_window(get_round(conn, rid))
        _offer(conn, rid, cid, seat, change.successor, now, deadline)
    after = list(panel)
    after[seat - 1] = change.successor
    data: dict[str, Any] = {
        "constituency_id": cid,
        "outcome_hash": outcome_row.record_hash,
        "previous": state_row["head_hash"],
        "substitution": SUBSTITUTION,
        **change.to_json(),
        "deadline": None if deadline is None else iso(deadline),
        "seats": after,
    }
    audit.append(conn, audit.round_scope(rid), "outcome.amended", data, "workflow", now)
    conn.execute(
        update(seat_state)
        .where(seat_state.c.round_id == rid, seat_state.c.constituency_id == cid)
        .values(head_hash=amendment_hash(data))
    )


def amendment_hash(data: dict[str, Any]) -> str:
    """What the next amendment names as ``previous``: the SHA-256 of this one's canonical data
    (records/seat_check.py computes the same)."""
    return canonical_hash(data)


def _confirm_if_settled(
    conn: Connection, round_id: str, constituency_id: str, now: datetime
) -> None:
    state_row = _state(conn, round_id, constituency_id)
    if state_row is None or state_row["confirmed_at"] is not None:
        return
    offers = _offers(conn, round_id, constituency_id)
    if any(o["status"] == OFFERED for o in offers):
        return
    panel = _panel(offers)
    seats = panel + [None] * (state_row["seats"] - len(panel))
    conn.execute(
        update(seat_state)
        .where(seat_state.c.round_id == round_id, seat_state.c.constituency_id == constituency_id)
        .values(confirmed_at=now)
    )
    found = conn.execute(
        select(outcome.c.record_hash).where(
            outcome.c.round_id == round_id, outcome.c.constituency_id == constituency_id
        )
    ).scalar_one()
    audit.append(
        conn,
        audit.round_scope(round_id),
        "seats.confirmed",
        {
            "constituency_id": constituency_id,
            "outcome_hash": found,
            "head": state_row["head_hash"],
            "seats": seats,
            "empty": sum(1 for s in seats if s is None),
        },
        "workflow",
        now,
    )
