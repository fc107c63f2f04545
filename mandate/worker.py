"""A Temporal worker for Mandate's workflows and activities."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.campaigns import CampaignActivities
from activities.cancellation import transaction_shield
from activities.log import LogActivities
from activities.mail import FolderTransport, MailTransport, SmtpTransport
from activities.notices import NoticeActivities
from activities.rounds import RoundActivities
from activities.seats import SeatActivities
from mandate import keyfile
from mandate.deferred import log_owed, seal_owed
from mandate.settings import Settings
from mandate.temporal import connect
from store.db import Database
from workflows.log_integrator import LogIntegratorWorkflow
from workflows.mail_outbox import MailOutboxWorkflow
from workflows.selection_round import SelectionRoundWorkflow
from workflows.sign_on_campaign import SignOnCampaignWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [
    SelectionRoundWorkflow,
    LogIntegratorWorkflow,
    SignOnCampaignWorkflow,
    MailOutboxWorkflow,
]
# Activities are sync and run in threads; one thread per concurrent activity.
ACTIVITY_THREADS = 16
STICKY_TIMEOUT = timedelta(seconds=3)


@dataclass(frozen=True)
class Mailing:
    """How mail leaves: the transport, its From:, and the API address mail points to."""

    transport: MailTransport
    mail_from: str
    api_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailing:
        transport: MailTransport
        if settings.smtp_host is None:
            transport = FolderTransport(settings.resolved_mail_dir)
        else:
            password = settings.smtp_password
            transport = SmtpTransport(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_security,
                settings.smtp_username,
                None if password is None else password.get_secret_value(),
            )
        return cls(transport, settings.mail_from, settings.api_url)


def build_worker(
    client: Client,
    db: Database,
    origin: str,
    task_queue: str,
    executor: ThreadPoolExecutor,
    mailing: Mailing,
    drand_relay: str | None = None,
) -> Worker:
    """``db`` carries the key ring that signs; ``origin`` names the log in its checkpoints;
    ``drand_relay`` is where beacon rounds are fetched from (None: recorded by hand)."""
    acts = RoundActivities(db, origin, drand_relay)
    log_acts = LogActivities(db, origin)
    campaign_acts = CampaignActivities(db, origin, mailing.api_url)
    seat_acts = SeatActivities(db)
    notice_acts = NoticeActivities(db, mailing.transport, mailing.mail_from, mailing.api_url)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            acts.mirror_phase,
            acts.record_extension,
            acts.record_cancellation,
            acts.count_round,
            acts.plan_count,
            acts.fetch_beacon,
            seat_acts.open_seats,
            seat_acts.lapse_seats,
            log_acts.integrate_log,
            campaign_acts.mirror_phase,
            campaign_acts.record_extension,
            campaign_acts.record_version,
            campaign_acts.check_milestones,
            campaign_acts.prepare_notice,
            campaign_acts.notify_signers,
            campaign_acts.publish_signatories,
            notice_acts.deliver_webhook,
            notice_acts.send_mail,
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        # After a worker dies, its cached workflows move to another worker after this long.
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    db = Database(
        settings.db_url,
        keyring=keyfile.keyring(settings),
        secret=keyfile.server_secret(settings),
        guard=transaction_shield,
    )
    from mandate.temporal import metrics_runtime

    client = await connect(settings, runtime=metrics_runtime(settings))
    with ThreadPoolExecutor(ACTIVITY_THREADS, thread_name_prefix="activity") as executor:
        worker = build_worker(
            client,
            db,
            settings.log_origin,
            settings.task_queue,
            executor,
            Mailing.from_settings(settings),
            settings.drand_relay,
        )
        from mandate.reconcile import (
            ensure_campaign_workflows,
            ensure_log_integrator,
            ensure_mail_outbox,
            ensure_round_workflows,
        )

        await asyncio.to_thread(log_owed, db)  # entries a migration left, if any
        await asyncio.to_thread(seal_owed, db)  # webhook secrets a migration left in the clear
        started = await ensure_round_workflows(client, db, settings.task_queue)
        if started:
            log.info("started workflows for %d published rounds", started)
        started = await ensure_campaign_workflows(client, db, settings.task_queue)
        if started:
            log.info("started workflows for %d published campaigns", started)
        await ensure_log_integrator(client, settings.task_queue, settings.integrate_interval)
        await ensure_mail_outbox(client, settings.task_queue, settings.mail_interval)
        async with worker:
            log.info("worker polling task queue %s", settings.task_queue)
            await (stop or asyncio.Event()).wait()
    db.dispose()
