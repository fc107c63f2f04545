"""Activities of the selection round: mirror phases and commands into the database."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import (
    MIRROR_PHASE,
    RECORD_CANCELLATION,
    RECORD_EXTENSION,
    MirrorPhaseInput,
    RecordCancellationInput,
    RecordExtensionInput,
    WriteResult,
)
from activities.errors import domain_errors_are_final
from store import rounds
from store.db import Database


class RoundActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn(name=MIRROR_PHASE)
    @domain_errors_are_final
    def mirror_phase(self, inp: MirrorPhaseInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.mirror_phase(conn, inp.round_id, inp.phase, inp.seq, inp.scheduled_at)
        return WriteResult(changed=changed)

    @activity.defn(name=RECORD_EXTENSION)
    @domain_errors_are_final
    def record_extension(self, inp: RecordExtensionInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_extension(
                conn, inp.round_id, inp.deadline, inp.new_at, inp.reason, inp.actor
            )
        return WriteResult(changed=changed)

    @activity.defn(name=RECORD_CANCELLATION)
    @domain_errors_are_final
    def record_cancellation(self, inp: RecordCancellationInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_cancellation(conn, inp.round_id, inp.reason, inp.actor, inp.seq)
        return WriteResult(changed=changed)
