"""The browser tests' fixtures: one headless Chromium per session (Debian's, driven by
Playwright), and per module one real stack served by uvicorn on a free port: SQLite, the
Temporal dev server and a worker, mail over SMTP to a real server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright
from temporalio.testing import WorkflowEnvironment

from activities.mail import SmtpTransport
from mandate.settings import Settings
from mandate.worker import Mailing
from policies.access import Role
from store import credentials, log
from store.db import Database
from tests.api.conftest import Api
from tests.api.uvicorn_server import on_a_port
from tests.conftest import postgres_required
from tests.keys import ORIGIN, keyed_database
from tests.receivers import SmtpServer, smtp_server
from tests.web.world import World, make_world
from tests.workflows.support import API_URL, running_worker
from web.app import create_app
from workflows.mail_outbox import MailOutboxWorkflow, OutboxInput

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's; scripts/browser.sh installs it


def _chromium_missing() -> bool:
    return not CHROMIUM.exists()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if _chromium_missing():
        message = f"no Chromium at {CHROMIUM}: ./test installs it (scripts/browser.sh)"
        if postgres_required():  # in CI nothing is skipped for want of a part
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield found
        await found.close()


@dataclass
class Site:
    base: str  # http://127.0.0.1:<port>
    api: Api
    smtp: SmtpServer
    world: World
    db: Database

    async def code_for(self, signature_id: str) -> str:
        # The SMTP server's helper sleeps: off the loop, which serves the app as well.
        return await asyncio.to_thread(self.smtp.code_for, signature_id)

    async def mail_to(self, address: str, subject: str | None = None) -> str:
        match = {"to": address} | ({"subject": subject} if subject else {})
        message = await asyncio.to_thread(self.smtp.wait_for, 20, **match)
        body = message.get_body(("plain",))
        assert body is not None
        text: str = body.get_content()
        return text

    async def integrate(self) -> None:
        """What the log integrator does on its next turn, done now."""

        def run() -> None:
            with self.db.write() as conn:
                log.integrate_all(conn, ORIGIN)

        await asyncio.to_thread(run)


@asynccontextmanager
async def serving_pages(
    db: Database, dev_env: WorkflowEnvironment, folder: Path, mailing: Mailing
) -> AsyncIterator[Api]:
    """As tests/api/conftest.py's ``serving``, with the pages (web/) mounted: uvicorn on a
    free port, a real worker on its own task queue."""
    async with running_worker(dev_env.client, db, mailing) as task_queue:
        settings = Settings(
            data_dir=folder, log_origin=ORIGIN, task_queue=task_queue, public_url=API_URL
        )
        app = create_app(settings, db=db, temporal=dev_env.client)
        with db.write() as conn:
            token = credentials.issue(conn, Role.SECRETARIAT, "test secretariat", None).token
        async with (
            on_a_port(app) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
        ):
            yield Api(http, db, token, task_queue)


@pytest.fixture(scope="module")
async def site(
    dev_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    folder = tmp_path_factory.mktemp("web")
    db = keyed_database(f"sqlite:///{folder / 'mandate.db'}")
    with smtp_server() as smtp:
        mailing = Mailing(
            SmtpTransport(smtp.host, smtp.port, "none"), "Mandate <mandate@test>", API_URL
        )
        async with serving_pages(db, dev_env, folder, mailing) as api:
            outbox = await dev_env.client.start_workflow(
                MailOutboxWorkflow.run,
                OutboxInput(interval_seconds=0.1, turns=10_000),
                id=f"outbox-{uuid.uuid4()}",
                task_queue=api.task_queue,
            )
            try:
                world = await make_world(
                    api.http, api.secretariat, lambda sid: asyncio.to_thread(smtp.code_for, sid)
                )
                try:
                    yield Site(str(api.http.base_url).rstrip("/"), api, smtp, world, db)
                finally:
                    for wait in world.waits:
                        wait.cancel()
            finally:
                await outbox.terminate()
    db.dispose()
