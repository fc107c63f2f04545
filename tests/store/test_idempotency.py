"""Claims on ``Idempotency-Key``s and the first answers stored in them, on both backends."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest

from policies.errors import IdempotencyMismatch
from records.canonical import sha256_hex
from store import idempotency
from store.db import Database, utcnow
from store.idempotency import Claimed, Pending, StoredResponse

REQUEST = sha256_hex(b"POST /rounds {}")
OTHER = sha256_hex(b'POST /rounds {"title":"x"}')
TIMEOUT = timedelta(seconds=60)


def _claim(
    db: Database, principal: str, key: str, request: str = REQUEST, seconds: float = 0
) -> Claimed | StoredResponse | Pending:
    """Claim the key, as if ``seconds`` from now."""
    now = utcnow() + timedelta(seconds=seconds)
    with db.write() as conn:
        return idempotency.claim(conn, principal, key, request, now, TIMEOUT)


def answered(
    db: Database, principal: str, key: str, status: int, body: str, request: str = REQUEST
) -> None:
    """A key claimed and answered, as a keyed write leaves it."""
    claimed = _claim(db, principal, key, request)
    assert isinstance(claimed, Claimed)
    with db.write() as conn:
        assert idempotency.hold(conn, principal, key, claimed.token)
        assert idempotency.answer(conn, principal, key, claimed.token, status, body, "a,b")


def _ids() -> tuple[str, str]:
    return str(uuid.uuid4()), f"key-{uuid.uuid4()}"


def test_a_claimed_key_is_pending_until_answered(db: Database) -> None:
    principal, key = _ids()
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) is None
    first = _claim(db, principal, key)
    assert isinstance(first, Claimed)
    second = _claim(db, principal, key)
    assert isinstance(second, Pending)
    assert second.token == first.token
    with db.write() as conn:
        assert idempotency.answer(conn, principal, key, first.token, 201, '{"id":"r-1"}', "a,b")
    assert _claim(db, principal, key) == StoredResponse(201, '{"id":"r-1"}', "a,b")
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) == StoredResponse(
            201, '{"id":"r-1"}', "a,b"
        )


def test_a_released_key_can_be_claimed_again(db: Database) -> None:
    principal, key = _ids()
    first = _claim(db, principal, key)
    assert isinstance(first, Claimed)
    with db.write() as conn:
        idempotency.release(conn, principal, key, first.token)
        assert not idempotency.hold(conn, principal, key, first.token)
    again = _claim(db, principal, key)
    assert isinstance(again, Claimed)
    assert again.token != first.token


def test_an_expired_claim_is_taken_over_and_its_holder_cannot_answer(db: Database) -> None:
    principal, key = _ids()
    stale = _claim(db, principal, key, seconds=-61)  # claimed by a process that then died
    assert isinstance(stale, Claimed)
    fresh = _claim(db, principal, key)
    assert isinstance(fresh, Claimed)
    with db.write() as conn:
        assert not idempotency.hold(conn, principal, key, stale.token)
        assert not idempotency.answer(conn, principal, key, stale.token, 200, "late")
        idempotency.release(conn, principal, key, stale.token)  # no effect on the new claim
        assert idempotency.hold(conn, principal, key, fresh.token)
    # A claim younger than the timeout is not taken over.
    assert isinstance(_claim(db, principal, key, seconds=59), Pending)


def test_an_answered_key_is_never_released_or_answered_again(db: Database) -> None:
    principal, key = _ids()
    answered(db, principal, key, 201, "first")
    with db.read() as conn:
        assert idempotency.lookup(conn, principal, key, REQUEST) == StoredResponse(
            201, "first", "a,b"
        )
    # Not even long after: an answer does not expire.
    assert _claim(db, principal, key, seconds=10**6) == StoredResponse(201, "first", "a,b")


def test_key_is_per_principal(db: Database) -> None:
    key = f"key-{uuid.uuid4()}"
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    answered(db, first, key, 201, "first")
    assert isinstance(_claim(db, second, key, OTHER), Claimed)


@pytest.mark.parametrize("answer_first", [True, False])
def test_the_same_key_for_another_request(db: Database, answer_first: bool) -> None:
    principal, key = _ids()
    if answer_first:
        answered(db, principal, key, 201, "{}")
    else:
        assert isinstance(_claim(db, principal, key), Claimed)
    with pytest.raises(IdempotencyMismatch) as info:
        _claim(db, principal, key, OTHER)
    assert repr(key) in info.value.detail
    assert info.value.code == "idempotency_key_reused"
    with db.read() as conn, pytest.raises(IdempotencyMismatch):
        idempotency.lookup(conn, principal, key, OTHER)


def test_one_of_many_concurrent_claims_wins(db: Database) -> None:
    principal, key = _ids()
    start = threading.Barrier(12)
    outcomes: list[Claimed | StoredResponse | Pending] = []

    def one() -> None:
        start.wait()
        outcomes.append(_claim(db, principal, key))

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if isinstance(o, Claimed)]
    assert len(winners) == 1, outcomes
    losers = [o for o in outcomes if not isinstance(o, Claimed)]
    assert len(losers) == 11
    assert all(isinstance(o, Pending) and o.token == winners[0].token for o in losers)
