"""Who am I, and revoking tokens."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from api import schemas as s
from api.deps import Caller, ServicesDep, WriterDep, read
from policies.access import Role, require_credential_manager
from policies.errors import Forbidden
from policies.messages import N_
from store import credentials

router = APIRouter(tags=["credentials"])


@router.get("/me", response_model=s.Me)
async def me(caller: Caller) -> s.Me:
    return s.Me(
        credential_id=caller.credential_id,
        role=caller.role,
        constituency_id=caller.constituency_id,
        organisation_id=caller.organisation_id,
        coordinator_id=caller.coordinator_id,
    )


@router.get("/credentials", response_model=list[s.CredentialOut])
async def list_credentials(caller: Caller, svc: ServicesDep) -> list[s.CredentialOut]:
    if caller.role is Role.SECRETARIAT:
        rows = await read(svc, credentials.list_for)
    elif caller.role is Role.COORDINATOR:
        rows = await read(svc, lambda c: credentials.list_for(c, caller.constituency_id))
    else:
        raise Forbidden(N_("members cannot list credentials"))
    return [s.CredentialOut.model_validate(r) for r in rows]


@router.delete("/credentials/{credential_id}", response_model=s.CredentialOut)
async def revoke_credential(credential_id: str, caller: Caller, writer: WriterDep) -> JSONResponse:
    def work(conn: Connection) -> s.CredentialOut:
        target = credentials.get(conn, credential_id)
        require_credential_manager(caller, Role(target["role"]), target["constituency_id"])
        return s.CredentialOut.model_validate(
            credentials.revoke(conn, credential_id, caller.credential_id)
        )

    return await writer.run(work)
