"""Signing in and out: a one-time link mailed to a known address and confirmed by POST, or a
pasted API token; both start a session cookie (store/web_sessions.py)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from limits import parse_many
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import Connection

from policies.errors import CodeUnusable, MailBudgetSpent, NotFound, Unauthenticated
from store import outbox, rate_limits, web_sessions
from web import mail
from web.actions import write
from web.deps import SESSION_COOKIE, FormDep, ReaderDep, read
from web.errors import N_
from web.forms import Form
from web.pages import PageRoute, Reader, Web, redirect, render, set_cookie, web_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)

EMAIL_ERROR = N_("Enter an e-mail address in the right format, like name@example.org")
TOKEN_ERROR = N_("This token is not known or has been revoked")
TOKEN_MISSING = N_("Paste the token you were given")


def _ttl(web: Web) -> timedelta:
    return timedelta(seconds=web.svc.settings.web_session_ttl)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, who: ReaderDep) -> Response:
    return render(request, who, "sign_in.html", form=Form(), token_form=Form())


@router.post("/sign-in", response_class=HTMLResponse)
async def ask_for_link(request: Request, who: ReaderDep, data: FormDep) -> Response:
    form = Form.of(data, ["email"])
    try:
        email = _EMAIL.validate_python(form.value("email"))
    except ValidationError:
        form.fail("email", EMAIL_ERROR)
        return render(request, who, "sign_in.html", 422, form=form, token_form=Form())
    web = web_of(request)
    settings = web.svc.settings
    minutes = max(1, settings.web_sign_in_ttl // 60)
    budget = parse_many(settings.code_mails_per_recipient) if settings.rate_limits_enabled else []

    def work(conn: Connection) -> None:
        # Counted whether the address is known or not, so the budget tells nobody which is.
        recipient = web.svc.db.server_secret.mac("mandate.sign-in/1", email.casefold())
        over = rate_limits.hit(conn, budget, "sign-in-mail", "recipient", recipient)
        if over is not None:
            raise MailBudgetSpent(f"sign-in mails to this address: {over[0]}", over[1])
        token = web_sessions.request_link(
            conn, email, who.lang, timedelta(seconds=settings.web_sign_in_ttl)
        )
        if token is None:
            return
        subject, body = mail.sign_in(
            web.translations[who.lang], link=f"{settings.api_url}/sign-in/{token}", minutes=minutes
        )
        outbox.enqueue(
            conn,
            dedup_key=f"sign-in:{hashlib.sha256(token.encode()).hexdigest()}",
            purpose="sign_in",
            to=email,
            subject=subject,
            body=body,
        )

    await write(request, who, work)
    return redirect(request, "/sign-in/sent")


@router.get("/sign-in/sent", response_class=HTMLResponse)
async def link_sent(request: Request, who: ReaderDep) -> Response:
    minutes = max(1, web_of(request).svc.settings.web_sign_in_ttl // 60)
    return render(request, who, "sign_in_sent.html", minutes=minutes)


async def _link_page(request: Request, who: Reader, token: str, status: int = 200) -> Response:
    def load(conn: Connection) -> list[web_sessions.Identity]:
        link = web_sessions.open_link(conn, token)
        return web_sessions.identities(conn, link["email"])

    try:
        found = await read(web_of(request), load)
    except (NotFound, CodeUnusable):
        return render(request, who, "sign_in_link_unusable.html", 410)
    return render(request, who, "sign_in_link.html", status, identities=found, token=token)


@router.get("/sign-in/{token}", response_class=HTMLResponse)
async def open_link(token: str, request: Request, who: ReaderDep) -> Response:
    """Shows a button; only its POST signs in (mail scanners open links)."""
    return await _link_page(request, who, token)


def _signed_in(request: Request, token: str) -> Response:
    web = web_of(request)
    response = redirect(request, "/account")
    set_cookie(web, response, SESSION_COOKIE, token, int(_ttl(web).total_seconds()))
    return response


@router.post("/sign-in/{token}", response_class=HTMLResponse)
async def use_link(token: str, request: Request, who: ReaderDep, data: FormDep) -> Response:
    identity = str(data.get("identity", ""))
    ttl = _ttl(web_of(request))
    try:
        session_token, _ = await write(
            request, who, lambda conn: web_sessions.start_from_link(conn, token, identity, ttl)
        )
    except (NotFound, CodeUnusable):
        return render(request, who, "sign_in_link_unusable.html", 410)
    return _signed_in(request, session_token)


@router.post("/sign-in-with-token", response_class=HTMLResponse)
async def use_token(request: Request, who: ReaderDep, data: FormDep) -> Response:
    form = Form.of(data, ["token"])
    if not form.value("token"):
        form.fail("token", TOKEN_MISSING)
        return render(request, who, "sign_in.html", 422, form=Form(), token_form=form)
    ttl = _ttl(web_of(request))
    try:
        session_token, _ = await write(
            request,
            who,
            lambda conn: web_sessions.start_from_token(conn, form.value("token"), ttl),
        )
    except Unauthenticated:
        form.values["token"] = ""  # never shown back
        form.fail("token", TOKEN_ERROR)
        return render(request, who, "sign_in.html", 422, form=Form(), token_form=form)
    return _signed_in(request, session_token)


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request, who: ReaderDep) -> Response:
    if who.principal is None:
        return redirect(request, "/sign-in")
    return render(request, who, "account.html")


@router.post("/sign-out")
async def sign_out(request: Request, who: ReaderDep, data: FormDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and who.principal is not None:
        await write(request, who, lambda conn: web_sessions.end(conn, token))
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
