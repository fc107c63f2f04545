"""Activities that reach outside: webhook deliveries (retried with backoff by Temporal) and
the mail outbox's sender."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    DELIVER_WEBHOOK,
    SEND_MAIL,
    Delivered,
    DeliveryInput,
    MailBatch,
    MailSent,
)
from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from activities.mail import MailTransport, message_for
from i18n.catalogs import Catalogs
from records.canonical import canonical_json
from store import outbox, round_notices, round_webhooks, webhooks
from store.db import Database, utcnow

WEBHOOK_TIMEOUT = 10.0
SIGNATURE_HEADER = "Mandate-Signature"
# A refusal that retrying will not change (bad request, gone...); timeouts and limits will.
_FINAL_STATUSES = frozenset(range(400, 500)) - {408, 409, 425, 429}


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body under the secret>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_event(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    """POST a webhook's JSON body: the receiver's status (None if none answered) and what went
    wrong (None when it answered 2xx)."""
    try:
        answer = httpx.post(
            url,
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=WEBHOOK_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if not 200 <= answer.status_code < 300:
        return answer.status_code, f"answered {answer.status_code}"
    return answer.status_code, None


class NoticeActivities:
    def __init__(
        self,
        db: Database,
        transport: MailTransport,
        mail_from: str,
        api_url: str = "http://127.0.0.1:8000",
        catalogs: Catalogs | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.mail_from = mail_from
        self.api_url = api_url  # where round notices point
        self.catalogs = catalogs or Catalogs.load()  # their words in every language

    @activity.defn(name=DELIVER_WEBHOOK)
    @heartbeating
    @domain_errors_are_final
    def deliver_webhook(self, inp: DeliveryInput) -> Delivered:
        """POST the event, signed; every attempt goes into the delivery log."""
        with self.db.read() as conn:
            hook = webhooks.get(conn, inp.campaign_id, inp.webhook_id)
            secret = webhooks.signing_secret(conn, hook)
        if hook["removed_at"] is not None:
            return Delivered(delivered=False)
        body = canonical_json(inp.event)
        stamp = int(time.time())
        attempt = activity.info().attempt
        status, error = post_event(
            hook["url"],
            body,
            {
                SIGNATURE_HEADER: webhook_signature(secret, stamp, body),
                "Mandate-Event": str(inp.event["type"]),
                "Mandate-Delivery": str(inp.event["id"]),
            },
        )
        with self.db.write() as conn:
            webhooks.log_attempt(
                conn,
                webhook_id=hook["id"],
                campaign_id=inp.campaign_id,
                event_id=str(inp.event["id"]),
                event_type=str(inp.event["type"]),
                attempt=attempt,
                status_code=status,
                error=error,
                delivered=error is None,
                at=utcnow(),
            )
        if error is not None:
            raise ApplicationError(
                f"webhook {hook['id']} {error}",
                type="webhook_failed",
                non_retryable=status in _FINAL_STATUSES,
            )
        return Delivered(delivered=True, status_code=status)

    @activity.defn(name=SEND_MAIL)
    @heartbeating
    @domain_errors_are_final
    def send_mail(self, inp: MailBatch) -> MailSent:
        """Send what is due as one batch; no transaction is held while sending, and the
        outcomes are recorded together (one short write beside the API's). Round notices that
        have come due are put into words first, and round webhooks delivered after."""
        with self.db.read() as conn:
            notices_due = round_notices.any_due(conn, utcnow())
        if notices_due:  # a write only when there is something to write
            with self.db.write() as conn:
                round_notices.release_due(conn, self.catalogs, self.api_url, utcnow(), inp.limit)
        hooks_waiting = self._deliver_round_webhooks(inp.limit)
        with self.db.read() as conn:
            due = outbox.due(conn, utcnow(), inp.limit)  # bodies opened
        if not due:
            return MailSent(sent=0, failed=0, more_waiting=hooks_waiting)
        outcomes = self.transport.send_all([message_for(row, self.mail_from) for row in due])
        now = utcnow()
        with self.db.write() as conn:
            for row, problem in zip(due, outcomes, strict=True):
                if problem is None:
                    outbox.mark_sent(conn, row["id"], now)
                else:
                    outbox.mark_failed(conn, row, f"{type(problem).__name__}: {problem}", now)
        failed = sum(p is not None for p in outcomes)
        return MailSent(sent=len(due) - failed, failed=failed, more_waiting=len(due) == inp.limit)

    def _deliver_round_webhooks(self, limit: int) -> bool:
        """POST each due round event, signed as Standard Webhooks say; True when more wait."""
        with self.db.read() as conn:
            due = round_webhooks.due(conn, utcnow(), limit)
        for row in due:
            body = canonical_json(row["payload"]).decode()
            sent_at = datetime.now(UTC)
            signature = Webhook(row["secret"]).sign(row["message_id"], sent_at, body)
            status: int | None = None
            error: str | None = "the webhook was removed"
            if row["removed_at"] is None:
                status, error = post_event(
                    row["url"],
                    body.encode(),
                    {
                        "webhook-id": row["message_id"],
                        "webhook-timestamp": str(int(sent_at.timestamp())),
                        "webhook-signature": signature,
                    },
                )
            with self.db.write() as conn:
                round_webhooks.mark(
                    conn,
                    row,
                    status=status,
                    error=error,
                    final=row["removed_at"] is not None or status in _FINAL_STATUSES,
                    now=utcnow(),
                )
        return len(due) == limit
