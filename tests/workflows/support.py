"""Helpers to put a published round in the database and run its workflow."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import RowMapping
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from activities.mail import FolderTransport
from mandate.worker import ACTIVITY_THREADS, Mailing, build_worker
from policies.notice import NO_MINIMUM
from store import registry, rounds
from store import rules as rules_store
from store.db import Database
from tests.keys import ORIGIN, RECORDS
from workflows.selection_round import RoundInput, RoundResult, SelectionRoundWorkflow

DAY = timedelta(days=1)
SIGNER = RECORDS  # the records key every test database lists


def published_round(
    db: Database, start: datetime, days: int = 14, rules: dict[str, Any] | None = None
) -> RowMapping:
    """A published round whose windows span ``days`` days from ``start``."""
    with db.write() as conn:
        c = registry.create_constituency(conn, f"C {uuid.uuid4()}", "", "test")
        draft = rounds.create_draft(
            conn,
            {
                "title": "Round",
                "segments": [{"key": "opening", "title": "Opening"}],
                "participants": [{"constituency_id": c["id"], "seats": 2}],
                "schedule": {
                    "nominations_open_at": start + DAY,
                    "nominations_close_at": start + DAY * (days // 2),
                    "voting_open_at": start + DAY * (days // 2 + 1),
                    "voting_close_at": start + DAY * days,
                },
            },
            "test",
        )
        rules_store.publish_rules(conn, draft["id"], c["id"], rules or {}, "test")
        return rounds.publish(conn, draft["id"], "test", notice=NO_MINIMUM)


def phase_in_db(db: Database, round_id: str) -> str:
    with db.read() as conn:
        phase: str = rounds.get(conn, round_id)["phase"]
        return phase


# Mail from workers that tests start without saying where mail goes: kept, and never read.
UNREAD_MAIL = Path(tempfile.gettempdir()) / "mandate-test-mail"
API_URL = "http://mandate.test"


@asynccontextmanager
async def running_worker(
    client: Client, db: Database, mailing: Mailing | None = None, drand_relay: str | None = None
) -> AsyncIterator[str]:
    task_queue = f"tq-{uuid.uuid4()}"
    mailing = mailing or Mailing(FolderTransport(UNREAD_MAIL), "Mandate <mandate@test>", API_URL)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker: Worker = build_worker(
            client, db, ORIGIN, task_queue, executor, mailing, drand_relay
        )
        async with worker:
            yield task_queue


async def start(
    client: Client, row: RowMapping, task_queue: str
) -> WorkflowHandle[SelectionRoundWorkflow, RoundResult]:
    return await client.start_workflow(
        SelectionRoundWorkflow.run,
        RoundInput(round_id=row["id"], schedule=rounds.schedule_of(row)),
        id=rounds.workflow_id_for(row["id"]),
        task_queue=task_queue,
    )


def members(db: Database, constituency_id: str, n: int) -> list[str]:
    """``n`` new organisations, admitted as members of the constituency."""
    ids = []
    with db.write() as conn:
        for i in range(n):
            org = registry.register_organisation(
                conn,
                {
                    "name": f"Org {i} {uuid.uuid4().hex[:6]}",
                    "country": "SN",
                    "region": ["africa", "asia", "europe"][i % 3],
                    "type": "network",
                    "migrant_led": i % 2 == 0,
                    "grassroots": True,
                    "contact_email": "x@example.org",
                },
                "test",
            )
            registry.admit_member(conn, constituency_id, org["id"], "test")
            ids.append(org["id"])
    return ids
