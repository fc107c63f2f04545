"""The design DESIGN.md rejects, as a baseline: every ballot is one Workflow Update on a single
workflow that holds the ballot box in its state.

Deliberately minimal (no validation, no audit log, no database), so that the baseline measures
the cost of the Update path itself and nothing of Mandate's.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow


class Ballot(BaseModel):
    voter: str
    approvals: list[str]


class BoxInput(BaseModel):
    name: str


class BoxResult(BaseModel):
    ballots: int


@workflow.defn
class BallotBoxWorkflow:
    """Takes ballots as Updates until told to close; answers each with its position."""

    def __init__(self) -> None:
        self._ballots: list[Ballot] = []
        self._closed = False

    @workflow.run
    async def run(self, inp: BoxInput) -> BoxResult:
        await workflow.wait_condition(lambda: self._closed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return BoxResult(ballots=len(self._ballots))

    @workflow.update
    def cast(self, ballot: Ballot) -> int:
        self._ballots.append(ballot)
        return len(self._ballots)

    @workflow.signal
    def close(self) -> None:
        self._closed = True
