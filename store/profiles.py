"""Nominees' profiles: sealed in the log, public once the nominee consents, gone once erased.

A nomination's profile is its nominee's name, statement and attributes. The log holds only a
salted commitment to it (``records.profile_seal``); the database holds the profile and its
salt. Anyone reads the profile once the nominee has accepted; before that (or after a decline)
only the secretariat, the constituency's coordinators and the organisation that nominated see
it. The round's bundle discloses each consented profile with its salt, and marks each erased
one, so that anyone can check them against the log.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from policies.access import Principal, Role
from records.profile_seal import SALT_BYTES, profile_commitment, salt_of
from store import audit
from store.tables import credential, log_entry, nomination

PUBLIC, PRIVATE, ERASED = "public", "private", "erased"
ACCEPTED = "accepted"


def seal(nomination_id: str, profile: Mapping[str, Any]) -> tuple[str, str]:
    """A fresh salt for the profile, and the commitment the log will hold."""
    salt = salt_of(secrets.token_bytes(SALT_BYTES))
    return salt, profile_commitment(nomination_id, profile, salt)


def state(row: Mapping[Any, Any]) -> str:
    """``public`` once the nominee accepted, ``erased`` once the personal data were erased,
    else ``private``."""
    if row["erased_at"] is not None:
        return ERASED
    return PUBLIC if row["consent"] == ACCEPTED else PRIVATE


@dataclass(frozen=True)
class Viewer:
    """Who reads a constituency's nominations, and so whose private profiles they see."""

    every_profile: bool = False  # the secretariat, or a coordinator of the constituency
    nominated_with: frozenset[str] = frozenset()  # a member: its organisation's credentials

    def sees(self, row: Mapping[Any, Any]) -> bool:
        return (
            state(row) == PUBLIC or self.every_profile or row["nominated_by"] in self.nominated_with
        )

    def shown(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """The nomination as this viewer may read it: a profile it may not see is left out,
        and the contact address and salt never leave the database."""
        out = {k: v for k, v in row.items() if k not in ("nominee_email", "profile_salt")}
        if not self.sees(row):
            out.update(nominee_name=None, statement={}, attributes={})
        out["profile"] = state(row)
        return out


PUBLIC_VIEWER = Viewer()


def viewer(conn: Connection, caller: Principal | None, constituency_id: str) -> Viewer:
    if caller is None:
        return PUBLIC_VIEWER
    if caller.role is Role.SECRETARIAT or (
        caller.role is Role.COORDINATOR and caller.constituency_id == constituency_id
    ):
        return Viewer(every_profile=True)
    if caller.role is Role.MEMBER and caller.organisation_id is not None:
        # Every token the organisation was issued, revoked ones too: what it nominated.
        rows = conn.execute(
            select(credential.c.id).where(credential.c.organisation_id == caller.organisation_id)
        )
        return Viewer(nominated_with=frozenset(r.id for r in rows))
    return PUBLIC_VIEWER


_LOGGED = ("nomination.submitted", "nomination.accepted", "personal_data.erased")


def for_bundle(conn: Connection, round_id: str, size: int) -> list[dict[str, Any]]:
    """The bundle's ``profiles`` (records.profile_check): each consented profile with its
    salt, each erased one marked, for nominations whose entries the checkpoint of ``size``
    covers (a later bundle holds the rest)."""
    committed, consented, erased = set(), set(), set()
    rows = conn.execute(
        select(log_entry.c.type, log_entry.c.statement).where(
            log_entry.c.scope == audit.round_scope(round_id),
            log_entry.c.type.in_(_LOGGED),
            log_entry.c.idx.is_not(None),
            log_entry.c.idx < size,
        )
    )
    for r in rows:
        data = json.loads(r.statement)["data"]
        if r.type == "personal_data.erased":
            if data.get("subject") == "nomination":
                erased.add(data.get("id"))
        elif r.type == "nomination.accepted":
            consented.add(data.get("nomination_id"))
        elif data.get("profile_commitment") is not None:
            committed.add(data.get("nomination_id"))
    out: list[dict[str, Any]] = []
    nominations: list[RowMapping] = [
        r._mapping
        for r in conn.execute(
            select(nomination)
            .where(nomination.c.round_id == round_id, nomination.c.profile_commitment.is_not(None))
            .order_by(nomination.c.created_at, nomination.c.id)
        )
    ]
    for n in nominations:
        nid = n["id"]
        if nid not in committed:
            continue
        if n["erased_at"] is not None:
            if nid in erased:
                out.append({"nomination_id": nid, "erased": True})
        elif n["consent"] == ACCEPTED and nid in consented:
            out.append(
                {
                    "nomination_id": nid,
                    "nominee_name": n["nominee_name"],
                    "statement": n["statement"],
                    "attributes": n["attributes"],
                    "salt": n["profile_salt"],
                }
            )
    return out
