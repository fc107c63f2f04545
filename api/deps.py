"""Request dependencies: the app's services, the caller, and idempotent writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from temporalio.client import Client

from api.languages import CHOSEN, language
from api.ratelimits import WriteLimits, client_address
from i18n.catalogs import Catalogs
from mandate.settings import Settings
from policies.access import Principal
from policies.errors import (
    Conflict,
    DomainError,
    IdempotencyInProgress,
    InvalidInput,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from policies.messages import N_
from store import credentials, erasure, idempotency, rate_limits
from store.db import RECEIPTS, Database, utcnow

# Names the log entries a write made, by Merkle leaf hash: ask for their inclusion proofs by it.
RECEIPT_HEADER = "Mandate-Receipt"

T = TypeVar("T")
log = logging.getLogger(__name__)
ANONYMOUS = "anonymous"


# Seconds between deletions of expired idempotency answers and rate-limit counters.
PURGE_INTERVAL = 300.0


@dataclass
class Services:
    settings: Settings
    db: Database
    temporal: Client | None = None
    limits: WriteLimits | None = field(init=False)
    # The API's and the mail's translations, compiled once (i18n/catalogs.py).
    catalogs: Catalogs = field(init=False, repr=False)
    # When this process next deletes what has expired (time.monotonic()).
    next_purge: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.limits = WriteLimits.from_settings(self.settings)
        self.catalogs = Catalogs.load()

    def purge_if_due(self) -> None:
        """Best effort, once per ``PURGE_INTERVAL`` per process, each in a transaction of its
        own: expired idempotency answers and rate counters, and contact data past their
        retention (store/erasure.py)."""
        if time.monotonic() < self.next_purge:
            return
        self.next_purge = time.monotonic() + PURGE_INTERVAL
        now = utcnow()
        try:
            with self.db.write() as conn:
                idempotency.purge(conn, now - timedelta(seconds=self.settings.idempotency_ttl))
                rate_limits.purge(conn, now)
        except (DomainError, SQLAlchemyError) as exc:
            log.warning("expired idempotency answers and rate counters not purged: %s", exc)
        try:
            with self.db.write() as conn:
                retention = timedelta(days=self.settings.contact_retention_days)
                erasure.expire(conn, now - retention)
        except (DomainError, SQLAlchemyError) as exc:
            log.warning("contact data past their retention not erased: %s", exc)


async def services(request: Request) -> Services:
    # Async: FastAPI runs a plain function dependency in its thread pool, a thread hop (and a
    # turn of the interpreter lock) for every request, only to read an attribute.
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


def temporal_client(svc: Services) -> Client:
    if svc.temporal is None:
        raise ServiceUnavailable(N_("the API is not connected to Temporal yet; try again shortly"))
    return svc.temporal


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(N_("the Authorization header must be 'Bearer <token>'"))
    return token.strip()


async def optional_principal(request: Request, svc: ServicesDep) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None

    def auth() -> Principal:
        with svc.db.read() as conn:
            return credentials.authenticate(conn, token)

    found = await run_in_threadpool(auth)
    setattr(request.state, CHOSEN, found.lang)  # its errors speak the organisation's language
    return found


async def principal(
    caller: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if caller is None:
        raise Unauthenticated(N_("this needs a bearer token (Authorization: Bearer <token>)"))
    return caller


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


async def caller_language(request: Request, _: MaybeCaller) -> str:
    """The caller's language (api/languages.py), once the caller is known."""
    return language(request)


Language = Annotated[str, Depends(caller_language)]


def dump(model: BaseModel) -> str:
    """The answer's JSON, rendered once: stored as it is for an Idempotency-Key's replay and
    sent as it is (``Rendered``)."""
    return model.model_dump_json()


class Rendered(JSONResponse):
    """A JSON answer whose body is rendered already (``dump``, or stored for a replay)."""

    def render(self, content: Any) -> bytes:
        return content.encode() if isinstance(content, str) else bytes(content)


class _ClaimLost(Exception):
    """The key's claim expired and another request took it over before this write began."""


