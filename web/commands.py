"""Commands a workflow carries out (a round's extension or cancellation), from a page: the
API's rate limits first, then the command itself, as the API's ``Writer.run_remote`` runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from api.ratelimits import client_address
from web.pages import Reader, web_of

T = TypeVar("T")


async def command(request: Request, who: Reader, work: Callable[[], Awaitable[T]]) -> T:
    svc = web_of(request).svc
    if svc.limits is not None:
        await run_in_threadpool(svc.limits.check, svc.db, client_address(request), who.principal)
    return await work()
