"""MailOutboxWorkflow sends queued mail over real SMTP (aiosmtpd), once, and backs off from a
server that is down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.mail import SmtpTransport
from mandate.worker import Mailing
from store import outbox
from store.db import Database
from store.tables import mail_outbox
from tests.conftest import free_port
from tests.receivers import SmtpServer, smtp_server
from tests.workflows.support import running_worker
from workflows.mail_outbox import MailOutboxWorkflow, OutboxInput


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def _queue(db: Database, to: str, n: int) -> list[str]:
    keys = [f"test:{uuid.uuid4()}" for _ in range(n)]
    with db.write() as conn:
        for i, key in enumerate(keys):
            outbox.enqueue(
                conn, dedup_key=key, purpose="test", to=to, subject=f"Hello {i}", body=f"Body {i}"
            )
        assert not outbox.enqueue(
            conn, dedup_key=keys[0], purpose="test", to=to, subject="again", body="again"
        )
    return keys


def _rows(db: Database, keys: list[str]) -> list[dict[str, object]]:
    with db.read() as conn:
        rows = conn.execute(
            select(mail_outbox).where(mail_outbox.c.dedup_key.in_(keys)).order_by(mail_outbox.c.id)
        )
        # Bodies as the sender reads them: stored sealed, opened with the server secret.
        return [{**r._mapping, "opened": outbox.body_of(conn, r._mapping)} for r in rows]


async def _until(check: object, within: float) -> None:
    assert callable(check)
    for _ in range(int(within / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_queued_mail_goes_out_once_over_smtp(
    dev_env: WorkflowEnvironment, wf_db: Database, smtp: SmtpServer
) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.org"
    keys = _queue(wf_db, to, 3)
    mailing = Mailing(SmtpTransport(smtp.host, smtp.port, "none"), "Mandate <m@test>", "http://x")
    async with running_worker(dev_env.client, wf_db, mailing) as tq:
        handle = await dev_env.client.start_workflow(
            MailOutboxWorkflow.run,
            OutboxInput(interval_seconds=0.2, turns=50),
            id=f"outbox-{uuid.uuid4()}",
            task_queue=tq,
        )
        await _until(lambda: len(smtp.messages(to=to)) == 3, within=20)
        await _until(lambda: all(r["sent_at"] for r in _rows(wf_db, keys)), within=10)
        await asyncio.sleep(0.5)  # a few more turns: nothing is sent twice
        await handle.terminate()
    got = smtp.messages(to=to)
    assert sorted(str(m["Subject"]) for m in got) == ["Hello 0", "Hello 1", "Hello 2"]
    assert all(m["From"] == "Mandate <m@test>" for m in got)
    assert len({m["Message-ID"] for m in got}) == 3
    rows = _rows(wf_db, keys)
    assert [r["body"] for r in rows] == [None, None, None]  # a code never stays behind
    assert [r["attempts"] for r in rows] == [1, 1, 1]


async def test_a_server_that_is_down_is_tried_again_later(
    dev_env: WorkflowEnvironment, wf_db: Database
) -> None:
    keys = _queue(wf_db, "nobody@example.org", 1)
    down = SmtpTransport("127.0.0.1", free_port(), "none")  # nothing listens there
    mailing = Mailing(down, "Mandate <m@test>", "http://x")
    async with running_worker(dev_env.client, wf_db, mailing) as tq:
        handle = await dev_env.client.start_workflow(
            MailOutboxWorkflow.run,
            OutboxInput(interval_seconds=0.2, turns=50),
            id=f"outbox-{uuid.uuid4()}",
            task_queue=tq,
        )
        await _until(lambda: _rows(wf_db, keys)[0]["attempts"] == 1, within=20)
        await asyncio.sleep(1.0)  # the pause after a failure is seconds, not a turn
        await handle.terminate()
    (row,) = _rows(wf_db, keys)
    assert row["attempts"] == 1
    assert row["sent_at"] is None
    assert row["failed_at"] is None
    assert "Connection refused" in str(row["last_error"])
    assert row["opened"] == "Body 0"  # kept for the next attempt
    assert row["body"] != "Body 0"  # and never in the clear
