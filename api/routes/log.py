"""The log over HTTP, no token needed: checkpoints, entries, inclusion and consistency proofs.

Proofs are RFC 6962 (SHA-256) with base64 hashes; checkpoints are C2SP signed notes; a single
entry's proof can be had in the C2SP tlog-proof format, for tools other than ours.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy import Connection

from api import schemas as s
from api.deps import ServicesDep, read
from policies.errors import InvalidInput
from policies.messages import N_
from store import log

router = APIRouter(prefix="/log", tags=["log"])

MAX_ENTRIES = 1000
Size = Annotated[int, Query(ge=0, le=2**53 - 1)]
NOTE = "text/plain; charset=utf-8"


# The integrator signs a checkpoint within seconds of a write; until then there is none.
NO_CHECKPOINT = "not_found: no checkpoint is signed yet"


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("", response_model=s.LogInfoOut, responses={404: {"description": NO_CHECKPOINT}})
async def info(svc: ServicesDep) -> s.LogInfoOut:
    """The latest checkpoint, parsed, with the note as signed."""
    signed = await read(svc, log.require_checkpoint)
    return s.LogInfoOut(
        origin=signed.origin,
        size=signed.size,
        root_hash=signed.root_hash,
        key_id=signed.key_id,
        checkpoint=signed.note,
    )


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={404: {"description": NO_CHECKPOINT + ", or none of that size"}},
)
async def checkpoint(svc: ServicesDep, size: Size | None = None) -> PlainTextResponse:
    """A signed checkpoint note (C2SP tlog-checkpoint): the latest, or the one of ``size``."""
    signed = await read(svc, lambda conn: log.require_checkpoint(conn, size))
    return PlainTextResponse(signed.note, media_type=NOTE)


@router.get("/entries", response_model=s.LogEntriesOut)
async def entries(svc: ServicesDep, start: Size = 0, end: Size | None = None) -> s.LogEntriesOut:
    """Integrated entries with indexes in ``[start, end)``, at most 1000 at a time."""
    stop = start + MAX_ENTRIES if end is None else end
    if stop < start or stop - start > MAX_ENTRIES:
        raise InvalidInput(
            N_("got the range [%(start)s, %(stop)s); ask for 0 to %(max_entries)s entries"),
            start=start,
            stop=stop,
            max_entries=MAX_ENTRIES,
        )
    found = await read(svc, lambda conn: log.entries(conn, start, stop))
    return s.LogEntriesOut(
        entries=[
            s.IndexedEntryOut(index=e.index, envelope=e.envelope, leaf_hash=e.leaf_hash)
            for e in found
        ],
        next_start=found[-1].index + 1 if found else None,
    )


@router.get(
    "/proof/inclusion",
    response_model=s.InclusionProofOut,
    responses={
        404: {
            "description": NO_CHECKPOINT + ", or none of that size; no entry with that leaf "
            "hash, or the entry is not in that tree"
        }
    },
)
async def inclusion(
    svc: ServicesDep,
    index: Size | None = None,
    leaf_hash: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$")] = None,
    size: Size | None = None,
) -> s.InclusionProofOut:
    """Inclusion of one entry, by index or leaf hash, in the latest or a given checkpoint."""
    if (index is None) == (leaf_hash is None):
        raise InvalidInput(N_("give exactly one of index and leaf_hash"))

    def load(conn: Connection) -> s.InclusionProofOut:
        signed = log.require_checkpoint(conn, size)
        at = index if index is not None else log.index_of(conn, str(leaf_hash))
        entry = log.entries(conn, at, at + 1)
        return s.InclusionProofOut(
            index=at,
            size=signed.size,
            leaf_hash=entry[0].leaf_hash if entry else "",
            proof=_b64(log.inclusion(conn, at, signed.size)),
            checkpoint=signed.note,
        )

    return await read(svc, load)


@router.get(
    "/proof/consistency",
    response_model=s.ConsistencyProofOut,
    responses={404: {"description": NO_CHECKPOINT + ", or none of size ``new``"}},
)
async def consistency(
    svc: ServicesDep, old: Size, new: Size | None = None
) -> s.ConsistencyProofOut:
    """That the tree of size ``old`` is a prefix of the tree of size ``new`` (latest if unset)."""

    def load(conn: Connection) -> s.ConsistencyProofOut:
        signed = log.require_checkpoint(conn, new)
        if old > signed.size:
            raise InvalidInput(
                N_("old=%(old)s is larger than the checkpoint's size %(size)s"),
                old=old,
                size=signed.size,
            )
        return s.ConsistencyProofOut(
            old_size=old,
            new_size=signed.size,
            proof=_b64(log.consistency(conn, old, signed.size)),
            checkpoint=signed.note,
        )

    return await read(svc, load)


@router.get("/entries/{index}/tlog-proof", response_class=PlainTextResponse)
async def tlog_proof(index: int, svc: ServicesDep) -> PlainTextResponse:
    """The entry's inclusion in the latest checkpoint, in the C2SP tlog-proof format."""
    if not 0 <= index <= 2**53 - 1:
        raise InvalidInput(N_("got index %(index)s, expected 0 or more"), index=index)
    return PlainTextResponse(
        await read(svc, lambda conn: log.tlog_proof(conn, index)), media_type=NOTE
    )
