"""Organisations, constituencies, coordinators and members, each change logged."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import Connection, select

from policies.errors import AlreadyExists, Conflict, NotFound
from store import audit, registry
from store.audit import LoggedEntry
from store.db import Database
from store.tables import log_head

ACTOR = "test-secretariat"


def _head(conn: Connection) -> int:
    seq = conn.execute(select(log_head.c.seq).where(log_head.c.scope == audit.REGISTRY)).scalar()
    return seq or 0


def _new_entries(conn: Connection, after: int) -> list[LoggedEntry]:
    return audit.entries(conn, audit.REGISTRY, after=after)


def _data(entry: LoggedEntry) -> Any:
    return json.loads(entry.statement)["data"]


def _org(name: str | None = None) -> dict[str, Any]:
    return {
        "name": name or f"Org {uuid.uuid4()}",
        "country": "SN",
        "region": "sub-saharan-africa",
        "type": "association",
        "migrant_led": True,
        "grassroots": False,
        "contact_email": "contact@example.org",
    }


def _constituency(conn: Connection) -> str:
    row = registry.create_constituency(conn, f"Youth {uuid.uuid4()}", "young people", ACTOR)
    return str(row["id"])


def _organisation(conn: Connection) -> str:
    return str(registry.register_organisation(conn, _org(), ACTOR)["id"])


def test_register_organisation(db: Database) -> None:
    data = _org()
    with db.write() as conn:
        head = _head(conn)
        row = registry.register_organisation(conn, data, ACTOR)
        logged = _new_entries(conn, head)
    assert {k: row[k] for k in data} == data
    assert row["public_key"] is None
    assert row["created_at"].tzinfo is not None
    assert [e.type for e in logged] == ["organisation.registered"]
    assert _data(logged[0])["id"] == row["id"]
    assert "contact_email" not in _data(logged[0])  # contact details stay out of the log
    assert json.loads(logged[0].statement)["actor"] == ACTOR
    with db.read() as conn:
        assert registry.get_organisation(conn, row["id"]) == row
        assert row["id"] in {r["id"] for r in registry.list_organisations(conn)}


def test_unknown_organisation(db: Database) -> None:
    missing = str(uuid.uuid4())
    with db.read() as conn, pytest.raises(NotFound, match=missing):
        registry.get_organisation(conn, missing)


def test_create_constituency_and_refuse_duplicate_name(db: Database) -> None:
    name = f"Women's rights {uuid.uuid4()}"
    with db.write() as conn:
        head = _head(conn)
        row = registry.create_constituency(conn, name, "women's organisations", ACTOR)
        logged = _new_entries(conn, head)
    assert row["name"] == name
    assert [e.type for e in logged] == ["constituency.created"]
    assert _data(logged[0]) == {"id": row["id"], "name": name, "description": row["description"]}
    with db.write() as conn:
        head = _head(conn)
        with pytest.raises(AlreadyExists) as info:
            registry.create_constituency(conn, name, "again", ACTOR)
        assert _new_entries(conn, head) == []
    assert repr(name) in info.value.detail
    with db.read() as conn:
        assert registry.get_constituency(conn, row["id"]) == row
        assert [c["id"] for c in registry.list_constituencies(conn) if c["name"] == name] == [
            row["id"]
        ]


def test_add_coordinator(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        oid = _organisation(conn)
        head = _head(conn)
        row = registry.add_coordinator(conn, cid, "Awa", "awa@example.org", oid, ACTOR)
        logged = _new_entries(conn, head)
    assert (row["constituency_id"], row["organisation_id"], row["removed_at"]) == (cid, oid, None)
    assert [e.type for e in logged] == ["coordinator.named"]
    assert _data(logged[0]) == {"id": row["id"], "constituency_id": cid, "name": "Awa"}
    with db.read() as conn:
        assert [c["id"] for c in registry.list_coordinators(conn, cid)] == [row["id"]]


def test_add_coordinator_to_unknown_constituency(db: Database) -> None:
    missing = str(uuid.uuid4())
    with db.write() as conn:
        head = _head(conn)
        with pytest.raises(NotFound, match=f"no constituency with id {missing}"):
            registry.add_coordinator(conn, missing, "Awa", "awa@example.org", None, ACTOR)
        assert _new_entries(conn, head) == []


def test_add_coordinator_of_unknown_organisation(db: Database) -> None:
    missing = str(uuid.uuid4())
    with db.write() as conn:
        cid = _constituency(conn)
        with pytest.raises(NotFound, match=f"no organisation with id {missing}"):
            registry.add_coordinator(conn, cid, "Awa", "awa@example.org", missing, ACTOR)


def test_membership_lifecycle(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        oid = _organisation(conn)
        other = _organisation(conn)
    with db.write() as conn:
        assert not registry.is_member(conn, cid, oid)
        head = _head(conn)
        row = registry.admit_member(conn, cid, oid, ACTOR)
        registry.admit_member(conn, cid, other, ACTOR)
        logged = _new_entries(conn, head)
    assert (row["constituency_id"], row["organisation_id"], row["removed_at"]) == (cid, oid, None)
    assert [e.type for e in logged] == ["member.admitted", "member.admitted"]
    assert _data(logged[0]) == {"constituency_id": cid, "organisation_id": oid}

    with db.write() as conn:
        head = _head(conn)
        with pytest.raises(AlreadyExists, match="already a member"):
            registry.admit_member(conn, cid, oid, ACTOR)
        assert _new_entries(conn, head) == []
        assert registry.is_member(conn, cid, oid)
        registry.require_member(conn, cid, oid)
        assert {m["id"] for m in registry.list_members(conn, cid)} == {oid, other}

    with db.write() as conn:
        head = _head(conn)
        registry.remove_member(conn, cid, oid, ACTOR)
        logged = _new_entries(conn, head)
        assert [e.type for e in logged] == ["member.removed"]
        assert _data(logged[0]) == {"constituency_id": cid, "organisation_id": oid}
        assert not registry.is_member(conn, cid, oid)
        assert registry.membership_row(conn, cid, oid)["removed_at"] is not None
        assert [m["id"] for m in registry.list_members(conn, cid)] == [other]
        with pytest.raises(Conflict, match="a coordinator must admit it first"):
            registry.require_member(conn, cid, oid)

    with db.write() as conn:
        head = _head(conn)
        with pytest.raises(NotFound, match="is not a member"):
            registry.remove_member(conn, cid, oid, ACTOR)
        assert _new_entries(conn, head) == []

    with db.write() as conn:
        head = _head(conn)
        again = registry.admit_member(conn, cid, oid, ACTOR)
        assert [e.type for e in _new_entries(conn, head)] == ["member.admitted"]
    assert again["removed_at"] is None
    assert again["admitted_at"] >= row["admitted_at"]
    with db.read() as conn:
        assert registry.is_member(conn, cid, oid)
        assert {m["id"] for m in registry.list_members(conn, cid)} == {oid, other}


def test_remove_never_admitted(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        oid = _organisation(conn)
        with pytest.raises(NotFound):
            registry.remove_member(conn, cid, oid, ACTOR)
        with pytest.raises(NotFound, match="was never a member"):
            registry.membership_row(conn, cid, oid)


def test_admit_to_unknown_constituency_or_organisation(db: Database) -> None:
    with db.write() as conn:
        cid = _constituency(conn)
        oid = _organisation(conn)
        with pytest.raises(NotFound, match="no constituency"):
            registry.admit_member(conn, str(uuid.uuid4()), oid, ACTOR)
        with pytest.raises(NotFound, match="no organisation"):
            registry.admit_member(conn, cid, str(uuid.uuid4()), ACTOR)
