"""Activities of the selection round: mirror phases and commands into the database."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import (
    COUNT_ROUND,
    MIRROR_PHASE,
    RECORD_CANCELLATION,
    RECORD_EXTENSION,
    CountDone,
    MirrorPhaseInput,
    RecordCancellationInput,
    RecordExtensionInput,
    RoundRef,
    WriteResult,
)
from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from activities.log import integrate_everything
from policies.phases import Phase
from store import log, nominations, outcomes, rounds
from store.db import RECEIPTS, Database


class RoundActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(self, db: Database, origin: str) -> None:
        self.db = db
        self.origin = origin  # the log's name, for the checkpoint the count waits for

    @activity.defn(name=MIRROR_PHASE)
    @heartbeating
    @domain_errors_are_final
    def mirror_phase(self, inp: MirrorPhaseInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.mirror_phase(conn, inp.round_id, inp.phase, inp.seq, inp.scheduled_at)
            if changed and inp.phase is Phase.NOMINATIONS_CLOSED:
                # In the same transaction: nobody sees nominations closed without the list.
                for p in rounds.get(conn, inp.round_id)["participants"]:
                    nominations.fix_candidates(conn, inp.round_id, p["constituency_id"])
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
