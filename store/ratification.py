"""Putting a constituency's draft rules to its members: their approvals and comments, the
secretariat's override, and the check that publication makes (``policies.ratification``).

Approvals count for the version of the rules they were given on; changing the rules asks the
members again. Everything is logged in the round's scope, comments included: how the rules were
agreed is part of the public record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, select

from policies.errors import Conflict, Forbidden, NotFound, WrongPhase
from policies.messages import N_
from policies.phases import Phase
from policies.ratification import Ratification
from store import audit, registry
from store import rules as rules_store
from store.db import utcnow
from store.tables import membership, round_, rules_approval, rules_ratification
from store.upsert import insert_ignore


def _draft(conn: Connection, round_id: str, constituency_id: str) -> RowMapping:
    row = conn.execute(select(round_).where(round_.c.id == round_id).with_for_update()).first()
    if row is None:
        raise NotFound(N_("no round with id %(round_id)s"), round_id=round_id)
    if row.phase != Phase.DRAFT:
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s: rules are put to the members while it is a draft"),
            round_id=round_id,
            phase=row.phase,
        )
    rules_store.seats_of(row._mapping, constituency_id)
    return row._mapping


def put_to_members(
    conn: Connection, round_id: str, constituency_id: str, actor: str
) -> Ratification:
    """The coordinator asks the members to approve the rules as they stand now."""
    _draft(conn, round_id, constituency_id)
    version = rules_store.get(conn, round_id, constituency_id)["version"]
    now = utcnow()
    conn.execute(
        delete(rules_ratification).where(
            rules_ratification.c.round_id == round_id,
            rules_ratification.c.constituency_id == constituency_id,
        )
    )
    conn.execute(
        rules_ratification.insert().values(
            round_id=round_id,
            constituency_id=constituency_id,
            rules_version=version,
            opened_at=now,
            opened_by=actor,
        )
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "rules.put_to_members",
        {"constituency_id": constituency_id, "rules_version": version},
        actor,
        now,
    )
    return summary(conn, round_id, constituency_id)


def respond(
    conn: Connection,
    round_id: str,
    constituency_id: str,
    organisation_id: str,
    approve: bool,
    comment: str | None,
    actor: str,
    now: datetime | None = None,
) -> Ratification:
    """A member organisation approves (or not) the rules it was given, with a comment; a
    later answer replaces its earlier one."""
    _draft(conn, round_id, constituency_id)
    asked = _asked(conn, round_id, constituency_id)
    if asked is None:
        raise Conflict(
            N_(
                "the rules of %(constituency_id)s for round %(round_id)s have not been put to "
                "the members yet: its coordinator does that"
            ),
            constituency_id=constituency_id,
            round_id=round_id,
        )
    current = rules_store.get(conn, round_id, constituency_id)["version"]
    if current != asked["rules_version"]:
        raise Conflict(
            N_(
                "the rules changed (version %(current)s) since they were put to the members "
                "(version %(asked)s): the coordinator puts them again"
            ),
            current=current,
            asked=asked["rules_version"],
        )
    if not registry.is_member(conn, constituency_id, organisation_id):
        raise Forbidden(
            N_("organisation %(organisation_id)s is not a member of %(constituency_id)s"),
            organisation_id=organisation_id,
            constituency_id=constituency_id,
        )
    now = now or utcnow()
    key = {
        "round_id": round_id,
        "constituency_id": constituency_id,
        "organisation_id": organisation_id,
    }
    conn.execute(
        delete(rules_approval).where(*(getattr(rules_approval.c, k) == v for k, v in key.items()))
    )
    conn.execute(
        rules_approval.insert().values(
            **key, rules_version=current, approve=approve, comment=comment, answered_at=now
        )
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "rules.answered",
        {**key, "rules_version": current, "approve": approve, "comment": comment},
        actor,
        now,
    )
    return summary(conn, round_id, constituency_id)


def override(
    conn: Connection, round_id: str, constituency_id: str, reason: str, actor: str
) -> Ratification:
    """The secretariat lets the round be published without the threshold, saying why."""
    _draft(conn, round_id, constituency_id)
    now = utcnow()
    conn.execute(
        insert_ignore(
            conn,
            rules_ratification,
            {
                "round_id": round_id,
                "constituency_id": constituency_id,
                "rules_version": None,
                "opened_at": now,
                "opened_by": actor,
            },
        )
    )
    conn.execute(
        rules_ratification.update()
        .where(
            rules_ratification.c.round_id == round_id,
            rules_ratification.c.constituency_id == constituency_id,
        )
        .values(override_reason=reason, override_at=now)
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "rules.ratification_overridden",
        {"constituency_id": constituency_id, "reason": reason},
        actor,
        now,
    )
    return summary(conn, round_id, constituency_id)


def _asked(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    row = conn.execute(
        select(rules_ratification).where(
            rules_ratification.c.round_id == round_id,
            rules_ratification.c.constituency_id == constituency_id,
        )
    ).first()
    return None if row is None else row._mapping


def summary(conn: Connection, round_id: str, constituency_id: str) -> Ratification:
    threshold = conn.execute(
        select(round_.c.ratification_threshold).where(round_.c.id == round_id)
    ).scalar()
    members = conn.execute(
        select(func.count()).where(
            membership.c.constituency_id == constituency_id, membership.c.removed_at.is_(None)
        )
    ).scalar_one()
    asked = _asked(conn, round_id, constituency_id)
    version = None if asked is None else asked["rules_version"]
    current = rules_store.get(conn, round_id, constituency_id)["version"]
    approvals = 0
    if version is not None and version == current:
        approvals = conn.execute(
            select(func.count())
            .select_from(rules_approval)
            .join(
                membership,
                and_(
                    membership.c.constituency_id == rules_approval.c.constituency_id,
                    membership.c.organisation_id == rules_approval.c.organisation_id,
                    membership.c.removed_at.is_(None),
                ),
            )
            .where(
                rules_approval.c.round_id == round_id,
                rules_approval.c.constituency_id == constituency_id,
                rules_approval.c.rules_version == version,
                rules_approval.c.approve.is_(True),
            )
        ).scalar_one()
    return Ratification(
        threshold=int(threshold or 0),
        members=int(members),
        approvals=int(approvals),
        rules_version=version,
        override=None if asked is None else asked["override_reason"],
    )


def answers(conn: Connection, round_id: str, constituency_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(rules_approval)
        .where(
            rules_approval.c.round_id == round_id,
            rules_approval.c.constituency_id == constituency_id,
        )
        .order_by(rules_approval.c.answered_at)
    )
    return [r._mapping for r in rows]


def for_criteria(conn: Connection, round_row: RowMapping) -> dict[str, dict[str, Any]]:
    """At publication: each constituency's ratification, or Conflict naming those whose
    threshold is not met and not overridden. Empty when the round asks for none."""
    if not round_row["ratification_threshold"]:
        return {}
    out: dict[str, dict[str, Any]] = {}
    short = []
    for p in round_row["participants"]:
        cid = p["constituency_id"]
        found = summary(conn, round_row["id"], cid)
        if not found.met and found.override is None:
            short.append(f"{cid} {found.approvals}/{found.needed}")
        out[cid] = found.to_json()
    if short:
        raise Conflict(
            N_(
                "the rules are not ratified by enough member organisations (approvals given / "
                "needed): %(short)s. Each coordinator puts the rules to the members; the "
                "secretariat may publish without, with a logged reason "
                "(.../ratification/override)"
            ),
            short="; ".join(short),
        )
    return out


def put_to(conn: Connection, constituency_id: str) -> list[RowMapping]:
    """The draft rounds whose rules are put to this constituency's members now."""
    rows = conn.execute(
        select(round_)
        .join(rules_ratification, rules_ratification.c.round_id == round_.c.id)
        .where(
            rules_ratification.c.constituency_id == constituency_id,
            round_.c.phase == Phase.DRAFT.value,
        )
        .order_by(rules_ratification.c.opened_at)
    )
    return [r._mapping for r in rows]
