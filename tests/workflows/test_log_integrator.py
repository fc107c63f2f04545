"""The log integrator on the time-skipping server with its real activity: entries logged while
it runs join the tree and a checkpoint is signed; it continues as new after its turns; the
count's outcome names a checkpoint that holds every ballot it counted."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from records import merkle
from records.note import open_checkpoint
from store import audit, ballots, log, nominations, outcomes
from store.db import Database
from store.tables import log_entry
from tests.keys import CHECKPOINTS, ORIGIN, keyed_database
from tests.store.fresh import checkpoint_verifiers
from tests.workflows.log_support import (
    SECOND,
    integrator,
    tamper_checkpoint,
    until_continued,
    until_event,
)
from tests.workflows.support import DAY, members, published_round, running_worker, start
from workflows.log_integrator import REFUSED_PAUSE, IntegratorInput, LogIntegratorWorkflow


def _indexes(db: Database, scope: str) -> list[int | None]:
    with db.read() as conn:
        return [e.index for e in audit.entries(conn, scope)]


async def _until_indexed(env: WorkflowEnvironment, db: Database, scope: str) -> list[int]:
    """Let workflow time pass, a second at a time, until every entry of ``scope`` is indexed."""
    for _ in range(60):
        indexes = _indexes(db, scope)
        if None not in indexes:
            return [i for i in indexes if i is not None]
        await env.sleep(SECOND)
    raise AssertionError(f"entries of {scope} still wait for an index: {_indexes(db, scope)}")


async def test_entries_logged_while_it_runs_are_integrated_and_checkpointed(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    scope = f"test:{uuid.uuid4()}"
    async with (
        running_worker(time_env.client, wf_db) as tq,
        integrator(time_env.client, tq, IntegratorInput(interval_seconds=1, turns=100)) as handle,
    ):
        for batch in range(3):
            with wf_db.write() as conn:
                for n in range(4):
                    audit.append(conn, scope, "test.event", {"batch": batch, "n": n}, None)
            indexes = await _until_indexed(time_env, wf_db, scope)
        size = await handle.query(LogIntegratorWorkflow.tree_size)

    assert len(indexes) == 12
    assert indexes == sorted(indexes)
    with wf_db.read() as conn:
        latest = log.require_checkpoint(conn)
        assert max(indexes) < size <= latest.size
        opened = open_checkpoint(latest.note, checkpoint_verifiers(conn), origin=ORIGIN)
        assert latest.key_id == CHECKPOINTS.key_id
        leaves = [bytes.fromhex(e.leaf_hash) for e in log.entries(conn, 0, latest.size)]
        for index in indexes:
            proof = log.inclusion(conn, index, latest.size)
            merkle.verify_inclusion(index, latest.size, leaves[index], proof, opened.root)


async def test_it_continues_as_new_after_its_turns(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    turns = 3
    async with (
        running_worker(time_env.client, wf_db) as tq,
        integrator(time_env.client, tq, IntegratorInput(interval_seconds=1, turns=turns)) as first,
    ):
        history = await until_continued(time_env, first)
        described = await time_env.client.get_workflow_handle(first.id).describe()
        # The next run works like the first: entries logged now are integrated.
        scope = f"test:{uuid.uuid4()}"
        with wf_db.write() as conn:
            audit.append(conn, scope, "test.event", {}, None)
        await _until_indexed(time_env, wf_db, scope)

    kinds = [e.event_type for e in history.events]
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == turns
    assert kinds.count(EventType.EVENT_TYPE_TIMER_FIRED) == turns
    continued = history.events[-1].workflow_execution_continued_as_new_event_attributes
    assert continued.new_execution_run_id == described.run_id
    assert described.status is WorkflowExecutionStatus.RUNNING
    assert len(history.events) < 40  # a run's history stays short


async def test_a_refused_integration_pauses_and_resumes_once_the_tree_is_sound(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    db = keyed_database(f"sqlite:///{tmp_path / 'tampered.db'}")
    scope = f"test:{uuid.uuid4()}"
    inp = IntegratorInput(interval_seconds=1, turns=5)
    try:
        async with running_worker(time_env.client, db) as tq:
            restore = tamper_checkpoint(db)
            with db.write() as conn:
                audit.append(conn, scope, "test.event", {}, None)
                before = log.require_checkpoint(conn)
            async with integrator(time_env.client, tq, inp) as handle:
                await until_event(time_env, handle, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
                with db.read() as conn:  # nothing was signed, nothing indexed
                    assert log.require_checkpoint(conn) == before
                assert _indexes(db, scope) == [None]
                # Sound again: after the pause the same run integrates the waiting entry.
                restore()
                await time_env.sleep(REFUSED_PAUSE)
                await _until_indexed(time_env, db, scope)
                history = await handle.fetch_history()
                described = await handle.describe()
    finally:
        db.dispose()

    assert described.status is WorkflowExecutionStatus.RUNNING
    failed = next(
        e.activity_task_failed_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
    )
    assert failed.failure.application_failure_info.type == "log_inconsistent"
    assert failed.failure.application_failure_info.non_retryable
    assert "refusing to sign" in failed.failure.message
    pause = next(
        e.timer_started_event_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    )
    assert pause.start_to_fire_timeout.ToTimedelta() == REFUSED_PAUSE
    kinds = [e.event_type for e in history.events]
    refused = kinds.index(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in kinds[refused:]


# -- the count names a checkpoint that holds every ballot


async def test_the_outcome_names_a_checkpoint_holding_every_ballot(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time(), rules={"alternates": 1})
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    orgs = members(wf_db, cid, 6)
    # An integrator runs beside the round, as in a deployment; the count integrates as well.
    every_six_hours = IntegratorInput(interval_seconds=6 * 3600, turns=20)
    async with (
        running_worker(time_env.client, wf_db) as tq,
        integrator(time_env.client, tq, every_six_hours),
    ):
        handle = await start(time_env.client, row, tq)
        await time_env.sleep(DAY * 2)
        now = await time_env.get_current_time()
        nominated = []
        with wf_db.write() as conn:
            for org, name in zip(orgs[:3], ["Ana", "Ben", "Cy"], strict=True):
                done = nominations.nominate(
                    conn,
                    rid,
                    cid,
                    {
                        "nominee_name": name,
                        "organisation_id": org,
                        "attributes": {"gender": "woman"},
                        "statement": {"en": f"{name} will speak"},
                    },
                    "test",
                    now,
                )
                nominations.respond(conn, done.nomination["id"], done.consent_token, True, now)
                nominated.append(done.nomination["id"])
        await time_env.sleep(DAY * 6 + timedelta(hours=1))  # voting opens on day 8
        now = await time_env.get_current_time()
        with wf_db.write() as conn:
            for i, org in enumerate(orgs):
                ballots.cast(conn, rid, cid, org, [nominated[i % 3]], "test", now)
        result = await handle.result()

    assert result.phase is Phase.DECIDED
    with wf_db.read() as conn:
        record = json.loads(outcomes.get(conn, rid, cid)["record"])
        named = record["checkpoint"]
        assert set(named) == {"origin", "size", "root_hash"}
        assert named["origin"] == ORIGIN
        signed = log.checkpoint_at(conn, named["size"])
        assert signed is not None
        assert signed.to_json() == named
        opened = open_checkpoint(signed.note, checkpoint_verifiers(conn), origin=ORIGIN)
        assert opened.root.hex() == named["root_hash"]
        cast = conn.execute(
            select(log_entry.c.idx, log_entry.c.leaf_hash).where(
                log_entry.c.scope == audit.round_scope(rid), log_entry.c.type == "ballot.cast"
            )
        ).all()
        assert len(cast) == record["ballots_counted"] == 6
        for entry in cast:
            assert entry.idx is not None
            assert entry.idx < named["size"]
            proof = log.inclusion(conn, entry.idx, named["size"])
            merkle.verify_inclusion(
                entry.idx, named["size"], bytes.fromhex(entry.leaf_hash), proof, opened.root
            )
        published = [
            json.loads(e.statement)["data"]
            for e in audit.entries(conn, audit.round_scope(rid))
            if e.type == "outcome.published"
        ]
    assert [p["checkpoint"] for p in published] == [named]
