"""The nominee accepts or declines a seat through the API with the consent token; the
secretariat and the constituency's coordinators read each seat's state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import seats
from tests.api.conftest import Api
from tests.seats_support import decided_round


async def test_a_nominee_declines_by_api_and_the_seat_passes_on(api: Api) -> None:
    r = decided_round(api.db, datetime.now(UTC) - timedelta(days=1))
    with api.db.write() as conn:
        seats.open_seats(conn, r.rid)
    coordinator = await api.ok(
        "POST",
        f"/v1/constituencies/{r.cid}/coordinators",
        api.secretariat,
        {"name": "Ama Mensah", "email": "ama@example.org"},
    )
    base = f"/v1/rounds/{r.rid}/constituencies/{r.cid}/seats"
    before = await api.call("GET", base, api.secretariat)
    assert before.status_code == 200, before.text
    assert before.json()["offered"] is True
    assert [s["status"] for s in before.json()["seats"]] == ["offered", "offered"]

    bea = f"/v1/nominations/{r.ids['Bea']}/seat"
    wrong = await api.call("POST", bea, None, {"token": r.tokens["Amir"], "decision": "accept"})
    assert wrong.status_code == 403
    declined = await api.call("POST", bea, None, {"token": r.tokens["Bea"], "decision": "decline"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    again = await api.call("POST", bea, None, {"token": r.tokens["Bea"], "decision": "accept"})
    assert again.status_code == 409
    assert again.json()["error"] == "conflict"
    # Emil was skipped (he would leave no woman): no seat is his to answer for, said in French.
    emil = await api.call(
        "POST",
        f"/v1/nominations/{r.ids['Emil']}/seat",
        None,
        {"token": r.tokens["Emil"], "decision": "accept"},
        headers={"Accept-Language": "fr"},
    )
    assert emil.status_code == 404
    assert emil.headers["content-language"] == "fr"
    assert "aucun siège" in emil.json()["detail"]
    dora = f"/v1/nominations/{r.ids['Dora']}/seat"
    accepted = await api.call("POST", dora, None, {"token": r.tokens["Dora"], "decision": "accept"})
    assert accepted.status_code == 200, accepted.text

    after = await api.call("GET", base, coordinator["token"])
    body = after.json()
    assert after.status_code == 200, after.text
    assert body["confirmed"] is False  # Amir has not answered
    assert [(s["nomination_id"], s["status"]) for s in body["seats"]] == [
        (r.ids["Amir"], "offered"),
        (r.ids["Dora"], "accepted"),
    ]
    assert [(o["nomination_id"], o["status"]) for o in body["seats"][1]["earlier"]] == [
        (r.ids["Bea"], "declined")
    ]
    # Names beside ids: the holders, the one asked, and the one who declined.
    assert {body["names"][r.ids[n]]["name"] for n in ("Amir", "Dora", "Bea")} == {
        "Amir",
        "Dora",
        "Bea",
    }


async def test_an_answer_after_the_deadline_is_refused_at_write_time(api: Api) -> None:
    r = decided_round(api.db, datetime.now(UTC) - timedelta(days=5))
    with api.db.write() as conn:  # offered four days ago: the three days to accept are over
        seats.open_seats(conn, r.rid, datetime.now(UTC) - timedelta(days=4))
    late = await api.call(
        "POST",
        f"/v1/nominations/{r.ids['Amir']}/seat",
        None,
        {"token": r.tokens["Amir"], "decision": "accept"},
        headers={"Accept-Language": "ar"},
    )
    assert late.status_code == 409, late.text
    assert late.json()["error"] == "phase_closed"
    assert "انتهت مهلة قبول هذا المقعد" in late.json()["detail"]
    with api.db.read() as conn:  # not lapsed yet (the workflow does that), nor accepted
        assert seats.offer_for(conn, r.ids["Amir"])["status"] == "offered"  # type: ignore[index]
