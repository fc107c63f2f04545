"""MailOutboxWorkflow: sends the mail that writes have queued, a batch at a time.

One instance runs per deployment, so one sender takes each mail. Each turn is one activity;
when nothing more is due it sleeps ``interval``. History stays short: it continues as new
after ``turns`` turns.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import SEND_MAIL, MailBatch, MailSent
    from workflows.options import HEARTBEAT_TIMEOUT, RETRY

OUTBOX_ID = "mandate-mail-outbox"
ACTIVITY_TIMEOUT = timedelta(minutes=5)


class OutboxInput(BaseModel):
    interval_seconds: float = Field(default=1.0, gt=0)
    turns: int = Field(default=200, ge=1)


@workflow.defn(name="MailOutbox")
class MailOutboxWorkflow:
    def __init__(self) -> None:
        self.sent = 0

    @workflow.run
    async def run(self, inp: OutboxInput) -> None:
        for _ in range(inp.turns):
            try:
                done = await workflow.execute_activity(
                    SEND_MAIL,
                    MailBatch(),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    heartbeat_timeout=HEARTBEAT_TIMEOUT,
                    retry_policy=RETRY,
                    result_type=MailSent,
                )
            except ActivityError as exc:
                workflow.logger.error("sending mail failed: %s", exc.cause or exc)
                await workflow.sleep(timedelta(seconds=inp.interval_seconds))
                continue
            self.sent += done.sent
            if not done.more_waiting:
                await workflow.sleep(timedelta(seconds=inp.interval_seconds))
        workflow.continue_as_new(inp)

    @workflow.query
    def sent_so_far(self) -> int:
        return self.sent
