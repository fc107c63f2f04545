"""Health and the published key list."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api import schemas as s
from api.deps import ServicesDep, read
from records.keylist import KEYLIST_FORMAT
from records.note import NoteVerifier
from store import keys as key_store

router = APIRouter(tags=["meta"])


@router.get("/healthz")
async def healthz(svc: ServicesDep) -> dict[str, str]:
    await read(svc, lambda c: c.execute(text("SELECT 1")).scalar_one())
    return {"status": "ok", "temporal": "connected" if svc.temporal else "connecting"}


@router.get("/v1/keys", response_model=s.KeyListOut, tags=["log"])
async def keys(svc: ServicesDep) -> s.KeyListOut:
    """Which key may sign what, and when: the same list the log holds (``keys.published``)."""
    listed = await read(svc, key_store.key_list)
    origin = svc.settings.log_origin
    return s.KeyListOut(
        format=KEYLIST_FORMAT,
        keys=[
            s.ListedKeyOut(
                key_id=k.key_id,
                public_key=k.public_key,
                purpose=k.purpose,
                valid_from=k.valid_from,
                valid_until=k.valid_until,
                status=k.status,
            )
            for k in listed.keys
        ],
        origin=origin,
        checkpoint_verifier_keys=[
            NoteVerifier(origin, k.ed25519().public_bytes_raw()).key()
            for k in listed.keys
            if k.purpose == "checkpoints" and k.status != "revoked"
        ],
    )
