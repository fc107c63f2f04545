"""A round's participation so far: which member organisations have not yet acted."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Connection

from api import participation_schemas as ps
from api.deps import Caller, ServicesDep, read
from policies.access import require_secretariat
from store import participation, rounds

router = APIRouter(tags=["rounds"])


def participation_out(conn: Connection, round_id: str) -> ps.ParticipationOut:
    row = rounds.get(conn, round_id)
    return ps.ParticipationOut(
        round_id=round_id,
        phase=row["phase"],
        constituencies=[
            ps.ConstituencyParticipationOut(
                constituency_id=c.constituency_id,
                name=c.name,
                seats=c.seats,
                method=c.method,
                ballots=c.ballots,
                endorsements_required=c.endorsements_required,
                members=[
                    ps.MemberActivityOut.model_validate(m, from_attributes=True) for m in c.members
                ],
                not_nominated=[m.organisation_id for m in c.not_nominated],
                not_endorsed=[m.organisation_id for m in c.not_endorsed],
                not_voted=[m.organisation_id for m in c.not_voted],
            )
            for c in participation.of_round(conn, round_id)
        ],
    )


@router.get(
    "/rounds/{round_id}/participation",
    response_model=ps.ParticipationOut,
    responses={404: {"description": "not_found: no round with this id"}},
)
async def round_participation(
    round_id: str, caller: Caller, svc: ServicesDep
) -> ps.ParticipationOut:
    """For the secretariat: each participating constituency's current members, and whether
    each has nominated, endorsed and voted so far (drafts too: all zero)."""
    require_secretariat(caller)
    return await read(svc, lambda conn: participation_out(conn, round_id))
