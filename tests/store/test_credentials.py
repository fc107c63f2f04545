"""API tokens: shown once, stored only as hashes, revocable."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import Connection, select, update

from policies.access import Principal, Role
from policies.errors import NotFound, Unauthenticated
from store import audit, credentials, registry
from store.db import Database, utcnow
from store.tables import credential, log_head

ACTOR = "test-secretariat"


class _Rollback(Exception):
    """Raised to undo a test's transaction."""


def _head(conn: Connection) -> int:
    seq = conn.execute(select(log_head.c.seq).where(log_head.c.scope == audit.REGISTRY)).scalar()
    return seq or 0


def _constituency(conn: Connection) -> str:
    row = registry.create_constituency(conn, f"Unions {uuid.uuid4()}", "trade unions", ACTOR)
    return str(row["id"])


def test_issue_stores_only_the_hash(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        head = _head(conn)
        issued = credentials.issue(
            conn, Role.COORDINATOR, "Awa's token", ACTOR, constituency_id=cid
        )
        logged = audit.entries(conn, audit.REGISTRY, after=head)
        row = conn.execute(select(credential).where(credential.c.id == issued.credential["id"]))
        stored = row.one()._mapping
    token = issued.token
    assert token.startswith("mdt_")
    assert len(token) > 40
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["token_hash"] == credentials.hash_token(token)
    for column, value in stored.items():
        assert token not in str(value), column
        assert token.removeprefix("mdt_") not in str(value), column
    assert (stored["role"], stored["constituency_id"], stored["label"]) == (
        "coordinator",
        cid,
        "Awa's token",
    )
    assert (stored["created_by"], stored["revoked_at"]) == (ACTOR, None)
    assert [e.type for e in logged] == ["credential.issued"]
    assert token not in logged[0].statement.decode()
    assert stored["token_hash"] not in logged[0].statement.decode()
    assert json.loads(logged[0].statement)["data"]["id"] == stored["id"]


def test_tokens_differ(db: Database) -> None:
    with db.write() as conn:
        a = credentials.issue(conn, Role.SECRETARIAT, "a", None)
        b = credentials.issue(conn, Role.SECRETARIAT, "b", None)
    assert a.token != b.token
    assert a.credential["token_hash"] != b.credential["token_hash"]


def test_authenticate(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        issued = credentials.issue(conn, Role.COORDINATOR, "c", ACTOR, constituency_id=cid)
    with db.read() as conn:
        principal = credentials.authenticate(conn, issued.token)
    assert principal == Principal(
        credential_id=issued.credential["id"],
        role=Role.COORDINATOR,
        constituency_id=cid,
        organisation_id=None,
        coordinator_id=None,
    )


@pytest.mark.parametrize("token", ["", "mdt_", "mdt_" + "A" * 43, "not-a-token"])
def test_unknown_token_is_unauthenticated(db: Database, token: str) -> None:
    with db.read() as conn, pytest.raises(Unauthenticated, match="not known"):
        credentials.authenticate(conn, token)


def test_altered_token_is_unauthenticated(db: Database) -> None:
    with db.write() as conn:
        issued = credentials.issue(conn, Role.SECRETARIAT, "s", None)
    with db.read() as conn, pytest.raises(Unauthenticated, match="not known"):
        credentials.authenticate(conn, issued.token + "x")


def test_revoked_token_is_unauthenticated_and_revoke_twice_is_harmless(db: Database) -> None:
    with db.write() as conn:
        issued = credentials.issue(conn, Role.SECRETARIAT, "s", None)
    cred_id = issued.credential["id"]
    with db.write() as conn:
        head = _head(conn)
        first = credentials.revoke(conn, cred_id, ACTOR)
        logged = audit.entries(conn, audit.REGISTRY, after=head)
    assert first["revoked_at"] is not None
    assert [e.type for e in logged] == ["credential.revoked"]
    assert json.loads(logged[0].statement)["data"] == {"id": cred_id}
    with db.read() as conn, pytest.raises(Unauthenticated, match="revoked"):
        credentials.authenticate(conn, issued.token)
    with db.write() as conn:
        head = _head(conn)
        second = credentials.revoke(conn, cred_id, ACTOR)
        assert audit.entries(conn, audit.REGISTRY, after=head) == []
    assert second["revoked_at"] == first["revoked_at"]
    with db.read() as conn, pytest.raises(Unauthenticated, match="revoked"):
        credentials.authenticate(conn, issued.token)


def test_revoke_unknown(db: Database) -> None:
    with db.write() as conn, pytest.raises(NotFound):
        credentials.revoke(conn, str(uuid.uuid4()), ACTOR)


def _has_secretariat_from_empty(conn: Connection) -> None:
    cid = _constituency(conn)
    conn.execute(
        update(credential).where(credential.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    assert not credentials.has_secretariat(conn)
    credentials.issue(conn, Role.COORDINATOR, "c", ACTOR, constituency_id=cid)
    credentials.issue(conn, Role.MEMBER, "m", ACTOR, constituency_id=cid)
    assert not credentials.has_secretariat(conn)
    issued = credentials.issue(conn, Role.SECRETARIAT, "s", None)
    assert credentials.has_secretariat(conn)
    credentials.revoke(conn, issued.credential["id"], ACTOR)
    assert not credentials.has_secretariat(conn)
    raise _Rollback


def test_has_secretariat(db: Database) -> None:
    # Other tests share the database, so look at an emptied table inside a transaction that
    # is rolled back at the end.
    with db.write() as conn:
        kept = credentials.issue(conn, Role.SECRETARIAT, "kept", None)
    with pytest.raises(_Rollback), db.write() as conn:
        _has_secretariat_from_empty(conn)
    with db.read() as conn:
        assert credentials.has_secretariat(conn)
        assert credentials.authenticate(conn, kept.token).role is Role.SECRETARIAT


def test_list_for(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        c = credentials.issue(conn, Role.COORDINATOR, "c", ACTOR, constituency_id=cid)
        m = credentials.issue(conn, Role.MEMBER, "m", ACTOR, constituency_id=cid)
    with db.read() as conn:
        assert {r["id"] for r in credentials.list_for(conn, cid)} == {
            c.credential["id"],
            m.credential["id"],
        }
        assert [r["id"] for r in credentials.list_for(conn, cid, Role.MEMBER)] == [
            m.credential["id"]
        ]
