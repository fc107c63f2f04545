"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from temporalio.client import Client

from api import errors, openapi
from api.deps import Services
from api.limits import BodyLimits
from api.metrics import Metrics, RequestMetrics
from api.routes import (
    calendars,
    campaigns,
    credentials,
    designation,
    docs,
    exports,
    letters,
    meta,
    participation,
    randomness,
    ratification,
    regions,
    registry,
    rounds,
    seats,
    selection,
    signatures,
)
from api.routes import log as log_routes
from api.routes import metrics as metrics_routes
from api.routes import round_notices as notice_routes
from mandate import keyfile
from mandate.settings import Settings
from mandate.temporal import connect
from store.db import Database

log = logging.getLogger(__name__)


def create_app(
    settings: Settings, *, db: Database | None = None, temporal: Client | None = None
) -> FastAPI:
    svc = Services(
        settings=settings,
        db=db
        or Database(
            settings.db_url,
            keyring=keyfile.keyring(settings),
            secret=keyfile.server_secret(settings),
        ),
        temporal=temporal,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = None
        if svc.temporal is None:
            task = asyncio.create_task(_connect(svc))
        yield
        if task is not None:
            task.cancel()
        if db is None:
            svc.db.dispose()

    app = FastAPI(
        title="Mandate",
        version="0.1.0",
        description="Self-organised selection of representatives: rounds, constituencies, "
        'signed records. Every failure answers {"error": code, "detail": message}.',
        lifespan=lifespan,
        # Our own reference page at /docs: FastAPI's pages load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    app.state.metrics = metrics = Metrics()
    svc.db.on_write_wait = metrics.observe_write_wait
    svc.db.groups.on_group = metrics.observe_write_group
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    errors.install(app)
    openapi.install(app)
    app.include_router(docs.router)
    app.include_router(meta.router)
    app.include_router(metrics_routes.router)
    app.include_router(notice_routes.router, prefix="/v1")
    for module in (
        registry,
        regions,
        credentials,
        rounds,
        participation,
        selection,
        randomness,
        ratification,
        seats,
        designation,
        campaigns,
        signatures,
        calendars,
        exports,
        letters,
        log_routes,
    ):
        app.include_router(module.router, prefix="/v1")
    # Outermost: times every request, error answers included.
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app


async def _connect(svc: Services) -> None:
    # Reads work while Temporal starts; commands answer 503 until the client is connected.
    while svc.temporal is None:
        try:
            svc.temporal = await connect(svc.settings, attempts=1)
        except Exception:  # any failure means "not yet"
            await asyncio.sleep(1)
    log.info("connected to Temporal at %s", svc.settings.temporal_address)
