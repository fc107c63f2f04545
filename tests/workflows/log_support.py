"""Helpers to run the log integrator on the time-skipping server (tests and recorded histories)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from store import log
from store.db import Database
from store.tables import checkpoint
from tests.keys import ORIGIN
from workflows.log_integrator import IntegratorInput, LogIntegratorWorkflow

SECOND = timedelta(seconds=1)
STEPS = 60


@asynccontextmanager
async def integrator(
    client: Client, task_queue: str, inp: IntegratorInput
) -> AsyncIterator[WorkflowHandle[LogIntegratorWorkflow, None]]:
    """An integrator of the caller's own; it never ends by itself, so it is terminated after."""
    handle = await client.start_workflow(
        LogIntegratorWorkflow.run,
        inp,
        id=f"log-integrator-{uuid.uuid4()}",
        task_queue=task_queue,
    )
    try:
        yield handle
    finally:
        await _asleep(client, handle.id)
        await client.get_workflow_handle(handle.id).terminate("done")


async def _asleep(client: Client, workflow_id: str) -> None:
    """Wait (in real time) until the integrator waits on a timer, with no activity in flight.

    Terminating it with its activity in flight leaves the time-skipping test server unable to
    skip time for the tests that follow; outside ``env.sleep`` and result waits, time stands
    still, so the timer cannot fire before it is terminated. Gives up after about 20 seconds
    (a test that failed may have left it elsewhere): it is terminated all the same.
    """
    latest = client.get_workflow_handle(workflow_id)
    for _ in range(400):
        events = (await latest.fetch_history()).events
        if events and events[-1].event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            return
        await asyncio.sleep(0.05)


def first_run(handle: WorkflowHandle[Any, None]) -> str:
    run_id = handle.first_execution_run_id
    assert run_id is not None
    return run_id


async def until_continued(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, None]
) -> WorkflowHistory:
    """Let workflow time pass until the first run continued as new; return that run's history."""
    run_id = first_run(handle)
    for _ in range(STEPS):
        if (await env.client.get_workflow_handle(handle.id).describe()).run_id != run_id:
            return await env.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        await env.sleep(SECOND)
    raise AssertionError(f"the integrator {handle.id} never continued as new")


async def until_event(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[LogIntegratorWorkflow, None],
    kind: EventType.ValueType,
) -> None:
    """Let workflow time pass, a second at a time, until the first run has an event of ``kind``."""
    run = env.client.get_workflow_handle(handle.id, run_id=first_run(handle))
    for _ in range(STEPS):
        if any(e.event_type == kind for e in (await run.fetch_history()).events):
            return
        await env.sleep(SECOND)
    raise AssertionError(f"no {EventType.Name(kind)} in the history of {handle.id}")


def tamper_checkpoint(db: Database) -> Callable[[], None]:
    """Sign a checkpoint, then make its stored root disagree with the tree; returns the undo.

    Until undone, every integration is refused (LogInconsistent).
    """
    with db.write() as conn:
        signed = log.integrate_all(conn, ORIGIN)
        conn.execute(
            update(checkpoint).where(checkpoint.c.size == signed.size).values(root_hash="ab" * 32)
        )

    def restore() -> None:
        with db.write() as conn:
            conn.execute(
                update(checkpoint)
                .where(checkpoint.c.size == signed.size)
                .values(root_hash=signed.root_hash)
            )

    return restore
