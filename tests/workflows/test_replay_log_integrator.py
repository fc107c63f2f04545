"""The log integrator's committed histories: they are there, they show what they are meant to,
they replay, and a change to the integrator's steps fails to replay them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from activities.contracts import INTEGRATE_LOG, Integrated
from mandate.worker import WORKFLOWS
from workflows.log_integrator import ACTIVITY_TIMEOUT, IntegratorInput

HISTORIES = Path(__file__).parent / "histories"
INTEGRATOR_HISTORIES = ["log_integrator_continued", "log_integrator_refused"]


async def _history(name: str) -> WorkflowHistory:
    text = await asyncio.to_thread((HISTORIES / f"{name}.json").read_text)
    return WorkflowHistory.from_json(name, text)


@pytest.mark.parametrize("name", INTEGRATOR_HISTORIES)
async def test_an_integrator_history_replays(name: str) -> None:
    history = await _history(name)
    kinds = [e.event_type for e in history.events]
    assert kinds[0] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == "LogIntegrator"
    # Each covers a whole run, up to its continuing as new.
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    refused = EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED in kinds
    assert refused is (name == "log_integrator_refused")
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)


@workflow.defn(name="LogIntegrator")
class IntegratorWithoutItsPause:
    """The integrator as it would be if a change dropped the sleep between turns unversioned."""

    @workflow.run
    async def run(self, inp: IntegratorInput) -> None:
        for _ in range(inp.turns):
            await workflow.execute_activity(
                INTEGRATE_LOG, start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=Integrated
            )
        workflow.continue_as_new(inp)


@workflow.defn(name="LogIntegrator")
class IntegratorThatSleepsFirst:
    """The integrator as it would be if a change moved the sleep before the activity."""

    @workflow.run
    async def run(self, inp: IntegratorInput) -> None:
        for _ in range(inp.turns):
            await workflow.sleep(timedelta(seconds=inp.interval_seconds))
            await workflow.execute_activity(
                INTEGRATE_LOG, start_to_close_timeout=ACTIVITY_TIMEOUT, result_type=Integrated
            )
        workflow.continue_as_new(inp)


@pytest.mark.parametrize("changed", [IntegratorWithoutItsPause, IntegratorThatSleepsFirst])
async def test_an_unversioned_change_to_the_integrator_fails_replay(changed: type) -> None:
    replayer = Replayer(
        workflows=[changed],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(await _history("log_integrator_continued"))
