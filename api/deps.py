"""Request dependencies: the app's services, the caller, and idempotent writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError
from temporalio.client import Client

from mandate.settings import Settings
from policies.access import Principal
from policies.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    ServiceUnavailable,
    Unauthenticated,
)
from store import credentials, idempotency
from store.db import RECEIPTS, Database

# Names the log entries a write made, by Merkle leaf hash: ask for their inclusion proofs by it.
RECEIPT_HEADER = "Mandate-Receipt"

T = TypeVar("T")
ANONYMOUS = "anonymous"


@dataclass
class Services:
    settings: Settings
    db: Database
    temporal: Client | None = None


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


ServicesDep = Annotated[Services, Depends(services)]


def temporal_client(svc: Services) -> Client:
    if svc.temporal is None:
        raise ServiceUnavailable("the API is not connected to Temporal yet; try again shortly")
    return svc.temporal


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


async def optional_principal(request: Request, svc: ServicesDep) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None

    def auth() -> Principal:
        with svc.db.read() as conn:
            return credentials.authenticate(conn, token)

    return await run_in_threadpool(auth)


async def principal(
    caller: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if caller is None:
        raise Unauthenticated("this needs a bearer token (Authorization: Bearer <token>)")
    return caller


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]


def dump(model: BaseModel) -> Any:
    return model.model_dump(mode="json")


@dataclass
class Writer:
    """Runs a write once per ``Idempotency-Key``: a retry gets the first answer back."""

    svc: Services
    principal_id: str
    key: str | None
    request_hash: str
    # Receipts of a command carried out by a workflow; ``run_remote``'s work fills it.
    receipts: list[str] = field(default_factory=list)

    async def run(self, work: Callable[[Connection], BaseModel], status: int = 200) -> JSONResponse:
        return await run_in_threadpool(self._run_sync, work, status)

    def _run_sync(self, work: Callable[[Connection], BaseModel], status: int) -> JSONResponse:
        refusal: DomainError | None = None
        try:
            with self.svc.db.write() as conn:
                stored = self._lookup(conn)
                if stored is not None:
                    return stored
                try:
                    body = json.dumps(dump(work(conn)))
                except DomainError as exc:
                    if not exc.keeps_writes:
                        raise
                    refusal = exc  # committed below, answered after; never stored as the answer
                else:
                    receipts = ",".join(conn.info[RECEIPTS])
                    if self.key is not None:
                        idempotency.save(
                            conn,
                            self.principal_id,
                            self.key,
                            self.request_hash,
                            status,
                            body,
                            receipts,
                        )
        except IntegrityError:
            # A concurrent request with the same key committed first: answer as it did.
            with self.svc.db.read() as conn:
                stored = self._lookup(conn)
            if stored is None:
                # Another request created the same thing between our check and our insert.
                raise Conflict(
                    "the request conflicts with a change made at the same moment; "
                    "read the current state and try again"
                ) from None
            return stored
        if refusal is not None:
            raise refusal
        return _response(body, status, receipts)

    async def run_remote(
        self, work: Callable[[], Awaitable[BaseModel]], status: int = 200
    ) -> JSONResponse:
        """For commands carried out by a workflow; the workflow deduplicates by update id."""
        stored = await run_in_threadpool(self._lookup_read)
        if stored is not None:
            return stored
        body = json.dumps(dump(await work()))
        receipts = ",".join(self.receipts)
        if self.key is not None:
            await run_in_threadpool(self._save_ignoring_race, status, body, receipts)
        return _response(body, status, receipts)

    @property
    def operation_id(self) -> str | None:
        return None if self.key is None else f"{self.principal_id}:{self.key}"

    def _lookup(self, conn: Connection) -> JSONResponse | None:
        if self.key is None:
            return None
        stored = idempotency.lookup(conn, self.principal_id, self.key, self.request_hash)
        if stored is None:
            return None
        return _response(stored.body, stored.status_code, stored.receipts)

    def _lookup_read(self) -> JSONResponse | None:
        with self.svc.db.read() as conn:
            return self._lookup(conn)

    def _save_ignoring_race(self, status: int, body: str, receipts: str) -> None:
        assert self.key is not None
        try:
            with self.svc.db.write() as conn:
                idempotency.save(
                    conn, self.principal_id, self.key, self.request_hash, status, body, receipts
                )
        except IntegrityError:
            pass


def _response(body: str, status: int, receipts: str | None) -> JSONResponse:
    headers = {RECEIPT_HEADER: receipts} if receipts else None
    return JSONResponse(json.loads(body), status_code=status, headers=headers)


async def writer(request: Request, svc: ServicesDep, caller: MaybeCaller) -> Writer:
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise InvalidInput("Idempotency-Key must be 1 to 200 characters long")
    body = await request.body()
    digest = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    principal_id = caller.credential_id if caller else ANONYMOUS
    return Writer(svc, principal_id, key, digest)


WriterDep = Annotated[Writer, Depends(writer)]


async def read(svc: Services, work: Callable[[Connection], T]) -> T:
    def run() -> T:
        with svc.db.read() as conn:
            return work(conn)

    return await run_in_threadpool(run)
