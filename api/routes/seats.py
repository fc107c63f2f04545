"""Seats after the count: the selected nominee accepts or declines (with the nomination's
consent token, before the deadline), and the coordinators and the secretariat follow each
seat's state (store/seats.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, RowMapping

from api import seat_schemas as ss
from api.deps import Caller, ServicesDep, WriterDep, read
from api.schemas import NameOut
from policies.access import Role, require_coordinator_of
from store import names, rounds, seats
from store.rules import seats_of

router = APIRouter(tags=["selection"])


def _offer(row: RowMapping) -> ss.SeatOfferOut:
    return ss.SeatOfferOut.model_validate(dict(row))


def seats_out(conn: Connection, round_id: str, constituency_id: str) -> ss.SeatsOut:
    seats_of(rounds.get(conn, round_id), constituency_id)  # takes part in the round
    state = seats.state(conn, round_id, constituency_id)
    found = seats.seats_of(conn, round_id, constituency_id)
    ids = {v.nomination_id for v in found if v.nomination_id} | {
        str(o["nomination_id"]) for v in found for o in v.earlier if o["nomination_id"]
    }
    known = names.nominees(conn, round_id, constituency_id, ids)
    return ss.SeatsOut(
        round_id=round_id,
        constituency_id=constituency_id,
        offered=state is not None,
        confirmed=state is not None and state["confirmed_at"] is not None,
        confirmed_at=None if state is None else state["confirmed_at"],
        head_hash=None if state is None else state["head_hash"],
        seats=[
            ss.SeatOut(
                seat=v.seat,
                nomination_id=v.nomination_id,
                status=v.status,
                deadline=v.deadline,
                answered_at=v.answered_at,
                earlier=[_offer(o) for o in v.earlier],
            )
            for v in found
        ],
        names={i: NameOut.model_validate(n, from_attributes=True) for i, n in known.items()},
    )


@router.get(
    "/rounds/{round_id}/constituencies/{constituency_id}/seats",
    response_model=ss.SeatsOut,
    responses={
        403: {"description": "forbidden: only the secretariat and the constituency's coordinators"},
        404: {"description": "not_found: no such round, or the constituency takes no part in it"},
    },
)
async def get_seats(
    round_id: str, constituency_id: str, caller: Caller, svc: ServicesDep
) -> ss.SeatsOut:
    """Each seat as it stands: who holds it or is asked, until when, the offers declined or
    lapsed before, and whether the constituency's seats are confirmed."""
    if caller.role is not Role.SECRETARIAT:
        require_coordinator_of(caller, constituency_id)
    return await read(svc, lambda conn: seats_out(conn, round_id, constituency_id))


@router.post(
    "/nominations/{nomination_id}/seat",
    response_model=ss.SeatOfferOut,
    responses={
        403: {"description": "forbidden: the token is not this nomination's"},
        404: {"description": "not_found: no such nomination, or no seat offered to it"},
        409: {
            "description": "conflict: the seat is answered already; phase_closed: its deadline "
            "has passed"
        },
    },
)
async def answer_seat(nomination_id: str, body: ss.SeatAnswerIn, writer: WriterDep) -> JSONResponse:
    """The selected nominee accepts or declines their seat with their nomination's consent token,
    before the deadline; a decline passes the seat to the next alternate who keeps the balance
    constraints (logged as an amendment to the outcome)."""
    return await writer.run(
        lambda conn: _offer(
            seats.answer(conn, nomination_id, body.token, body.decision == "accept")
        )
    )
