"""Health and the published public keys."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api import schemas as s
from api.deps import ServicesDep, read
from records.keys import public_key_to_b64

router = APIRouter(tags=["meta"])


@router.get("/healthz")
async def healthz(svc: ServicesDep) -> dict[str, str]:
    await read(svc, lambda c: c.execute(text("SELECT 1")).scalar_one())
    return {"status": "ok", "temporal": "connected" if svc.temporal else "connecting"}


@router.get("/v1/keys", response_model=list[s.KeyOut])
async def keys(svc: ServicesDep) -> list[s.KeyOut]:
    return [
        s.KeyOut(
            key_id=svc.signer.key_id,
            algorithm="ed25519",
            purpose="records",
            public_key=public_key_to_b64(svc.signer.public_key),
        )
    ]
