"""What the API takes and gives about seats: the nominee's answer and the seats' state."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import NameOut


class SeatAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200, description="the nomination's consent token")
    decision: Literal["accept", "decline"] = Field(
        description="accept or decline the seat offered, before its deadline"
    )


class SeatOfferOut(BaseModel):
    seat: int = Field(description="1-based, in the outcome's order of winners")
    nomination_id: str | None = Field(description="null: the seat is stated empty")
    status: str = Field(description="offered, accepted, declined, lapsed or empty")
    offered_at: datetime
    deadline: datetime | None
    answered_at: datetime | None


class SeatOut(BaseModel):
    seat: int
    nomination_id: str | None = Field(description="who holds or is asked; null: empty")
    status: str = Field(description="offered (waiting for an answer), accepted or empty")
    deadline: datetime | None
    answered_at: datetime | None
    earlier: list[SeatOfferOut] = Field(description="the offers of this seat declined or lapsed")


class SeatsOut(BaseModel):
    round_id: str
    constituency_id: str
    offered: bool = Field(description="whether the seats have been offered (after the decision)")
    confirmed: bool = Field(description="every seat accepted or stated empty")
    confirmed_at: datetime | None
    head_hash: str | None = Field(
        description="the hash the next amendment names: the outcome's or the last amendment's"
    )
    seats: list[SeatOut]
    names: dict[str, NameOut] = Field(
        default_factory=dict,
        description="each nomination id above (held, offered or earlier) by its public name",
    )
