"""Kill a worker (SIGKILL) in the middle of an activity: a second worker takes the work over
within 30 s.

Activities heartbeat while they work (activities/heartbeat.py) and every workflow gives them a
heartbeat timeout and a short retry pause (workflows/options.py), so Temporal notices the dead
worker by its missing beats instead of waiting out the start-to-close timeout (ten minutes for
a count, two for the integrator, five for the mail outbox). Each test prints how long after the
kill the work went on.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, RowMapping, select
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from activities.contracts import COUNT_ROUND, INTEGRATE_LOG, SEND_MAIL
from mandate.reconcile import start_round_workflow
from policies.notice import NO_MINIMUM
from policies.phases import Phase
from store import nominations, outbox, registry, rounds
from store import outcomes as outcome_store
from store import rules as rules_store
from store.db import RECEIPTS, Database
from store.tables import log_state
from tests.e2e.processes import mandate, mandate_env, running, stop, temporal_dev_server, wait_for
from tests.e2e.test_integrator_restart import _index_of, _latest_size
from tests.keys import ORIGIN, keyed_database, save_keys
from tests.receivers import smtp_server
from tests.workflows.support import members
from workflows.log_integrator import INTEGRATOR_ID
from workflows.mail_outbox import OUTBOX_ID
from workflows.selection_round import SelectionRoundWorkflow

pytestmark = pytest.mark.slow

# The promise: the work goes on within this long after its worker is killed.
BOUND = 30.0
T = TypeVar("T")
Handle = WorkflowHandle[Any, Any]

# A maximin lottery among 300 nominees for 10 seats under seven balance rules: seconds of
# solver work and exact rounding (about 7 s on the machine this was written on), so that the
# kill lands in the middle of the count.
NOMINEES = 300
SEATS = 10
LOTTERY = {
    "method": "lottery.maximin",
    "time_limit": 120,
    "consent_required": False,
    "constraints": [
        {"attribute": "gender", "value": "woman", "min": SEATS // 2},
        {"attribute": "gender", "value": "man", "max": SEATS // 2},
        {"attribute": "sector", "max": 2},
        {"attribute": "role", "value": "organiser", "min": 2},
        {"attribute": "age", "value": "youth", "min": 2},
        {"attribute": "language", "value": "ar", "min": 1},
        {"attribute": "language", "value": "fr", "min": 1},
    ],
}
SECTORS = ["health", "labour", "land", "water", "housing", "education", "climate"]
# An activity that has run this long is in the middle of its work (a turn takes milliseconds).
STUCK = 1.0


@asynccontextmanager
async def _stack(
    tmp_path: Path, db_url: str, **settings: str
) -> AsyncIterator[tuple[Client, dict[str, str], Path]]:
    """A Temporal dev server of the test's own (the integrator and the outbox have fixed
    workflow ids); a client, the workers' environment and their log."""
    data = tmp_path / "data"
    save_keys(data / "keys")
    logs = tmp_path / "logs"
    logs.mkdir()
    with temporal_dev_server(tmp_path, logs / "temporal.log") as address:
        client = await _connect(address)
        env = mandate_env(
            data_dir=str(data),
            database_url=db_url,
            temporal_address=address,
            task_queue=f"kill-{uuid.uuid4()}",
            log_origin=ORIGIN,
            **settings,
        )
        yield client, env, logs / "worker.log"


