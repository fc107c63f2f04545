"""What /healthz and /readyz report: the database, Temporal, and a worker on the task queue.

A worker is seen through Temporal: DescribeTaskQueue lists the pollers of the queue with the
time each last began a poll. A live worker starts a new long poll at least once a minute (the
server ends an idle poll after about 60 s), so a poller seen within ``WORKER_SEEN`` counts as
polling. Temporal keeps a dead worker's poller listed for minutes: it stops counting
``WORKER_SEEN`` after its last poll.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from api.deps import Services
from mandate.settings import Settings
from policies.errors import ServiceUnavailable

WORKER_SEEN = timedelta(seconds=75)
# Each probe answers within this long, so a part that hangs is reported, not waited for.
PROBE_TIMEOUT = timedelta(seconds=3)
# A worker polls for both: workflow tasks (phases, deadlines) and activity tasks (the work).
_QUEUE_TYPES = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)

Database = Literal["ok", "unreachable"]
Temporal = Literal["connected", "connecting", "unreachable"]
Worker = Literal["polling", "none", "unknown"]


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="ok when the database and Temporal are reachable and a worker polls"
    )
    database: Database = Field(description="whether a query on the database answers")
    temporal: Temporal = Field(
        description="connected; connecting (the API has not reached Temporal since it "
        "started); unreachable (it did, and does not answer now)"
    )
    worker: Worker = Field(
        description="polling: a worker polled the task queue within the last "
        f"{int(WORKER_SEEN.total_seconds())} s; none; unknown (Temporal does not answer)"
    )
    task_queue: str = Field(description="the task queue the workers are asked for")


async def check(svc: Services) -> HealthOut:
    database, (temporal, worker) = await asyncio.gather(
        _database(svc), _temporal(svc.temporal, svc.settings)
    )
    ok = database == "ok" and temporal == "connected" and worker == "polling"
    return HealthOut(
        status="ok" if ok else "degraded",
        database=database,
        temporal=temporal,
        worker=worker,
        task_queue=svc.settings.task_queue,
    )


def require_ready(health: HealthOut) -> None:
    """Refuse with 503 and what is missing, while any part is not there yet."""
    missing = []
    if health.database != "ok":
        missing.append("the database does not answer")
    if health.temporal != "connected":
        missing.append(f"Temporal is {health.temporal}")
    if health.worker == "none":
        missing.append(f"no worker polls task queue {health.task_queue!r}")
    if missing:
        raise ServiceUnavailable(f"not ready: {'; '.join(missing)}")


async def _database(svc: Services) -> Database:
    def probe() -> None:
        with svc.db.read() as conn:
            conn.execute(text("SELECT 1")).scalar_one()

    try:
        await asyncio.wait_for(run_in_threadpool(probe), PROBE_TIMEOUT.total_seconds())
    except (ServiceUnavailable, SQLAlchemyError, TimeoutError):
        return "unreachable"
    return "ok"


async def _temporal(client: Client | None, settings: Settings) -> tuple[Temporal, Worker]:
    if client is None:
        return "connecting", "unknown"
    try:
        answers = await asyncio.gather(
            *(
                client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=client.namespace,
                        task_queue=TaskQueue(name=settings.task_queue),
                        task_queue_type=kind,
                    ),
                    timeout=PROBE_TIMEOUT,
                )
                for kind in _QUEUE_TYPES
            )
        )
    except (RPCError, TimeoutError):
        return "unreachable", "unknown"
    since = datetime.now(UTC) - WORKER_SEEN
    seen = all(
        any(p.last_access_time.ToDatetime(UTC) >= since for p in answer.pollers)
        for answer in answers
    )
    return "connected", "polling" if seen else "none"
