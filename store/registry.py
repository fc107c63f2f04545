"""Organisations, constituencies, their members and coordinators.

An organisation is registered once: a second one with the same name (folded as signatures
fold it, policies/signatories.py) and country is refused, unless the secretariat says it is a
true namesake of the one registered, with a reason; the registry's log entry records both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select, update

from policies.errors import AlreadyExists, Conflict, DuplicateOrganisation, InvalidInput, NotFound
from policies.messages import N_
from policies.regions import require_country
from policies.signatories import organisation_key
from store import audit, regions
from store.db import utcnow
from store.ids import new_id
from store.tables import constituency, coordinator, membership, organisation


def register_organisation(
    conn: Connection,
    data: dict[str, Any],
    actor: str,
    *,
    namesake_of: str | None = None,
    reason: str | None = None,
) -> RowMapping:
    """Register an organisation. Its ``region`` is a code of the region list in force; without
    one (absent or None) it is the M49 region of its country. One with the same name key is
    refused (:class:`DuplicateOrganisation`) unless ``namesake_of`` names one of those already
    registered and ``reason`` says why this is another organisation."""
    require_country(data["country"])
    key = organisation_key(data["name"], data["country"])
    _refuse_duplicate(conn, key, namesake_of, reason)
    chosen = regions.region_for(conn, data["country"], data.get("region"))
    row = {
        "id": new_id(),
        "created_at": utcnow(),
        "public_key": None,
        **data,
        "region": chosen,
        "name_key": key,
    }
    conn.execute(organisation.insert().values(row))
    # The language is a preference, not a fact the log keeps.
    private = ("created_at", "contact_email", "name_key", "lang")
    public = {k: v for k, v in row.items() if k not in private}
    if namesake_of is not None:
        public |= {"namesake_of": namesake_of, "reason": reason}
    audit.append(conn, audit.REGISTRY, "organisation.registered", public, actor)
    return get_organisation(conn, row["id"])


def _refuse_duplicate(
    conn: Connection, key: str, namesake_of: str | None, reason: str | None
) -> None:
    same = [r["id"] for r in organisations_named(conn, key)]
    if namesake_of is None:
        if same:
            raise DuplicateOrganisation(
                N_(
                    "organisation %(same)s is registered with the same name and country; register "
                    'another organisation of that name with namesake_of "%(same)s" and a reason'
                ),
                same=same[0],
            )
        return
    if namesake_of not in same:
        raise InvalidInput(
            N_(
                "namesake_of names %(namesake_of)s, which is not an organisation registered with "
                "this name and country (those are: %(same)s)"
            ),
            namesake_of=namesake_of,
            same=", ".join(same) or N_("none"),
        )
    if not (reason or "").strip():
        raise InvalidInput(
            N_("registering a namesake needs a reason: why it is another organisation")
        )


def organisations_named(conn: Connection, key: str) -> list[RowMapping]:
    """Registered organisations whose name key (``policies.signatories.organisation_key``) is
    ``key``: one, or true namesakes registered on purpose."""
    rows = conn.execute(
        select(organisation)
        .where(organisation.c.name_key == key)
        .order_by(organisation.c.created_at)
    )
    return [r._mapping for r in rows]


def get_organisation(conn: Connection, organisation_id: str) -> RowMapping:
    row = conn.execute(select(organisation).where(organisation.c.id == organisation_id)).first()
    if row is None:
        raise NotFound(
            N_("no organisation with id %(organisation_id)s"), organisation_id=organisation_id
        )
    return row._mapping


def list_organisations(conn: Connection) -> list[RowMapping]:
    rows = conn.execute(select(organisation).order_by(organisation.c.name, organisation.c.id))
    return [r._mapping for r in rows]


def create_constituency(conn: Connection, name: str, description: str, actor: str) -> RowMapping:
    if conn.execute(select(constituency.c.id).where(constituency.c.name == name)).first():
        raise AlreadyExists(N_("a constituency named %(name)s exists already"), name=repr(name))
    cid = new_id()
    conn.execute(
        constituency.insert().values(
            id=cid, name=name, description=description, created_at=utcnow()
        )
    )
    audit.append(
        conn,
        audit.REGISTRY,
        "constituency.created",
        {"id": cid, "name": name, "description": description},
        actor,
    )
    return get_constituency(conn, cid)


def get_constituency(conn: Connection, constituency_id: str) -> RowMapping:
    row = conn.execute(select(constituency).where(constituency.c.id == constituency_id)).first()
    if row is None:
        raise NotFound(
            N_("no constituency with id %(constituency_id)s"), constituency_id=constituency_id
        )
    return row._mapping


def list_constituencies(conn: Connection) -> list[RowMapping]:
    rows = conn.execute(select(constituency).order_by(constituency.c.name))
    return [r._mapping for r in rows]


def add_coordinator(
    conn: Connection,
    constituency_id: str,
    name: str,
    email: str,
    organisation_id: str | None,
    actor: str,
) -> RowMapping:
    get_constituency(conn, constituency_id)
    if organisation_id is not None:
        get_organisation(conn, organisation_id)
    kid = new_id()
    conn.execute(
        coordinator.insert().values(
            id=kid,
            constituency_id=constituency_id,
            name=name,
            email=email,
            organisation_id=organisation_id,
            created_at=utcnow(),
        )
    )
    audit.append(
        conn,
        audit.REGISTRY,
        "coordinator.named",
        {"id": kid, "constituency_id": constituency_id, "name": name},
        actor,
    )
    return get_coordinator(conn, kid)


def get_coordinator(conn: Connection, coordinator_id: str) -> RowMapping:
    row = conn.execute(select(coordinator).where(coordinator.c.id == coordinator_id)).first()
    if row is None:
        raise NotFound(
            N_("no coordinator with id %(coordinator_id)s"), coordinator_id=coordinator_id
        )
    return row._mapping


def list_coordinators(conn: Connection, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(coordinator)
        .where(coordinator.c.constituency_id == constituency_id, coordinator.c.removed_at.is_(None))
        .order_by(coordinator.c.created_at)
    )
    return [r._mapping for r in rows]


def admit_member(
    conn: Connection, constituency_id: str, organisation_id: str, actor: str
) -> RowMapping:
    get_constituency(conn, constituency_id)
    get_organisation(conn, organisation_id)
    existing = _membership(conn, constituency_id, organisation_id)
    now = utcnow()
    if existing is not None and existing.removed_at is None:
        raise AlreadyExists(
            N_(
                "organisation %(organisation_id)s is already a member of constituency "
                "%(constituency_id)s"
            ),
            organisation_id=organisation_id,
            constituency_id=constituency_id,
        )
    if existing is None:
        conn.execute(
            membership.insert().values(
                constituency_id=constituency_id, organisation_id=organisation_id, admitted_at=now
            )
        )
    else:
        conn.execute(
            update(membership)
            .where(
                membership.c.constituency_id == constituency_id,
                membership.c.organisation_id == organisation_id,
            )
            .values(admitted_at=now, removed_at=None)
        )
    audit.append(
        conn,
        audit.REGISTRY,
        "member.admitted",
        {"constituency_id": constituency_id, "organisation_id": organisation_id},
        actor,
    )
    row = _membership(conn, constituency_id, organisation_id)
    assert row is not None
    return row


def remove_member(conn: Connection, constituency_id: str, organisation_id: str, actor: str) -> None:
    existing = _membership(conn, constituency_id, organisation_id)
    if existing is None or existing.removed_at is not None:
        raise NotFound(
            N_(
                "organisation %(organisation_id)s is not a member of constituency "
                "%(constituency_id)s"
            ),
            organisation_id=organisation_id,
            constituency_id=constituency_id,
        )
    conn.execute(
        update(membership)
        .where(
            membership.c.constituency_id == constituency_id,
            membership.c.organisation_id == organisation_id,
        )
        .values(removed_at=utcnow())
    )
    audit.append(
        conn,
        audit.REGISTRY,
        "member.removed",
        {"constituency_id": constituency_id, "organisation_id": organisation_id},
        actor,
    )


def is_member(conn: Connection, constituency_id: str, organisation_id: str) -> bool:
    row = _membership(conn, constituency_id, organisation_id)
    return row is not None and row.removed_at is None


def require_member(conn: Connection, constituency_id: str, organisation_id: str) -> None:
    if not is_member(conn, constituency_id, organisation_id):
        raise Conflict(
            N_(
                "organisation %(organisation_id)s is not a member of constituency "
                "%(constituency_id)s; a coordinator must admit it first"
            ),
            organisation_id=organisation_id,
            constituency_id=constituency_id,
        )


def list_members(conn: Connection, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(organisation, membership.c.admitted_at)
        .join(membership, membership.c.organisation_id == organisation.c.id)
        .where(membership.c.constituency_id == constituency_id, membership.c.removed_at.is_(None))
        .order_by(organisation.c.name)
    )
    return [r._mapping for r in rows]


def membership_row(conn: Connection, constituency_id: str, organisation_id: str) -> RowMapping:
    row = _membership(conn, constituency_id, organisation_id)
    if row is None:
        raise NotFound(
            N_(
                "organisation %(organisation_id)s was never a member of constituency "
                "%(constituency_id)s"
            ),
            organisation_id=organisation_id,
            constituency_id=constituency_id,
        )
    return row


# Every ballot and nomination asks it: built once, so SQLAlchemy reuses its compiled form.
_MEMBERSHIP = select(membership).where(
    membership.c.constituency_id == bindparam("m_constituency_id"),
    membership.c.organisation_id == bindparam("m_organisation_id"),
)


def _membership(conn: Connection, constituency_id: str, organisation_id: str) -> RowMapping | None:
    row = conn.execute(
        _MEMBERSHIP, {"m_constituency_id": constituency_id, "m_organisation_id": organisation_id}
    ).first()
    return None if row is None else row._mapping
