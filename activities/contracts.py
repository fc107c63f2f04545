"""What the round's activities take and return, and their names.

Workflows import this module, never the implementations: it holds no database code.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from policies.phases import Phase
from policies.schedule import Deadline

MIRROR_PHASE = "mirror_phase"
RECORD_EXTENSION = "record_extension"
RECORD_CANCELLATION = "record_cancellation"
COUNT_ROUND = "count_round"


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
    # Leaf hashes of the log entries the write made: the command's receipts.
    receipts: list[str] = Field(default_factory=list)


class RoundRef(BaseModel):
    round_id: str


class CountDone(BaseModel):
    outcomes_published: int


INTEGRATE_LOG = "integrate_log"


class Integrated(BaseModel):
    """One integration: how many entries joined the tree, and its size now."""

    integrated: int
    size: int
    more_waiting: bool
