"""An activity that works longer than its heartbeat timeout, with and without ``heartbeating``,
on the real dev server: the beats keep it alive; without them it times out."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, TimeoutError, TimeoutType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.heartbeat import heartbeating

TIMEOUT = timedelta(seconds=1)
WORK = 3.0  # seconds: three heartbeat timeouts


@activity.defn(name="busy_beating")
@heartbeating
def busy_beating(seconds: float) -> int:
    time.sleep(seconds)  # a thread held by work that cannot heartbeat itself
    return activity.info().attempt


@activity.defn(name="busy_silent")
def busy_silent(seconds: float) -> int:
    time.sleep(seconds)
    return activity.info().attempt


@workflow.defn(name="Busy")
class Busy:
    @workflow.run
    async def run(self, name: str) -> int:
        attempt: int = await workflow.execute_activity(
            name,
            WORK,
            result_type=int,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=TIMEOUT,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        return attempt


async def _run(env: WorkflowEnvironment, name: str) -> int:
    queue = f"busy-{uuid.uuid4()}"
    with ThreadPoolExecutor(2) as executor:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[Busy],
            activities=[busy_beating, busy_silent],
            activity_executor=executor,
            workflow_runner=UnsandboxedWorkflowRunner(),
        ):
            result: int = await env.client.execute_workflow(
                Busy.run, name, id=f"busy-{uuid.uuid4()}", task_queue=queue
            )
            return result


async def test_a_heartbeating_activity_outlives_its_heartbeat_timeout(
    dev_env: WorkflowEnvironment,
) -> None:
    started = time.monotonic()
    assert await _run(dev_env, "busy_beating") == 1  # done on its first attempt
    assert time.monotonic() - started >= WORK


async def test_without_heartbeats_the_same_work_times_out(dev_env: WorkflowEnvironment) -> None:
    with pytest.raises(WorkflowFailureError) as failed:
        await _run(dev_env, "busy_silent")
    cause = failed.value.cause
    assert isinstance(cause, ActivityError)
    assert isinstance(cause.cause, TimeoutError)
    assert cause.cause.type == TimeoutType.HEARTBEAT
