"""iCalendar feeds (RFC 5545) of every deadline: per round, per constituency and per
organisation. Public, like the schedules they show; a moved deadline keeps its event's uid
and raises its sequence, so subscribed calendars move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import Response
from icalendar import Calendar, Event
from sqlalchemy import Connection, RowMapping

from api.deps import ServicesDep, read
from policies.deadlines import CalendarEvent, round_events
from policies.phases import Phase
from store import calendars
from store.rounds import notice_of, schedule_of

router = APIRouter(tags=["calendars"])

ICS = "text/calendar"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {ICS: {"schema": {"type": "string"}}}, "description": "an iCalendar feed"},
    404: {"description": "not_found: no such round (published), constituency or organisation"},
}


@router.get("/rounds/{round_id}/calendar.ics", response_class=Response, responses=RESPONSES)
async def round_calendar(round_id: str, svc: ServicesDep) -> Response:
    """The deadlines of one published round."""
    return await _feed(svc, f"Mandate: round {round_id}", lambda c: calendars.of_round(c, round_id))


@router.get(
    "/constituencies/{constituency_id}/calendar.ics",
    response_class=Response,
    responses=RESPONSES,
)
async def constituency_calendar(constituency_id: str, svc: ServicesDep) -> Response:
    """The deadlines of every published round the constituency takes part in."""
    return await _feed(
        svc,
        f"Mandate: constituency {constituency_id}",
        lambda c: calendars.of_constituency(c, constituency_id),
    )


@router.get(
    "/organisations/{organisation_id}/calendar.ics",
    response_class=Response,
    responses=RESPONSES,
)
async def organisation_calendar(organisation_id: str, svc: ServicesDep) -> Response:
    """The deadlines of every published round of the constituencies the organisation is a
    member of."""
    return await _feed(
        svc,
        f"Mandate: organisation {organisation_id}",
        lambda c: calendars.of_organisation(c, organisation_id),
    )


async def _feed(
    svc: ServicesDep, name: str, rounds_of: Callable[[Connection], list[RowMapping]]
) -> Response:
    base = svc.settings.api_url  # where the round's web page is
    host = urlsplit(base).hostname or "mandate"

    def load(conn: Connection) -> tuple[list[CalendarEvent], datetime]:
        events: list[CalendarEvent] = []
        stamp = datetime(2000, 1, 1, tzinfo=UTC)
        for row in rounds_of(conn):
            stamp = max(stamp, row["updated_at"])
            events += round_events(
                round_id=row["id"],
                title=row["title"],
                phase=Phase(row["phase"]),
                schedule=schedule_of(row),
                notice=notice_of(row),
                moved=calendars.moves(conn, row["id"]),
                url=f"{base}/rounds/{row['id']}",
                host=host,
            )
        return events, stamp

    events, stamp = await read(svc, load)
    return Response(_ics(name, events, stamp), media_type=f"{ICS}; charset=utf-8")


def _ics(name: str, events: list[CalendarEvent], stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Mandate//deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for e in events:
        event = Event()
        event.add("uid", e.uid)
        # The time the round last changed: the same feed twice has the same bytes.
        event.add("dtstamp", stamp)
        event.add("dtstart", e.at)
        event.add("summary", e.summary)
        event.add("description", e.description)
        event.add("url", e.url)
        event.add("sequence", e.sequence)
        event.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
