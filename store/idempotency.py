"""Stored first answers to requests that carried an ``Idempotency-Key``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from policies.errors import IdempotencyMismatch
from store.db import utcnow
from store.tables import idempotency_record


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str
    receipts: str | None = None


def lookup(conn: Connection, principal: str, key: str, request_hash: str) -> StoredResponse | None:
    row = conn.execute(
        select(idempotency_record).where(
            idempotency_record.c.principal == principal, idempotency_record.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyMismatch(
            f"Idempotency-Key {key!r} was first used for another request; "
            "send a new key for a different request"
        )
    return StoredResponse(row.status_code, row.body, row.receipts)


def save(
    conn: Connection,
    principal: str,
    key: str,
    request_hash: str,
    status_code: int,
    body: str,
    receipts: str | None = None,
) -> None:
    conn.execute(
        idempotency_record.insert().values(
            principal=principal,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            body=body,
            receipts=receipts or None,
            created_at=utcnow(),
        )
    )
