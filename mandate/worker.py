"""A Temporal worker for Mandate's workflows and activities."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.rounds import RoundActivities
from mandate import keyfile
from mandate.settings import Settings
from mandate.temporal import connect
from records.keys import Signer
from store.db import Database
from workflows.selection_round import SelectionRoundWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [SelectionRoundWorkflow]
# Activities are sync and run in threads; one thread per concurrent activity.
ACTIVITY_THREADS = 16
STICKY_TIMEOUT = timedelta(seconds=3)


def build_worker(
    client: Client, db: Database, signer: Signer, task_queue: str, executor: ThreadPoolExecutor
) -> Worker:
    acts = RoundActivities(db, signer)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            acts.mirror_phase,
            acts.record_extension,
            acts.record_cancellation,
            acts.count_round,
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        # After a worker dies, its cached workflows move to another worker after this long.
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    db = Database(settings.db_url)
    client = await connect(settings)
    with ThreadPoolExecutor(ACTIVITY_THREADS, thread_name_prefix="activity") as executor:
        signer = keyfile.load_or_create(settings.key_file)
        worker = build_worker(client, db, signer, settings.task_queue, executor)
        from mandate.reconcile import ensure_round_workflows

        started = await ensure_round_workflows(client, db, settings.task_queue)
        if started:
            log.info("started workflows for %d published rounds", started)
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            await (stop or asyncio.Event()).wait()
    db.dispose()
