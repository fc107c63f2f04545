"""What every page handler gets: the reader (language, time zone, session, CSRF token), and
forms whose CSRF token has been checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.datastructures import FormData

from api.deps import Services
from api.deps import read as api_read
from policies.access import Principal, Role
from policies.errors import Unauthenticated
from store import registry, web_sessions
from store.web_sessions import Session
from web import security
from web.errors import csrf_failed
from web.pages import Reader, Web, basic_reader, web_of

SESSION_COOKIE = "mandate_session"
T = TypeVar("T")


async def read(web: Web, work: Callable[[Connection], T]) -> T:
    """``work`` in a read transaction, off the event loop (as the API reads)."""
    return await api_read(web.svc, work)


def _identity(conn: Connection, principal: Principal) -> str:
    """Who is signed in, as a page names them."""
    if principal.role is Role.MEMBER and principal.organisation_id:
        return str(registry.get_organisation(conn, principal.organisation_id)["name"])
    if principal.role is Role.COORDINATOR and principal.coordinator_id:
        return str(registry.get_coordinator(conn, principal.coordinator_id)["name"])
    return principal.role.value


async def reader(request: Request) -> Reader:
    web = web_of(request)
    found = basic_reader(request)
    token = request.cookies.get(SESSION_COOKIE)
    session: Session | None = None
    if token:

        def load(conn: Connection) -> tuple[Session | None, str | None]:
            live = web_sessions.current(conn, token)
            return live, None if live is None else _identity(conn, live.principal)

        session, found.identity = await read(web, load)
    secret = web.svc.db.server_secret
    if session is not None:
        found.principal, found.session_id = session.principal, session.id
        found.csrf = security.csrf_token(secret, session_id=session.id, nonce=None)
    else:
        nonce = request.cookies.get(security.CSRF_COOKIE)
        if not nonce:
            nonce = security.new_nonce()
            found.cookies[security.CSRF_COOKIE] = nonce
        found.csrf = security.csrf_token(secret, session_id=None, nonce=nonce)
    request.state.reader = found  # error pages speak the reader's language
    return found


ReaderDep = Annotated[Reader, Depends(reader)]


async def form(request: Request, who: ReaderDep) -> FormData:
    """The POSTed form, once its CSRF token matches the reader's; else a 403 page.

    A first visit's nonce cookie is only being set by this very response, so a POST that
    carries none cannot match."""
    data = await request.form(max_files=0, max_fields=50)
    if security.CSRF_COOKIE in who.cookies or not security.csrf_ok(
        who.csrf, data.get(security.CSRF_FIELD)
    ):
        raise csrf_failed()
    return data


FormDep = Annotated[FormData, Depends(form)]


def signed_in(who: Reader) -> Principal:
    if who.principal is None:
        raise Unauthenticated("this page needs you to be signed in")
    return who.principal


def services(request: Request) -> Services:
    return web_of(request).svc
