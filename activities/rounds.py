"""Activities of the selection round: mirror phases and commands into the database, and
gather what the count waits for."""

from __future__ import annotations

import logging

from temporalio import activity

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
from activities.drand_relay import RelayUnavailable, fetch_round
from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from activities.log import integrate_everything
from policies.errors import Conflict, WrongPhase
from policies.randomness import BeaconInvalid
from store import log, outcomes, randomness, round_phases, rounds
from store.db import RECEIPTS, Database

logger = logging.getLogger(__name__)


class RoundActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(self, db: Database, origin: str, drand_relay: str | None = None) -> None:
        self.db = db
        self.origin = origin  # the log's name, for the checkpoint the count waits for
        self.drand_relay = drand_relay  # MANDATE_DRAND_RELAY: None, the secretariat records

    @activity.defn(name=MIRROR_PHASE)
    @heartbeating
    @domain_errors_are_final
    def mirror_phase(self, inp: MirrorPhaseInput) -> WriteResult:
        with self.db.write() as conn:
            changed = round_phases.enter(conn, inp.round_id, inp.phase, inp.seq, inp.scheduled_at)
        return WriteResult(changed=changed)

    @activity.defn(name=RECORD_EXTENSION)
    @heartbeating
    @domain_errors_are_final
    def record_extension(self, inp: RecordExtensionInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_extension(
                conn, inp.round_id, inp.deadline, inp.new_at, inp.reason, inp.actor
            )
            receipts = list(conn.info[RECEIPTS])
        return WriteResult(changed=changed, receipts=receipts)

    @activity.defn(name=RECORD_CANCELLATION)
    @heartbeating
    @domain_errors_are_final
    def record_cancellation(self, inp: RecordCancellationInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_cancellation(conn, inp.round_id, inp.reason, inp.actor, inp.seq)
            receipts = list(conn.info[RECEIPTS])
        return WriteResult(changed=changed, receipts=receipts)

    @activity.defn(name=COUNT_ROUND)
    @heartbeating
    @domain_errors_are_final
    def count_round(self, inp: RoundRef) -> CountDone:
        # The count starts only once a checkpoint covers every ballot of the round.
        integrate_everything(self.db, self.origin)
        with self.db.write() as conn:
            covering = log.require_checkpoint(conn)
            published = outcomes.publish_outcomes(conn, inp.round_id, covering)
        return CountDone(outcomes_published=published)

    @activity.defn(name=PLAN_COUNT)
    @heartbeating
    @domain_errors_are_final
    def plan_count(self, inp: RoundRef) -> CountPlan:
        with self.db.read() as conn:
            count_at, beacons = randomness.count_plan(conn, inp.round_id)
        return CountPlan(count_at=count_at, beacons=beacons)

    @activity.defn(name=FETCH_BEACON)
    @heartbeating
    @domain_errors_are_final
    def fetch_beacon(self, inp: BeaconRef) -> BeaconFetched:
        """Fetch the beacon round the rules call for from the relay, verify it against the
        pinned key and record it as a PUT would. Raises (and is retried) until the relay has it."""
        with self.db.read() as conn:
            due = randomness.beacon_wanted(conn, inp.round_id, inp.constituency_id)
        if due is None:  # recorded already (by hand), or the round was cancelled
            return BeaconFetched(recorded=True)
        if self.drand_relay is None:
            return BeaconFetched(recorded=False)
        answer = fetch_round(self.drand_relay, due.chain_hash, due.round)
        try:
            verified = randomness.verify_beacon_value(
                due, answer.round, answer.randomness, answer.signature
            )
        except BeaconInvalid as exc:
            # A relay is only a messenger: another try, or the secretariat, may bring the value.
            raise RelayUnavailable(f"the relay's value was refused: {exc.detail}") from exc
        try:
            with self.db.write() as conn:
                randomness.record_beacon(
                    conn, inp.round_id, inp.constituency_id, verified, rounds.WORKFLOW_ACTOR
                )
        except (Conflict, WrongPhase) as exc:  # recorded by hand meanwhile, or cancelled
            logger.info("beacon of %s not recorded: %s", inp.constituency_id, exc.detail)
        return BeaconFetched(recorded=True)
