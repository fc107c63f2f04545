"""People's sessions on the web pages: one-time sign-in links, and the sessions they start.

A sign-in link is asked for with an e-mail address: an organisation's registered contact (to
act as a member of a constituency it belongs to) or a coordinator's address. The link's token
is random, stored as its SHA-256, lasts a short while and is used once, by POST (mail scanners
open links). Confirming it starts a session as one identity the address has; that session acts
through a credential issued for it (logged as ``credential.issued``, revocable like any token),
so every write it makes names a credential, as the API's do. Pasting an API token starts a
session on that very credential.

A session's cookie holds a random token; only its SHA-256 is stored. A session ends when it
expires, when its holder signs out, or when its credential is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, func, select, update

from policies.access import Principal, Role
from policies.errors import CodeUnusable, InvalidInput, NotFound, Unauthenticated
from policies.messages import N_
from store import credentials
from store.db import utcnow
from store.ids import new_id
from store.tables import (
    constituency,
    coordinator,
    credential,
    membership,
    organisation,
    web_session,
    web_sign_in,
)

LINK_PREFIX = "mwl_"
SESSION_PREFIX = "mws_"
ACTOR = "web-sign-in"  # who issues a signed-in session's credential, in the registry's log
LABEL = "web sign-in"


def _hash(token: str) -> str:
    # 256 random bits need no slow hash (as API tokens).
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Someone an e-mail address may sign in as."""

    key: str  # "member:<constituency>:<organisation>" or "coordinator:<coordinator id>"
    role: Role
    constituency_id: str
    constituency_name: str
    name: str  # the organisation's or the coordinator's name
    organisation_id: str | None = None
    coordinator_id: str | None = None


@dataclass(frozen=True)
class Session:
    id: str
    principal: Principal
    expires_at: datetime
    lang: str | None


def identities(conn: Connection, email: str) -> list[Identity]:
    """Every identity the address may sign in as: each constituency its organisation is a
    member of, and each constituency it coordinates."""
    address = email.strip().casefold()
    members = conn.execute(
        select(
            organisation.c.id,
            organisation.c.name,
            constituency.c.id.label("constituency_id"),
            constituency.c.name.label("constituency_name"),
        )
        .join(membership, membership.c.organisation_id == organisation.c.id)
        .join(constituency, constituency.c.id == membership.c.constituency_id)
        .where(
            func.lower(organisation.c.contact_email) == address,
            membership.c.removed_at.is_(None),
        )
        .order_by(organisation.c.name, constituency.c.name)
    )
    coordinators = conn.execute(
        select(
            coordinator.c.id,
            coordinator.c.name,
            constituency.c.id.label("constituency_id"),
            constituency.c.name.label("constituency_name"),
        )
        .join(constituency, constituency.c.id == coordinator.c.constituency_id)
        .where(func.lower(coordinator.c.email) == address, coordinator.c.removed_at.is_(None))
        .order_by(constituency.c.name)
    )
    return [
        *(
            Identity(
                f"member:{r.constituency_id}:{r.id}",
                Role.MEMBER,
                r.constituency_id,
                r.constituency_name,
                r.name,
                organisation_id=r.id,
            )
            for r in members
        ),
        *(
            Identity(
                f"coordinator:{r.id}",
                Role.COORDINATOR,
                r.constituency_id,
                r.constituency_name,
                r.name,
                coordinator_id=r.id,
            )
            for r in coordinators
        ),
    ]