async def _connect(address: str) -> Client:
    """The dev server's port opens before its frontend is healthy: on a busy machine the first
    connections are refused with "not healthy yet" for a moment."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await Client.connect(address, data_converter=pydantic_data_converter)
        except RuntimeError as exc:
            if "not healthy" not in str(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _until(check: Callable[[], Awaitable[T | None]], within: float, what: str) -> T:
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


def _started(
    handle: Handle, activity_type: str, *, attempt: int = 1, running_for: float = 0.0
) -> Callable[[], Awaitable[PendingActivityInfo | None]]:
    """The workflow's ``activity_type`` while a worker runs its ``attempt`` (or a later one),
    once it has run ``running_for`` seconds."""

    async def find() -> PendingActivityInfo | None:
        try:
            described = await handle.describe()
        except RPCError as exc:  # the worker starts the integrator and the outbox itself
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        for pending in described.raw_description.pending_activities:
            if (
                pending.activity_type.name == activity_type
                and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                and pending.attempt >= attempt
                and time.time() - _at(pending) >= running_for
            ):
                return pending
        return None

    return find


def _at(pending: PendingActivityInfo) -> float:
    return pending.last_started_time.ToDatetime(UTC).timestamp()


def _kill(proc: subprocess.Popen[bytes]) -> float:
    """SIGKILL the worker; the wall-clock time of the kill, to compare with Temporal's."""
    assert stop(proc, signal.SIGKILL) == -signal.SIGKILL
    return time.time()


def _report(what: str, seconds: float) -> None:
    print(f"\n{what}: {seconds:.1f} s after the kill")


# -- the count


