"""API tokens: random, shown once, stored as SHA-256 hashes, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, bindparam, select, update

from policies.access import Principal, Role
from policies.errors import NotFound, Unauthenticated
from policies.messages import N_
from store import audit
from store.db import utcnow
from store.ids import new_id
from store.tables import credential, organisation

TOKEN_PREFIX = "mdt_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class IssuedToken:
    credential: RowMapping
    token: str


def hash_token(token: str) -> str:
    # 256 random bits need no slow hash: a plain SHA-256 cannot be brute-forced.
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    conn: Connection,
    role: Role,
    label: str,
    actor: str | None,
    constituency_id: str | None = None,
    organisation_id: str | None = None,
    coordinator_id: str | None = None,
) -> IssuedToken:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    cid = new_id()
    conn.execute(
        credential.insert().values(
            id=cid,
            token_hash=hash_token(token),
            role=role.value,
            constituency_id=constituency_id,
            organisation_id=organisation_id,
            coordinator_id=coordinator_id,
            label=label,
            created_by=actor,
            created_at=utcnow(),
        )
    )
    audit.append(
        conn,
        audit.REGISTRY,
        "credential.issued",
        {
            "id": cid,
            "role": role.value,
            "constituency_id": constituency_id,
            "organisation_id": organisation_id,
            "coordinator_id": coordinator_id,
        },
        actor,
    )
    return IssuedToken(get(conn, cid), token)


def get(conn: Connection, credential_id: str) -> RowMapping:
    row = conn.execute(select(credential).where(credential.c.id == credential_id)).first()
    if row is None:
        raise NotFound(N_("no credential with id %(credential_id)s"), credential_id=credential_id)
    return row._mapping


# Every request with a token runs it: built once, so SQLAlchemy reuses its compiled form.
_BY_HASH = (
    select(credential, organisation.c.lang)
    .outerjoin(organisation, organisation.c.id == credential.c.organisation_id)
    .where(credential.c.token_hash == bindparam("c_token_hash"))
)


def authenticate(conn: Connection, token: str) -> Principal:
    row = conn.execute(_BY_HASH, {"c_token_hash": hash_token(token)}).first()
    if row is None:
        raise Unauthenticated(N_("the bearer token is not known"))
    if row.revoked_at is not None:
        raise Unauthenticated(N_("the bearer token has been revoked"))
    return Principal(
        credential_id=row.id,
        role=Role(row.role),
        constituency_id=row.constituency_id,
        organisation_id=row.organisation_id,
        coordinator_id=row.coordinator_id,
        lang=row.lang,
    )


def revoke(conn: Connection, credential_id: str, actor: str) -> RowMapping:
    row = get(conn, credential_id)
    if row.revoked_at is None:
        conn.execute(
            update(credential).where(credential.c.id == credential_id).values(revoked_at=utcnow())
        )
        audit.append(conn, audit.REGISTRY, "credential.revoked", {"id": credential_id}, actor)
    return get(conn, credential_id)


def list_for(
    conn: Connection, constituency_id: str | None = None, role: Role | None = None
) -> list[RowMapping]:
    query = select(credential).order_by(credential.c.created_at)
    if constituency_id is not None:
        query = query.where(credential.c.constituency_id == constituency_id)
    if role is not None:
        query = query.where(credential.c.role == role.value)
    return [r._mapping for r in conn.execute(query)]


def has_secretariat(conn: Connection) -> bool:
    query = select(credential.c.id).where(
        credential.c.role == Role.SECRETARIAT.value, credential.c.revoked_at.is_(None)
    )
    return conn.execute(query.limit(1)).first() is not None
