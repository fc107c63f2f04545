"""Record the workflow histories the replay tests guard.

Run after a deliberate, versioned workflow change (never to silence a failing replay test):
    .venv/bin/python -m tests.workflows.record_histories
Existing histories are kept: they guard the executions already running in production.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.mail import FolderTransport
from mandate.worker import Mailing
from policies.randomness import commitment_for
from policies.schedule import Deadline
from store import (
    audit,
    ballots,
    campaigns,
    nominations,
    outbox,
    randomness,
    rounds,
    seats,
    signatures,
    webhooks,
)
from store.db import Database
from tests.campaign_support import constituency, member, published_campaign
from tests.conftest import BIN
from tests.keys import keyed_database
from tests.lot_rounds import BEACON, close_for_round, drand_relay, hand_round
from tests.receivers import webhook_receiver
from tests.workflows.log_support import (
    SECOND,
    integrator,
    tamper_checkpoint,
    until_continued,
    until_event,
)
from tests.workflows.support import DAY, members, published_round, running_worker, start
from workflows.log_integrator import REFUSED_PAUSE, IntegratorInput
from workflows.mail_outbox import MailOutboxWorkflow, OutboxInput
from workflows.selection_round import CancelRound, ExtendDeadline, SelectionRoundWorkflow
from workflows.sign_on_campaign import (
    CampaignInput,
    CorrectStatement,
    ExtendClose,
    SignOnCampaignWorkflow,
)

HISTORIES = Path(__file__).parent / "histories"


async def main() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    folder = tempfile.mkdtemp()
    db = keyed_database(f"sqlite:///{folder}/h.db")  # entries are signed: it needs the keys
    tampered = keyed_database(f"sqlite:///{folder}/tampered.db")
    mailing = Mailing(FolderTransport(Path(folder) / "mail"), "Mandate <h@test>", "http://h")
    async with (
        env,
        running_worker(env.client, db) as tq,
        running_worker(env.client, tampered) as tampered_tq,
        running_worker(env.client, db, mailing) as campaign_tq,
    ):
        now = await env.get_current_time()
        # 1. A full round with one extension.
        row = published_round(db, now, rules={})
        handle = await start(env.client, row, tq)
        await env.sleep(DAY * 2)
        await handle.execute_update(
            SelectionRoundWorkflow.extend_deadline,
            ExtendDeadline(
                deadline=Deadline.VOTING_CLOSE,
                new_at=row["voting_close_at"] + timedelta(days=1),
                reason="recorded history",
                actor="history",
            ),
        )
        await handle.result()
        _save("round_extended_and_decided", (await handle.fetch_history()).to_json())
        # 2. A round cancelled while nominations are open.
        row = published_round(db, await env.get_current_time(), rules={})
        handle = await start(env.client, row, tq)
        await env.sleep(DAY * 2)
        await handle.execute_update(
            SelectionRoundWorkflow.cancel, CancelRound(reason="recorded history", actor="history")
        )
        await handle.result()
        _save("round_cancelled", (await handle.fetch_history()).to_json())
        # 3. A round that reaches the count and publishes its outcome.
        row = published_round(db, await env.get_current_time(), rules={"alternates": 1})
        handle = await start(env.client, row, tq)
        await handle.result()
        _save("round_counted", (await handle.fetch_history()).to_json())
        # 3b. A round whose count waits for its reveal window (a party reveals within it);
        # before the integrator and the outbox run, whose timers would make long sleeps slow.
        _save("round_counted_after_reveals", await _after_reveals(env, db, tq))
        # 3c. A round whose count waits for its beacon round, fetched from a relay (refused once).
        with drand_relay(["forged"]) as relay:
            async with running_worker(env.client, db, drand_relay=relay.url) as relay_tq:
                _save("round_counted_with_beacon", await _with_beacon(env, db, relay_tq))
        # 3d. A decided round whose seats are offered: one declined (its alternate accepts),
        # one left unanswered until its deadline (lapsed, and its alternate accepts).
        _save("round_seats_confirmed", await _seats(env, db, tq))
        # 4. The log integrator: batches of entries, then it continues as new.
        _save("log_integrator_continued", await _integrator_continued(env, db, tq))
        # 5. The log integrator refused (a tree that does not extend the last checkpoint),
        # pausing, then integrating once the tree is sound again.
        _save("log_integrator_refused", await _integrator_refused(env, tampered, tampered_tq))
        # 6. A sign-on campaign: a milestone signalled, an extension, a correction, the close,
        # the record and its notices (a webhook refused once, then delivered).
        with webhook_receiver() as hooks:
            _save("campaign_concluded", await _campaign(env, db, campaign_tq, hooks))
        # 7. The mail outbox: turns, then it continues as new.
        _save("mail_outbox_continued", await _outbox(env, db, campaign_tq))
    db.dispose()
    tampered.dispose()


async def _integrator_continued(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    async with integrator(env.client, tq, IntegratorInput(interval_seconds=1, turns=3)) as handle:
        for n in range(3):
            with db.write() as conn:
                for k in range(n + 1):
                    audit.append(conn, "history:integrator", "history.event", {"k": k}, "history")
            await env.sleep(SECOND)
        return (await until_continued(env, handle)).to_json()


async def _integrator_refused(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    restore = tamper_checkpoint(db)
    with db.write() as conn:
        audit.append(conn, "history:integrator", "history.event", {}, "history")
    async with integrator(env.client, tq, IntegratorInput(interval_seconds=1, turns=3)) as handle:
        await until_event(env, handle, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
        restore()
        await env.sleep(REFUSED_PAUSE)
        return (await until_continued(env, handle)).to_json()


async def _campaign(env: WorkflowEnvironment, db: Database, tq: str, hooks: Any) -> str:
    now = await env.get_current_time()
    cid = constituency(db)
    row = published_campaign(db, now + DAY, now + 4 * DAY, milestones=[1, 100])
    with db.write() as conn:
        webhooks.register(
            conn, row["id"], hooks.url, ["campaign.milestone", "campaign.closed"], "h"
        )
    hooks.fail_next = 1
    handle = await env.client.start_workflow(
        SignOnCampaignWorkflow.run,
        CampaignInput(campaign_id=row["id"], opens_at=row["opens_at"], closes_at=row["closes_at"]),
        id=campaigns.workflow_id_for(row["id"]),
        task_queue=tq,
    )
    await env.sleep(DAY * 2)
    org = member(db, cid)
    with db.write() as conn:
        signatures.sign_as_member(
            conn, row["id"], org, cid, row["statement_hash"], None, "h", now=now + DAY * 2
        )
    await handle.signal(SignOnCampaignWorkflow.milestone_reached)
    await handle.execute_update(
        SignOnCampaignWorkflow.extend_close,
        ExtendClose(new_at=row["closes_at"] + DAY, reason="recorded history", actor="h"),
    )
    await handle.execute_update(
        SignOnCampaignWorkflow.correct_statement,
        CorrectStatement(
            texts={"en": {"title": "Corrected", "text": "We..."}}, reason="recorded", actor="h"
        ),
    )
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def _outbox(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    with db.write() as conn:
        outbox.enqueue(
            conn, dedup_key="history:1", purpose="h", to="h@x.org", subject="h", body="h"
        )
    handle = await env.client.start_workflow(
        MailOutboxWorkflow.run,
        OutboxInput(interval_seconds=1, turns=3),
        id="history-outbox",
        task_queue=tq,
    )
    return (await until_continued(env, handle)).to_json()


async def _after_reveals(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    now = await env.get_current_time()
    row = published_round(db, now, rules={"commit_reveal": {"reveal_window": 3600}})
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    secret = "7a" * 32
    with db.write() as conn:
        randomness.commit(
            conn, rid, cid, "secretariat", commitment_for("secretariat", secret), "h", now
        )
    handle = await start(env.client, row, tq)
    await env.sleep(DAY * 14 + timedelta(minutes=10))
    with db.write() as conn:
        randomness.reveal(conn, rid, cid, "secretariat", secret, "h", await env.get_current_time())
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def _with_beacon(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    r = hand_round(db, close_for_round(1001), {"method": "lottery.uniform", "beacon": BEACON})
    r.nominate(["woman", "man"])
    with db.read() as conn:
        row = rounds.get(conn, r.rid)
    handle = await start(env.client, row, tq)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def _seats(env: WorkflowEnvironment, db: Database, tq: str) -> str:
    row = published_round(
        db,
        await env.get_current_time(),
        rules={
            "alternates": 2,
            "one_nominee_per_organisation": False,
            "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
        },
    )
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    [org] = members(db, cid, 1)
    handle = await start(env.client, row, tq)
    await env.sleep(DAY * 2)
    now = await env.get_current_time()
    people = {}
    with db.write() as conn:
        for name, gender in (("A", "woman"), ("B", "man"), ("C", "man"), ("D", "woman")):
            done = nominations.nominate(
                conn,
                rid,
                cid,
                {
                    "nominee_name": name,
                    "organisation_id": org,
                    "attributes": {"gender": gender},
                    "statement": {"en": "h"},
                },
                "h",
                now,
            )
            nominations.respond(conn, done.nomination["id"], done.consent_token, True, now)
            people[name] = (done.nomination["id"], done.consent_token)
    await env.sleep(DAY * 6 + timedelta(hours=1))
    with db.write() as conn:
        ids = [people[n][0] for n in ("B", "A", "C", "D")]
        ballots.cast(conn, rid, cid, org, ids, "h", await env.get_current_time())
    await env.sleep(DAY * 6 + timedelta(hours=2))  # decided, seats offered
    with db.read() as conn:
        holders = {s.nomination_id: s.seat for s in seats.seats_of(conn, rid, cid)}
    woman = next(n for n in ("A", "D") if people[n][0] in holders)
    with db.write() as conn:  # the woman declines; the other woman, asked next, accepts
        seats.answer(conn, *people[woman], False, await env.get_current_time())
        other = people["D" if woman == "A" else "A"]
        seats.answer(conn, *other, True, await env.get_current_time())
    await env.sleep(DAY * 3)  # the man's seat lapses and passes on
    with db.read() as conn:
        waiting = [s for s in seats.seats_of(conn, rid, cid) if s.status == "offered"]
    with db.write() as conn:
        for s in waiting:
            nid = str(s.nomination_id)
            token = next(t for i, t in people.values() if i == nid)
            seats.answer(conn, nid, token, True, await env.get_current_time())
    await handle.result()
    return (await handle.fetch_history()).to_json()


def _save(name: str, text: str) -> None:
    path = HISTORIES / f"{name}.json"
    if path.exists():
        print(f"kept {path}", file=sys.stderr)
        return
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
