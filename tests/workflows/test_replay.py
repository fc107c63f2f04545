"""Replay committed histories: a workflow change that breaks determinism fails here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from mandate.worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "round_extended_and_decided",
        "round_cancelled",
        "round_counted",
        "log_integrator_continued",
        "log_integrator_refused",
        "campaign_concluded",
        "mail_outbox_continued",
        "round_counted_after_reveals",
        "round_counted_with_beacon",
        "round_seats_confirmed",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
