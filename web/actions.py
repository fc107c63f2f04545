"""Writes from a page: the same rate limits and transaction rules as the API's writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from api.ratelimits import client_address
from policies.errors import Conflict, DomainError
from web.pages import Reader, web_of

T = TypeVar("T")


async def write(request: Request, who: Reader, work: Callable[[Connection], T]) -> T:
    """Run ``work`` in one write transaction, after the API's rate limits for this caller.

    As in the API (api/deps.py), a refusal that ``keeps_writes`` (a wrong code costs an attempt)
    commits what it wrote before it is answered."""
    svc = web_of(request).svc
    if svc.limits is not None:
        await run_in_threadpool(svc.limits.check, svc.db, client_address(request), who.principal)

    def run() -> T:
        refusal: DomainError | None = None
        try:
            with svc.db.write() as conn:
                try:
                    return work(conn)
                except DomainError as exc:
                    if not exc.keeps_writes:
                        raise
                    refusal = exc
        except IntegrityError:
            raise Conflict(
                "the request conflicts with a change made at the same moment; try again"
            ) from None
        assert refusal is not None
        raise refusal

    return await run_in_threadpool(run)