@dataclass(frozen=True)
class _Written:
    """What a write's transaction gave: the answer's body and receipts, or a refusal that
    keeps the writes made before it (``DomainError.keeps_writes``)."""

    body: str
    receipts: str
    refusal: DomainError | None


@dataclass
class Writer:
    """Runs a write once per ``Idempotency-Key``: a retry gets the first answer back.

    A keyed write claims its key first (store/idempotency.py); a concurrent copy waits for the
    first one's answer, up to ``MANDATE_IDEMPOTENCY_WAIT`` seconds, instead of running again.
    """

    svc: Services
    principal_id: str
    key: str | None
    request_hash: str
    # Receipts of a command carried out by a workflow; ``run_remote``'s work fills it.
    receipts: list[str] = field(default_factory=list)
    # Counts this write against the rate limits (api/ratelimits.py) in a write transaction:
    # an unkeyed ``run`` does it first thing in the write's own transaction, anything else
    # in one of its own (``count_alone``); the ``writer`` dependency sees that it happens once.
    limit: Callable[[Connection], None] | None = None
    counted: bool = False
    over_limit: bool = False  # refused by a rate limit: not counted
    # Who writes: known before the write, or (``authenticating_writer``) found from ``bearer``
    # in the write's own transaction, first thing.
    caller: Principal | None = None
    bearer: str | None = field(default=None, repr=False)
    request: Request | None = field(default=None, repr=False)  # its errors' language

    def count_alone(self) -> None:
        """Count the write in a transaction of its own, unless it is counted already."""
        if self.limit is None or self.counted:
            return
        with self.svc.db.write() as conn:
            self.limit(conn)
        self.counted = True

    async def run(self, work: Callable[[Connection], BaseModel], status: int = 200) -> JSONResponse:
        if self.key is None:
            return await self._write(work, status, None)
        await run_in_threadpool(self.count_alone)
        while True:
            claimed = await self._claim()
            if isinstance(claimed, JSONResponse):
                return claimed
            try:
                return await self._write(work, status, claimed)
            except _ClaimLost:
                continue  # the request that took the claim over answers: wait for it

    @property
    def with_token(self) -> bool:
        """Whether the request came with a token (checked, or to be checked in the write)."""
        return self.caller is not None or self.bearer is not None

    async def run_as(
        self, work: Callable[[Connection, Principal], BaseModel], status: int = 200
    ) -> JSONResponse:
        """``run`` for a route that needs the caller: ``work`` is given the caller, whom an
        ``authenticating_writer`` authenticates in the same transaction, first."""

        def as_caller(conn: Connection) -> BaseModel:
            if self.caller is None:
                raise Unauthenticated(
                    N_("this needs a bearer token (Authorization: Bearer <token>)")
                )
            return work(conn, self.caller)

        return await self.run(as_caller, status)

    async def _write(
        self, work: Callable[[Connection], BaseModel], status: int, token: str | None
    ) -> JSONResponse:
        """The write in the next commit group (store/db.py), which answers only once the group
        is committed."""
        fused = token is None and self.limit is not None and not self.counted

        def job(conn: Connection) -> _Written:
            return self._inside(conn, work, status, token, fused)

        db = self.svc.db
        try:
            done = await asyncio.wrap_future(db.groups.submit(job))
        except _ClaimLost:
            raise
        except IntegrityError:
            await self._release_shielded(token)
            # Another request created the same thing at the same moment.
            raise Conflict(
                N_(
                    "the request conflicts with a change made at the same moment; "
                    "read the current state and try again"
                )
            ) from None
        except BaseException:
            await self._release_shielded(token)
            raise
        if fused:
            self.counted = True
        if done.refusal is not None:
            raise done.refusal
        return _response(done.body, status, done.receipts)

    def _inside(
        self,
        conn: Connection,
        work: Callable[[Connection], BaseModel],
        status: int,
        token: str | None,
        fused: bool,
    ) -> _Written:
        if self.bearer is not None and self.caller is None:
            self.caller = credentials.authenticate(conn, self.bearer)
            if self.request is not None:  # its errors speak the organisation's language
                setattr(self.request.state, CHOSEN, self.caller.lang)
        if fused:
            assert self.limit is not None
            self.limit(conn)
        if token is not None and not idempotency.hold(conn, self.principal_id, self._key, token):
            raise _ClaimLost
        try:
            body = dump(work(conn))
        except DomainError as exc:
            if not exc.keeps_writes:
                raise
            # Committed with the rest, answered after; never stored as the answer.
            if token is not None:
                idempotency.release(conn, self.principal_id, self._key, token)
            return _Written("", "", exc)
        receipts = ",".join(conn.info[RECEIPTS])
        if token is not None:
            idempotency.answer(conn, self.principal_id, self._key, token, status, body, receipts)
        return _Written(body, receipts, None)

    async def _release_shielded(self, token: str | None) -> None:
        if token is None:
            return
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(self._release, token)

    async def run_remote(
        self, work: Callable[[], Awaitable[BaseModel]], status: int = 200
    ) -> JSONResponse:
        """For commands carried out by a workflow; the workflow deduplicates by update id, so
        a copy that took over an expired claim runs the same Update and gets its result."""
        token: str | None = None
        await run_in_threadpool(self.count_alone)
        if self.key is not None:
            claimed = await self._claim()
            if isinstance(claimed, JSONResponse):
                return claimed
            token = claimed
        try:
            body = dump(await work())
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._release, token)
            raise
        receipts = ",".join(self.receipts)
        if token is not None:
            await run_in_threadpool(self._answer, token, status, body, receipts)
        return _response(body, status, receipts)

    @property
    def operation_id(self) -> str | None:
        return None if self.key is None else f"{self.principal_id}:{self.key}"

    @property
    def _key(self) -> str:
        assert self.key is not None
        return self.key

    @property
    def _ttl(self) -> timedelta:
        return timedelta(seconds=self.svc.settings.idempotency_ttl)

    async def _claim(self) -> str | JSONResponse:
        """This request's claim on the key, or the first answer once the request holding the
        key has given it; 409 ``idempotency_in_progress`` if that takes too long."""
        settings = self.svc.settings
        deadline = anyio.current_time() + settings.idempotency_wait
        pause = 0.01
        found = await run_in_threadpool(self._try_claim)
        while isinstance(found, idempotency.Pending):
            left = deadline - anyio.current_time()
            if left <= 0:
                raise IdempotencyInProgress(
                    N_(
                        "a request with Idempotency-Key %(key)s is still running; repeat this one "
                        "later to get its answer"
                    ),
                    key=repr(self._key),
                )
            await anyio.sleep(min(pause, left))
            pause = min(pause * 2, 0.2)
            found = await run_in_threadpool(self._peek)
        if isinstance(found, idempotency.Claimed):
            return found.token
        return _response(found.body, found.status_code, found.receipts)

    def _try_claim(self) -> idempotency.Claimed | idempotency.StoredResponse | idempotency.Pending:
        with self.svc.db.write() as conn:
            return idempotency.claim(
                conn,
                self.principal_id,
                self._key,
                self.request_hash,
                utcnow(),
                timedelta(seconds=self.svc.settings.idempotency_claim_timeout),
                self._ttl,
            )

    def _peek(self) -> idempotency.Claimed | idempotency.StoredResponse | idempotency.Pending:
        # Waiting reads; only a key that is free again (released, or its claim expired) is
        # claimed, in a write transaction.
        with self.svc.db.read() as conn:
            found = idempotency.lookup(
                conn, self.principal_id, self._key, self.request_hash, now=utcnow(), ttl=self._ttl
            )
        timeout = timedelta(seconds=self.svc.settings.idempotency_claim_timeout)
        if isinstance(found, idempotency.StoredResponse) or (
            isinstance(found, idempotency.Pending) and not found.expired(utcnow(), timeout)
        ):
            return found
        return self._try_claim()

    def _answer(self, token: str, status: int, body: str, receipts: str) -> None:
        with self.svc.db.write() as conn:
            idempotency.answer(conn, self.principal_id, self._key, token, status, body, receipts)

    def _release(self, token: str | None) -> None:
        """Best effort: a claim that stays behind lapses after its timeout."""
        if token is None:
            return
        try:
            with self.svc.db.write() as conn:
                idempotency.release(conn, self.principal_id, self._key, token)
        except (DomainError, SQLAlchemyError) as exc:
            log.warning("claim on Idempotency-Key %r not released: %s", self.key, exc)


