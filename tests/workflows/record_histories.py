"""Record the workflow histories the replay tests guard.

Run after a deliberate, versioned workflow change (never to silence a failing replay test):
    .venv/bin/python -m tests.workflows.record_histories
Existing histories are kept: they guard the executions already running in production.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from policies.schedule import Deadline
from store import migrate
from store.db import Database
from tests.conftest import BIN
from tests.workflows.support import DAY, published_round, running_worker, start
from workflows.selection_round import CancelRound, ExtendDeadline, SelectionRoundWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    db = Database(f"sqlite:///{tempfile.mkdtemp()}/h.db")
    migrate.upgrade(db)
    async with env, running_worker(env.client, db) as tq:
        now = await env.get_current_time()
        # 1. A full round with one extension.
        row = published_round(db, now, rules={})
        handle = await start(env.client, row, tq)
        await env.sleep(DAY * 2)
        await handle.execute_update(
            SelectionRoundWorkflow.extend_deadline,
            ExtendDeadline(
                deadline=Deadline.VOTING_CLOSE,
                new_at=row["voting_close_at"] + timedelta(days=1),
                reason="recorded history",
                actor="history",
            ),
        )
        await handle.result()
        _save("round_extended_and_decided", (await handle.fetch_history()).to_json())
        # 2. A round cancelled while nominations are open.
        row = published_round(db, await env.get_current_time(), rules={})
        handle = await start(env.client, row, tq)
        await env.sleep(DAY * 2)
        await handle.execute_update(
            SelectionRoundWorkflow.cancel, CancelRound(reason="recorded history", actor="history")
        )
        await handle.result()
        _save("round_cancelled", (await handle.fetch_history()).to_json())
        # 3. A round that reaches the count and publishes its outcome.
        row = published_round(db, await env.get_current_time(), rules={"alternates": 1})
        handle = await start(env.client, row, tq)
        await handle.result()
        _save("round_counted", (await handle.fetch_history()).to_json())
    db.dispose()


def _save(name: str, text: str) -> None:
    path = HISTORIES / f"{name}.json"
    if path.exists():
        print(f"kept {path}", file=sys.stderr)
        return
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
