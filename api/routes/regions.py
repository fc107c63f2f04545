"""The region list organisations choose their region from."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Caller, ServicesDep, WriterDep, read
from api.region_schemas import RegionListIn, RegionListOut
from policies.access import require_secretariat
from store import regions

router = APIRouter(tags=["registry"])


@router.get("/regions", response_model=RegionListOut)
async def list_regions(svc: ServicesDep) -> RegionListOut:
    """The list in force (by default the UN M49 regions and sub-regions)."""
    return RegionListOut.of(await read(svc, regions.current))


@router.put("/regions", response_model=RegionListOut)
async def publish_regions(body: RegionListIn, caller: Caller, writer: WriterDep) -> JSONResponse:
    """Publish a new list (logged as ``regions.published``). A list that leaves out a code an
    organisation still has is refused (409 ``region_in_use``)."""
    require_secretariat(caller)
    return await writer.run(
        lambda conn: RegionListOut.of(
            regions.publish(conn, [r.region() for r in body.regions], caller.credential_id)
        )
    )
