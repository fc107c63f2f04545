"""Rate limits on writes: 429 ``rate_limited`` with ``Retry-After``.

Every write route goes through the ``writer`` dependency (api/deps.py), which counts the
request here before it runs: a write without a token against its client address
(``MANDATE_RATE_LIMIT_PER_ADDRESS``), a write with a token against the token
(``MANDATE_RATE_LIMIT_PER_TOKEN``) and, if the operator sets one, against its address as well
(``MANDATE_RATE_LIMIT_PER_ADDRESS_WITH_TOKEN``: off by default, as a constituency's members
often share one office address). The counters live in the database (store/rate_limits.py), so
several API processes share them. An IPv6 client counts by its /64, which one host can fill.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from sqlalchemy import Connection
from starlette.requests import Request

from mandate.settings import Settings
from policies.access import Principal
from policies.errors import RateLimited
from policies.messages import N_
from store import rate_limits
from store.db import Database


def _items(notation: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(notation)) if notation.strip() else ()


@dataclass(frozen=True)
class WriteLimits:
    per_address: tuple[RateLimitItem, ...]
    per_token: tuple[RateLimitItem, ...]
    per_address_with_token: tuple[RateLimitItem, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> WriteLimits | None:
        """The limits in force; None when they are turned off."""
        if not settings.rate_limits_enabled:
            return None
        return cls(
            _items(settings.rate_limit_per_address),
            _items(settings.rate_limit_per_token),
            _items(settings.rate_limit_per_address_with_token),
        )

    def check(self, db: Database, address: str, caller: Principal | None) -> None:
        """Count this write; raise :class:`RateLimited` past a limit (the write then does not
        count)."""
        with db.write() as conn:
            self.count(conn, address, caller)

    def count(self, conn: Connection, address: str, caller: Principal | None) -> None:
        """``check`` in a write transaction of the caller's: the write's own, so that a
        write costs one transaction; raising rolls the count back with the write."""
        if caller is None:
            counted = [(self.per_address, ("address", address), FROM_ADDRESS)]
        else:
            counted = [
                (self.per_token, ("token", caller.credential_id), WITH_TOKEN),
                (self.per_address_with_token, ("address+token", address), FROM_ADDRESS),
            ]
        counted = [c for c in counted if c[0]]
        for items, identifiers, refusal in counted:
            over = rate_limits.hit(conn, items, "write", *identifiers)
            if over is not None:
                item, retry = over
                raise RateLimited(refusal, retry, address=address, item=item, retry=retry)


FROM_ADDRESS = N_(
    "too many writes from %(address)s: the limit is %(item)s; try again in %(retry)s s"
)
WITH_TOKEN = N_("too many writes with this token: the limit is %(item)s; try again in %(retry)s s")


def client_address(request: Request) -> str:
    """Whom a request without a token counts as: its client's address (an IPv6 /64)."""
    host = request.client.host if request.client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
