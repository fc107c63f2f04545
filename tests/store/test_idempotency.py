"""Stored first answers to requests that carried an ``Idempotency-Key``."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from policies.errors import IdempotencyMismatch
from records.canonical import sha256_hex
from store import idempotency
from store.db import Database
from store.idempotency import StoredResponse

REQUEST = sha256_hex(b"POST /rounds {}")
OTHER = sha256_hex(b'POST /rounds {"title":"x"}')


def test_save_then_lookup(db: Database) -> None:
    principal, key = str(uuid.uuid4()), f"key-{uuid.uuid4()}"
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) is None
    with db.write() as conn:
        idempotency.save(conn, principal, key, REQUEST, 201, '{"id":"r-1"}')
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) == StoredResponse(
            201, '{"id":"r-1"}'
        )


def test_key_is_per_principal(db: Database) -> None:
    key = f"key-{uuid.uuid4()}"
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    with db.write() as conn:
        idempotency.save(conn, first, key, REQUEST, 201, "first")
        assert idempotency.lookup(conn, second, key, OTHER) is None
        idempotency.save(conn, second, key, OTHER, 202, "second")
    with db.read() as conn:
        assert idempotency.lookup(conn, first, key, REQUEST) == StoredResponse(201, "first")
        assert idempotency.lookup(conn, second, key, OTHER) == StoredResponse(202, "second")


def test_lookup_with_another_request(db: Database) -> None:
    principal, key = str(uuid.uuid4()), f"key-{uuid.uuid4()}"
    with db.write() as conn:
        idempotency.save(conn, principal, key, REQUEST, 201, "{}")
    with db.read() as conn, pytest.raises(IdempotencyMismatch) as info:
        idempotency.lookup(conn, principal, key, OTHER)
    assert repr(key) in info.value.detail
    assert info.value.code == "idempotency_key_reused"


def test_second_save_is_an_integrity_error(db: Database) -> None:
    principal, key = str(uuid.uuid4()), f"key-{uuid.uuid4()}"
    with db.write() as conn:
        idempotency.save(conn, principal, key, REQUEST, 201, "first")
    with pytest.raises(IntegrityError), db.write() as conn:
        idempotency.save(conn, principal, key, REQUEST, 500, "second")
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) == StoredResponse(201, "first")
