"""Who has taken part in a round so far: for each participating constituency, each member
organisation and whether it has nominated, endorsed and voted.

A nomination counts for the organisation whose credential submitted it (a member's token or a
member's web session), not for the nominee's organisation: the question is who has acted.
Ballots count by voter, however often it cast; a secret ballot's voter is known until the close
unlinks it, and after that the roll of who voted is no longer in the ballot table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, func, select

from policies.errors import NotFound
from policies.rules import NO_BALLOT, SelectionRules, ballot_shape
from store import registry, rounds
from store import rules as rules_store
from store.tables import ballot, credential, endorsement, nomination


@dataclass(frozen=True)
class MemberActivity:
    organisation_id: str
    name: str
    country: str
    nominated: int  # nominations its credentials submitted
    endorsed: int  # nominations it endorsed
    voted: bool


@dataclass(frozen=True)
class ConstituencyParticipation:
    constituency_id: str
    name: str
    seats: int
    method: str | None  # None while the constituency has published no rules
    ballots: bool  # whether its method takes ballots (lotteries and designation do not)
    endorsements_required: int
    members: tuple[MemberActivity, ...]

    @property
    def not_nominated(self) -> tuple[MemberActivity, ...]:
        return tuple(m for m in self.members if not m.nominated)

    @property
    def not_endorsed(self) -> tuple[MemberActivity, ...]:
        return tuple(m for m in self.members if not m.endorsed)

    @property
    def not_voted(self) -> tuple[MemberActivity, ...]:
        return tuple(m for m in self.members if not m.voted)


def of_round(conn: Connection, round_id: str) -> list[ConstituencyParticipation]:
    """Every participating constituency's current members and what each has done, in the
    round's order of participants; members by name."""
    row = rounds.get(conn, round_id)
    found = []
    for p in row["participants"]:
        cid = p["constituency_id"]
        rules = _rules(conn, round_id, cid, p["seats"])
        nominated = _counts(
            conn,
            select(credential.c.organisation_id, func.count())
            .join(nomination, nomination.c.nominated_by == credential.c.id)
            .where(nomination.c.round_id == round_id, nomination.c.constituency_id == cid)
            .group_by(credential.c.organisation_id),
        )
        endorsed = _counts(
            conn,
            select(endorsement.c.organisation_id, func.count())
            .join(nomination, nomination.c.id == endorsement.c.nomination_id)
            .where(nomination.c.round_id == round_id, nomination.c.constituency_id == cid)
            .group_by(endorsement.c.organisation_id),
        )
        voted = _counts(
            conn,
            select(ballot.c.voter_organisation_id, func.count())
            .where(ballot.c.round_id == round_id, ballot.c.constituency_id == cid)
            .group_by(ballot.c.voter_organisation_id),
        )
        members = tuple(
            MemberActivity(
                m["id"],
                m["name"],
                m["country"],
                nominated.get(m["id"], 0),
                endorsed.get(m["id"], 0),
                m["id"] in voted,
            )
            for m in registry.list_members(conn, cid)
        )
        found.append(
            ConstituencyParticipation(
                cid,
                registry.get_constituency(conn, cid)["name"],
                p["seats"],
                None if rules is None else rules.method,
                rules is None or ballot_shape(rules.method) != NO_BALLOT,
                0 if rules is None else rules.endorsements.required,
                members,
            )
        )
    return found


def _rules(conn: Connection, round_id: str, cid: str, seats: int) -> SelectionRules | None:
    try:
        data = rules_store.get(conn, round_id, cid)["rules"]
    except NotFound:  # none published yet
        return None
    return SelectionRules.from_json({**data, "seats": seats})


def _counts(conn: Connection, query: Select[Any]) -> dict[str, int]:
    """By organisation id: the count a ``select(id, count)`` grouped by id gives."""
    return {str(key): int(n) for key, n in conn.execute(query) if key is not None}
