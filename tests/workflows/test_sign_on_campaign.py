"""SignOnCampaignWorkflow on the time-skipping test server, with real activities, a real
HTTP webhook receiver and mail written to a folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.mail import FolderTransport
from mandate.worker import Mailing
from policies.campaigns import CampaignPhase
from records.campaign_bundle import verify_campaign_bundle
from store import audit, bundles, campaigns, log, signatures, webhooks
from store.db import Database
from store.tables import mail_outbox
from tests.campaign_support import ACTOR, TEXTS, constituency, member, published_campaign
from tests.keys import ORIGIN
from tests.receivers import WebhookReceiver, webhook_receiver
from tests.workflows.support import DAY, running_worker
from workflows.sign_on_campaign import (
    CampaignInput,
    CampaignResult,
    CorrectStatement,
    ExtendClose,
    SignOnCampaignWorkflow,
)

Handle = WorkflowHandle[SignOnCampaignWorkflow, CampaignResult]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as found:
        yield found


@pytest.fixture
def mailing(tmp_path: Path) -> Mailing:
    return Mailing(FolderTransport(tmp_path / "mail"), "Mandate <mandate@test>", "http://m.test")


def _phases(db: Database, campaign_id: str) -> list[str]:
    with db.read() as conn:
        entries = audit.entries(conn, audit.campaign_scope(campaign_id))
    return [json.loads(e.statement)["data"]["phase"] for e in entries if e.type == "phase.changed"]


def _phase(db: Database, campaign_id: str) -> str:
    with db.read() as conn:
        phase: str = campaigns.get(conn, campaign_id)["phase"]
    return phase


def _mail(db: Database, campaign_id: str, purpose: str) -> list[str]:
    with db.read() as conn:
        rows = conn.execute(
            select(mail_outbox.c.dedup_key).where(
                mail_outbox.c.campaign_id == campaign_id, mail_outbox.c.purpose == purpose
            )
        )
        return sorted(r.dedup_key for r in rows)


async def _start(env: WorkflowEnvironment, row: object, tq: str) -> Handle:
    assert hasattr(row, "__getitem__")
    return await env.client.start_workflow(
        SignOnCampaignWorkflow.run,
        CampaignInput(campaign_id=row["id"], opens_at=row["opens_at"], closes_at=row["closes_at"]),
        id=campaigns.workflow_id_for(row["id"]),
        task_queue=tq,
    )


def _sign(db: Database, campaign: object, cid: str, at: datetime) -> signatures.Signed:
    assert hasattr(campaign, "__getitem__")
    org = member(db, cid)
    with db.write() as conn:
        return signatures.sign_as_member(
            conn, campaign["id"], org, cid, campaign["statement_hash"], None, ACTOR, now=at
        )


async def test_the_window_opens_closes_and_publishes_a_verifiable_record(
    time_env: WorkflowEnvironment, wf_db: Database, mailing: Mailing, receiver: WebhookReceiver
) -> None:
    now = await time_env.get_current_time()
    cid = constituency(wf_db)
    row = published_campaign(wf_db, now + DAY, now + 8 * DAY)
    with wf_db.write() as conn:
        _, secret = webhooks.register(conn, row["id"], receiver.url, ["campaign.closed"], ACTOR)
    async with running_worker(time_env.client, wf_db, mailing) as tq:
        handle = await _start(time_env, row, tq)
        await time_env.sleep(DAY / 2)
        assert _phase(wf_db, row["id"]) == CampaignPhase.PUBLISHED
        await time_env.sleep(DAY * 2)
        assert _phase(wf_db, row["id"]) == CampaignPhase.OPEN
        signed = [_sign(wf_db, row, cid, now + 3 * DAY) for _ in range(3)]
        result = await handle.result()
    assert result.phase is CampaignPhase.CONCLUDED
    assert result.signatories == 3
    assert _phases(wf_db, row["id"]) == ["open", "closed", "concluded"]
    # The close's notice: the contact's mail, once, and the webhook, signed.
    assert _mail(wf_db, row["id"], "campaign.closed") == [f"campaign:{row['id']}:closed:contact"]
    (delivery,) = receiver.wait_for(lambda got: len(got) == 1, within=10)
    assert delivery.signed_by(secret)
    assert delivery.event["data"]["counts"]["total"] == 3
    assert delivery.event["data"]["record_hash"] == result.record_hash
    with wf_db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with wf_db.read() as conn:
        bundle = bundles.export_campaign(conn, row["id"])
    report = verify_campaign_bundle(bundle, workers=0)
    assert report.ok, report.problems
    listed = _record(wf_db, row["id"])["signatories"]
    assert isinstance(listed, list)
    assert {s["signature_id"] for s in listed} == {s.signature["id"] for s in signed}


def _record(db: Database, campaign_id: str) -> dict[str, object]:
    from store import signatory_records

    with db.read() as conn:
        record: dict[str, object] = json.loads(signatory_records.get(conn, campaign_id)["record"])
    return record


async def test_milestones_fire_once_each(
    time_env: WorkflowEnvironment, wf_db: Database, mailing: Mailing, receiver: WebhookReceiver
) -> None:
    now = await time_env.get_current_time()
    cid = constituency(wf_db)
    row = published_campaign(wf_db, now, now + 5 * DAY, milestones=[2, 3, 50])
    with wf_db.write() as conn:
        webhooks.register(conn, row["id"], receiver.url, ["campaign.milestone"], ACTOR)
    async with running_worker(time_env.client, wf_db, mailing) as tq:
        handle = await _start(time_env, row, tq)
        await time_env.sleep(DAY)
        for n in range(4):
            signed = _sign(wf_db, row, cid, now + DAY + timedelta(minutes=n))
            if signed.milestones:
                await handle.signal(SignOnCampaignWorkflow.milestone_reached)
        # A signal more than needed, as after a worker restart: nothing fires twice.
        await handle.signal(SignOnCampaignWorkflow.milestone_reached)
        await time_env.sleep(DAY)
        result = await handle.result()
    assert result.milestones == [2, 3]
    assert _mail(wf_db, row["id"], "campaign.milestone") == [
        f"campaign:{row['id']}:milestone:2:contact",
        f"campaign:{row['id']}:milestone:3:contact",
    ]
    got = receiver.wait_for(lambda found: len(found) >= 2, within=10)
    assert sorted(d.event["data"]["threshold"] for d in got) == [2, 3]
    assert len({d.event["id"] for d in got}) == 2


async def test_a_milestone_nobody_signalled_is_found_at_the_close(
    time_env: WorkflowEnvironment, wf_db: Database, mailing: Mailing
) -> None:
    now = await time_env.get_current_time()
    cid = constituency(wf_db)
    row = published_campaign(wf_db, now, now + 2 * DAY, milestones=[1])
    async with running_worker(time_env.client, wf_db, mailing) as tq:
        handle = await _start(time_env, row, tq)
        await time_env.sleep(DAY)
        _sign(wf_db, row, cid, now + DAY)  # the API that wrote it was cut off: no signal
        result = await handle.result()
    assert result.milestones == [1]
    assert _mail(wf_db, row["id"], "campaign.milestone") == [
        f"campaign:{row['id']}:milestone:1:contact"
    ]


async def test_extension_moves_the_close_and_is_refused_when_invalid(
    time_env: WorkflowEnvironment, wf_db: Database, mailing: Mailing
) -> None:
    now = await time_env.get_current_time()
    row = published_campaign(wf_db, now, now + 4 * DAY)
    async with running_worker(time_env.client, wf_db, mailing) as tq:
        handle = await _start(time_env, row, tq)
        await time_env.sleep(DAY)
        for bad, expected in (
            (now, "in the past"),
            (now + 3 * DAY, "later than"),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await handle.execute_update(
                    SignOnCampaignWorkflow.extend_close,
                    ExtendClose(new_at=bad, reason="test", actor=ACTOR),
                )
            assert expected in str(info.value.cause)
        new_close = row["closes_at"] + 2 * DAY
        state = await handle.execute_update(
            SignOnCampaignWorkflow.extend_close,
            ExtendClose(new_at=new_close, reason="partners asked for more time", actor=ACTOR),
        )
        assert state.closes_at == new_close
        assert state.receipts
        with wf_db.read() as conn:
            assert campaigns.get(conn, row["id"])["closes_at"] == new_close
        await time_env.sleep(3 * DAY + timedelta(hours=1))  # past the old close (day 4)
        assert _phase(wf_db, row["id"]) == CampaignPhase.OPEN
        await time_env.sleep(2 * DAY)
        assert _phase(wf_db, row["id"]) in (CampaignPhase.CLOSED, CampaignPhase.CONCLUDED)
        result = await handle.result()
    assert result.phase is CampaignPhase.CONCLUDED
    assert "deadline.extended" in _types(wf_db, row["id"])


def _types(db: Database, campaign_id: str) -> list[str]:
    with db.read() as conn:
        return [e.type for e in audit.entries(conn, audit.campaign_scope(campaign_id))]


async def test_a_correction_tells_the_signers_of_the_older_version(
    time_env: WorkflowEnvironment, wf_db: Database, mailing: Mailing
) -> None:
    now = await time_env.get_current_time()
    cid = constituency(wf_db)
    row = published_campaign(wf_db, now, now + 3 * DAY)
    async with running_worker(time_env.client, wf_db, mailing) as tq:
        handle = await _start(time_env, row, tq)
        await time_env.sleep(DAY)
        early = [_sign(wf_db, row, cid, now + DAY) for _ in range(2)]
        texts = {**TEXTS, "en": {"title": TEXTS["en"]["title"], "text": "We, the undersigned!"}}
        state = await handle.execute_update(
            SignOnCampaignWorkflow.correct_statement,
            CorrectStatement(texts=texts, reason="a sentence was missing", actor=ACTOR),
        )
        assert state.version == 2
        assert state.statement_hash is not None
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                SignOnCampaignWorkflow.correct_statement,
                CorrectStatement(texts=texts, reason="again", actor=ACTOR),
            )
        assert "same as the current version" in str(info.value.cause)
        later = dict(row) | {"statement_hash": state.statement_hash}
        _sign(wf_db, later, cid, now + DAY + timedelta(hours=1))
        result = await handle.result()
    assert result.signatories == 3
    told = _mail(wf_db, row["id"], "statement_corrected")
    assert told == sorted(f"signature:{s.signature['id']}:version:2" for s in early)
    assert _record(wf_db, row["id"])["counts"] == {
        "total": 3,
        "by_region": {"africa": 3},
        "by_type": {"trade_union": 3},
        "by_version": {"1": 2, "2": 1},
    }
