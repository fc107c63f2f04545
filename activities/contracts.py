"""What the round's activities take and return, and their names.

Workflows import this module, never the implementations: it holds no database code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from policies.campaigns import CampaignPhase
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


PLAN_COUNT = "plan_count"
FETCH_BEACON = "fetch_beacon"


class CountPlan(BaseModel):
    """What the count waits for once voting has closed (policies.randomness.RandomnessTerms)."""

    count_at: datetime | None = None  # the end of the last reveal window, or the last beacon's time
    beacons: list[str] = Field(default_factory=list)  # constituencies whose rules name a beacon


class BeaconRef(BaseModel):
    round_id: str
    constituency_id: str


class BeaconFetched(BaseModel):
    # False when no relay is set (MANDATE_DRAND_RELAY): the secretariat records it by PUT.
    recorded: bool


INTEGRATE_LOG = "integrate_log"


class Integrated(BaseModel):
    """One integration: how many entries joined the tree, and its size now."""

    integrated: int
    size: int
    more_waiting: bool


# -- sign-on campaigns

MIRROR_CAMPAIGN_PHASE = "mirror_campaign_phase"
RECORD_CAMPAIGN_EXTENSION = "record_campaign_extension"
RECORD_STATEMENT_VERSION = "record_statement_version"
CHECK_MILESTONES = "check_milestones"
PREPARE_NOTICE = "prepare_notice"
NOTIFY_SIGNERS = "notify_signers"
PUBLISH_SIGNATORIES = "publish_signatories"
DELIVER_WEBHOOK = "deliver_webhook"
SEND_MAIL = "send_mail"


class MirrorCampaignPhaseInput(BaseModel):
    campaign_id: str
    phase: CampaignPhase
    seq: int
    scheduled_at: datetime


class RecordCampaignExtensionInput(BaseModel):
    campaign_id: str
    new_at: datetime
    reason: str
    actor: str


class RecordStatementVersionInput(BaseModel):
    campaign_id: str
    version: int
    texts: dict[str, dict[str, str]]
    reason: str
    actor: str


class VersionRecorded(BaseModel):
    version: int
    statement_hash: str
    receipts: list[str] = Field(default_factory=list)


class CampaignRef(BaseModel):
    campaign_id: str


class MilestonesReached(BaseModel):
    thresholds: list[int]


class NoticeInput(BaseModel):
    campaign_id: str
    kind: str  # milestone | closed
    threshold: int | None = None


class Notice(BaseModel):
    """A notice made ready: its contact mail is queued; these webhooks are to be called."""

    event: dict[str, Any]
    webhook_ids: list[str]


class NotifySignersInput(BaseModel):
    campaign_id: str
    version: int
    reason: str


class SignersNotified(BaseModel):
    queued: int


class SignatoriesPublished(BaseModel):
    record_hash: str
    total: int


class DeliveryInput(BaseModel):
    webhook_id: str
    campaign_id: str
    event: dict[str, Any]


class Delivered(BaseModel):
    delivered: bool
    status_code: int | None = None


class MailBatch(BaseModel):
    limit: int = 200


class MailSent(BaseModel):
    sent: int
    failed: int
    more_waiting: bool
