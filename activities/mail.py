"""Sending mail: over SMTP to the configured server, or into a folder when there is none.

The embedded stack has no mail server, so by default every mail is written to
``<data>/mail`` as an ``.eml`` file, one per message, which any mail client opens.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

SMTP_TIMEOUT = 30.0
# UTF-8 bytes per encoded word of a subject: 48 base64 characters, a line under 76.
_WORD_BYTES = 36


class _MailPolicy(EmailPolicy):
    """Python's folding (3.11) can leave the space between two words outside the encoded
    words it makes, where readers drop it (an Arabic subject's "لـ «A" read "لـ«A"). A subject
    that is not ASCII is folded here as encoded words that hold every character itself."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() != "subject" or str(value).isascii():
            folded: str = super().fold(name, value)
            return folded
        words = [f"=?utf-8?b?{base64.b64encode(part).decode()}?=" for part in _parts(value)]
        return f"{name}: " + f"{self.linesep} ".join(words) + self.linesep

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() != "subject" or str(value).isascii():
            folded: bytes = super().fold_binary(name, value)
            return folded
        return self.fold(name, value).encode("ascii")


def _parts(text: str) -> Iterator[bytes]:
    """The text's UTF-8 in pieces of at most ``_WORD_BYTES``, never inside a character."""
    part = b""
    for char in str(text):
        encoded = char.encode()
        if len(part) + len(encoded) > _WORD_BYTES:
            yield part
            part = b""
        part += encoded
    if part:
        yield part


MAIL_POLICY = _MailPolicy()


class MailTransport(Protocol):
    def send_all(self, messages: Sequence[EmailMessage]) -> list[Exception | None]:
        """Send each message; for each, None or what went wrong."""
        ...


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    security: str  # none | starttls | tls
    username: str | None = None
    password: str | None = None

    def send_all(self, messages: Sequence[EmailMessage]) -> list[Exception | None]:
        """One connection for the whole batch: a connection per message would cap the rate
        at a few dozen a second."""
        outcomes: list[Exception | None] = []
        try:
            with self._connect() as smtp:
                for message in messages:
                    try:
                        smtp.send_message(message)
                    except smtplib.SMTPRecipientsRefused as exc:
                        outcomes.append(exc)  # this address only; the session goes on
                    except smtplib.SMTPResponseException as exc:
                        if exc.smtp_code >= 500 or exc.smtp_code < 400:
                            outcomes.append(exc)
                            continue
                        raise
                    else:
                        outcomes.append(None)
        except (OSError, smtplib.SMTPException) as exc:
            # The session broke: what was not sent yet is tried again later.
            outcomes.extend([exc] * (len(messages) - len(outcomes)))
        return outcomes

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        try:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:  # no user name: the relay takes mail without logging in
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


@dataclass(frozen=True)
class FolderTransport:
    folder: Path

    def send_all(self, messages: Sequence[EmailMessage]) -> list[Exception | None]:
        outcomes: list[Exception | None] = []
        for message in messages:
            try:
                self._write(message)
            except OSError as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_")
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(bytes(message))
        os.replace(partial, target)  # a reader never sees half a message


def message_for(row: Mapping[str, Any], mail_from: str) -> EmailMessage:
    """The message of an outbox row. Its Message-ID comes from the row, so a message sent
    twice (a retry after a lost answer) is one message to the reader's mail client."""
    message = EmailMessage(policy=MAIL_POLICY)
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
