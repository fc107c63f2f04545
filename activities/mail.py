"""Sending mail: over SMTP to the configured server, or into a folder when there is none.

The embedded stack has no mail server, so by default every mail is written to
``<data>/mail`` as an ``.eml`` file, one per message, which any mail client opens.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from sqlalchemy import RowMapping

SMTP_TIMEOUT = 30.0


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    security: str  # none | starttls | tls
    username: str | None = None
    password: str | None = None

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:  # no user name: the relay takes mail without logging in
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class FolderTransport:
    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(bytes(message))
        os.replace(partial, target)  # a reader never sees half a message


def message_for(row: RowMapping, mail_from: str) -> EmailMessage:
    """The message of an outbox row. Its Message-ID comes from the row, so a message sent
    twice (a retry after a lost answer) is one message to the reader's mail client."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Date"] = format_datetime(row["created_at"])
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "mandate.invalid"
    stamp = row["created_at"].strftime("%Y%m%d%H%M%S")
    message["Message-ID"] = f"<outbox.{row['id']}.{stamp}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["body"] or "")
    return message
