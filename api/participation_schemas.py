"""What the secretariat reads of a round's participation so far."""

from __future__ import annotations

from pydantic import BaseModel, Field

from policies.phases import Phase


class MemberActivityOut(BaseModel):
    organisation_id: str
    name: str
    country: str
    nominated: int = Field(description="nominations submitted with the organisation's tokens")
    endorsed: int = Field(description="nominations the organisation endorsed")
    voted: bool = Field(description="whether it has cast a ballot (casting again counts once)")


class ConstituencyParticipationOut(BaseModel):
    constituency_id: str
    name: str
    seats: int
    method: str | None = Field(description="its published method; null while it has no rules")
    ballots: bool = Field(description="false for a lottery or designation: nobody votes")
    endorsements_required: int
    members: list[MemberActivityOut] = Field(description="its current members, by name")
    not_nominated: list[str] = Field(description="ids of members that have nominated nobody")
    not_endorsed: list[str] = Field(description="ids of members that have endorsed nobody")
    not_voted: list[str] = Field(description="ids of members that have not voted")


class ParticipationOut(BaseModel):
    round_id: str
    phase: Phase
    constituencies: list[ConstituencyParticipationOut]
