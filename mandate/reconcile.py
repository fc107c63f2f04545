"""Start the workflow of every published round that lacks one.

Publishing commits to the database first and starts the workflow second; if Temporal was
unreachable in between, the worker's start-up (and a retried publish) closes the gap.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import RowMapping
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from store import rounds
from store.db import Database
from workflows.log_integrator import INTEGRATOR_ID, IntegratorInput, LogIntegratorWorkflow
from workflows.selection_round import RoundInput, SelectionRoundWorkflow


async def start_round_workflow(client: Client, row: RowMapping, task_queue: str) -> bool:
    """Start the round's workflow; False when it exists already."""
    try:
        await client.start_workflow(
            SelectionRoundWorkflow.run,
            RoundInput(round_id=row["id"], schedule=rounds.schedule_of(row)),
            id=rounds.workflow_id_for(row["id"]),
            task_queue=task_queue,
            # A finished round is never run twice.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def ensure_round_workflows(client: Client, db: Database, task_queue: str) -> int:
    def unfinished() -> list[RowMapping]:
        with db.read() as conn:
            return rounds.list_unfinished(conn)

    started = 0
    for row in await asyncio.to_thread(unfinished):
        started += await start_round_workflow(client, row, task_queue)
    return started


async def ensure_log_integrator(client: Client, task_queue: str, interval: float) -> None:
    """Start the log integrator unless it runs already (one per deployment)."""
    await client.start_workflow(
        LogIntegratorWorkflow.run,
        IntegratorInput(interval_seconds=interval),
        id=INTEGRATOR_ID,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
