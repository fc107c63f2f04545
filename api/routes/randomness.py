"""Commit-reveal randomness of a selection: commitments, reveals and the beacon value."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api import schemas as s
from api.deps import Caller, MaybeCaller, ServicesDep, WriterDep, read
from api.routes.rounds import visible_round
from api.routes.selection import BASE
from policies.access import Principal, Role, require_coordinator_of, require_secretariat
from policies.errors import Forbidden
from policies.messages import N_
from store import randomness, registry, rounds
from store.randomness import SECRETARIAT_PARTY
from store.rules import seats_of

router = APIRouter(tags=["randomness"])


def _party(caller: Principal, constituency_id: str) -> str:
    """The secretariat and the constituency's coordinators take part; each under its own id."""
    if caller.role is Role.SECRETARIAT:
        return SECRETARIAT_PARTY
    if caller.role is Role.COORDINATOR:
        require_coordinator_of(caller, constituency_id)
        assert caller.coordinator_id is not None
        return caller.coordinator_id
    raise Forbidden(
        N_(
            "randomness comes from the secretariat and the constituency's coordinators; the token "
            "given is a %(role)s's"
        ),
        role=caller.role.value,
    )


@router.post(BASE + "/randomness/commitments", status_code=201, response_model=s.RandomnessWritten)
async def commit(
    round_id: str, constituency_id: str, body: s.CommitmentIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Commit to a secret before nominations close (a later commitment replaces an earlier),
    where the rules name commit-reveal (409 conflict otherwise)."""
    party = _party(caller, constituency_id)

    def work(conn: Connection) -> s.RandomnessWritten:
        row = randomness.commit(
            conn, round_id, constituency_id, party, body.commitment, caller.credential_id
        )
        return s.RandomnessWritten(
            party=party, commitment=row["commitment"], receipt=row["receipt"]
        )

    return await writer.run(work, status=201)


@router.post(BASE + "/randomness/reveals", status_code=201, response_model=s.RandomnessWritten)
async def reveal(
    round_id: str, constituency_id: str, body: s.RevealIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Reveal the secret after voting closes, within the rules' reveal window: 409
    wrong_phase before the close (no ballot may be cast knowing a secret), 409 phase_closed
    after the window."""
    party = _party(caller, constituency_id)

    def work(conn: Connection) -> s.RandomnessWritten:
        row = randomness.reveal(
            conn, round_id, constituency_id, party, body.secret, caller.credential_id
        )
        return s.RandomnessWritten(party=party, secret=row["secret"], receipt=row["receipt"])

    return await writer.run(work, status=201)


@router.put(BASE + "/randomness/beacon", response_model=s.RandomnessOut)
async def record_beacon(
    round_id: str,
    constituency_id: str,
    body: s.BeaconValueIn,
    caller: Caller,
    writer: WriterDep,
    svc: ServicesDep,
) -> JSONResponse:
    """The secretariat records the beacon value the count waits for, once drand has published
    it (after voting closes). It is verified against the key the rules pin before it is
    recorded: 422 beacon_invalid if it does not verify, 422 beacon_wrong_round for any other
    round than the one the schedule gives (see `beacon_due` in GET .../randomness)."""
    require_secretariat(caller)
    due = await read(svc, lambda conn: randomness.beacon_due_for(conn, round_id, constituency_id))
    # The pairing check takes a moment: done before the write transaction, not inside it.
    verified = await run_in_threadpool(
        randomness.verify_beacon_value, due, body.round, body.randomness, body.signature
    )

    def work(conn: Connection) -> s.RandomnessOut:
        randomness.record_beacon(conn, round_id, constituency_id, verified, caller.credential_id)
        return _listing(conn, round_id, constituency_id)

    return await writer.run(work)


@router.get(BASE + "/randomness", response_model=s.RandomnessOut)
async def get_randomness(
    round_id: str, constituency_id: str, svc: ServicesDep, caller: MaybeCaller
) -> s.RandomnessOut:
    def load(conn: Connection) -> s.RandomnessOut:
        visible_round(rounds.get(conn, round_id), caller)
        return _listing(conn, round_id, constituency_id)

    return await read(svc, load)


def _listing(conn: Connection, round_id: str, constituency_id: str) -> s.RandomnessOut:
    seats_of(rounds.get(conn, round_id), constituency_id)
    found = randomness.listing(conn, round_id, constituency_id)
    terms = randomness.terms(conn, round_id, constituency_id)
    coordinators = [c["id"] for c in registry.list_coordinators(conn, constituency_id)]
    due = terms.beacon
    return s.RandomnessOut(
        round_id=round_id,
        constituency_id=constituency_id,
        lot=terms.lot,
        parties=[SECRETARIAT_PARTY, *sorted(coordinators)],
        commitments_close_at=terms.commitments_close_at,
        reveals_open_at=None if terms.reveals is None else terms.reveals[0],
        reveals_close_at=None if terms.reveals is None else terms.reveals[1],
        beacon_due=None
        if due is None
        else s.BeaconDueOut(chain_hash=due.chain_hash, round=due.round, at=due.at),
        commitments=[_public(r) for r in found.commitments],
        reveals=[_public(r) for r in found.reveals],
        beacon=None if found.beacon is None else _public(found.beacon),
    )


def _public(row: object) -> dict[str, object]:
    assert hasattr(row, "items")
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in row.items()
        if k not in ("round_id", "constituency_id")
    }
