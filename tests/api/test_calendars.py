"""iCalendar feeds of every deadline, read back with the icalendar library: per round, per
constituency, per organisation; a moved deadline keeps its event and raises its sequence; a
cancelled round's events say so; drafts and unknown ids are 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar

from tests.api.conftest import Api, make_world, new_round
from tests.api.test_rounds_api import at, round_body, wait_phase


async def _events(api: Api, path: str) -> dict[str, Any]:
    r = await api.call("GET", path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(r.content)
    return {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


async def test_feeds_follow_a_round_and_move_with_its_deadlines(api: Api) -> None:
    w = await make_world(api)
    s = api.secretariat
    rid = (await new_round(api, w, round_body(w, opens=0.5, closes=600)))["id"]
    draft = await api.call("GET", f"/v1/rounds/{rid}/calendar.ics")
    assert (draft.status_code, draft.json()["error"]) == (404, "not_found")
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")

    events = await _events(api, f"/v1/rounds/{rid}/calendar.ics")
    close = events[f"{rid}-nominations-close"]
    row = await api.ok("GET", f"/v1/rounds/{rid}")
    # iCalendar counts whole seconds: a deadline shows at its second, never later.
    expected = datetime.fromisoformat(row["schedule"]["nominations_close_at"]).replace(
        microsecond=0
    )
    assert close.decoded("dtstart") == expected
    assert int(close["sequence"]) == 0
    assert str(close["status"]) == "CONFIRMED"
    assert "Nominations close" in str(close["summary"])
    assert set(events) >= {
        f"{rid}-{k}" for k in ("nominations-open", "voting-open", "voting-close")
    }

    # The constituency's and each member organisation's feeds carry the same events.
    for path in (
        f"/v1/constituencies/{w.constituency}/calendar.ics",
        f"/v1/organisations/{w.member_org}/calendar.ics",
    ):
        assert f"{rid}-nominations-close" in await _events(api, path)
    assert await _events(api, f"/v1/organisations/{w.spare_org}/calendar.ics") == {}
    assert await _events(api, f"/v1/constituencies/{w.other_constituency}/calendar.ics") == {}

    new_close = at(630)  # before voting opens (at 660)
    await api.ok(
        "POST",
        f"/v1/rounds/{rid}/extend",
        s,
        {"deadline": "nominations_close", "new_at": new_close, "reason": "members asked"},
    )
    moved = (await _events(api, f"/v1/rounds/{rid}/calendar.ics"))[f"{rid}-nominations-close"]
    assert moved.decoded("dtstart") == datetime.fromisoformat(new_close).replace(microsecond=0)
    assert int(moved["sequence"]) == 1
    assert str(moved["uid"]) == str(close["uid"])

    await api.ok("POST", f"/v1/rounds/{rid}/cancel", s, {"reason": "forum postponed"})
    cancelled = await _events(api, f"/v1/rounds/{rid}/calendar.ics")
    assert {str(e["status"]) for e in cancelled.values()} == {"CANCELLED"}


async def test_unknown_ids_are_404(api: Api) -> None:
    for path in (
        "/v1/rounds/nope/calendar.ics",
        "/v1/constituencies/nope/calendar.ics",
        "/v1/organisations/nope/calendar.ics",
    ):
        r = await api.call("GET", path)
        assert (r.status_code, r.json()["error"]) == (404, "not_found"), path
