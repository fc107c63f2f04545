"""What the coordinator's and the secretariat's page tests share: sessions of each role, a
draft round, a round whose nominations are open, and reading what pages say."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import RowMapping
from temporalio.testing import WorkflowEnvironment

from mandate.settings import Settings
from policies.access import Role
from policies.notice import NO_MINIMUM
from policies.phases import Phase
from store import credentials, nominations, registry, rounds
from store import rules as rules_store
from store.db import Database
from tests import campaign_support as cs
from tests.keys import ORIGIN
from tests.web.support import hidden
from tests.workflows.support import API_URL, running_worker
from web.app import create_app

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"


async def sign_in_with_token(http: httpx.AsyncClient, token: str) -> None:
    page = (await http.get("/sign-in")).text
    r = await http.post("/sign-in-with-token", data={"csrf": hidden(page, "csrf"), "token": token})
    assert r.status_code == 303, r.text


async def csrf_of(http: httpx.AsyncClient, path: str) -> str:
    r = await http.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:2000])
    return hidden(r.text, "csrf")


def escaped(page: str) -> None:
    """Nothing anyone wrote became markup: the pages have no script and no image at all."""
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()


def words(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@dataclass(frozen=True)
class Constituency:
    id: str
    coordinator: str  # a coordinator's API token
    coordinator_id: str
    member: str  # a member organisation's id
    member_token: str


def secretariat(db: Database) -> str:
    with db.write() as conn:
        return credentials.issue(conn, Role.SECRETARIAT, "pages", None).token


def constituency(db: Database, email: str | None = None) -> Constituency:
    """A constituency with a coordinator (whose address is ``email``) and one member."""
    cid = cs.constituency(db)
    member = cs.member(db, cid)
    with db.write() as conn:
        kept = registry.add_coordinator(
            conn, cid, "Ama Mensah", email or f"ama-{uuid.uuid4().hex[:6]}@example.org", None, "t"
        )
        token = credentials.issue(
            conn, Role.COORDINATOR, "c", None, constituency_id=cid, coordinator_id=kept["id"]
        ).token
        member_token = credentials.issue(
            conn, Role.MEMBER, "m", None, constituency_id=cid, organisation_id=member
        ).token
    return Constituency(cid, token, kept["id"], member, member_token)


def schedule(start: datetime, days: int = 14) -> dict[str, datetime]:
    day = timedelta(days=1)
    return {
        "nominations_open_at": start + day,
        "nominations_close_at": start + day * (days // 2),
        "voting_open_at": start + day * (days // 2 + 1),
        "voting_close_at": start + day * days,
    }


def draft_round(db: Database, constituency_id: str, seats: int = 2) -> RowMapping:
    with db.write() as conn:
        return rounds.create_draft(
            conn,
            {
                "title": f"Forum {uuid.uuid4().hex[:6]}",
                "segments": [{"key": "opening", "title": "Opening plenary"}],
                "participants": [{"constituency_id": constituency_id, "seats": seats}],
                "schedule": schedule(datetime.now(UTC)),
            },
            "t",
        )


def open_round(db: Database, constituency_id: str, rules: dict[str, Any] | None = None) -> str:
    """A published round whose nominations are open, as the workflow leaves it."""
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": f"Open forum {uuid.uuid4().hex[:6]}",
                "segments": [{"key": "opening", "title": "Opening plenary"}],
                "participants": [{"constituency_id": constituency_id, "seats": 2}],
                "schedule": schedule(datetime.now(UTC) - timedelta(days=2)),
            },
            "t",
        )
        rules_store.publish_rules(conn, draft["id"], constituency_id, rules or {}, "t")
        rounds.publish(conn, draft["id"], "t", notice=NO_MINIMUM)
        rounds.mirror_phase(conn, draft["id"], Phase.NOMINATIONS_OPEN, 2, datetime.now(UTC))
    return str(draft["id"])


def nominate(db: Database, round_id: str, c: Constituency, name: str = "Rosa Díaz") -> str:
    with db.write() as conn:
        made = nominations.nominate(
            conn,
            round_id,
            c.id,
            {
                "nominee_name": name,
                "organisation_id": c.member,
                "attributes": {"gender": "woman"},
                "statement": {"en": f"{name} will speak for us."},
            },
            "t",
        )
    return str(made.nomination["id"])


@asynccontextmanager
async def pages_with_temporal(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app in process with the dev server and a real worker: publishing starts a
    workflow, and an extension or a cancellation is a workflow's Update."""
    async with running_worker(dev_env.client, db) as task_queue:
        settings = Settings(
            data_dir=tmp_path, log_origin=ORIGIN, task_queue=task_queue, public_url=API_URL
        )
        app = create_app(settings, db=db, temporal=dev_env.client)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
