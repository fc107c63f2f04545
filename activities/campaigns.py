"""Activities of a sign-on campaign: mirror its phases and commands into the database, find
the milestones reached, prepare notices, and publish the signed signatory record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    CHECK_MILESTONES,
    MIRROR_CAMPAIGN_PHASE,
    NOTIFY_SIGNERS,
    PREPARE_NOTICE,
    PUBLISH_SIGNATORIES,
    RECORD_CAMPAIGN_EXTENSION,
    RECORD_STATEMENT_VERSION,
    CampaignRef,
    MilestonesReached,
    MirrorCampaignPhaseInput,
    Notice,
    NoticeInput,
    NotifySignersInput,
    RecordCampaignExtensionInput,
    RecordStatementVersionInput,
    SignatoriesPublished,
    SignersNotified,
    VersionRecorded,
    WriteResult,
)
from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from activities.log import integrate_everything
from i18n.catalogs import Catalogs
from i18n.languages import known
from policies import notices
from policies.times import iso
from store import campaigns, log, outbox, signatory_records, signatures, webhooks
from store.db import RECEIPTS, Database


class CampaignActivities:
    """Holds the database handle; one instance per worker."""

    def __init__(
        self, db: Database, origin: str, api_url: str, catalogs: Catalogs | None = None
    ) -> None:
        self.db = db
        self.origin = origin  # the log's name, for the checkpoint the record names
        self.api_url = api_url  # where mail points
        self.catalogs = catalogs or Catalogs.load()  # the mail's words in every language

    @activity.defn(name=MIRROR_CAMPAIGN_PHASE)
    @heartbeating
    @domain_errors_are_final
    def mirror_phase(self, inp: MirrorCampaignPhaseInput) -> WriteResult:
        with self.db.write() as conn:
            changed = campaigns.mirror_phase(
                conn, inp.campaign_id, inp.phase, inp.seq, inp.scheduled_at
            )
        return WriteResult(changed=changed)

    @activity.defn(name=RECORD_CAMPAIGN_EXTENSION)
    @heartbeating
    @domain_errors_are_final
    def record_extension(self, inp: RecordCampaignExtensionInput) -> WriteResult:
        with self.db.write() as conn:
            changed = campaigns.record_extension(
                conn, inp.campaign_id, inp.new_at, inp.reason, inp.actor
            )
            receipts = list(conn.info[RECEIPTS])
        return WriteResult(changed=changed, receipts=receipts)

    @activity.defn(name=RECORD_STATEMENT_VERSION)
    @heartbeating
    @domain_errors_are_final
    def record_version(self, inp: RecordStatementVersionInput) -> VersionRecorded:
        with self.db.write() as conn:
            row, _ = campaigns.record_version(
                conn, inp.campaign_id, inp.version, inp.texts, inp.reason, inp.actor
            )
            receipts = list(conn.info[RECEIPTS])
        return VersionRecorded(
            version=row["version"], statement_hash=row["statement_hash"], receipts=receipts
        )

    @activity.defn(name=CHECK_MILESTONES)
    @heartbeating
    @domain_errors_are_final
    def check_milestones(self, inp: CampaignRef) -> MilestonesReached:
        """Every milestone reached so far (each recorded by the write that reached it)."""
        with self.db.read() as conn:
            reached = signatures.milestones_reached(conn, inp.campaign_id)
        return MilestonesReached(thresholds=[r["threshold"] for r in reached])

    @activity.defn(name=PREPARE_NOTICE)
    @heartbeating
    @domain_errors_are_final
    def prepare_notice(self, inp: NoticeInput) -> Notice:
        """Queue the contact's mail (once) and say which webhooks get the event."""
        with self.db.write() as conn:
            row = campaigns.get(conn, inp.campaign_id)
            if inp.kind == "milestone":
                made = self._milestone(conn, row, inp.threshold)
            else:
                made = self._closed(conn, row)
            outbox.enqueue(
                conn,
                dedup_key=f"{made.event['id']}:contact",
                purpose=made.event["type"],
                to=row["contact_email"],
                subject=made.subject,
                body=made.body,
                campaign_id=row["id"],
            )
            hooks = [w["id"] for w in webhooks.active(conn, row["id"], made.event["type"])]
        return Notice(event=made.event, webhook_ids=hooks)

    def _milestone(self, conn: Connection, row: RowMapping, threshold: int | None) -> _Made:
        cid = row["id"]
        reached = {r["threshold"]: r for r in signatures.milestones_reached(conn, cid)}
        found = reached.get(threshold or 0)
        if found is None:
            raise ApplicationError(f"milestone {threshold} is not reached", non_retryable=True)
        lang = known(row["lang"])
        subject, body = notices.milestone(
            self.catalogs[lang],
            title=notices.campaign_title(row["texts"], lang),
            threshold=found["threshold"],
            count=found["count"],
            api_url=self.api_url,
            campaign_id=cid,
        )
        event = _event(
            f"campaign:{cid}:milestone:{threshold}",
            "campaign.milestone",
            cid,
            found["reached_at"],
            {"threshold": found["threshold"], "count": found["count"]},
        )
        return _Made(event, subject, body)

    def _closed(self, conn: Connection, row: RowMapping) -> _Made:
        cid = row["id"]
        record = signatory_records.get(conn, cid)
        counts = json.loads(record["record"])["counts"]
        lang = known(row["lang"])
        subject, body = notices.closed(
            self.catalogs[lang],
            title=notices.campaign_title(row["texts"], lang),
            counts=counts,
            record_hash=record["record_hash"],
            api_url=self.api_url,
            campaign_id=cid,
        )
        data = {
            "record_hash": record["record_hash"],
            "counts": counts,
            "closes_at": iso(row["closes_at"]),
        }
        event = _event(f"campaign:{cid}:closed", "campaign.closed", cid, record["created_at"], data)
        return _Made(event, subject, body)

    @activity.defn(name=NOTIFY_SIGNERS)
    @heartbeating
    @domain_errors_are_final
    def notify_signers(self, inp: NotifySignersInput) -> SignersNotified:
        """Tell everyone who signed an older version that the statement changed (once each)."""
        queued = 0
        with self.db.write() as conn:
            row = campaigns.get(conn, inp.campaign_id)
            for sig in signatures.signed_before(conn, inp.campaign_id, inp.version):
                if sig["email"] is None and sig["organisation_id"] is None:
                    continue  # an outside signer whose address was erased: nowhere to write
                to = sig["email"] or signatures.member_contact(conn, sig)
                lang = signatures.mail_language(conn, sig)
                subject, body = notices.new_version(
                    self.catalogs[lang],
                    title=notices.campaign_title(row["texts"], lang),
                    organisation=sig["organisation_name"],
                    signed_version=sig["version"],
                    version=inp.version,
                    reason=inp.reason,
                    api_url=self.api_url,
                    campaign_id=inp.campaign_id,
                    signature_id=sig["id"],
                )
                queued += outbox.enqueue(
                    conn,
                    dedup_key=f"signature:{sig['id']}:version:{inp.version}",
                    purpose="statement_corrected",
                    to=to,
                    subject=subject,
                    body=body,
                    campaign_id=inp.campaign_id,
                )
        return SignersNotified(queued=queued)

    @activity.defn(name=PUBLISH_SIGNATORIES)
    @heartbeating
    @domain_errors_are_final
    def publish_signatories(self, inp: CampaignRef) -> SignatoriesPublished:
        # The record names a checkpoint that holds every signature entry.
        integrate_everything(self.db, self.origin)
        with self.db.write() as conn:
            covering = log.require_checkpoint(conn)
            signatory_records.publish(conn, inp.campaign_id, covering)
            record = signatory_records.get(conn, inp.campaign_id)
        total = json.loads(record["record"])["counts"]["total"]
        return SignatoriesPublished(record_hash=record["record_hash"], total=total)


@dataclass(frozen=True)
class _Made:
    event: dict[str, Any]
    subject: str
    body: str


def _event(
    event_id: str, event_type: str, campaign_id: str, at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """A webhook event: the same body on every attempt (receivers deduplicate by its id)."""
    return {
        "id": event_id,
        "type": event_type,
        "campaign_id": campaign_id,
        "created_at": iso(at),
        "data": data,
    }