def _response(body: str, status: int, receipts: str | None) -> JSONResponse:
    headers = {RECEIPT_HEADER: receipts} if receipts else None
    return Rendered(body, status_code=status, headers=headers)


async def writer(request: Request, svc: ServicesDep, caller: MaybeCaller) -> AsyncIterator[Writer]:
    """Every write comes through here: rate limits (api/ratelimits.py), then the write's
    Idempotency-Key.

    Every write counts against the limits, whatever its answer: in the write's own
    transaction when it writes (one transaction, not two), or else, once the route has
    answered, in one of its own. A write past a limit is refused (429) and not counted.
    """
    async with _writing(request, svc, caller, None) as found:
        yield found


async def authenticating_writer(request: Request, svc: ServicesDep) -> AsyncIterator[Writer]:
    """``writer`` for the busiest writes (a ballot): the caller's token is checked in the
    write's own transaction, not in one of its own before it; ``Writer.run_as`` hands the
    route the caller. A keyed write is authenticated first, as its key is the caller's."""
    if _bearer(request) is None:
        raise Unauthenticated(N_("this needs a bearer token (Authorization: Bearer <token>)"))
    async with _authenticating(request, svc) as found:
        yield found


async def maybe_authenticating_writer(request: Request, svc: ServicesDep) -> AsyncIterator[Writer]:
    """``authenticating_writer`` for a write anyone may make (a sign-on): without a token the
    writer is anonymous (``Writer.with_token`` is false)."""
    async with _authenticating(request, svc) as found:
        yield found


