"""Health and the published key list."""

from __future__ import annotations

from fastapi import APIRouter

from api import health
from api import schemas as s
from api.deps import ServicesDep, read
from api.openapi import ERROR_SCHEMA
from records.keylist import KEYLIST_FORMAT
from records.note import NoteVerifier
from store import keys as key_store

router = APIRouter(tags=["meta"])


@router.get("/healthz", response_model=health.HealthOut)
async def healthz(svc: ServicesDep) -> health.HealthOut:
    """Whether the database, Temporal and a worker are reachable. Answers 200 whenever the API
    itself runs (a liveness probe); ``status`` says whether all of it is there."""
    return await health.check(svc)


@router.get(
    "/readyz",
    response_model=health.HealthOut,
    responses={
        503: {
            "description": "service_unavailable: still starting, or a part is out of reach "
            "(the detail names which)",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
            },
        }
    },
)
async def readyz(svc: ServicesDep) -> health.HealthOut:
    """200 once the database answers, Temporal is connected and a worker polls the task
    queue (a readiness probe); 503 until then."""
    found = await health.check(svc)
    health.require_ready(found)
    return found


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
