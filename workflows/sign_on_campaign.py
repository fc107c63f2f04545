"""SignOnCampaignWorkflow: runs a campaign's sign-on window on durable timers.

Published → open at ``opens_at`` → closed at ``closes_at`` (which an extension moves) → the
signed signatory record → concluded. Signatures never pass through here: they go straight to
the database behind the window's gate. The workflow hears of milestones by a signal (the
write that reaches one sends it) and looks once more at the close; each milestone and the
close send a notice to the campaign's contact and its webhooks, once each.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        CHECK_MILESTONES,
        DELIVER_WEBHOOK,
        MIRROR_CAMPAIGN_PHASE,
        NOTIFY_SIGNERS,
        PREPARE_NOTICE,
        PUBLISH_SIGNATORIES,
        RECORD_CAMPAIGN_EXTENSION,
        RECORD_STATEMENT_VERSION,
        CampaignRef,
        Delivered,
        DeliveryInput,
        MilestonesReached,
        MirrorCampaignPhaseInput,
        Notice,
        NoticeInput,
        NotifySignersInput,
        RecordCampaignExtensionInput,
        RecordStatementVersionInput,
        SignatoriesPublished,
        SignersNotified,
        VersionRecorded,
        WriteResult,
    )
    from policies.campaigns import CampaignPhase, Window, extend_close, is_before
    from policies.errors import DomainError, InvalidExtension, WrongPhase
    from policies.messages import N_
    from workflows.options import HEARTBEAT_TIMEOUT, refused, run_activity

LONG_TIMEOUT = timedelta(minutes=10)  # the record of a big campaign, the mail to its signers
# A webhook endpoint that is down is tried again with a growing pause, for about a day (a
# delivery whose worker died waits the same pause as a failed one).
WEBHOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(hours=1),
    maximum_attempts=30,
)
WEBHOOK_TIMEOUT = timedelta(seconds=30)
M = TypeVar("M", bound=BaseModel)


class CampaignInput(BaseModel):
    campaign_id: str
    opens_at: datetime
    closes_at: datetime


class CampaignResult(BaseModel):
    campaign_id: str
    phase: CampaignPhase
    record_hash: str | None = None
    signatories: int | None = None
    milestones: list[int] = Field(default_factory=list)


class ExtendClose(BaseModel):
    new_at: datetime
    reason: str = Field(min_length=1)
    actor: str


class CorrectStatement(BaseModel):
    texts: dict[str, dict[str, str]]
    reason: str = Field(min_length=1)
    actor: str


class CampaignState(BaseModel):
    phase: CampaignPhase
    opens_at: datetime
    closes_at: datetime
    version: int
    statement_hash: str | None = None
    # Set on an Update's answer: leaf hashes of the log entries the command made.
    receipts: list[str] = Field(default_factory=list)


@workflow.defn(name="SignOnCampaign")
class SignOnCampaignWorkflow:
    @workflow.init
    def __init__(self, inp: CampaignInput) -> None:
        self._id = inp.campaign_id
        self._window = Window(inp.opens_at, inp.closes_at)
        self._phase = CampaignPhase.PUBLISHED
        self._seq = 1  # the API's publication was change 1
        self._version = 1
        self._window_version = 0
        self._extending = False
        self._correcting = False
        self._look_at_milestones = False
        self._to_tell: list[NotifySignersInput] = []  # corrections whose signers to tell
        self._notified: list[int] = []
        self._deliveries: list[workflow.ActivityHandle[Delivered]] = []

    @workflow.run
    async def run(self, inp: CampaignInput) -> CampaignResult:
        while workflow.now() < self._window.opens_at:
            await self._wait(self._window.opens_at - workflow.now())
            await self._errands()
        await self._enter(CampaignPhase.OPEN, self._window.opens_at)
        while True:
            remaining = self._window.closes_at - workflow.now()
            if remaining <= timedelta(0) and not self._extending:
                break
            if remaining <= timedelta(0):
                # An extension is being recorded: let it land, then look at the close again.
                await workflow.wait_condition(lambda: not self._extending)
                continue
            await self._wait(remaining)
            await self._errands()
        await self._enter(CampaignPhase.CLOSED, self._window.closes_at)
        await self._milestones()  # the last look: nothing reached before the close is missed
        await self._errands()
        published = await run_activity(
            PUBLISH_SIGNATORIES,
            CampaignRef(campaign_id=self._id),
            SignatoriesPublished,
            LONG_TIMEOUT,
        )
        await self._enter(CampaignPhase.CONCLUDED, workflow.now())
        await self._notice(NoticeInput(campaign_id=self._id, kind="closed"))
        await self._delivered()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CampaignResult(
            campaign_id=self._id,
            phase=self._phase,
            record_hash=published.record_hash,
            signatories=published.total,
            milestones=sorted(self._notified),
        )

    async def _wait(self, duration: timedelta) -> None:
        """Sleep for ``duration``, or until there is an errand or the window moved."""
        version = self._window_version
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: (
                    self._window_version != version
                    or self._look_at_milestones
                    or bool(self._to_tell)
                ),
                timeout=duration,
            )

    async def _errands(self) -> None:
        if self._look_at_milestones:
            self._look_at_milestones = False
            await self._milestones()
        while self._to_tell:
            await run_activity(NOTIFY_SIGNERS, self._to_tell.pop(0), SignersNotified, LONG_TIMEOUT)

    async def _milestones(self) -> None:
        reached = await run_activity(
            CHECK_MILESTONES, CampaignRef(campaign_id=self._id), MilestonesReached
        )
        for threshold in reached.thresholds:
            if threshold not in self._notified:
                self._notified.append(threshold)
                await self._notice(
                    NoticeInput(campaign_id=self._id, kind="milestone", threshold=threshold)
                )

    async def _notice(self, inp: NoticeInput) -> None:
        """Queue the contact's mail and start a delivery to each webhook, awaited at the end."""
        notice = await run_activity(PREPARE_NOTICE, inp, Notice)
        for webhook_id in notice.webhook_ids:
            self._deliveries.append(
                workflow.start_activity(
                    DELIVER_WEBHOOK,
                    DeliveryInput(webhook_id=webhook_id, campaign_id=self._id, event=notice.event),
                    result_type=Delivered,
                    start_to_close_timeout=WEBHOOK_TIMEOUT,
                    heartbeat_timeout=HEARTBEAT_TIMEOUT,
                    retry_policy=WEBHOOK_RETRY,
                )
            )

    async def _delivered(self) -> None:
        for handle in self._deliveries:
            try:
                await handle
            except ActivityError as exc:
                # The delivery log holds every attempt; the campaign concludes all the same.
                workflow.logger.warning("a webhook delivery gave up: %s", exc.cause or exc)

    async def _command(self, activity: str, arg: BaseModel, result_type: type[M]) -> M:
        """An activity an Update runs: a refusal it meets (a DomainError in the activity)
        fails the Update with the same code, and the workflow goes on."""
        try:
            return await run_activity(activity, arg, result_type)
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError):
                raise ApplicationError(cause.message, *cause.details, type=cause.type) from exc
            raise

    async def _enter(self, phase: CampaignPhase, scheduled_at: datetime) -> None:
        self._seq += 1
        await run_activity(
            MIRROR_CAMPAIGN_PHASE,
            MirrorCampaignPhaseInput(
                campaign_id=self._id, phase=phase, seq=self._seq, scheduled_at=scheduled_at
            ),
            WriteResult,
        )
        self._phase = phase

    def _state(self, receipts: list[str] | None = None) -> CampaignState:
        return CampaignState(
            phase=self._phase,
            opens_at=self._window.opens_at,
            closes_at=self._window.closes_at,
            version=self._version,
            receipts=receipts or [],
        )

    @workflow.query
    def state(self) -> CampaignState:
        return self._state()

    @workflow.signal
    def milestone_reached(self) -> None:
        """A write reached a milestone (or the worker asks for a look after a restart)."""
        self._look_at_milestones = True

    @workflow.update
    async def extend_close(self, cmd: ExtendClose) -> CampaignState:
        new_window = self._checked_extension(cmd)
        self._extending = True
        try:
            done = await self._command(
                RECORD_CAMPAIGN_EXTENSION,
                RecordCampaignExtensionInput(
                    campaign_id=self._id, new_at=cmd.new_at, reason=cmd.reason, actor=cmd.actor
                ),
                WriteResult,
            )
            self._window = new_window
            self._window_version += 1
        finally:
            self._extending = False
        return self._state(done.receipts)

    @extend_close.validator
    def _validate_extend(self, cmd: ExtendClose) -> None:
        if self._extending:
            # Two extensions validated against the same window could land out of order.
            raise refused(InvalidExtension(N_("another extension is being recorded; try again")))
        self._checked_extension(cmd)

    def _checked_extension(self, cmd: ExtendClose) -> Window:
        try:
            return extend_close(self._window, self._phase, cmd.new_at, workflow.now())
        except DomainError as exc:
            raise refused(exc) from exc

    @workflow.update
    async def correct_statement(self, cmd: CorrectStatement) -> CampaignState:
        self._correcting = True
        try:
            done = await self._command(
                RECORD_STATEMENT_VERSION,
                RecordStatementVersionInput(
                    campaign_id=self._id,
                    version=self._version + 1,
                    texts=cmd.texts,
                    reason=cmd.reason,
                    actor=cmd.actor,
                ),
                VersionRecorded,
            )
            self._version = done.version
        finally:
            self._correcting = False
        self._to_tell.append(
            NotifySignersInput(campaign_id=self._id, version=done.version, reason=cmd.reason)
        )
        state = self._state(done.receipts)
        state.statement_hash = done.statement_hash
        return state

    @correct_statement.validator
    def _validate_correction(self, cmd: CorrectStatement) -> None:
        if self._correcting:
            raise refused(WrongPhase(N_("another correction is being recorded; try again")))
        if not is_before(self._phase, CampaignPhase.CLOSED) or (
            workflow.now() >= self._window.closes_at
        ):
            raise refused(
                WrongPhase(
                    N_("the campaign is %(phase)s; the statement can no longer be corrected"),
                    phase=self._phase.value,
                )
            )