def request_link(
    conn: Connection, email: str, lang: str, ttl: timedelta, now: datetime | None = None
) -> str | None:
    """A new sign-in link's token for the address, or None if it may sign in as nobody (the
    caller answers the same either way, so that nobody learns which addresses are known)."""
    if not identities(conn, email):
        return None
    now = now or utcnow()
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        web_sign_in.insert().values(
            id=new_id(),
            token_hash=_hash(token),
            email=email.strip(),
            lang=lang,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


def open_link(conn: Connection, token: str, now: datetime | None = None) -> RowMapping:
    """The link's row while it can still be used; refused once used or expired."""
    now = now or utcnow()
    row = conn.execute(select(web_sign_in).where(web_sign_in.c.token_hash == _hash(token))).first()
    if row is None:
        raise NotFound(N_("this sign-in link is not known"))
    if row.used_at is not None:
        raise CodeUnusable(N_("this sign-in link was used already; ask for a new one"))
    if row.expires_at <= now:
        raise CodeUnusable(N_("this sign-in link has expired; ask for a new one"))
    return row._mapping


def start_from_link(
    conn: Connection, token: str, identity_key: str, ttl: timedelta, now: datetime | None = None
) -> tuple[str, Session]:
    """Use the link (once) and start a session as one of the address's identities."""
    now = now or utcnow()
    link = open_link(conn, token, now)
    used = conn.execute(
        update(web_sign_in)
        .where(web_sign_in.c.id == link["id"], web_sign_in.c.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # another request used it at the same moment
        raise CodeUnusable(N_("this sign-in link was used already; ask for a new one"))
    chosen = next((i for i in identities(conn, link["email"]) if i.key == identity_key), None)
    if chosen is None:
        raise InvalidInput(N_("choose one of the identities this address may sign in as"))
    issued = credentials.issue(
        conn,
        chosen.role,
        LABEL,
        ACTOR,
        constituency_id=chosen.constituency_id,
        organisation_id=chosen.organisation_id,
        coordinator_id=chosen.coordinator_id,
    )
    return _start(conn, issued.credential["id"], True, link["lang"], ttl, now)


def start_from_token(
    conn: Connection, api_token: str, ttl: timedelta, now: datetime | None = None
) -> tuple[str, Session]:
    """A session on an existing API token's credential (its role and scope)."""
    principal = credentials.authenticate(conn, api_token.strip())
    return _start(conn, principal.credential_id, False, None, ttl, now or utcnow())


def _start(
    conn: Connection,
    credential_id: str,
    own_credential: bool,
    lang: str | None,
    ttl: timedelta,
    now: datetime,
) -> tuple[str, Session]:
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    sid = new_id()
    conn.execute(
        web_session.insert().values(
            id=sid,
            token_hash=_hash(token),
            credential_id=credential_id,
            own_credential=own_credential,
            lang=lang,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    found = current(conn, token, now)
    assert found is not None
    return token, found


def current(conn: Connection, token: str, now: datetime | None = None) -> Session | None:
    """The live session this cookie token names: not expired, not ended, credential not
    revoked; else None."""
    now = now or utcnow()
    row = conn.execute(
        select(web_session, credential)
        .join(credential, credential.c.id == web_session.c.credential_id)
        .where(web_session.c.token_hash == _hash(token))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    if row.revoked_at is not None:
        return None
    m = row._mapping
    principal = Principal(
        credential_id=m["credential_id"],
        role=Role(m["role"]),
        constituency_id=m["constituency_id"],
        organisation_id=m["organisation_id"],
        coordinator_id=m["coordinator_id"],
    )
    return Session(m[web_session.c.id], principal, m["expires_at"], m["lang"])


def end(conn: Connection, token: str, now: datetime | None = None) -> None:
    """Sign out: the session ends, and so does the credential issued for it."""
    now = now or utcnow()
    row = conn.execute(select(web_session).where(web_session.c.token_hash == _hash(token))).first()
    if row is None:
        raise Unauthenticated(N_("this session is not known"))
    if row.ended_at is None:
        conn.execute(update(web_session).where(web_session.c.id == row.id).values(ended_at=now))
    if row.own_credential:
        credentials.revoke(conn, row.credential_id, ACTOR)


def purge(conn: Connection, before: datetime) -> None:
    """Delete sign-in links that expired before ``before``."""
    conn.execute(web_sign_in.delete().where(web_sign_in.c.expires_at < before))
