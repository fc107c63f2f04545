"""Rate-limit counters on both backends, the server secret's MACs and seals, the time an
idempotent answer is kept, and webhook secrets sealed at rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from limits import parse_many
from sqlalchemy import select, update

from store import idempotency, rate_limits, webhooks
from store.db import Database
from store.sealing import SealError, ServerSecret, new_secret
from store.tables import idempotency_record, rate_limit, webhook
from tests.campaign_support import ACTOR
from tests.store.test_campaigns import _open

T0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def _hit(db: Database, who: str, at: datetime) -> tuple[str, int] | None:
    with db.write() as conn:
        over = rate_limits.hit(conn, parse_many("3/minute;5/hour"), "test", who, now=at)
    return None if over is None else (str(over[0]), over[1])


def test_a_fixed_window_counts_refuses_and_starts_again(db: Database) -> None:
    who = str(uuid.uuid4())
    assert [_hit(db, who, T0 + timedelta(seconds=s)) for s in (0, 10, 20)] == [None] * 3
    assert _hit(db, who, T0 + timedelta(seconds=45)) == ("3 per 1 minute", 15)
    # Someone else, and the next minute, count afresh; the hour remembers.
    assert _hit(db, str(uuid.uuid4()), T0 + timedelta(seconds=45)) is None
    assert _hit(db, who, T0 + timedelta(seconds=61)) is None
    assert _hit(db, who, T0 + timedelta(seconds=62)) is None
    assert _hit(db, who, T0 + timedelta(seconds=63)) == ("5 per 1 hour", 3537)


def test_a_refusal_raised_in_the_transaction_does_not_count(db: Database) -> None:
    who = str(uuid.uuid4())

    class Refused(Exception):
        pass

    def refused() -> None:
        with db.write() as conn:
            rate_limits.hit(conn, parse_many("1/minute"), "test", who, now=T0)
            raise Refused

    for _ in range(5):
        with pytest.raises(Refused):
            refused()
    assert _hit(db, who, T0) is None


def test_purge_deletes_only_ended_windows(db: Database) -> None:
    ended, live = str(uuid.uuid4()), str(uuid.uuid4())
    _hit(db, ended, T0 - timedelta(days=2))
    _hit(db, live, T0)
    with db.write() as conn:
        rate_limits.purge(conn, T0 + timedelta(seconds=1))
        keys = conn.execute(select(rate_limit.c.key)).scalars().all()
    assert not any(ended in k for k in keys)
    assert any(live in k for k in keys)


def test_a_seal_opens_only_in_its_place_under_its_secret() -> None:
    box, other = ServerSecret(new_secret()), ServerSecret(new_secret())
    sealed = box.seal("whsec_abc", "webhook.secret/1")
    assert "whsec_abc" not in sealed
    assert sealed.startswith(f"s1.{box.key_id}.")
    assert box.open(sealed, "webhook.secret/1") == "whsec_abc"
    assert box.seal("whsec_abc", "webhook.secret/1") != sealed  # a fresh nonce each time
    with pytest.raises(SealError, match="altered"):
        box.open(sealed, "webhook.secret/2")
    with pytest.raises(SealError, match="altered"):
        box.open(sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1], "webhook.secret/1")
    with pytest.raises(SealError, match=box.key_id):
        other.open(sealed, "webhook.secret/1")
    assert box.key_id not in repr(other)
    assert "key_id" in repr(box)
    # MACs: keyed, and by purpose.
    assert box.mac("code", "s", "123456") != other.mac("code", "s", "123456")
    assert box.mac("code", "s", "123456") != box.mac("request", "s", "123456")


def test_an_answer_is_kept_sealed_for_its_time_to_live(db: Database) -> None:
    principal, key, request = str(uuid.uuid4()), "k", "r" * 64
    ttl = timedelta(hours=24)
    with db.write() as conn:
        claimed = idempotency.claim(conn, principal, key, request, T0, timedelta(seconds=60), ttl)
        assert isinstance(claimed, idempotency.Claimed)
        idempotency.answer(conn, principal, key, claimed.token, 201, '{"token": "mdt_x"}')
        stored = conn.execute(
            select(idempotency_record.c.body).where(idempotency_record.c.principal == principal)
        ).scalar_one()
    assert "mdt_x" not in stored
    with db.read() as conn:
        kept = idempotency.lookup(conn, principal, key, request, now=T0 + ttl / 2, ttl=ttl)
        assert kept == idempotency.StoredResponse(201, '{"token": "mdt_x"}')
        assert idempotency.lookup(conn, principal, key, request, now=T0 + ttl, ttl=ttl) is None
    # Past its time the key is free again: another request takes it.
    with db.write() as conn:
        later = T0 + ttl + timedelta(seconds=1)
        taken = idempotency.claim(conn, principal, key, "o" * 64, later, timedelta(seconds=60), ttl)
    assert isinstance(taken, idempotency.Claimed)
    with db.write() as conn:
        idempotency.answer(conn, principal, key, taken.token, 200, "{}")
        assert idempotency.purge(conn, later + ttl) >= 1
        assert idempotency.lookup(conn, principal, key, "o" * 64) is None


def test_webhook_secrets_stored_in_the_clear_are_sealed_once(db: Database) -> None:
    campaign = _open(db)
    with db.write() as conn:
        _, secret = webhooks.register(conn, campaign["id"], "http://127.0.0.1:9/", [], ACTOR)
        (hook,) = webhooks.active(conn, campaign["id"])
        assert hook["secret"] != secret
        assert webhooks.signing_secret(conn, hook) == secret
        # As a deployment from before sealing left it.
        clear = "whsec_" + uuid.uuid4().hex
        conn.execute(update(webhook).where(webhook.c.id == hook["id"]).values(secret=clear))
    with db.write() as conn:
        assert webhooks.seal_clear_secrets(conn) >= 1
        assert webhooks.seal_clear_secrets(conn) == 0
        (hook,) = webhooks.active(conn, campaign["id"])
        assert hook["secret"] != clear
        assert webhooks.signing_secret(conn, hook) == clear
