"""Real network peers for the tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver,
each on a free port of 127.0.0.1, each keeping what it received."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import free_port

CODE = re.compile(r"^ {4}(\d{6})\r?$", re.MULTILINE)


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: _Inbox

    def messages(self, to: str | None = None, subject: str | None = None) -> list[EmailMessage]:
        with self.inbox.lock:
            found = list(self.inbox.messages)
        return [
            m
            for m in found
            if (to is None or m["To"] == to) and (subject is None or subject in str(m["Subject"]))
        ]

    def wait_for(self, within: float, **match: str) -> EmailMessage:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = self.messages(**match)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no mail matching {match} within {within:.0f} s")

    def code_for(self, signature_id: str, within: float = 20) -> str:
        """The latest confirmation code mailed for the signature."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in reversed(self.messages()):
                body = message.get_body(("plain",))
                text = body.get_content() if body is not None else ""
                if f"/v1/signatures/{signature_id}/confirmation" in text:
                    found = CODE.search(text)
                    assert found, text
                    return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no confirmation code for {signature_id} within {within:.0f} s")


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event

    def signed_by(self, secret: str) -> bool:
        """The Mandate-Signature header, checked as a receiver would."""
        parts = dict(p.split("=", 1) for p in self.headers["mandate-signature"].split(","))
        mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + self.body, hashlib.sha256)
        return hmac.compare_digest(mac.hexdigest(), parts["v1"])


@dataclass
class WebhookReceiver:
    url: str
    received: list[Delivery] = field(default_factory=list)  # answered 2xx
    refused: list[Delivery] = field(default_factory=list)  # answered with an error
    fail_next: int = 0  # answer this many of the next requests with 503
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, check: Callable[[list[Delivery]], bool], within: float) -> list[Delivery]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                found = list(self.received)
            if check(found):
                return found
            time.sleep(0.05)
        raise AssertionError(f"the webhook receiver did not get what was expected: {found}")


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    port = free_port()
    receiver = WebhookReceiver(f"http://127.0.0.1:{port}/hooks/mandate")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            delivery = Delivery(
                self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            with receiver.lock:
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
                    receiver.refused.append(delivery)
                else:
                    receiver.received.append(delivery)
            self.send_response(503 if failing else 204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows what the assertions say

    with serving(port, Handler):
        yield receiver


@contextmanager
def serving(port: int, handler: type[BaseHTTPRequestHandler]) -> Iterator[None]:
    """An HTTP server on 127.0.0.1:``port`` answering with ``handler``, in a thread of its own."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
