"""Kill the worker during the nominations window; a new worker closes nominations on time."""

from __future__ import annotations

import asyncio
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from mandate.reconcile import start_round_workflow
from mandate.worker import STICKY_TIMEOUT
from policies.notice import NO_MINIMUM
from policies.phases import Phase
from store import registry, rounds
from store import rules as rules_store
from store.db import Database
from tests.e2e.processes import mandate, mandate_env, running, stop, wait_for
from tests.keys import keyed_database, save_keys


def _phase(db: Database, round_id: str) -> str:
    with db.read() as conn:
        phase: str = rounds.get(conn, round_id)["phase"]
        return phase


async def test_round_survives_a_killed_worker(
    dev_env: WorkflowEnvironment, fresh_db_url: str, tmp_path: Path
) -> None:
    db = keyed_database(fresh_db_url)
    save_keys(tmp_path / "keys")
    now = datetime.now(UTC)
    close = now + timedelta(seconds=9)
    with db.write() as conn:
        c = registry.create_constituency(conn, f"C {uuid.uuid4()}", "", "test")
        draft = rounds.create_draft(
            conn,
            {
                "title": "Restart",
                "segments": [{"key": "s", "title": "S"}],
                "participants": [{"constituency_id": c["id"], "seats": 1}],
                "schedule": {
                    "nominations_open_at": now + timedelta(seconds=1),
                    "nominations_close_at": close,
                    "voting_open_at": close + timedelta(hours=1),
                    "voting_close_at": close + timedelta(hours=2),
                },
            },
            "test",
        )
        rules_store.publish_rules(conn, draft["id"], c["id"], {}, "test")
        row = rounds.publish(conn, draft["id"], "test", notice=NO_MINIMUM)
    task_queue = f"restart-{uuid.uuid4()}"
    env = mandate_env(
        data_dir=str(tmp_path),
        database_url=fresh_db_url,
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=task_queue,
    )
    log = tmp_path / "worker.log"
    await start_round_workflow(dev_env.client, row, task_queue)
    with running([mandate("worker", env, log)]) as procs:
        await wait_for(
            lambda: _phase(db, row["id"]) == Phase.NOMINATIONS_OPEN, 15, "nominations to open"
        )
        assert stop(procs[0], signal.SIGKILL) == -signal.SIGKILL
        await asyncio.sleep(1)
        assert _phase(db, row["id"]) == Phase.NOMINATIONS_OPEN
        procs.append(mandate("worker", env, log))
        await wait_for(
            lambda: _phase(db, row["id"]) == Phase.NOMINATIONS_CLOSED, 25, "nominations to close"
        )
        closed_at = datetime.now(UTC)
        assert stop(procs[1]) == 0, log.read_text()
    # The new worker closed nominations at the scheduled time: not early, and late by no more
    # than the dead worker's sticky-queue timeout plus a poll.
    assert close <= closed_at < close + STICKY_TIMEOUT + timedelta(seconds=3)
    db.dispose()