@contextlib.asynccontextmanager
async def _authenticating(request: Request, svc: Services) -> AsyncIterator[Writer]:
    bearer = _bearer(request)
    caller = None
    if bearer is not None and request.headers.get("idempotency-key") is not None:
        caller = await optional_principal(request, svc)
        bearer = None
    async with _writing(request, svc, caller, bearer) as found:
        yield found


@contextlib.asynccontextmanager
async def _writing(
    request: Request, svc: Services, caller: Principal | None, bearer: str | None
) -> AsyncIterator[Writer]:
    limit: Callable[[Connection], None] | None = None
    if svc.limits is not None:
        limits, address = svc.limits, client_address(request)

        def limit(conn: Connection) -> None:
            try:
                limits.count(conn, address, found.caller)
            except RateLimited:
                found.over_limit = True
                raise

    if time.monotonic() >= svc.next_purge:
        await run_in_threadpool(svc.purge_if_due)
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidInput(N_("Idempotency-Key must be 1 to 200 characters long"))
    body = await request.body()
    digest = idempotency.request_hash(svc.db.server_secret, request.method, request.url.path, body)
    principal_id = caller.credential_id if caller else ANONYMOUS
    found = Writer(svc, principal_id, key, digest, limit=limit, caller=caller, bearer=bearer)
    found.request = request
    try:
        yield found
    except Exception:
        # Refused before or by its write, which rolled back: counted now, and past a limit
        # the answer is 429, as if the limit had been checked first.
        if not found.over_limit:
            await run_in_threadpool(found.count_alone)
        raise
    if not found.counted:  # answered without writing
        with contextlib.suppress(RateLimited):
            await run_in_threadpool(found.count_alone)


WriterDep = Annotated[Writer, Depends(writer)]
AuthenticatingWriterDep = Annotated[Writer, Depends(authenticating_writer)]
MaybeAuthenticatingWriterDep = Annotated[Writer, Depends(maybe_authenticating_writer)]


async def read(svc: Services, work: Callable[[Connection], T]) -> T:
    def run() -> T:
        with svc.db.read() as conn:
            return work(conn)

    return await run_in_threadpool(run)
