"""The pages' defences: security headers, and a CSRF token in every form.

CSRF: a signed-in reader's token is an HMAC of their session (a synchronizer token tied to the
session, with nothing more to store); an anonymous reader's is an HMAC of a random nonce kept
in an HttpOnly cookie (a signed double submit). A POST without the right token is refused with
a 403 page.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.sealing import ServerSecret

CSRF_COOKIE = "mandate_csrf"
CSRF_FIELD = "csrf"
_PURPOSE = "mandate.web-csrf/1"

# No script runs and no inline style is allowed: styles and images come from this app only,
# forms post only to it, and no other site may frame a page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # sign-in links carry a token in their path
    "x-frame-options": "DENY",
}


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: ServerSecret, *, session_id: str | None, nonce: str | None) -> str:
    """The token forms carry: bound to the session when signed in, else to the nonce."""
    binding = f"session:{session_id}" if session_id is not None else f"anonymous:{nonce}"
    return secret.mac(_PURPOSE, binding)


def csrf_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(expected) and hmac.compare_digest(expected, given)


class PageHeaders:
    """Adds the security headers to every response that does not set its own (the API's JSON
    answers get them too, where they are harmless)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
