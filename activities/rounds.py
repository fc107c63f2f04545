"""Activities of the selection round: mirror phases and commands into the database."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from temporalio import activity

from activities.errors import domain_errors_are_final
from policies.phases import Phase
from policies.schedule import Deadline
from store import rounds
from store.db import Database


class MirrorPhaseInput(BaseModel):
    round_id: str
    phase: Phase
    seq: int
    scheduled_at: datetime


class RecordExtensionInput(BaseModel):
    round_id: str
    deadline: Deadline
    new_at: datetime
    reason: str
    actor: str


class RecordCancellationInput(BaseModel):
    round_id: str
    reason: str
    actor: str
    seq: int


class WriteResult(BaseModel):
    changed: bool


class RoundActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn
    @domain_errors_are_final
    def mirror_phase(self, inp: MirrorPhaseInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.mirror_phase(conn, inp.round_id, inp.phase, inp.seq, inp.scheduled_at)
        return WriteResult(changed=changed)

    @activity.defn
    @domain_errors_are_final
    def record_extension(self, inp: RecordExtensionInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_extension(
                conn, inp.round_id, inp.deadline, inp.new_at, inp.reason, inp.actor
            )
        return WriteResult(changed=changed)

    @activity.defn
    @domain_errors_are_final
    def record_cancellation(self, inp: RecordCancellationInput) -> WriteResult:
        with self.db.write() as conn:
            changed = rounds.record_cancellation(conn, inp.round_id, inp.reason, inp.actor, inp.seq)
        return WriteResult(changed=changed)
