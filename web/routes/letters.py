"""Designation letters as pages: a confirmed speaker's letter, printable (a print stylesheet,
no script) and as a PDF in the page's language, and the public page where anyone (an
embassy, a forum's organisers) types a letter's code to check it against the signed records.
The letter's own words come from the API's catalog (api/letter_text.py), the same as the PDF."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api.letter_text import said
from api.routes.letters import pdf_of
from i18n.languages import DEFAULT
from policies.errors import InvalidInput, NotFound
from store import letters
from store.letters import Letter
from web import i18n
from web.deps import ReaderDep, read
from web.pages import PageRoute, Reader, Web, render, web_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LETTER = "/rounds/{round_id}/constituencies/{constituency_id}/letters/{nomination_id}"
CHECK = "/letters"


def page_path(letter: Letter) -> str:
    s = letter.statement
    return LETTER.format(
        round_id=s["round_id"],
        constituency_id=s["constituency_id"],
        nomination_id=s["nomination_id"],
    )


def of_round(conn: Connection, round_id: str, constituencies: list[str]) -> dict[str, list[Letter]]:
    """Each constituency's letters (none before its seats are confirmed), for the round page."""
    return {cid: letters.of_constituency(conn, round_id, cid) for cid in constituencies}


def _said(web: Web, who: Reader, letter: Letter) -> object:
    translator = None if who.lang == DEFAULT else web.svc.catalogs[who.lang]
    return said(letter, web.svc.settings.api_url, translator)


@router.get(LETTER, response_class=HTMLResponse)
async def letter_page(
    round_id: str, constituency_id: str, nomination_id: str, request: Request, who: ReaderDep
) -> Response:
    web = web_of(request)
    letter = await read(
        web, lambda conn: letters.get(conn, round_id, constituency_id, nomination_id)
    )
    return render(
        request,
        who,
        "letter.html",
        letter=letter,
        said=_said(web, who, letter),
        pdf=page_path(letter) + "/pdf",
        rtl=i18n.text_direction(who.lang) == "rtl",
    )


@router.get(LETTER + "/pdf")
async def letter_pdf(
    round_id: str, constituency_id: str, nomination_id: str, request: Request, who: ReaderDep
) -> Response:
    web = web_of(request)
    letter = await read(
        web, lambda conn: letters.get(conn, round_id, constituency_id, nomination_id)
    )
    body = await run_in_threadpool(pdf_of, letter, web.svc, who.lang)
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="letter-{letter.code}.pdf"',
            "Content-Language": who.lang,
        },
    )


@router.get(CHECK, response_class=HTMLResponse)
async def check_page(request: Request, who: ReaderDep, code: str = "") -> Response:
    given = code.strip()[:60]
    found: Letter | None = None
    error = None  # format | unknown
    if given:
        web = web_of(request)
        try:
            found = await read(web, lambda conn: letters.find(conn, given))
        except InvalidInput:
            error = "format"
        except NotFound:
            error = "unknown"
    return render(
        request,
        who,
        "letter_check.html",
        given=given,
        found=found,
        error=error,
        letter_path=None if found is None else page_path(found),
    )
