"""Limits on request bodies: how large (413 ``body_too_large``) and how slow (408 ``body_timeout``).

A pure ASGI middleware in front of the app. It refuses a declared Content-Length over the limit
before reading anything, and otherwise reads the body itself, counting as it comes (a chunked
body declares no length) and within a deadline for the whole body, so a client cannot hold a
request open by trickling bytes. The app then gets the body in one piece. Every API body is small
(``MANDATE_MAX_BODY_BYTES``, 64 KiB by default), so holding it costs nothing.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import answer
from api.languages import scope_language
from policies.messages import N_
from policies.messages import Message as Sentence

BODY_TOO_LARGE = "body_too_large"
BODY_TIMEOUT = "body_timeout"
# The codes this module answers with, for the OpenAPI document.
LIMIT_CODES = {BODY_TOO_LARGE: 413, BODY_TIMEOUT: 408}


class _TooLarge(Exception):
    pass


class BodyLimits:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        most = self.max_bytes
        if declared is not None and declared > most:
            await _refuse(scope, receive, send, BODY_TOO_LARGE, TOO_LARGE, got=declared, most=most)
            return
        try:
            # asyncio's own timeout: anyio's cancel scope cost a few per cent of a request.
            async with asyncio.timeout(self.timeout):
                chunks = await self._read(receive)
        except _TooLarge:
            await _refuse(scope, receive, send, BODY_TOO_LARGE, LARGER, most=most)
            return
        except TimeoutError:
            await _refuse(scope, receive, send, BODY_TIMEOUT, TOO_SLOW, seconds=f"{self.timeout:g}")
            return
        if chunks is None:
            return  # the client went away: nobody to answer
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: a disconnect, in time
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> list[bytes] | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks


TOO_LARGE = N_("the request body has %(got)s bytes; the most this API reads is %(most)s")
LARGER = N_("the request body has more bytes; the most this API reads is %(most)s")
TOO_SLOW = N_("the request body did not arrive in full within %(seconds)s s")


async def _refuse(
    scope: Scope, receive: Receive, send: Send, code: str, detail: Sentence, **params: object
) -> None:
    # The rest of the body is never read, so the connection cannot carry another request.
    lang = scope_language(scope)
    status = LIMIT_CODES[code]
    response = answer(scope, lang, code, detail, status, {"Connection": "close"}, **params)
    await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
