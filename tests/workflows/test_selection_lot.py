"""The count waits for what the lot needs, on the time-skipping server with real activities:
the reveal window after the close, and the beacon round the schedule gives, fetched from a
drand relay (a real local HTTP server serving recorded quicknet rounds), verified against the
pinned key and recorded. A round without randomness is counted at the close."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from policies.randomness import commitment_for
from records.bundle import verify_bundle
from store import audit, bundles, log, outcomes, randomness, rounds
from store.db import Database
from store.randomness import SECRETARIAT_PARTY
from tests.keys import ORIGIN
from tests.lot_rounds import BEACON, beacon_value, close_for_round, drand_relay, hand_round
from tests.workflows.support import DAY, phase_in_db, published_round, running_worker, start
from workflows.selection_round import CancelRound, SelectionRoundWorkflow

HOUR = timedelta(hours=1)
SECRET = "5e" * 32


def _counting_at(db: Database, rid: str) -> datetime:
    """When the workflow began the count, by its own clock (the phase entry's scheduled_at)."""
    with db.read() as conn:
        for entry in audit.entries(conn, audit.round_scope(rid)):
            data = json.loads(entry.statement)["data"]
            if entry.type == "phase.changed" and data["phase"] == "counting":
                return datetime.fromisoformat(data["scheduled_at"])
    raise AssertionError("the round was not counted")


def _decided(db: Database, rid: str, cid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        record = json.loads(outcomes.get(conn, rid, cid)["record"])
        return record, bundles.export(conn, rid)


async def test_the_relay_brings_the_beacon_round_and_the_count_completes(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    # Voting closed (in 2023) so that the beacon round is quicknet's 1002: long published.
    r = hand_round(wf_db, close_for_round(1002), {"method": "lottery.uniform", "beacon": BEACON})
    candidates = r.nominate(["woman", "man", "woman"])
    # The relay is early once, then serves a forged value, then the real one.
    with drand_relay(["too early", "forged"]) as relay:
        async with running_worker(time_env.client, wf_db, drand_relay=relay.url) as tq:
            with wf_db.read() as conn:
                row = rounds.get(conn, r.rid)
            handle = await start(time_env.client, row, tq)
            result = await handle.result()
    assert result.phase is Phase.DECIDED
    path = f"/{BEACON['chain_hash']}/public/1002"
    assert relay.asked == [path, path, path]
    record, bundle = _decided(wf_db, r.rid, r.cid)
    beacon = record["randomness"]["beacon"]
    assert beacon["round"] == 1002
    assert record["randomness"]["contributions"] == [
        f"drand:{BEACON['chain_hash']}:1002:{beacon['randomness']}"
    ]
    assert record["result"]["winners"][0] in candidates
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any("beacon round 1002 verifies" in line for line in report.checked)


async def test_without_a_relay_the_count_waits_for_the_secretariat(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    r = hand_round(wf_db, close_for_round(1003), {"method": "lottery.uniform", "beacon": BEACON})
    r.nominate(["woman", "man"])
    async with running_worker(time_env.client, wf_db) as tq:
        with wf_db.read() as conn:
            row = rounds.get(conn, r.rid)
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(timedelta(minutes=2))
        assert phase_in_db(wf_db, r.rid) == Phase.COUNTING  # the count retries, beacon pending
        with wf_db.read() as conn:
            due = randomness.beacon_due_for(conn, r.rid, r.cid)
        verified = randomness.verify_beacon_value(due, **beacon_value(1003))
        with wf_db.write() as conn:
            randomness.record_beacon(conn, r.rid, r.cid, verified, "secretariat")
        assert (await handle.result()).phase is Phase.DECIDED
    record, _ = _decided(wf_db, r.rid, r.cid)
    assert record["randomness"]["beacon"]["round"] == 1003


async def test_the_count_waits_for_the_reveal_window(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    start_at = await time_env.get_current_time()
    row = published_round(
        wf_db, start_at, days=14, rules={"commit_reveal": {"reveal_window": 3600}}
    )
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    with wf_db.write() as conn:
        randomness.commit(
            conn,
            rid,
            cid,
            SECRETARIAT_PARTY,
            commitment_for(SECRETARIAT_PARTY, SECRET),
            "t",
            start_at,
        )
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 14 + timedelta(minutes=30))  # half an hour after the close
        assert phase_in_db(wf_db, rid) == Phase.VOTING_CLOSED  # not counted yet
        now = await time_env.get_current_time()
        with wf_db.write() as conn:
            randomness.reveal(conn, rid, cid, SECRETARIAT_PARTY, SECRET, "t", now)
        result = await handle.result()
    assert result.phase is Phase.DECIDED
    counted = _counting_at(wf_db, rid) - row["voting_close_at"]
    assert timedelta(seconds=3600) <= counted < timedelta(seconds=3660)
    record, bundle = _decided(wf_db, rid, cid)
    assert record["randomness"]["contributions"] == [f"{SECRETARIAT_PARTY}:{SECRET}"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems


async def test_a_round_can_be_cancelled_during_its_reveal_window(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(
        wf_db, await time_env.get_current_time(), rules={"commit_reveal": {"reveal_window": 86400}}
    )
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 14 + HOUR)
        assert phase_in_db(wf_db, row["id"]) == Phase.VOTING_CLOSED
        await handle.execute_update(
            SelectionRoundWorkflow.cancel, CancelRound(reason="the venue fell through", actor="t")
        )
        result = await handle.result()
    assert result.phase is Phase.CANCELLED
    assert phase_in_db(wf_db, row["id"]) == Phase.CANCELLED


async def test_a_round_without_randomness_is_counted_at_the_close(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), rules={})
    async with running_worker(time_env.client, wf_db) as tq:
        handle = await start(time_env.client, row, tq)
        assert (await handle.result()).phase is Phase.DECIDED
    assert _counting_at(wf_db, row["id"]) - row["voting_close_at"] < timedelta(minutes=1)
