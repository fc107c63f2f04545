"""An SMTP server for the benchmarks, in a process of its own (so that receiving mail does not
share an interpreter with the benchmark's clients): one line on stdout per message,
``MAIL <signature id> <code>`` for a confirmation code, ``MAIL - -`` for any other mail.

    python -m bench.smtp_sink PORT
"""

from __future__ import annotations

import email
import email.policy
import re
import signal
import sys
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

CODE = re.compile(r'/v1/signatures/([0-9a-f-]{36})/confirmation\r?\n\s+\{"code": "(\d{6})"\}')


class Sink:
    def __init__(self) -> None:
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(
            envelope.original_content or envelope.content or b"", policy=email.policy.default
        )
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        found = CODE.search(body.get_content() if body is not None else "")
        line = f"MAIL {found.group(1)} {found.group(2)}" if found else "MAIL - -"
        with self.lock:
            print(line, flush=True)
        return "250 OK"


def main() -> int:
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
