"""Activities of seat acceptance: offer the decided seats, and lapse the unanswered ones."""

from __future__ import annotations

from temporalio import activity

from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from activities.seat_contracts import LAPSE_SEATS, OPEN_SEATS, SeatsDue, SeatsInput
from store import seats
from store.db import Database


class SeatActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @activity.defn(name=OPEN_SEATS)
    @heartbeating
    @domain_errors_are_final
    def open_seats(self, inp: SeatsInput) -> SeatsDue:
        """Offer each constituency's seats to its winners (once), each until its deadline."""
        with self.db.write() as conn:
            due = seats.open_seats(conn, inp.round_id, inp.now)
        return SeatsDue(next_deadline=due)

    @activity.defn(name=LAPSE_SEATS)
    @heartbeating
    @domain_errors_are_final
    def lapse_seats(self, inp: SeatsInput) -> SeatsDue:
        """Lapse the offers past their deadline and pass their seats on."""
        with self.db.write() as conn:
            due = seats.lapse_due(conn, inp.round_id, inp.now)
        return SeatsDue(next_deadline=due)
