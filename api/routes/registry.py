"""Organisations, constituencies, coordinators and members."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, RowMapping

from api import schemas as s
from api.deps import Caller, MaybeCaller, ServicesDep, WriterDep, read
from policies.access import Principal, Role, require_coordinator_of, require_secretariat
from store import credentials, registry

router = APIRouter(tags=["registry"])


def _organisation(row: RowMapping, caller: Principal | None) -> s.OrganisationOut:
    # Contact addresses are personal data: only the secretariat sees them.
    show_email = caller is not None and caller.role is Role.SECRETARIAT
    data: dict[str, Any] = dict(row)
    data["contact_email"] = row["contact_email"] if show_email else None
    return s.OrganisationOut.model_validate(data)


@router.post("/organisations", status_code=201, response_model=s.OrganisationOut)
async def register_organisation(
    body: s.OrganisationIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    """Register an organisation. One with the same name (ignoring case, accents, punctuation
    and spacing) and country is refused, 409 ``duplicate_organisation`` naming it, unless
    ``namesake_of`` names it and ``reason`` says why this one is another organisation."""
    require_secretariat(caller)
    data = body.model_dump(exclude={"namesake_of", "reason"})
    return await writer.run(
        lambda conn: _organisation(
            registry.register_organisation(
                conn,
                data,
                caller.credential_id,
                namesake_of=body.namesake_of,
                reason=body.reason,
            ),
            caller,
        ),
        status=201,
    )


@router.get("/organisations", response_model=list[s.OrganisationOut])
async def list_organisations(svc: ServicesDep, caller: MaybeCaller) -> list[s.OrganisationOut]:
    rows = await read(svc, registry.list_organisations)
    return [_organisation(r, caller) for r in rows]


@router.get("/organisations/{organisation_id}", response_model=s.OrganisationOut)
async def get_organisation(
    organisation_id: str, svc: ServicesDep, caller: MaybeCaller
) -> s.OrganisationOut:
    row = await read(svc, lambda c: registry.get_organisation(c, organisation_id))
    return _organisation(row, caller)


@router.post("/constituencies", status_code=201, response_model=s.ConstituencyOut)
async def create_constituency(
    body: s.ConstituencyIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    return await writer.run(
        lambda conn: s.ConstituencyOut.model_validate(
            registry.create_constituency(conn, body.name, body.description, caller.credential_id)
        ),
        status=201,
    )


@router.get("/constituencies", response_model=list[s.ConstituencyOut])
async def list_constituencies(svc: ServicesDep) -> list[s.ConstituencyOut]:
    rows = await read(svc, registry.list_constituencies)
    return [s.ConstituencyOut.model_validate(r) for r in rows]


@router.get("/constituencies/{constituency_id}", response_model=s.ConstituencyDetail)
async def get_constituency(constituency_id: str, svc: ServicesDep) -> s.ConstituencyDetail:
    def load(conn: Connection) -> s.ConstituencyDetail:
        row = registry.get_constituency(conn, constituency_id)
        members = [
            s.MemberOut.model_validate({**m, "organisation_id": m["id"]})
            for m in registry.list_members(conn, constituency_id)
        ]
        coordinators = [
            s.CoordinatorOut.model_validate(k)
            for k in registry.list_coordinators(conn, constituency_id)
        ]
        return s.ConstituencyDetail.model_validate(
            {**row, "members": members, "coordinators": coordinators}
        )

    return await read(svc, load)


@router.post(
    "/constituencies/{constituency_id}/coordinators",
    status_code=201,
    response_model=s.CoordinatorIssued,
)
async def name_coordinator(
    constituency_id: str, body: s.CoordinatorIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_secretariat(caller)
    return await writer.run(
        lambda conn: appoint_coordinator(conn, constituency_id, body, caller.credential_id),
        status=201,
    )


def appoint_coordinator(
    conn: Connection, constituency_id: str, body: s.CoordinatorIn, actor: str
) -> s.CoordinatorIssued:
    """Name the coordinator and issue their token (shown once)."""
    row = registry.add_coordinator(
        conn, constituency_id, body.name, str(body.email), body.organisation_id, actor
    )
    issued = credentials.issue(
        conn,
        Role.COORDINATOR,
        f"coordinator {body.name}",
        actor,
        constituency_id=constituency_id,
        organisation_id=body.organisation_id,
        coordinator_id=row["id"],
    )
    return s.CoordinatorIssued(
        coordinator=s.CoordinatorOut.model_validate(row),
        credential=s.CredentialOut.model_validate(issued.credential),
        token=issued.token,
    )


@router.post(
    "/constituencies/{constituency_id}/members", status_code=201, response_model=s.MembershipOut
)
async def admit_member(
    constituency_id: str, body: s.MemberIn, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_coordinator_of(caller, constituency_id)
    return await writer.run(
        lambda conn: s.MembershipOut.model_validate(
            registry.admit_member(conn, constituency_id, body.organisation_id, caller.credential_id)
        ),
        status=201,
    )


@router.delete(
    "/constituencies/{constituency_id}/members/{organisation_id}", response_model=s.MembershipOut
)
async def remove_member(
    constituency_id: str, organisation_id: str, caller: Caller, writer: WriterDep
) -> JSONResponse:
    require_coordinator_of(caller, constituency_id)
    return await writer.run(
        lambda conn: s.MembershipOut.model_validate(
            remove(conn, constituency_id, organisation_id, caller.credential_id)
        )
    )


def remove(conn: Connection, constituency_id: str, organisation_id: str, actor: str) -> RowMapping:
    """Remove the member; its tokens (and web sessions) for this constituency stop working at
    once. The membership row, with its removal time."""
    registry.remove_member(conn, constituency_id, organisation_id, actor)
    for cred in credentials.list_for(conn, constituency_id, Role.MEMBER):
        if cred["organisation_id"] == organisation_id and cred["revoked_at"] is None:
            credentials.revoke(conn, cred["id"], actor)
    return registry.membership_row(conn, constituency_id, organisation_id)


@router.post(
    "/constituencies/{constituency_id}/members/{organisation_id}/tokens",
    status_code=201,
    response_model=s.TokenIssued,
)
async def issue_member_token(
    constituency_id: str,
    organisation_id: str,
    body: s.MemberTokenIn,
    caller: Caller,
    writer: WriterDep,
) -> JSONResponse:
    require_coordinator_of(caller, constituency_id)

    def work(conn: Connection) -> s.TokenIssued:
        registry.get_organisation(conn, organisation_id)
        registry.require_member(conn, constituency_id, organisation_id)
        issued = credentials.issue(
            conn,
            Role.MEMBER,
            body.label,
            caller.credential_id,
            constituency_id=constituency_id,
            organisation_id=organisation_id,
        )
        return s.TokenIssued(
            credential=s.CredentialOut.model_validate(issued.credential), token=issued.token
        )

    return await writer.run(work, status=201)
