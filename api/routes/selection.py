"""A constituency's selection in a round: rules, nominations, ballots, outcome, bundle."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, RowMapping

from api import schemas as s
from api.bundles import settled
from api.deps import AuthenticatingWriterDep, Caller, MaybeCaller, ServicesDep, WriterDep, read
from api.erasure_schemas import ErasureIn
from api.routes.rounds import visible_round
from policies import count_sheet
from policies.access import (
    Principal,
    Role,
    require_coordinator_of,
    require_member,
    require_secretariat,
)
from policies.errors import Forbidden, InvalidInput, Unauthenticated, WrongPhase
from policies.messages import N_, Message
from policies.phases import Phase, is_before
from records.ballot_seal import SECRET
from store import (
    ballots,
    bundles,
    erasure,
    names,
    nominations,
    outcomes,
    profiles,
    rounds,
    withdrawals,
)
from store import rules as rules_store
from store.names import Named
from store.profiles import PUBLIC_VIEWER, Viewer
from store.rules import seats_of

router = APIRouter(tags=["selection"])
BASE = "/rounds/{round_id}/constituencies/{constituency_id}"


def _nomination(
    conn: Connection,
    row: RowMapping,
    viewer: Viewer = PUBLIC_VIEWER,
    known: Mapping[str, Named] | None = None,
) -> s.NominationOut:
    """The nomination as ``viewer`` may read it (a profile is public once consented to);
    ``known``: the nomination's names when a listing read them for all its nominations."""
    endorsed = [e["id"] for e in nominations.endorsers(conn, row["id"])]
    if known is None:
        known = names.of_nomination(conn, row["id"])
    if row["id"] not in known and row["nominee_name"] is not None and viewer.sees(row):
        # Not public yet, but this viewer sees the profile: the name beside the id too.
        org = known.get(row["organisation_id"])
        known = {**known, row["id"]: names.nominee(row["nominee_name"], org)}
    return s.NominationOut.model_validate(
        {**viewer.shown(row), "endorsed_by": endorsed, "names": _names_out(known)}
    )


def _nominations(
    conn: Connection, rows: Iterable[RowMapping], viewer: Viewer = PUBLIC_VIEWER
) -> list[s.NominationOut]:
    rows = list(rows)
    if not rows:
        return []
    known = names.of_nominations(conn, rows[0]["round_id"], rows[0]["constituency_id"])
    return [_nomination(conn, r, viewer, known.get(r["id"], {})) for r in rows]


def _viewer(conn: Connection, caller: Principal | None, row: RowMapping) -> Viewer:
    return profiles.viewer(conn, caller, row["constituency_id"])


def _names_out(known: Mapping[str, Named]) -> dict[str, s.NameOut]:
    return {i: s.NameOut.model_validate(n, from_attributes=True) for i, n in known.items()}


