"""Request and response bodies."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
)

from policies.access import Role
from policies.phases import Phase
from policies.schedule import Deadline


def _nfc(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("must not be blank")
    return value


Name = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_nfc)]
Label = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_nfc)]
Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_nfc)]
Id = Annotated[str, Field(min_length=1, max_length=36)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationIn(In):
    name: Name
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")
    region: Label
    type: Label = Field(description="e.g. trade_union, ngo, network, grassroots_group")
    migrant_led: bool = False
    grassroots: bool = False
    contact_email: EmailStr


class OrganisationOut(BaseModel):
    id: str
    name: str
    country: str
    region: str
    type: str
    migrant_led: bool
    grassroots: bool
    contact_email: str | None = Field(description="shown to the secretariat only")
    created_at: datetime


class ConstituencyIn(In):
    name: Name
    description: str = Field(default="", max_length=5000)


class ConstituencyOut(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime


class MemberOut(BaseModel):
    organisation_id: str
    name: str
    country: str
    region: str
    type: str
    migrant_led: bool
    grassroots: bool
    admitted_at: datetime


class ConstituencyDetail(ConstituencyOut):
    members: list[MemberOut]
    coordinators: list[CoordinatorOut]


class CoordinatorIn(In):
    name: Name
    email: EmailStr
    organisation_id: Id | None = None


class CoordinatorOut(BaseModel):
    id: str
    constituency_id: str
    name: str
    organisation_id: str | None
    created_at: datetime


class CredentialOut(BaseModel):
    id: str
    role: Role
    constituency_id: str | None
    organisation_id: str | None
    coordinator_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None


class TokenIssued(BaseModel):
    credential: CredentialOut
    token: str = Field(description="shown once; only its hash is stored")


class CoordinatorIssued(TokenIssued):
    coordinator: CoordinatorOut


class MemberIn(In):
    organisation_id: Id


class MembershipOut(BaseModel):
    constituency_id: str
    organisation_id: str
    admitted_at: datetime
    removed_at: datetime | None = None


class MemberTokenIn(In):
    label: Label = "member token"


class Segment(In):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    title: Name


class Participant(In):
    constituency_id: Id
    seats: int = Field(ge=1, le=100)


class ScheduleIn(In):
    nominations_open_at: AwareDatetime
    nominations_close_at: AwareDatetime
    voting_open_at: AwareDatetime
    voting_close_at: AwareDatetime


class SchedulePatch(In):
    nominations_open_at: AwareDatetime | None = None
    nominations_close_at: AwareDatetime | None = None
    voting_open_at: AwareDatetime | None = None
    voting_close_at: AwareDatetime | None = None


def _unique_participants(value: list[Participant]) -> list[Participant]:
    ids = [p.constituency_id for p in value]
    if len(set(ids)) != len(ids):
        raise ValueError("each constituency may take part once")
    return value


def _unique_segments(value: list[Segment]) -> list[Segment]:
    keys = [s.key for s in value]
    if len(set(keys)) != len(keys):
        raise ValueError("segment keys must be unique")
    return value


Participants = Annotated[
    list[Participant], Field(min_length=1, max_length=200), AfterValidator(_unique_participants)
]
Segments = Annotated[
    list[Segment], Field(min_length=1, max_length=50), AfterValidator(_unique_segments)
]


class RoundIn(In):
    title: Name
    segments: Segments
    participants: Participants
    schedule: ScheduleIn


class RoundPatch(In):
    title: Name | None = None
    segments: Segments | None = None
    participants: Participants | None = None
    schedule: SchedulePatch | None = None

    @field_validator("schedule")
    @classmethod
    def _not_empty(cls, value: SchedulePatch | None) -> SchedulePatch | None:
        if value is not None and not value.model_dump(exclude_none=True):
            raise ValueError("give at least one schedule field to change")
        return value


class ScheduleOut(BaseModel):
    nominations_open_at: datetime
    nominations_close_at: datetime
    voting_open_at: datetime
    voting_close_at: datetime


class RoundOut(BaseModel):
    id: str
    title: str
    segments: list[dict[str, Any]]
    participants: list[dict[str, Any]]
    phase: Phase
    schedule: ScheduleOut
    criteria_hash: str | None
    criteria_version: int | None
    published_at: datetime | None
    cancel_reason: str | None


class PhaseOut(BaseModel):
    round_id: str
    phase: Phase
    schedule: ScheduleOut


class CriteriaOut(BaseModel):
    round_id: str
    version: int
    criteria: dict[str, Any]
    canonical: str = Field(description="the exact RFC 8785 bytes that were hashed and signed")
    criteria_hash: str = Field(description="SHA-256 of the canonical bytes, hex")
    envelope: dict[str, Any] = Field(description="DSSE envelope, Ed25519")


class ExtendIn(In):
    deadline: Deadline
    new_at: AwareDatetime
    reason: Reason


class CancelIn(In):
    reason: Reason


class LogEntryOut(BaseModel):
    seq: int
    type: str
    statement: str = Field(description="canonical JSON, exactly as hashed")
    prev_hash: str
    entry_hash: str


class LogOut(BaseModel):
    scope: str
    entries: list[LogEntryOut]
    next_after: int | None


class KeyOut(BaseModel):
    key_id: str
    algorithm: str
    purpose: str
    public_key: str = Field(description="raw Ed25519 public key, base64")


class Me(BaseModel):
    credential_id: str
    role: Role
    constituency_id: str | None
    organisation_id: str | None
    coordinator_id: str | None


ConstituencyDetail.model_rebuild()
