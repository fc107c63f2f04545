"""A Temporal worker for Mandate's workflows and activities."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.log import LogActivities
from activities.rounds import RoundActivities
from mandate import keyfile
from mandate.settings import Settings
from mandate.temporal import connect
from store.db import Database
from workflows.log_integrator import LogIntegratorWorkflow
from workflows.selection_round import SelectionRoundWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [SelectionRoundWorkflow, LogIntegratorWorkflow]
# Activities are sync and run in threads; one thread per concurrent activity.
ACTIVITY_THREADS = 16
STICKY_TIMEOUT = timedelta(seconds=3)


def build_worker(
    client: Client, db: Database, origin: str, task_queue: str, executor: ThreadPoolExecutor
) -> Worker:
    """``db`` carries the key ring that signs; ``origin`` names the log in its checkpoints."""
    acts = RoundActivities(db, origin)
    log_acts = LogActivities(db, origin)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            acts.mirror_phase,
            acts.record_extension,
            acts.record_cancellation,
            acts.count_round,
            log_acts.integrate_log,
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        # After a worker dies, its cached workflows move to another worker after this long.
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    db = Database(settings.db_url, keyring=keyfile.keyring(settings))
    client = await connect(settings)
    with ThreadPoolExecutor(ACTIVITY_THREADS, thread_name_prefix="activity") as executor:
        worker = build_worker(client, db, settings.log_origin, settings.task_queue, executor)
        from mandate.reconcile import ensure_log_integrator, ensure_round_workflows

        started = await ensure_round_workflows(client, db, settings.task_queue)
        if started:
            log.info("started workflows for %d published rounds", started)
        await ensure_log_integrator(client, settings.task_queue, settings.integrate_interval)
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            await (stop or asyncio.Event()).wait()
    db.dispose()
