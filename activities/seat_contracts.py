"""What the seat activities take and return, and their names (store/seats.py does the work).

Workflows import this module, never the implementations: it holds no database code.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

OPEN_SEATS = "open_seats"
LAPSE_SEATS = "lapse_seats"


class SeatsInput(BaseModel):
    round_id: str
    now: datetime  # the workflow's time: offers and lapses are judged against it


class SeatsDue(BaseModel):
    """The earliest deadline still waiting for an answer; None once every seat is settled."""

    next_deadline: datetime | None = None