def _lottery_round(db: Database) -> RowMapping:
    """A published round whose lottery has NOMINEES nominees; its windows pass in seconds."""
    with db.write() as conn:
        cid = registry.create_constituency(conn, f"C {uuid.uuid4()}", "", "test")["id"]
    orgs = members(db, cid, NOMINEES)
    opens = datetime.now(UTC) + timedelta(seconds=2)
    second = timedelta(seconds=1)
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": "Kill the count",
                "segments": [{"key": "s", "title": "S"}],
                "participants": [{"constituency_id": cid, "seats": SEATS}],
                "schedule": {
                    "nominations_open_at": opens,
                    "nominations_close_at": opens + second,
                    "voting_open_at": opens + 2 * second,
                    "voting_close_at": opens + 3 * second,
                },
            },
            "test",
        )
        rules_store.publish_rules(conn, draft["id"], cid, LOTTERY, "test")
        row = rounds.publish(conn, draft["id"], "test", notice=NO_MINIMUM)
    with db.write() as conn:
        for i, org in enumerate(orgs):
            attributes = {
                "gender": ["woman", "man", "non-binary"][i % 3],
                "sector": SECTORS[i * 5 % 7],
                "role": ["organiser", "researcher", "spokesperson"][i // 3 % 3],
                "age": ["youth", "adult"][i // 2 % 2 if i % 5 else 1],
                "language": ["en", "fr", "ar", "es"][i // 7 % 4],
            }
            data = {
                "nominee_name": f"Nominee {i}",
                "organisation_id": org,
                "attributes": attributes,
                "statement": {"en": "I will speak"},
            }
            # As if at the opening: the worker is not running yet to open nominations.
            nominations.nominate(conn, row["id"], cid, data, "test", opens)
    return row


def _phase(db: Database, round_id: str) -> str:
    with db.read() as conn:
        phase: str = rounds.get(conn, round_id)["phase"]
        return phase


def _outcome(db: Database, round_id: str) -> RowMapping | None:
    with db.read() as conn:
        found = outcome_store.list_for(conn, round_id)
    return found[0] if found else None


async def test_a_count_cut_short_by_a_kill_is_counted_again_by_the_next_worker(
    fresh_db_url: str, tmp_path: Path
) -> None:
    db = keyed_database(fresh_db_url)
    row = _lottery_round(db)
    async with _stack(tmp_path, fresh_db_url) as (client, env, worker_log):
        await start_round_workflow(client, row, env["MANDATE_TASK_QUEUE"])
        handle = client.get_workflow_handle_for(
            SelectionRoundWorkflow.run, rounds.workflow_id_for(row["id"])
        )
        with running([mandate("worker", env, worker_log)]) as procs:
            first = await _until(
                _started(handle, COUNT_ROUND, running_for=2.0), 60, "the count to be under way"
            )
            killed = _kill(procs[0])
            assert first.attempt == 1
            assert _outcome(db, row["id"]) is None, "the count ended before the kill"

            procs.append(mandate("worker", env, worker_log))
            again = await _until(
                _started(handle, COUNT_ROUND, attempt=2), BOUND + 10, "the count to start again"
            )
            resumed = _at(again) - killed
            await wait_for(lambda: _outcome(db, row["id"]), 60, "the outcome")
            published = time.time() - killed
            # Decided; the workflow then waits for the seats to be accepted (store/seats.py).
            await wait_for(lambda: _phase(db, row["id"]) == Phase.DECIDED or None, 60, "decided")
            assert stop(procs[1]) == 0, worker_log.read_text()
    db.dispose()
    _report("count started again", resumed)
    _report("outcome published", published)
    assert resumed < BOUND
    # Nothing else waited: from the new start, only the count itself.
    assert published - resumed < BOUND


# -- the log integrator


@contextmanager
def _log_locked(db: Database) -> Iterator[Connection]:
    """A write transaction holding the log's lock (SQLite: the database's write lock; PostgreSQL:
    the ``log_state`` row the integrator locks), so the integrator's next turn waits on it."""
    with db.write() as conn:
        conn.execute(select(log_state.c.size).where(log_state.c.id == 1).with_for_update())
        yield conn


async def test_an_integration_cut_short_by_a_kill_is_done_by_the_next_worker(
    fresh_db_url: str, tmp_path: Path
) -> None:
    db = keyed_database(fresh_db_url)
    async with _stack(tmp_path, fresh_db_url, integrate_interval="0.5") as (
        client,
        env,
        worker_log,
    ):
        handle = client.get_workflow_handle(INTEGRATOR_ID)
        with running([mandate("worker", env, worker_log)]) as procs:
            await wait_for(lambda: _latest_size(db), 30, "the first checkpoint")
            with _log_locked(db) as conn:
                registry.create_constituency(conn, f"C {uuid.uuid4()}", "", "test")
                [receipt] = conn.info[RECEIPTS]
                await _until(
                    _started(handle, INTEGRATE_LOG, running_for=STUCK), 30, "a turn under way"
                )
                killed = _kill(procs[0])
            # The entry is acknowledged now, and the turn that was under way died with its worker.
            assert _index_of(db, receipt) is None
            procs.append(mandate("worker", env, worker_log))
            await wait_for(lambda: _index_of(db, receipt), BOUND + 10, "the entry's index")
            integrated = time.time() - killed
            assert stop(procs[1]) == 0, worker_log.read_text()
    db.dispose()
    _report("entry integrated", integrated)
    assert integrated < BOUND


# -- the mail outbox


@contextmanager
def _silent_smtp() -> Iterator[int]:
    """A port that takes connections and never says a word: a mail relay that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes the handshake; nobody ever answers
        yield listener.getsockname()[1]


async def test_mail_cut_short_by_a_kill_is_sent_by_the_next_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mandate.db'}"
    db = keyed_database(url)
    mail = {"mail_interval": "0.5", "mail_from": "Mandate <mandate@example.org>"}
    with _silent_smtp() as hanging, smtp_server() as relay:
        async with _stack(tmp_path, url, smtp_host="127.0.0.1", smtp_port=str(hanging), **mail) as (
            client,
            env,
            worker_log,
        ):
            handle = client.get_workflow_handle(OUTBOX_ID)
            with running([mandate("worker", env, worker_log)]) as procs:
                with db.write() as conn:
                    outbox.enqueue(
                        conn,
                        dedup_key=f"kill-{uuid.uuid4()}",
                        purpose="test",
                        to="someone@example.org",
                        subject="Sent after a kill",
                        body="The worker that took this mail died while sending it.",
                    )
                await _until(
                    _started(handle, SEND_MAIL, running_for=STUCK), 30, "a batch being sent"
                )
                killed = _kill(procs[0])
                # The next worker reaches a relay that answers.
                procs.append(
                    mandate("worker", {**env, "MANDATE_SMTP_PORT": str(relay.port)}, worker_log)
                )
                got = await asyncio.to_thread(
                    relay.wait_for, BOUND + 10, subject="Sent after a kill"
                )
                sent = time.time() - killed
                assert stop(procs[1]) == 0, worker_log.read_text()
    db.dispose()
    _report("mail sent", sent)
    assert got["To"] == "someone@example.org"
    assert sent < BOUND
