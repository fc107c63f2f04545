"""SelectionRoundWorkflow: moves a published round through its phases on durable timers."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        COUNT_ROUND,
        FETCH_BEACON,
        MIRROR_PHASE,
        PLAN_COUNT,
        RECORD_CANCELLATION,
        RECORD_EXTENSION,
        BeaconFetched,
        BeaconRef,
        CountDone,
        CountPlan,
        MirrorPhaseInput,
        RecordCancellationInput,
        RecordExtensionInput,
        RoundRef,
        WriteResult,
    )
    from activities.seat_contracts import LAPSE_SEATS, OPEN_SEATS, SeatsDue, SeatsInput
    from policies.errors import DomainError, InvalidExtension, WrongPhase
    from policies.messages import N_
    from policies.phases import TERMINAL, Phase
    from policies.schedule import Deadline, Schedule, extend
    from workflows.options import refused, run_activity


# Rounds started before the count existed replay without it.
SELECTION_PATCH = "count-round"
# Rounds that passed the voting close before the count waited for the reveal window and the
# beacon replay without the wait.
LOT_PATCH = "count-after-reveals-and-beacon"
# Rounds decided before seat acceptance existed end at the decision; later ones offer the seats
# and wait, on durable timers, until every seat is accepted or no alternate is left.
SEATS_PATCH = "seat-acceptance"
COUNT_TIMEOUT = timedelta(minutes=10)
# A relay may lag the beacon's time a little, or be down for a while: ask again, less and less
# often, until it answers (or the secretariat records the value by hand).
BEACON_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)


class RoundInput(BaseModel):
    round_id: str
    schedule: Schedule


class RoundResult(BaseModel):
    round_id: str
    phase: Phase
    cancel_reason: str | None = None
    receipts: list[str] = Field(default_factory=list)
    seats_confirmed: bool = False  # every seat accepted or stated empty (store/seats.py)


class ExtendDeadline(BaseModel):
    deadline: Deadline
    new_at: datetime
    reason: str = Field(min_length=1)
    actor: str


class CancelRound(BaseModel):
    reason: str = Field(min_length=1)
    actor: str


class RoundState(BaseModel):
    phase: Phase
    schedule: Schedule
    # Set on an Update's answer: leaf hashes of the log entries the command made.
    receipts: list[str] = Field(default_factory=list)


@workflow.defn
class SelectionRoundWorkflow:
    @workflow.init
    def __init__(self, inp: RoundInput) -> None:
        self._round_id = inp.round_id
        self._schedule = inp.schedule
        self._phase = Phase.PUBLISHED
        self._seq = 1  # the API's publication was change 1
        self._schedule_version = 0
        self._extending = False
        self._cancelling = False
        self._cancel_reason: str | None = None
        self._seats_confirmed = False

    @workflow.run
    async def run(self, inp: RoundInput) -> RoundResult:
        for phase, _ in self._schedule.transitions():
            if not await self._wait_until_due(phase):
                return await self._finish_cancelled()
            await self._enter(phase)
        if workflow.patched(LOT_PATCH) and not await self._wait_for_randomness():
            return await self._finish_cancelled()
        for phase in (Phase.COUNTING, Phase.DECIDED):
            if self._cancelling:
                return await self._finish_cancelled()
            await self._enter(phase)
            if phase is Phase.COUNTING and workflow.patched(SELECTION_PATCH):
                await run_activity(
                    COUNT_ROUND, RoundRef(round_id=self._round_id), CountDone, COUNT_TIMEOUT
                )
        if workflow.patched(SEATS_PATCH):
            await self._settle_seats()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return RoundResult(
            round_id=self._round_id, phase=self._phase, seats_confirmed=self._seats_confirmed
        )

    async def _settle_seats(self) -> None:
        """Offer the seats, then wake at each acceptance deadline to lapse the seats left
        unanswered and pass them on (each alternate asked gets a window of their own), until
        every seat is accepted or stated empty. Answers arrive through the API meanwhile."""
        due = await run_activity(
            OPEN_SEATS, SeatsInput(round_id=self._round_id, now=workflow.now()), SeatsDue
        )
        while due.next_deadline is not None:
            remaining = due.next_deadline - workflow.now()
            if remaining > timedelta(0):
                await workflow.sleep(remaining)
            due = await run_activity(
                LAPSE_SEATS, SeatsInput(round_id=self._round_id, now=workflow.now()), SeatsDue
            )
        self._seats_confirmed = True

    async def _wait_for_randomness(self) -> bool:
        """After the close: wait out the reveal window and the beacon round, and fetch the
        beacon where a relay is set. False if the round is cancelled meanwhile."""
        plan = await run_activity(PLAN_COUNT, RoundRef(round_id=self._round_id), CountPlan)
        if plan.count_at is not None:
            while (remaining := plan.count_at - workflow.now()) > timedelta(0):
                await self._sleep_or_change(remaining)  # wakes early only to be cancelled
                if self._cancelling:
                    return False
        for constituency_id in plan.beacons:
            if self._cancelling:
                return False
            await run_activity(
                FETCH_BEACON,
                BeaconRef(round_id=self._round_id, constituency_id=constituency_id),
                BeaconFetched,
                retry=BEACON_RETRY,
            )
        return not self._cancelling

    async def _wait_until_due(self, phase: Phase) -> bool:
        """Sleep until the (possibly extended) start of ``phase``; False if cancelled."""
        while True:
            if self._cancelling:
                return False
            due = dict(self._schedule.transitions())[phase]
            remaining = due - workflow.now()
            if remaining <= timedelta(0):
                if not self._extending:
                    return True
                # An extension is being recorded: let it land, then look at the deadline again.
                await workflow.wait_condition(lambda: not self._extending or self._cancelling)
                continue
            await self._sleep_or_change(remaining)

    async def _sleep_or_change(self, duration: timedelta) -> bool:
        """Sleep for ``duration``; False when woken early by an extension or a cancellation."""
        version = self._schedule_version
        try:
            await workflow.wait_condition(
                lambda: self._schedule_version != version or self._cancelling,
                timeout=duration,
            )
        except TimeoutError:
            return True
        return False

    async def _enter(self, phase: Phase) -> None:
        self._seq += 1
        await run_activity(
            MIRROR_PHASE,
            MirrorPhaseInput(
                round_id=self._round_id,
                phase=phase,
                seq=self._seq,
                scheduled_at=dict(self._schedule.transitions()).get(phase, workflow.now()),
            ),
            WriteResult,
        )
        if not self._cancelling:
            self._phase = phase

    async def _finish_cancelled(self) -> RoundResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return RoundResult(
            round_id=self._round_id, phase=Phase.CANCELLED, cancel_reason=self._cancel_reason
        )

    @workflow.query
    def state(self) -> RoundState:
        return RoundState(phase=self._phase, schedule=self._schedule)

    @workflow.update
    async def extend_deadline(self, cmd: ExtendDeadline) -> RoundState:
        new_schedule = self._checked_extension(cmd)
        self._extending = True
        try:
            done = await run_activity(
                RECORD_EXTENSION,
                RecordExtensionInput(
                    round_id=self._round_id,
                    deadline=cmd.deadline,
                    new_at=cmd.new_at,
                    reason=cmd.reason,
                    actor=cmd.actor,
                ),
                WriteResult,
            )
            self._schedule = new_schedule
            self._schedule_version += 1
        finally:
            self._extending = False
        return RoundState(phase=self._phase, schedule=self._schedule, receipts=done.receipts)

    @extend_deadline.validator
    def _validate_extend(self, cmd: ExtendDeadline) -> None:
        if self._extending:
            # Two extensions validated against the same schedule could land out of order.
            raise refused(InvalidExtension(N_("another extension is being recorded; try again")))
        self._checked_extension(cmd)

    def _checked_extension(self, cmd: ExtendDeadline) -> Schedule:
        if self._cancelling:
            raise refused(WrongPhase(N_("the round is being cancelled")))
        try:
            return extend(self._schedule, self._phase, cmd.deadline, cmd.new_at, workflow.now())
        except DomainError as exc:
            raise refused(exc) from exc

    @workflow.update
    async def cancel(self, cmd: CancelRound) -> RoundResult:
        self._cancelling = True
        self._seq += 1
        done = await run_activity(
            RECORD_CANCELLATION,
            RecordCancellationInput(
                round_id=self._round_id, reason=cmd.reason, actor=cmd.actor, seq=self._seq
            ),
            WriteResult,
        )
        self._cancel_reason = cmd.reason
        self._phase = Phase.CANCELLED
        return RoundResult(
            round_id=self._round_id,
            phase=self._phase,
            cancel_reason=cmd.reason,
            receipts=done.receipts,
        )

    @cancel.validator
    def _validate_cancel(self, cmd: CancelRound) -> None:
        if self._cancelling or self._phase in TERMINAL:
            if self._cancelling:
                raise refused(
                    WrongPhase(N_("the round is being cancelled and can no longer be cancelled"))
                )
            raise refused(
                WrongPhase(
                    N_("the round is %(phase)s and can no longer be cancelled"),
                    phase=self._phase.value,
                )
            )
        if self._phase in (Phase.COUNTING,):
            raise refused(
                WrongPhase(N_("the count has started; the round can no longer be cancelled"))
            )
