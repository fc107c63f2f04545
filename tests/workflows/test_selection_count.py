"""A full round on the time-skipping server: nominations, a consent that never comes, the close,
approval ballots, the constrained count and the signed outcome, with real activities."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from records import dsse
from records.bundle import verify_bundle
from store import ballots, bundles, log, nominations, outcomes
from store.db import Database
from tests.keys import ORIGIN
from tests.workflows.support import (
    DAY,
    SIGNER,
    members,
    phase_in_db,
    published_round,
    running_worker,
    start,
)
from workflows.selection_round import SelectionRoundWorkflow

RULES = {"alternates": 1, "constraints": [{"attribute": "gender", "value": "woman", "min": 1}]}


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
                "statement": {"en": f"{name} will speak", "ar": "سيتحدث"},
            },
            "test",
            now,
        )
    return done.nomination["id"], done.consent_token


async def test_round_with_nominations_consent_timeout_count_and_outcome(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    start_at = await time_env.get_current_time()
    row = published_round(wf_db, start_at, days=14, rules=RULES)
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    orgs = members(wf_db, cid, 5)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 2)
        assert phase_in_db(wf_db, rid) == Phase.NOMINATIONS_OPEN
        now = await time_env.get_current_time()
        ana = _nominate(wf_db, rid, cid, orgs[0], "Ana", "woman", now)
        ben = _nominate(wf_db, rid, cid, orgs[1], "Ben", "man", now)
        cy = _nominate(wf_db, rid, cid, orgs[2], "Cy", "man", now)
        _nominate(wf_db, rid, cid, orgs[3], "Dee", "woman", now)  # never consents
        with wf_db.write() as conn:
            for nid, token in (ana, ben, cy):
                nominations.respond(conn, nid, token, True, now)

        await time_env.sleep(DAY * 5 + timedelta(hours=1))  # past the close (day 7)
        assert phase_in_db(wf_db, rid) == Phase.NOMINATIONS_CLOSED
        with wf_db.read() as conn:
            listed = {n["nominee_name"]: n for n in nominations.list_for(conn, rid, cid)}
        assert [k for k, n in sorted(listed.items()) if n["standing"]] == ["Ana", "Ben", "Cy"]
        assert listed["Dee"]["not_standing_reason"] == (
            "the nominee did not consent before nominations closed"
        )

        await time_env.sleep(DAY * 1)  # voting opens on day 8
        now = await time_env.get_current_time()
        with wf_db.write() as conn:
            for org, picks in zip(
                orgs, [[ben, cy], [ben, cy], [cy, ben], [ana], [ben]], strict=True
            ):
                ballots.cast(conn, rid, cid, org, [p[0] for p in picks], "test", now)
        result = await handle.result()

    assert result.phase is Phase.DECIDED
    with wf_db.write() as conn:
        log.integrate_all(conn, ORIGIN)  # the entries logged after the count, too
    with wf_db.read() as conn:
        stored = outcomes.get(conn, rid, cid)
        bundle = bundles.export(conn, rid)
    record = json.loads(stored["record"])
    # Plain Phragmén seats Ben and Cy; "at least one woman" seats Ana in Cy's place.
    assert set(record["result"]["winners"]) == {ana[0], ben[0]}
    assert record["result"]["alternates"] == [cy[0]]
    assert record["ballots_counted"] == 5
    envelope = dsse.Envelope.from_json(json.loads(stored["envelope"]))
    assert dsse.verify(envelope, {SIGNER.key_id: SIGNER.public_key}) == stored["record"].encode()
    report = verify_bundle(bundle)
    assert report.ok, report.problems


async def test_a_round_nobody_stands_in_leaves_every_seat_unfilled(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), rules=RULES)
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        assert (await handle.result()).phase is Phase.DECIDED
        history = await handle.fetch_history()
    cid = row["participants"][0]["constituency_id"]
    with wf_db.read() as conn:
        record = json.loads(outcomes.get(conn, row["id"], cid)["record"])
    assert record["result"]["winners"] == []
    assert record["result"]["unfilled"] == 2
    assert "2 seats" in record["result"]["unfilled_reason"]
    assert any(e.HasField("marker_recorded_event_attributes") for e in history.events)
    assert SelectionRoundWorkflow.__name__ in history.to_json()
