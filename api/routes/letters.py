"""Designation letters: each confirmed speaker's letter (JSON, PDF) and the public check of a
letter's code against the signed records. Public, like the outcome and the profiles they
state; a letter exists once its round is decided (and its seats confirmed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api.deps import Language, Services, ServicesDep, read
from api.letter_pdf import letter_pdf
from api.letter_text import check_url, said
from api.routes.selection import BASE
from i18n.languages import DEFAULT
from store import letters
from store.letters import Letter

router = APIRouter(tags=["letters"])

PDF = "application/pdf"
NOT_DECIDED: dict[int | str, dict[str, Any]] = {
    409: {"description": "wrong_phase: the round is not decided yet"}
}
NO_LETTER: dict[int | str, dict[str, Any]] = {
    404: {"description": "not_found: no such round, outcome or seat holder"}
}


class LetterOut(BaseModel):
    code: str = Field(description="the letter's short code, XXXX-XXXX-XXXX")
    letter_hash: str = Field(description="SHA-256 of the statement's canonical JSON")
    statement: dict[str, Any] = Field(
        description="what the letter states (mandate.letter/1), computed from the round's "
        "signed criteria, outcome and profile commitment; the code is its hash's first 60 bits"
    )
    constituency_name: str
    speaker_name: str | None = Field(description="while the speaker's profile is public")
    profile: str = Field(description="public, private or erased")
    check_url: str = Field(description="the public page that checks the code")
    pdf_url: str


class LetterCheckOut(BaseModel):
    valid: bool = Field(description="true: the code is a letter of a signed outcome")
    letter: LetterOut


def _out(letter: Letter, base: str) -> LetterOut:
    s = letter.statement
    return LetterOut(
        code=letter.code,
        letter_hash=letter.hash,
        statement=s,
        constituency_name=letter.constituency_name,
        speaker_name=letter.speaker_name,
        profile=letter.profile,
        check_url=check_url(base, letter.code),
        pdf_url=f"{base}/v1/rounds/{s['round_id']}/constituencies/{s['constituency_id']}"
        f"/letters/{s['nomination_id']}/pdf",
    )


@router.get(
    BASE + "/letters", response_model=list[LetterOut], responses={**NOT_DECIDED, **NO_LETTER}
)
async def list_letters(round_id: str, constituency_id: str, svc: ServicesDep) -> list[LetterOut]:
    """The letters of a constituency's confirmed speakers, in seat order."""
    found = await read(svc, lambda c: letters.of_constituency(c, round_id, constituency_id))
    return [_out(letter, svc.settings.api_url) for letter in found]


@router.get(
    BASE + "/letters/{nomination_id}",
    response_model=LetterOut,
    responses={**NOT_DECIDED, **NO_LETTER},
)
async def get_letter(
    round_id: str, constituency_id: str, nomination_id: str, svc: ServicesDep
) -> LetterOut:
    """One speaker's letter."""
    letter = await read(svc, _one(round_id, constituency_id, nomination_id))
    return _out(letter, svc.settings.api_url)


@router.get(
    BASE + "/letters/{nomination_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}},
        503: {"description": "service_unavailable: the letters' font is missing"},
        **NOT_DECIDED,
        **NO_LETTER,
    },
)
async def letter_as_pdf(
    round_id: str, constituency_id: str, nomination_id: str, svc: ServicesDep, lang: Language
) -> Response:
    """One speaker's letter as a PDF, in the caller's language (Accept-Language)."""
    letter = await read(svc, _one(round_id, constituency_id, nomination_id))
    body = await run_in_threadpool(pdf_of, letter, svc, lang)
    return Response(
        body,
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="letter-{letter.code}.pdf"',
            "Content-Language": lang,
        },
    )


@router.get(
    "/letters/{code}",
    response_model=LetterCheckOut,
    responses={
        404: {"description": "not_found: no letter of a signed outcome has this code"},
        422: {"description": "invalid_input: not a letter code"},
    },
)
async def check_letter(code: str, svc: ServicesDep) -> LetterCheckOut:
    """Check a letter's code: the letter it belongs to, recomputed from the signed records.
    Letters are public; anyone (an embassy, a forum's organisers) may ask."""
    letter = await read(svc, lambda c: letters.find(c, code))
    return LetterCheckOut(valid=True, letter=_out(letter, svc.settings.api_url))


def pdf_of(letter: Letter, svc: Services, lang: str) -> bytes:
    translator = None if lang == DEFAULT else svc.catalogs[lang]
    return letter_pdf(
        said(letter, svc.settings.api_url, translator), lang, svc.settings.letter_font
    )


def _one(round_id: str, constituency_id: str, nomination_id: str) -> Any:
    def work(conn: Connection) -> Letter:
        return letters.get(conn, round_id, constituency_id, nomination_id)

    return work