@router.put(BASE + "/rules", response_model=s.RulesOut)
async def publish_rules(
    round_id: str, constituency_id: str, body: s.RulesIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_coordinator_of(caller, constituency_id)
    data = body.model_dump()
    return await writer.run(
        lambda conn: s.RulesOut.model_validate(
            rules_store.publish_rules(conn, round_id, constituency_id, data, caller.credential_id)
        )
    )


@router.get(BASE + "/rules", response_model=s.RulesOut)
async def get_rules(
    round_id: str, constituency_id: str, svc: ServicesDep, caller: MaybeCaller
) -> s.RulesOut:
    def load(conn: Connection) -> s.RulesOut:
        seats_of(visible_round(rounds.get(conn, round_id), caller), constituency_id)
        return s.RulesOut.model_validate(rules_store.get(conn, round_id, constituency_id))

    return await read(svc, load)


def _may_nominate(caller: Principal, constituency_id: str) -> None:
    if caller.role is Role.COORDINATOR:
        require_coordinator_of(caller, constituency_id)
        return
    require_member(caller)
    if caller.constituency_id != constituency_id:
        raise Forbidden(
            N_("members of constituency %(constituency_id)s cannot act in %(constituency_id2)s"),
            constituency_id=caller.constituency_id,
            constituency_id2=constituency_id,
        )


@router.post(BASE + "/nominations", status_code=201, response_model=s.NominationSubmitted)
async def nominate(
    round_id: str,
    constituency_id: str,
    body: s.NominationIn,
    caller: Caller,
    writer: WriterDep,
) -> JSONResponse:
    _may_nominate(caller, constituency_id)
    data = body.model_dump()

    def work(conn: Connection) -> s.NominationSubmitted:
        seats_of(rounds.get(conn, round_id), constituency_id)  # takes part in the round
        done = nominations.nominate(conn, round_id, constituency_id, data, caller.credential_id)
        return s.NominationSubmitted(
            nomination=_nomination(conn, done.nomination, _viewer(conn, caller, done.nomination)),
            consent_token=done.consent_token,
        )

    return await writer.run(work, status=201)


@router.get(BASE + "/nominations", response_model=list[s.NominationOut])
async def list_nominations(
    round_id: str, constituency_id: str, svc: ServicesDep, caller: MaybeCaller
) -> list[s.NominationOut]:
    def load(conn: Connection) -> list[s.NominationOut]:
        visible_round(rounds.get(conn, round_id), caller)
        return _nominations(
            conn,
            nominations.list_for(conn, round_id, constituency_id),
            profiles.viewer(conn, caller, constituency_id),
        )

    return await read(svc, load)


@router.post(
    "/nominations/{nomination_id}/consent",
    response_model=s.NominationOut,
    responses={403: {"description": "forbidden: the token is not this nomination's"}},
)
async def consent(nomination_id: str, body: s.ConsentIn, writer: WriterDep) -> JSONResponse:
    """The nominee answers with the one-time token; opening a link never consents. An accepted
    consent may be withdrawn until nominations close."""

    def work(conn: Connection) -> s.NominationOut:
        if body.decision == "withdraw":
            return _nomination(
                conn, withdrawals.consent_by_nominee(conn, nomination_id, body.token)
            )
        return _nomination(
            conn,
            nominations.respond(conn, nomination_id, body.token, body.decision == "accept"),
        )

    return await writer.run(work)


@router.post(
    "/nominations/{nomination_id}/withdrawal",
    response_model=s.NominationOut,
    responses={403: {"description": "forbidden: not the organisation that made it"}},
)
async def withdraw_nomination(
    nomination_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """The organisation that made the nomination withdraws it, until nominations close; it
    stays listed as withdrawn."""
    require_member(caller)
    assert caller.organisation_id is not None
    org = caller.organisation_id

    def work(conn: Connection) -> s.NominationOut:
        row = withdrawals.nomination_by_nominator(conn, nomination_id, org, caller.credential_id)
        return _nomination(conn, row, _viewer(conn, caller, row))

    return await writer.run(work)


@router.post(
    "/nominations/{nomination_id}/endorsements/withdrawal",
    response_model=s.NominationOut,
    responses={404: {"description": "not_found: the caller's organisation does not endorse it"}},
)
async def withdraw_endorsement(
    nomination_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """The caller's organisation withdraws its endorsement, until nominations close."""
    require_member(caller)
    assert caller.organisation_id is not None
    org = caller.organisation_id

    def work(conn: Connection) -> s.NominationOut:
        row = withdrawals.endorsement_by_endorser(conn, nomination_id, org, caller.credential_id)
        return _nomination(conn, row, _viewer(conn, caller, row))

    return await writer.run(work)


@router.post(
    "/nominations/{nomination_id}/endorsements", status_code=201, response_model=s.NominationOut
)
async def endorse(nomination_id: str, caller: Caller, writer: WriterDep) -> JSONResponse:
    require_member(caller)

    def work(conn: Connection) -> s.NominationOut:
        row = nominations.get(conn, nomination_id)
        if caller.constituency_id != row["constituency_id"]:
            raise Forbidden(
                N_(
                    "members of constituency %(constituency_id)s cannot endorse in "
                    "%(constituency_id2)s"
                ),
                constituency_id=caller.constituency_id,
                constituency_id2=row["constituency_id"],
            )
        assert caller.organisation_id is not None
        return _nomination(
            conn,
            nominations.endorse(conn, nomination_id, caller.organisation_id, caller.credential_id),
            _viewer(conn, caller, row),
        )

    return await writer.run(work, status=201)


@router.post("/nominations/{nomination_id}/rejection", response_model=s.NominationOut)
async def reject(
    nomination_id: str, body: s.RejectionIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    def work(conn: Connection) -> s.NominationOut:
        row = nominations.get(conn, nomination_id)
        require_coordinator_of(caller, row["constituency_id"])
        return _nomination(
            conn,
            nominations.reject(
                conn, nomination_id, body.reason_code, body.reason, caller.credential_id
            ),
            _viewer(conn, caller, row),
        )

    return await writer.run(work)


@router.post(
    "/nominations/{nomination_id}/erasure",
    response_model=s.NominationOut,
    responses={
        403: {
            "description": "forbidden: the consent token is not this nomination's, or the "
            "bearer token is not the secretariat's"
        },
        409: {
            "description": "not_erasable: the nominee has not declined this nomination (only "
            "the secretariat erases it then); already_erased: its personal data are gone"
        },
    },
)
async def erase_nomination(
    nomination_id: str, body: ErasureIn, caller: MaybeCaller, writer: WriterDep
) -> JSONResponse:
    """Erase the nominee's name, statement, contact address and the profile's salt (and the
    attributes no count needs); log ``personal_data.erased`` {subject, id, reason}. The
    nominee, with the consent token and no bearer token, erases a nomination they declined
    (the reason logged is ``nominee``); the secretariat erases any, with a reason, which is
    published. The log kept only a salted commitment to the profile: the round's bundle then
    marks it erased, and still verifies."""
    if caller is None:
        if body.token is None:
            raise Unauthenticated(
                N_(
                    "erasing needs the nomination's consent token (the nominee) or the "
                    "secretariat's bearer token"
                )
            )
        token = body.token
        return await writer.run(
            lambda conn: _nomination(conn, erasure.by_nominee(conn, nomination_id, token))
        )
    require_secretariat(caller)
    reason = body.reason
    if reason is None or body.token is not None:
        raise InvalidInput(
            N_("the secretariat erases with a reason, which is published, and no consent token")
        )

    def work(conn: Connection) -> s.NominationOut:
        row = erasure.nomination_by_secretariat(conn, nomination_id, reason, caller.credential_id)
        return _nomination(conn, row, _viewer(conn, caller, row))

    return await writer.run(work)


def _after(row: RowMapping, phase: Phase, refusal: Message) -> None:
    """``refusal`` names ``phase`` and the round's ``current`` phase."""
    current = Phase(row["phase"])
    if current is not phase and not is_before(phase, current):
        raise WrongPhase(refusal, phase=phase.value, current=current.value)


@router.get(
    BASE + "/candidates",
    response_model=s.CandidatesOut,
    responses={409: {"description": "wrong_phase: the list is fixed once nominations close"}},
)
async def candidates(round_id: str, constituency_id: str, svc: ServicesDep) -> s.CandidatesOut:
    def load(conn: Connection) -> s.CandidatesOut:
        row = rounds.get(conn, round_id)
        _after(
            row,
            Phase.NOMINATIONS_CLOSED,
            N_("the candidate list is fixed once the round is %(phase)s; it is %(current)s"),
        )
        all_rows = nominations.list_for(conn, round_id, constituency_id)
        return s.CandidatesOut(
            round_id=round_id,
            constituency_id=constituency_id,
            standing=_nominations(conn, (r for r in all_rows if r["standing"])),
            not_standing=[
                s.NotStanding(
                    id=r["id"],
                    nominee_name=r["nominee_name"] if PUBLIC_VIEWER.sees(r) else None,
                    reason=r["not_standing_reason"] or "not decided",
                )
                for r in all_rows
                if not r["standing"]
            ],
        )

    return await read(svc, load)


@router.put(BASE + "/ballot", response_model=s.BallotCast)
async def cast_ballot(
    round_id: str, constituency_id: str, body: s.BallotIn, writer: AuthenticatingWriterDep
) -> JSONResponse:
    """Cast (or replace) the caller's ballot: straight to the database, no Temporal call; the
    caller's token is checked in the ballot's own transaction."""

    def work(conn: Connection, caller: Principal) -> s.BallotCast:
        require_member(caller)
        if caller.constituency_id != constituency_id:
            raise Forbidden(
                N_(
                    "members of constituency %(constituency_id)s cannot vote in "
                    "%(constituency_id2)s"
                ),
                constituency_id=caller.constituency_id,
                constituency_id2=constituency_id,
            )
        assert caller.organisation_id is not None
        done = ballots.cast(
            conn,
            round_id,
            constituency_id,
            caller.organisation_id,
            body.approvals,
            caller.credential_id,
            ranking=body.ranking,
        )
        return s.BallotCast(
            ballot_id=done.ballot_id,
            approvals=None if body.approvals is None else sorted(body.approvals),
            ranking=body.ranking,
            receipt=done.receipt,
        )

    return await writer.run_as(work)


@router.get(
    BASE + "/ballots",
    response_model=list[s.BallotOut],
    responses={409: {"description": "wrong_phase: ballots are published once voting closes"}},
)
async def list_ballots(round_id: str, constituency_id: str, svc: ServicesDep) -> list[s.BallotOut]:
    """The ballots, once voting has closed: an open ballot's in the order cast, each naming
    its voter; a secret ballot's counted ones in commitment order, naming none."""

    def load(conn: Connection) -> list[s.BallotOut]:
        _after(
            rounds.get(conn, round_id),
            Phase.VOTING_CLOSED,
            N_("ballots are published once the round is %(phase)s; it is %(current)s"),
        )
        rows = ballots.list_cast(conn, round_id, constituency_id)
        secret = rules_store.rules_for(conn, round_id, constituency_id).ballot_secrecy == SECRET
        if secret:
            rows = sorted(rows, key=lambda r: str(r["commitment"]))
        last: dict[str, int] = {_voter_key(r): r["id"] for r in rows}
        # Each name is read and built once, however many ballots mention it.
        named = _names_out(
            {
                **names.nominees(conn, round_id, constituency_id),
                **({} if secret else names.voters(conn, round_id, constituency_id)),
            }
        )
        return [
            s.BallotOut(
                ballot_id=None if secret else r["id"],
                voter_organisation_id=None if secret else r["voter_organisation_id"],
                approvals=r["approvals"],
                ranking=r["ranking"],
                receipt=r["entry_hash"],
                commitment=r["commitment"],
                cast_at=None if secret else r["cast_at"],
                counted=last[_voter_key(r)] == r["id"],
                names={
                    i: named[i]
                    for i in (r["voter_organisation_id"], *r["approvals"], *(r["ranking"] or []))
                    if i in named
                },
            )
            for r in rows
        ]

    return await read(svc, load)


def _voter_key(row: RowMapping) -> str:
    return str(row["voter_organisation_id"] or row["commitment"])


@router.get(
    BASE + "/voters",
    response_model=s.VotersOut,
    responses={409: {"description": "wrong_phase: who voted is published once voting closes"}},
)
async def list_voters(round_id: str, constituency_id: str, svc: ServicesDep) -> s.VotersOut:
    """Who voted, once voting has closed; under a secret ballot, the only place that says so."""

    def load(conn: Connection) -> s.VotersOut:
        _after(
            rounds.get(conn, round_id),
            Phase.VOTING_CLOSED,
            N_("who voted is published once the round is %(phase)s; it is %(current)s"),
        )
        rules = rules_store.rules_for(conn, round_id, constituency_id)
        named = names.voters(conn, round_id, constituency_id)
        return s.VotersOut(
            voters=sorted(named),
            ballot_secrecy="secret" if rules.ballot_secrecy == SECRET else "open",
            names=_names_out(named),
        )

    return await read(svc, load)


@router.get(BASE + "/outcome", response_model=s.OutcomeOut)
async def get_outcome(round_id: str, constituency_id: str, svc: ServicesDep) -> s.OutcomeOut:
    def load(conn: Connection) -> s.OutcomeOut:
        row = outcomes.get(conn, round_id, constituency_id)
        record = json.loads(row["record"])
        return s.OutcomeOut(
            round_id=round_id,
            constituency_id=constituency_id,
            record=record,
            canonical=row["record"],
            record_hash=row["record_hash"],
            envelope=json.loads(row["envelope"]),
            names=_outcome_names(conn, record),
        )

    return await read(svc, load)


@router.get(BASE + "/count", response_model=s.CountOut)
async def get_count(round_id: str, constituency_id: str, svc: ServicesDep) -> s.CountOut:
    """The count step by step, as an observer reads a results sheet: from the signed outcome."""

    def load(conn: Connection) -> s.CountOut:
        row = outcomes.get(conn, round_id, constituency_id)
        record = json.loads(row["record"])
        result = record["result"]
        method = result["method"]
        return s.CountOut(
            round_id=round_id,
            constituency_id=constituency_id,
            method=method,
            seats=result["seats"],
            winners=result["winners"],
            alternates=result["alternates"],
            unfilled=result["unfilled"],
            unfilled_reason=result["unfilled_reason"],
            steps=count_sheet.steps_with_decimals(method, result["steps"]),
            details=count_sheet.details_with_decimals(method, result.get("details", {})),
            seed=record["seed"],
            randomness=record.get("randomness"),
            record_hash=row["record_hash"],
            names=_outcome_names(conn, record),
            scores={
                cid: s.ScoreOut.model_validate(score, from_attributes=True)
                for cid, score in count_sheet.scores(result).items()
            },
        )

    return await read(svc, load)


def _outcome_names(conn: Connection, record: Mapping[str, Any]) -> dict[str, s.NameOut]:
    """The record's candidates and, for a designation, the coordinators its count names."""
    rid, cid = record["round_id"], record["constituency_id"]
    steps = record["result"]["steps"]
    known = {
        **names.nominees(conn, rid, cid, only=set(record["candidates"])),
        **names.coordinators(conn, cid, (x["coordinator"] for x in steps if "coordinator" in x)),
    }
    return _names_out(known)


@router.get("/rounds/{round_id}/bundle", tags=["verification"])
async def bundle(
    round_id: str,
    svc: ServicesDep,
    since: Annotated[
        list[int],
        Query(
            description="tree sizes of checkpoints you kept: the bundle then carries "
            "consistency proofs from each to its own checkpoint (`mandate verify --since`)"
        ),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
) -> dict[str, Any]:
    """Everything an auditor needs offline: `mandate verify` checks it."""
    return await settled(svc, lambda conn: bundles.export(conn, round_id, since))
