"""Each constituency's selection rules for a round, set by its coordinators while in draft."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, select, update

from policies.constraints import check_rules
from policies.errors import Conflict, NotFound, WrongPhase
from policies.messages import N_
from policies.methods import require_available
from policies.phases import Phase
from policies.randomness import check_new_randomness_rules
from policies.rules import DESIGNATION, InfeasibleRules, SelectionRules
from store import audit
from store.db import utcnow
from store.registry import list_coordinators
from store.tables import constituency_rules, round_


def seats_of(round_row: RowMapping, constituency_id: str) -> int:
    for p in round_row["participants"]:
        if p["constituency_id"] == constituency_id:
            seats: int = p["seats"]
            return seats
    raise NotFound(
        N_("constituency %(constituency_id)s does not take part in round %(id)s"),
        constituency_id=constituency_id,
        id=round_row["id"],
    )


def publish_rules(
    conn: Connection, round_id: str, constituency_id: str, data: dict[str, Any], actor: str
) -> RowMapping:
    """Publish (or re-publish, while the round is a draft) a constituency's rules."""
    found = conn.execute(select(round_).where(round_.c.id == round_id).with_for_update()).first()
    if found is None:
        raise NotFound(N_("no round with id %(round_id)s"), round_id=round_id)
    round_row = found._mapping
    if round_row["phase"] != Phase.DRAFT:
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s; rules are frozen once it is published"),
            round_id=round_id,
            phase=round_row["phase"],
        )
    # Seats come from the round's frame, never from the constituency.
    rules = SelectionRules.from_json({**data, "seats": seats_of(round_row, constituency_id)})
    check_rules(rules)
    check_new_randomness_rules(rules)
    require_available(rules.method)
    _check_quorum(conn, constituency_id, rules)
    current = _get(conn, round_id, constituency_id)
    now = utcnow()
    if current is None:
        version = 1
        conn.execute(
            constituency_rules.insert().values(
                round_id=round_id,
                constituency_id=constituency_id,
                rules=rules.to_json(),
                version=version,
                updated_by=actor,
                updated_at=now,
            )
        )
    else:
        version = current["version"] + 1
        conn.execute(
            update(constituency_rules)
            .where(
                constituency_rules.c.round_id == round_id,
                constituency_rules.c.constituency_id == constituency_id,
            )
            .values(rules=rules.to_json(), version=version, updated_by=actor, updated_at=now)
        )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "rules.published",
        {"constituency_id": constituency_id, "version": version, "rules": rules.to_json()},
        actor,
    )
    return get(conn, round_id, constituency_id)


def _get(conn: Connection, round_id: str, constituency_id: str) -> RowMapping | None:
    row = conn.execute(
        select(constituency_rules).where(
            constituency_rules.c.round_id == round_id,
            constituency_rules.c.constituency_id == constituency_id,
        )
    ).first()
    return None if row is None else row._mapping


def get(conn: Connection, round_id: str, constituency_id: str) -> RowMapping:
    row = _get(conn, round_id, constituency_id)
    if row is None:
        raise NotFound(
            N_("constituency %(constituency_id)s has published no rules for round %(round_id)s"),
            constituency_id=constituency_id,
            round_id=round_id,
        )
    return row


def rules_for(conn: Connection, round_id: str, constituency_id: str) -> SelectionRules:
    return SelectionRules.from_json(get(conn, round_id, constituency_id)["rules"])


def all_rules(conn: Connection, round_row: RowMapping) -> dict[str, dict[str, Any]]:
    """Every participant's rules, re-checked against the frame's current seats."""
    out: dict[str, dict[str, Any]] = {}
    missing = []
    for p in round_row["participants"]:
        row = _get(conn, round_row["id"], p["constituency_id"])
        if row is None:
            missing.append(p["constituency_id"])
            continue
        rules = SelectionRules.from_json({**row["rules"], "seats": p["seats"]})
        check_rules(rules)
        check_new_randomness_rules(rules)  # drafts saved before a beacon's round was derived
        _check_quorum(conn, p["constituency_id"], rules)
        out[p["constituency_id"]] = rules.to_json()
    if missing:
        raise Conflict(
            N_(
                "every participating constituency must publish its rules before the round is "
                "published; missing: %(missing)s"
            ),
            missing=", ".join(sorted(missing)),
        )
    return out


def _check_quorum(conn: Connection, constituency_id: str, rules: SelectionRules) -> None:
    """A designation quorum larger than the constituency's coordinators can never be met."""
    if rules.method != DESIGNATION or rules.quorum is None:
        return
    coordinators = len(list_coordinators(conn, constituency_id))
    if rules.quorum > coordinators:
        raise InfeasibleRules(
            N_(
                "a quorum of %(quorum)s coordinators can never be met: constituency "
                "%(constituency_id)s has %(coordinators)s"
            ),
            quorum=rules.quorum,
            constituency_id=constituency_id,
            coordinators=coordinators,
        )
