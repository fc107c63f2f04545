"""The real app, on a real database, talking to the real dev server and a real worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.mail import SmtpTransport
from api.app import create_app
from mandate.settings import Settings
from mandate.worker import Mailing
from policies.access import Role
from store import credentials
from store.db import Database
from tests.api.uvicorn_server import on_a_port
from tests.keys import ORIGIN
from tests.receivers import SmtpServer, WebhookReceiver, smtp_server, webhook_receiver
from tests.workflows.support import API_URL, running_worker
from workflows.mail_outbox import MailOutboxWorkflow, OutboxInput


@dataclass
class Api:
    http: httpx.AsyncClient
    db: Database
    secretariat: str
    task_queue: str = ""

    @staticmethod
    def auth(token: str | None) -> dict[str, str]:
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.request(
            method, path, json=json, headers={**self.auth(token), **(headers or {})}
        )

    async def ok(self, method: str, path: str, token: str | None = None, json: Any = None) -> Any:
        r = await self.call(method, path, token, json)
        assert r.status_code < 300, (r.status_code, r.text)
        return r.json()


@asynccontextmanager
async def serving(
    db: Database,
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
    mailing: Mailing | None = None,
    *,
    on_port: bool = False,
    **settings: Any,
) -> AsyncIterator[Api]:
    """The app in process, or with ``on_port`` served by uvicorn for clients outside the loop;
    ``settings`` as Settings takes them."""
    async with running_worker(dev_env.client, db, mailing) as task_queue:
        # The worker and the API share the database handle, and so the test key ring.
        config = Settings(
            data_dir=tmp_path,
            log_origin=ORIGIN,
            task_queue=task_queue,
            public_url=API_URL,
            **settings,
        )
        app = create_app(config, db=db, temporal=dev_env.client)
        with db.write() as conn:
            token = credentials.issue(conn, Role.SECRETARIAT, "test secretariat", None).token
        if on_port:
            async with (
                on_a_port(app) as port,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
            ):
                yield Api(http, db, token, task_queue)
            return
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Api(http, db, token, task_queue)


@pytest.fixture
async def api(db: Database, dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(db, dev_env, tmp_path) as found:
        yield found


@dataclass
class Notices:
    """The API with mail going out over SMTP to a real server, and a webhook receiver."""

    api: Api
    smtp: SmtpServer
    hooks: WebhookReceiver


@pytest.fixture
async def notices(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Notices]:
    with smtp_server() as smtp, webhook_receiver() as hooks:
        mailing = Mailing(
            SmtpTransport(smtp.host, smtp.port, "none"), "Mandate <campaigns@test>", API_URL
        )
        async with serving(db, dev_env, tmp_path, mailing) as found:
            # The deployment's mail sender, on this test's task queue.
            outbox = await dev_env.client.start_workflow(
                MailOutboxWorkflow.run,
                OutboxInput(interval_seconds=0.1, turns=10_000),
                id=f"outbox-{uuid.uuid4()}",
                task_queue=found.task_queue,
            )
            try:
                yield Notices(found, smtp, hooks)
            finally:
                await outbox.terminate()


def org_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Org {uuid.uuid4().hex[:8]}",
        "country": "KE",  # no region: the M49 region of the country, africa
        "type": "trade_union",
        "migrant_led": False,
        "grassroots": True,
        "contact_email": "contact@example.org",
        **overrides,
    }


@dataclass
class World:
    """A constituency with a coordinator and a member, and a second constituency."""

    constituency: str
    other_constituency: str
    coordinator: str
    other_coordinator: str
    member_org: str
    member: str
    member_credential: str
    spare_org: str  # registered, not a member of anything


async def make_world(api: Api) -> World:
    s = api.secretariat
    org = await api.ok("POST", "/v1/organisations", s, org_body())
    ids = []
    tokens = []
    for _ in range(2):
        c = await api.ok(
            "POST", "/v1/constituencies", s, {"name": f"Constituency {uuid.uuid4().hex[:8]}"}
        )
        k = await api.ok(
            "POST",
            f"/v1/constituencies/{c['id']}/coordinators",
            s,
            {"name": "Ama Mensah", "email": "ama@example.org"},
        )
        ids.append(c["id"])
        tokens.append(k["token"])
    await api.ok(
        "POST", f"/v1/constituencies/{ids[0]}/members", tokens[0], {"organisation_id": org["id"]}
    )
    m = await api.ok(
        "POST", f"/v1/constituencies/{ids[0]}/members/{org['id']}/tokens", tokens[0], {}
    )
    spare = await api.ok("POST", "/v1/organisations", s, org_body())
    return World(
        ids[0],
        ids[1],
        tokens[0],
        tokens[1],
        org["id"],
        m["token"],
        m["credential"]["id"],
        spare["id"],
    )


Factory = Callable[[], Awaitable[World]]


async def new_round(
    api: Api, w: World, body: dict[str, Any], rules: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A draft round whose (only) constituency has published its rules, ready to publish."""
    created: dict[str, Any] = await api.ok("POST", "/v1/rounds", api.secretariat, body)
    await api.ok(
        "PUT",
        f"/v1/rounds/{created['id']}/constituencies/{w.constituency}/rules",
        w.coordinator,
        rules or {},
    )
    return created
