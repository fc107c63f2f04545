"""After the count the workflow offers the seats, wakes at the acceptance deadline, lapses the
seat left unanswered and passes it on, and ends once every seat is accepted: on the
time-skipping server, with real activities. The bundle of the amended outcome verifies."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from records.bundle import verify_bundle
from store import ballots, bundles, log, nominations, outcomes, seats
from store.db import Database
from tests.keys import ORIGIN
from tests.workflows.support import DAY, members, published_round, running_worker, start

RULES = {"alternates": 2, "constraints": [{"attribute": "gender", "value": "woman", "min": 1}]}
WINDOW = timedelta(days=3)  # the default: the test round publishes no acceptance notice


def _nominate(
    db: Database, rid: str, cid: str, org: str, name: str, gender: str, now: datetime
) -> tuple[str, str]:
    with db.write() as conn:
        done = nominations.nominate(
            conn,
            rid,
            cid,
            {
                "nominee_name": name,
                "organisation_id": org,
                "attributes": {"gender": gender},
                "statement": {"en": f"{name} will speak"},
            },
            "test",
            now,
        )
        nominations.respond(conn, done.nomination["id"], done.consent_token, True, now)
    return done.nomination["id"], done.consent_token


async def test_a_decline_and_a_silent_seat_pass_to_the_right_alternates(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), days=14, rules=RULES)
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    orgs = members(wf_db, cid, 5)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 2)
        now = await time_env.get_current_time()
        ana = _nominate(wf_db, rid, cid, orgs[0], "Ana", "woman", now)
        ben = _nominate(wf_db, rid, cid, orgs[1], "Ben", "man", now)
        cy = _nominate(wf_db, rid, cid, orgs[2], "Cy", "man", now)
        dee = _nominate(wf_db, rid, cid, orgs[3], "Dee", "woman", now)
        await time_env.sleep(DAY * 6 + timedelta(hours=1))  # voting opens on day 8
        now = await time_env.get_current_time()
        with wf_db.write() as conn:
            for org, picks in zip(
                orgs, [[ben, cy], [ben, cy], [ben, cy], [ana, dee], [ben, ana]], strict=True
            ):
                ballots.cast(conn, rid, cid, org, [p[0] for p in picks], "test", now)
        await time_env.sleep(DAY * 6 + timedelta(hours=2))  # past the close and the count
        with wf_db.read() as conn:
            result = json.loads(outcomes.get(conn, rid, cid)["record"])["result"]
            offered = seats.seats_of(conn, rid, cid)
        assert result["winners"] == [ben[0], ana[0]]
        assert result["alternates"] == [cy[0], dee[0]]
        assert [(s.nomination_id, s.status) for s in offered] == [
            (ben[0], "offered"),
            (ana[0], "offered"),
        ]
        # Ana declines: Cy would leave no woman and is skipped; Dee is asked.
        with wf_db.write() as conn:
            seats.answer(conn, ana[0], ana[1], False, await time_env.get_current_time())
            seats.answer(conn, dee[0], dee[1], True, await time_env.get_current_time())
        # Ben says nothing: at his deadline the workflow lapses him and asks Cy.
        await time_env.sleep(WINDOW)
        with wf_db.read() as conn:
            offered = seats.seats_of(conn, rid, cid)
        assert [(s.nomination_id, s.status) for s in offered] == [
            (cy[0], "offered"),
            (dee[0], "accepted"),
        ]
        with wf_db.write() as conn:
            seats.answer(conn, cy[0], cy[1], True, await time_env.get_current_time())
        done = await handle.result()
    assert done.seats_confirmed
    with wf_db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with wf_db.read() as conn:
        holders = seats.seat_holders(conn, rid, cid)
        bundle = bundles.export(conn, rid)
    assert [(h.seat, h.nomination_id) for h in holders] == [(1, cy[0]), (2, dee[0])]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any("2 amendment(s) recomputed" in line for line in report.checked)
