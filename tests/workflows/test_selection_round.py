"""SelectionRoundWorkflow on the time-skipping test server, with real activities."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from policies.schedule import Deadline
from store import audit, rounds
from store.db import Database
from tests.workflows.support import DAY, phase_in_db, published_round, running_worker, start
from workflows.selection_round import CancelRound, ExtendDeadline, SelectionRoundWorkflow


def _phases_logged(db: Database, round_id: str) -> list[str]:
    with db.read() as conn:
        entries = audit.entries(conn, audit.round_scope(round_id))
    return [json.loads(e.statement)["data"]["phase"] for e in entries if e.type == "phase.changed"]


_BOOKKEEPING = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


async def _recorded(handle: WorkflowHandle[Any, Any]) -> list[int]:
    """The history's events other than workflow-task bookkeeping (which the time-skipping
    server writes even for a rejected update, where the dev server drops it)."""
    history = await handle.fetch_history()
    return [e.event_type for e in history.events if e.event_type not in _BOOKKEEPING]


async def test_a_fourteen_day_round_runs_through_every_phase_in_seconds(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), days=14)
    began = time.monotonic()
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        result = await handle.result()
    assert result.phase is Phase.DECIDED
    assert time.monotonic() - began < 30
    assert phase_in_db(wf_db, row["id"]) == Phase.DECIDED
    assert _phases_logged(wf_db, row["id"]) == [
        "nominations_open",
        "nominations_closed",
        "voting_open",
        "voting_closed",
        "counting",
        "decided",
    ]


async def test_extension_moves_the_deadline(time_env: WorkflowEnvironment, wf_db: Database) -> None:
    now = await time_env.get_current_time()
    row = published_round(wf_db, now, days=14)  # nominations close on day 7, voting opens day 8
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 2)
        assert phase_in_db(wf_db, row["id"]) == Phase.NOMINATIONS_OPEN
        new_close = row["nominations_close_at"] + timedelta(hours=12)
        state = await handle.execute_update(
            SelectionRoundWorkflow.extend_deadline,
            ExtendDeadline(
                deadline=Deadline.NOMINATIONS_CLOSE,
                new_at=new_close,
                reason="partners asked for more time",
                actor="test",
            ),
        )
        assert state.schedule.nominations_close_at == new_close
        with wf_db.read() as conn:
            assert rounds.get(conn, row["id"])["nominations_close_at"] == new_close
        # Past the original close, still open; past the new one, closed.
        await time_env.sleep(row["nominations_close_at"] - now - DAY * 2 + timedelta(hours=6))
        assert phase_in_db(wf_db, row["id"]) == Phase.NOMINATIONS_OPEN
        await time_env.sleep(timedelta(hours=7))
        assert phase_in_db(wf_db, row["id"]) == Phase.NOMINATIONS_CLOSED
        await handle.result()


@pytest.mark.parametrize(
    ("deadline", "shift", "expected"),
    [
        (Deadline.NOMINATIONS_CLOSE, -DAY * 3, "is in the past"),
        (Deadline.NOMINATIONS_CLOSE, DAY, "must move nominations_close later"),
        (Deadline.NOMINATIONS_CLOSE, DAY * 10, "cannot close after voting opens"),
    ],
)
async def test_invalid_extension_is_rejected(
    time_env: WorkflowEnvironment,
    wf_db: Database,
    deadline: Deadline,
    shift: timedelta,
    expected: str,
) -> None:
    now = await time_env.get_current_time()
    row = published_round(wf_db, now, days=14)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 2)
        before = await _recorded(handle)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                SelectionRoundWorkflow.extend_deadline,
                ExtendDeadline(
                    deadline=deadline,
                    new_at=now + DAY * 2 + shift,
                    reason="test",
                    actor="test",
                ),
            )
        assert isinstance(info.value.cause, ApplicationError)
        assert info.value.cause.type == "invalid_extension"
        assert expected in str(info.value.cause.message)
        # A rejected update records nothing: no acceptance, no activity, no timer change.
        assert await _recorded(handle) == before
        with wf_db.read() as conn:
            assert (
                rounds.get(conn, row["id"])["nominations_close_at"] == row["nominations_close_at"]
            )
        await handle.terminate("test over")


async def test_extension_of_a_closed_window_is_rejected(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    now = await time_env.get_current_time()
    row = published_round(wf_db, now, days=14)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 7 + timedelta(hours=1))
        assert phase_in_db(wf_db, row["id"]) == Phase.NOMINATIONS_CLOSED
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                SelectionRoundWorkflow.extend_deadline,
                ExtendDeadline(
                    deadline=Deadline.NOMINATIONS_CLOSE,
                    new_at=now + DAY * 7 + timedelta(hours=12),
                    reason="too late",
                    actor="test",
                ),
            )
        assert isinstance(info.value.cause, ApplicationError)
        assert "nominations_close has passed" in info.value.cause.message
        await handle.terminate("test over")


async def test_cancellation_ends_the_round(time_env: WorkflowEnvironment, wf_db: Database) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), days=14)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 3)
        result = await handle.execute_update(
            SelectionRoundWorkflow.cancel, CancelRound(reason="forum postponed", actor="test")
        )
        assert result.phase is Phase.CANCELLED
        final = await handle.result()
    assert final.phase is Phase.CANCELLED
    assert final.cancel_reason == "forum postponed"
    with wf_db.read() as conn:
        stored = rounds.get(conn, row["id"])
    assert stored["phase"] == Phase.CANCELLED
    assert stored["cancel_reason"] == "forum postponed"
    assert _phases_logged(wf_db, row["id"]) == ["nominations_open"]
