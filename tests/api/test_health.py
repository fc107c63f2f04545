"""/healthz reports the database, Temporal and the workers; /readyz is 200 only with all three.

Against the real dev server and real databases: a worker polling the task queue, an API that
has not reached Temporal yet, a task queue no worker polls, a database that does not answer.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from mandate import keyfile
from mandate.settings import Settings
from store.db import Database
from tests.api.conftest import Api
from tests.conftest import free_port
from tests.keys import ORIGIN


@asynccontextmanager
async def _app(
    db: Database, tmp_path: Path, temporal: Client | None, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(data_dir=tmp_path, log_origin=ORIGIN, task_queue=task_queue)
    # No lifespan runs under ASGITransport: an API without a client stays "connecting".
    app = create_app(settings, db=db, temporal=temporal)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _unavailable(r: httpx.Response) -> str:
    assert r.status_code == 503, r.text
    body = r.json()
    assert set(body) == {"error", "detail"}
    assert body["error"] == "service_unavailable"
    detail: str = body["detail"]
    return detail


async def _polled(api: Api) -> httpx.Response:
    """/healthz once the worker the fixture just started has begun its first polls."""
    deadline = time.monotonic() + 10
    while True:
        health = await api.http.get("/healthz")
        if health.json()["worker"] == "polling" or time.monotonic() > deadline:
            return health
        await asyncio.sleep(0.1)


async def test_with_a_worker_polling_it_is_healthy_and_ready(api: Api) -> None:
    health = await _polled(api)
    assert health.status_code == 200
    expected = {
        "status": "ok",
        "database": "ok",
        "temporal": "connected",
        "worker": "polling",
        "task_queue": api.task_queue,
    }
    assert health.json() == expected
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == expected


async def test_while_temporal_is_not_reached_yet_it_is_alive_but_not_ready(
    db: Database, tmp_path: Path
) -> None:
    async with _app(db, tmp_path, None, "mandate") as http:
        health = await http.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {
            "status": "degraded",
            "database": "ok",
            "temporal": "connecting",
            "worker": "unknown",
            "task_queue": "mandate",
        }
        detail = _unavailable(await http.get("/readyz"))
    assert detail == "not ready: Temporal is connecting"


async def test_a_task_queue_no_worker_polls_is_not_ready(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    queue = f"nobody-{uuid.uuid4()}"
    async with _app(db, tmp_path, dev_env.client, queue) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200
        assert health.json()["worker"] == "none"
        assert health.json()["temporal"] == "connected"
        assert health.json()["status"] == "degraded"
        detail = _unavailable(await http.get("/readyz"))
    assert detail == f"not ready: no worker polls task queue {queue!r}"


async def test_a_database_that_does_not_answer_is_reported(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # Nothing listens on this port: every connection is refused.
    gone = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/mandate")
    try:
        async with _app(gone, tmp_path, dev_env.client, f"nobody-{uuid.uuid4()}") as http:
            health = await http.get("/healthz")
            assert health.status_code == 200
            assert health.json()["database"] == "unreachable"
            detail = _unavailable(await http.get("/readyz"))
    finally:
        gone.dispose()
    assert detail.startswith("not ready: the database does not answer; ")


def _resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = schema
    for part in ref["$ref"].removeprefix("#/").split("/"):
        found = found[part]
    return found


def test_both_answers_are_in_the_openapi_document(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=None)
    keyfile.ensure_server_secret(settings)  # every API process holds the deployment's secret
    doc = create_app(settings).openapi()
    for path in ("/healthz", "/readyz"):
        ok = doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        model = _resolve(doc, ok["schema"])
        assert set(model["properties"]) == {
            "status",
            "database",
            "temporal",
            "worker",
            "task_queue",
        }
        assert model["properties"]["worker"]["enum"] == ["polling", "none", "unknown"]
    refused = doc["paths"]["/readyz"]["get"]["responses"]["503"]
    assert "starting" in refused["description"]
    body = _resolve(doc, refused["content"]["application/json"]["schema"])
    assert body["required"] == ["error", "detail"]
    assert "503" not in doc["paths"]["/healthz"]["get"]["responses"]
