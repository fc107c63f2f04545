"""The whole app: the API (api/app.py) with the people's pages mounted on it.

api/ never imports web/ (tests/test_imports.py): this module composes the two, and
``mandate api`` and ``mandate up`` serve what it makes.
"""

from __future__ import annotations

from fastapi import FastAPI
from temporalio.client import Client

from api import app as api_app
from api.deps import Services
from mandate.settings import Settings
from store.db import Database
from web.pages import Web
from web.routes import (
    account,
    campaign_desk,
    campaigns,
    coordinator,
    letters,
    member,
    nominee,
    public,
    ratification,
    seat,
    secretariat,
)
from web.routes import notices as notice_pages
from web.security import PageHeaders


def create_app(
    settings: Settings, *, db: Database | None = None, temporal: Client | None = None
) -> FastAPI:
    """The API and the pages, sharing one set of services (database, Temporal client)."""
    app = api_app.create_app(settings, db=db, temporal=temporal)
    install(app, app.state.services)
    return app


def install(app: FastAPI, svc: Services) -> None:
    app.state.web = Web.build(svc)
    app.add_middleware(PageHeaders)
    app.include_router(notice_pages.router)
    for module in (
        public,
        account,
        campaigns,
        member,
        nominee,
        coordinator,
        secretariat,
        campaign_desk,
        ratification,
        letters,
        seat,
    ):
        app.include_router(module.router)
