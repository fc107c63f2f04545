"""LogIntegratorWorkflow: integrates logged entries into the Merkle tree, a batch at a time.

One instance runs per deployment. Each turn is one activity: index the waiting entries, store
the new subtree hashes, sign a checkpoint. When nothing more waits it sleeps ``interval``, so a
write is provable within about that long. History stays short: it continues as new after
``turns`` turns.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import INTEGRATE_LOG, Integrated
    from workflows.options import HEARTBEAT_TIMEOUT, RETRY

INTEGRATOR_ID = "mandate-log-integrator"
ACTIVITY_TIMEOUT = timedelta(minutes=2)
# After a refusal (a tree that does not extend the last checkpoint), try again this much later.
REFUSED_PAUSE = timedelta(minutes=1)


class IntegratorInput(BaseModel):
    interval_seconds: float = Field(default=1.0, gt=0)
    turns: int = Field(default=200, ge=1)


@workflow.defn(name="LogIntegrator")
class LogIntegratorWorkflow:
    def __init__(self) -> None:
        self.size = 0

    @workflow.run
    async def run(self, inp: IntegratorInput) -> None:
        for _ in range(inp.turns):
            try:
                done = await workflow.execute_activity(
                    INTEGRATE_LOG,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    heartbeat_timeout=HEARTBEAT_TIMEOUT,
                    retry_policy=RETRY,
                    result_type=Integrated,
                )
            except ActivityError as exc:
                workflow.logger.error("log integration refused: %s", exc.cause or exc)
                await workflow.sleep(REFUSED_PAUSE)
                continue
            self.size = done.size
            if not done.more_waiting:
                await workflow.sleep(timedelta(seconds=inp.interval_seconds))
        workflow.continue_as_new(inp)

    @workflow.query
    def tree_size(self) -> int:
        return self.size
