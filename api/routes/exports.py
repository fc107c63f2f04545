"""Open data: a round's or a campaign's public files (CSV, JSON, BLT), each listed with its
SHA-256 in a manifest signed by the records key, so a file kept today can be checked later
(``mandate verify MANIFEST``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from api.deps import MaybeCaller, ServicesDep, read
from api.routes.rounds import visible_round
from policies.errors import InvalidInput, NotFound, ServiceUnavailable
from policies.messages import N_
from policies.times import iso
from records.export_manifest import manifest, sign_manifest
from store import exports, rounds
from store.db import utcnow

router = APIRouter(tags=["open data"])

MEDIA = {".csv": "text/csv; charset=utf-8", ".json": "application/json", ".blt": "text/plain"}


class ExportFile(BaseModel):
    name: str
    size: int
    sha256: str
    url: str


class ExportsOut(BaseModel):
    files: list[ExportFile]
    manifest: dict[str, Any] = Field(
        description="the signed record (mandate.exports/1): each file's name, size and SHA-256"
    )
    envelope: dict[str, Any] = Field(
        description="the manifest as a DSSE envelope signed by the records key; save it as a "
        "file beside the downloaded files and run `mandate verify` on it"
    )


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file",
        # CSV and BLT are text; a JSON file is a list of objects.
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    },
    404: {"description": "not_found: no such round, campaign or file (yet)"},
}


@router.get(
    "/rounds/{round_id}/exports",
    response_model=ExportsOut,
    responses={404: {"description": "not_found: no published round with this id"}},
)
async def round_exports(round_id: str, svc: ServicesDep, caller: MaybeCaller) -> ExportsOut:
    """What the round has made public, as files: nominations (public profiles only, never a
    contact address), the notices sent to member organisations (who was told what and when,
    never an address), results, and ranked ballots as BLT once voting has closed."""

    def files(conn: Connection, as_of: datetime) -> dict[str, bytes]:
        visible_round(rounds.get(conn, round_id), caller)
        return exports.round_files(conn, round_id, as_of)

    return await _manifest(
        svc, f"round:{round_id}", f"/v1/rounds/{round_id}/exports", files, snapshot=True
    )


SETTLED = timedelta(seconds=5)  # far longer than any write transaction takes
MOMENT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("as_of is not a moment: %(as_of)s"), as_of=repr(text)) from None


@router.get("/rounds/{round_id}/exports/{name}", response_class=Response, responses=FILE_RESPONSES)
async def round_export(
    round_id: str,
    name: str,
    svc: ServicesDep,
    caller: MaybeCaller,
    as_of: Annotated[
        str | None,
        Query(
            description="the manifest's time, as its file URLs carry it (RFC 3339, e.g. "
            "2027-03-01T12:00:00.5Z): the file as it was then",
            pattern=MOMENT,
        ),
    ] = None,
) -> Response:
    moment = utcnow() if as_of is None else _moment(as_of)

    def files(conn: Connection) -> dict[str, bytes]:
        visible_round(rounds.get(conn, round_id), caller)
        return exports.round_files(conn, round_id, moment)

    return await _file(svc, name, files)


@router.get(
    "/campaigns/{campaign_id}/exports",
    response_model=ExportsOut,
    responses={404: {"description": "not_found: no campaign, or no signatory list yet"}},
)
async def campaign_exports(campaign_id: str, svc: ServicesDep) -> ExportsOut:
    """The published signatory list, as CSV and JSON."""
    return await _manifest(
        svc,
        f"campaign:{campaign_id}",
        f"/v1/campaigns/{campaign_id}/exports",
        lambda conn, _: exports.campaign_files(conn, campaign_id),
    )


@router.get(
    "/campaigns/{campaign_id}/exports/{name}", response_class=Response, responses=FILE_RESPONSES
)
async def campaign_export(campaign_id: str, name: str, svc: ServicesDep) -> Response:
    return await _file(svc, name, lambda conn: exports.campaign_files(conn, campaign_id))


async def _manifest(
    svc: ServicesDep,
    subject: str,
    base: str,
    files_of: Callable[[Connection, datetime], dict[str, bytes]],
    snapshot: bool = False,
) -> ExportsOut:
    """The signed manifest of the files as they are now. With ``snapshot``, each file's URL
    names this moment, so that a file that changes later (the notices) is fetched as listed."""

    def load(conn: Connection) -> ExportsOut:
        now = utcnow()
        # A write that began before now may not have committed yet: the files stand as of a
        # moment every write before it has settled, so that fetching them later gives the same.
        as_of = now - SETTLED if snapshot else now
        files = files_of(conn, as_of)
        statement = manifest(subject, iso(now), files)
        query = f"?as_of={quote(iso(as_of))}" if snapshot else ""
        ring = svc.db.keyring
        if ring is None:
            raise ServiceUnavailable(
                N_("this deployment holds no signing keys: run mandate bootstrap")
            )
        envelope = sign_manifest(ring.signer_for(conn, "records", now), statement)
        return ExportsOut(
            files=[
                ExportFile(**line, url=f"{base}/{line['name']}{query}")
                for line in statement["files"]
            ],
            manifest=statement,
            envelope=envelope.to_json(),
        )

    return await read(svc, load)


async def _file(
    svc: ServicesDep, name: str, files_of: Callable[[Connection], dict[str, bytes]]
) -> Response:
    files = await read(svc, files_of)
    if name not in files:
        raise NotFound(
            N_("no file %(name)s here; there are: %(files)s"),
            name=repr(name),
            files=", ".join(sorted(files)) or N_("none"),
        )
    media = MEDIA.get(name[name.rfind(".") :], "application/octet-stream")
    return Response(
        files[name],
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
