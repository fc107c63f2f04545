"""Rendering pages: one Jinja2 environment per language, who reads, and error pages.

Everything here is built once at startup and kept on ``app.state.web``; a request reads it and
never changes it.
"""

from __future__ import annotations

import gettext
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.deps import Services
from api.errors import status_for
from mandate.settings import Settings
from policies.access import Principal
from policies.errors import DomainError
from store.db import utcnow
from web import i18n, static
from web.errors import PageError, explain

log = logging.getLogger(__name__)

TEMPLATES = static.STATIC_DIR.parent / "templates"
LANG_COOKIE = "mandate_lang"
ZONE_COOKIE = "mandate_tz"
YEAR = 365 * 86_400


@dataclass(frozen=True)
class Web:
    """The pages' parts, built at startup."""

    svc: Services
    environments: Mapping[str, Environment]
    translations: Mapping[str, gettext.NullTranslations]
    countries: Mapping[str, Mapping[str, str]]  # by language: code -> name, sorted by name
    assets: Mapping[str, static.Asset]
    zones: frozenset[str]
    secure_cookies: bool

    @classmethod
    def build(cls, svc: Services) -> Web:
        assets = static.load()
        by_hash = {a.name: static.PREFIX + a.hashed for a in assets.values()}
        translations = {lang: i18n.translations(lang) for lang in i18n.LANGUAGES}
        environments = {
            lang: _environment(lang, translations[lang], by_hash) for lang in i18n.LANGUAGES
        }
        return cls(
            svc=svc,
            environments=environments,
            translations=translations,
            countries={lang: i18n.countries(lang) for lang in i18n.LANGUAGES},
            assets=assets,
            # Area/City names only: what a person picks from.
            zones=frozenset(z for z in available_timezones() if "/" in z or z == "UTC"),
            secure_cookies=_secure(svc.settings),
        )


def _secure(settings: Settings) -> bool:
    """Cookies are Secure when people reach the app over HTTPS (MANDATE_PUBLIC_URL)."""
    return settings.api_url.startswith("https://")


def _environment(
    lang: str, translations: gettext.NullTranslations, assets: Mapping[str, str]
) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value a person wrote is escaped
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=lang,
        dir=i18n.text_direction(lang),
        languages=[(code, i18n.NATIVE_NAMES[code]) for code in i18n.LANGUAGES],
        static=assets.__getitem__,
        direction_of=i18n.text_direction,
    )
    return env


def web_of(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


@dataclass
class Reader:
    """Who reads this page: language, time zone, and whether signed in."""

    lang: str
    zone: ZoneInfo | None
    now: datetime
    principal: Principal | None = None
    session_id: str | None = None
    identity: str | None = None  # who is signed in, in words (an organisation's name...)
    csrf: str = ""
    # Cookies the response must set (a first CSRF nonce).
    cookies: dict[str, str] = field(default_factory=dict)

    def gettext(self, web: Web, message: str) -> str:
        return web.translations[self.lang].gettext(message)

    def formatter(self, web: Web) -> i18n.Formatter:
        return i18n.Formatter(self.lang, self.zone, self.now, web.countries[self.lang])


def basic_reader(request: Request) -> Reader:
    """Language and time zone from the request alone (no database)."""
    web = web_of(request)
    lang = i18n.negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    zone_name = request.cookies.get(ZONE_COOKIE)
    zone = ZoneInfo(zone_name) if zone_name in web.zones else None
    return Reader(lang=lang, zone=zone, now=utcnow())


def root_of(request: Request) -> str:
    # Paths, not absolute URLs: right behind a proxy that mounts the app under a prefix.
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


def render(
    request: Request,
    reader: Reader,
    template: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    web = web_of(request)
    page = (
        web.environments[reader.lang]
        .get_template(template)
        .render(
            reader=reader,
            fmt=reader.formatter(web),
            root=root_of(request),
            path=request.url.path,
            here=_here(request),
            **context,
        )
    )
    response = HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})
    for name, value in reader.cookies.items():
        set_cookie(web, response, name, value)
    return response


def redirect(request: Request, path: str) -> RedirectResponse:
    """After a POST, to the page that shows its result (303: the browser GETs it)."""
    return RedirectResponse(root_of(request) + path, status_code=303)


def _here(request: Request) -> str:
    """This page's path and query, for a link that comes back here (language, time zone)."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def set_cookie(web: Web, response: Response, name: str, value: str, max_age: int = YEAR) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=web.secure_cookies,
    )


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A page's route: a refusal (a DomainError, or a failed CSRF check) answers a page in
    the reader's language with the API's status for it, never the API's JSON."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except PageError as exc:
                return error_page(request, exc.status, exc.title, exc.message)
            except DomainError as exc:
                title, message = explain(exc)
                response = error_page(request, status_for(exc), title, message)
                if exc.retry_after is not None:
                    response.headers["Retry-After"] = str(exc.retry_after)
                return response

        return page


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    reader: Reader = getattr(request.state, "reader", None) or basic_reader(request)
    web = web_of(request)
    return render(
        request,
        reader,
        "error.html",
        status=status,
        title=reader.gettext(web, title),
        message=reader.gettext(web, message),
    )
