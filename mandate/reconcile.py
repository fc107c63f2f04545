"""Start the workflow of every published round that lacks one.

Publishing commits to the database first and starts the workflow second; if Temporal was
unreachable in between, the worker's start-up (and a retried publish) closes the gap.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import RowMapping
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from store import campaigns, rounds
from store.db import Database
from workflows.log_integrator import INTEGRATOR_ID, IntegratorInput, LogIntegratorWorkflow
from workflows.mail_outbox import OUTBOX_ID, MailOutboxWorkflow, OutboxInput
from workflows.selection_round import RoundInput, SelectionRoundWorkflow
from workflows.sign_on_campaign import CampaignInput, SignOnCampaignWorkflow


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


async def start_campaign_workflow(client: Client, row: RowMapping, task_queue: str) -> bool:
    """Start the campaign's workflow; False when it exists already."""
    try:
        await client.start_workflow(
            SignOnCampaignWorkflow.run,
            CampaignInput(
                campaign_id=row["id"], opens_at=row["opens_at"], closes_at=row["closes_at"]
            ),
            id=campaigns.workflow_id_for(row["id"]),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def ensure_campaign_workflows(client: Client, db: Database, task_queue: str) -> int:
    """Start missing campaign workflows, and ask the running ones to look at their milestones
    (a write that reached one may have been cut off before it could say so)."""

    def unfinished() -> list[RowMapping]:
        with db.read() as conn:
            return campaigns.list_unfinished(conn)

    started = 0
    for row in await asyncio.to_thread(unfinished):
        if await start_campaign_workflow(client, row, task_queue):
            started += 1
        elif row["milestones"]:
            handle = client.get_workflow_handle(campaigns.workflow_id_for(row["id"]))
            with contextlib.suppress(RPCError):  # it may have just finished
                await handle.signal(SignOnCampaignWorkflow.milestone_reached)
    return started


async def ensure_mail_outbox(client: Client, task_queue: str, interval: float) -> None:
    """Start the mail outbox's sender unless it runs already (one per deployment)."""
    await client.start_workflow(
        MailOutboxWorkflow.run,
        OutboxInput(interval_seconds=interval),
        id=OUTBOX_ID,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
