"""The campaign's committed history: it shows what it is meant to, it replays, and an
unversioned change to the campaign's steps fails to replay it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from mandate.worker import WORKFLOWS
from workflows.sign_on_campaign import CampaignInput, CampaignResult, SignOnCampaignWorkflow

HISTORY = Path(__file__).parent / "histories" / "campaign_concluded.json"


async def _history() -> WorkflowHistory:
    return WorkflowHistory.from_json(
        "campaign_concluded", await asyncio.to_thread(HISTORY.read_text)
    )


async def test_the_campaign_history_shows_a_whole_campaign_and_replays() -> None:
    history = await _history()
    kinds = [e.event_type for e in history.events]
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_type.name == "SignOnCampaign"
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in kinds
    assert kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 2
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED not in kinds  # a retry is not an event
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    activities = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert activities.count("deliver_webhook") == 2  # the milestone and the close
    assert "publish_signatories" in activities
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)


@workflow.defn(name="SignOnCampaign")
class CampaignWithoutItsLastLook(SignOnCampaignWorkflow):
    """The campaign as it would be if a change dropped the milestone look at the close."""

    async def _milestones(self) -> None:
        if self._phase.value == "closed":
            return
        await super()._milestones()

    @workflow.run
    async def run(self, inp: CampaignInput) -> CampaignResult:
        return await super().run(inp)


async def test_an_unversioned_change_to_the_campaign_fails_replay() -> None:
    replayer = Replayer(
        workflows=[CampaignWithoutItsLastLook],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(await _history())
