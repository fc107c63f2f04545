"""Designation letters of a decided round's speakers, and the check of a letter's code.

Nothing is stored: each letter is computed from the round's signed criteria, the
constituency's signed outcome and the profile commitments the log holds (records/letter.py),
the seats' ``seats.confirmed`` head, so the code an embassy types is checked against the
signed records themselves. A letter exists once the round is decided and the constituency's
seats are confirmed (store/seats.py), one per seat held; the speaker's name is read beside it
while the profile is public. Checking a code recomputes the letters of every decided round
(a few queries per constituency): fine for the rounds a deployment holds; an index of codes
would be the next step for many thousands.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select

from policies.errors import InvalidInput, NotFound, WrongPhase
from policies.messages import N_
from policies.phases import Phase
from records.letter import letter_code, letter_hash, letters_of, normalise_code
from store import profiles, seats
from store.rounds import get as get_round
from store.tables import constituency, nomination, outcome, round_


@dataclass(frozen=True)
class Letter:
    statement: dict[str, Any]
    code: str
    hash: str
    constituency_name: str
    speaker_name: str | None  # None unless the profile is public
    profile: str  # public | private | erased (store/profiles.py)
    decided_at: datetime  # when the outcome was signed


@dataclass(frozen=True)
class Holders:
    """Who holds a constituency's seats once they are confirmed, and the head of the outcome's
    amendment chain (the outcome's own hash where no seat passed on)."""

    seats: list[tuple[int, str]]  # (seat, nomination id)
    head: str | None


def holders(conn: Connection, round_id: str, constituency_id: str) -> Holders:
    """The confirmed seat holders (store/seats.py): none until every seat of the
    constituency is accepted or stated empty."""
    if not seats.is_confirmed(conn, round_id, constituency_id):
        return Holders([], None)
    state = seats.state(conn, round_id, constituency_id)
    return Holders(
        [(h.seat, h.nomination_id) for h in seats.seat_holders(conn, round_id, constituency_id)],
        None if state is None else str(state["head_hash"]),
    )


def of_constituency(conn: Connection, round_id: str, constituency_id: str) -> list[Letter]:
    """The letters of a constituency's speakers in a decided round, in seat order."""
    row = _decided(conn, round_id)
    found = conn.execute(
        select(outcome).where(
            outcome.c.round_id == round_id, outcome.c.constituency_id == constituency_id
        )
    ).first()
    if found is None:
        raise NotFound(
            N_("no outcome yet for constituency %(constituency_id)s in round %(round_id)s"),
            constituency_id=constituency_id,
            round_id=round_id,
        )
    return _letters(conn, [(row, found._mapping)])


def get(conn: Connection, round_id: str, constituency_id: str, nomination_id: str) -> Letter:
    for letter in of_constituency(conn, round_id, constituency_id):
        if letter.statement["nomination_id"] == nomination_id:
            return letter
    raise NotFound(
        N_(
            "nomination %(nomination_id)s holds no confirmed seat of constituency "
            "%(constituency_id)s in round %(round_id)s, so it has no designation letter"
        ),
        nomination_id=nomination_id,
        constituency_id=constituency_id,
        round_id=round_id,
    )


def find(conn: Connection, code: str) -> Letter:
    """The letter whose code is ``code`` (as typed), among every decided round's."""
    written = well_formed(code)
    pairs = conn.execute(
        select(round_, outcome)
        .join(outcome, outcome.c.round_id == round_.c.id)
        .where(round_.c.phase == Phase.DECIDED.value)
        .order_by(outcome.c.round_id, outcome.c.constituency_id)
    )
    for letter in _letters(conn, [(r._mapping, r._mapping) for r in pairs]):
        if letter.code == written:
            return letter
    raise NotFound(N_("no designation letter has the code %(code)s"), code=written)


def well_formed(code: str) -> str:
    written = normalise_code(code)
    if written is None:
        raise InvalidInput(
            N_(
                "got %(code)s as a letter code, expected 12 letters and digits as on the "
                "letter, such as 7K2M-9QXA-P4RT"
            ),
            code=code[:40],
        )
    return written


def _decided(conn: Connection, round_id: str) -> RowMapping:
    row = get_round(conn, round_id)
    if row["phase"] == Phase.DRAFT:
        raise NotFound(N_("no round with id %(round_id)s"), round_id=round_id)
    if row["phase"] != Phase.DECIDED:
        raise WrongPhase(
            N_(
                "round %(round_id)s is %(phase)s: designation letters are issued once it is decided"
            ),
            round_id=round_id,
            phase=row["phase"],
        )
    return row


def _letters(
    conn: Connection, pairs: Iterable[tuple[Mapping[Any, Any], Mapping[Any, Any]]]
) -> list[Letter]:
    """The letters of each (round, outcome) pair: ``round`` rows hold ``criteria``,
    ``outcome`` rows ``round_id``, ``constituency_id``, ``record``, ``record_hash`` and
    ``created_at``."""
    seen: list[tuple[Any, dict[str, Any], Mapping[Any, Any], Holders]] = []
    criteria_of: dict[str, Any] = {}
    for round_row, outcome_row in pairs:
        rid = str(outcome_row["round_id"])
        if rid not in criteria_of:
            criteria_of[rid] = json.loads(round_row["criteria"] or "{}")
        record = json.loads(outcome_row["record"])
        who = holders(conn, rid, str(outcome_row["constituency_id"]))
        seen.append((criteria_of[rid], record, outcome_row, who))
    ids = {nid for *_, who in seen for _, nid in who.seats}
    cids = {str(o["constituency_id"]) for _, _, o, _ in seen}
    people = (
        {r.id: r._mapping for r in conn.execute(select(nomination).where(nomination.c.id.in_(ids)))}
        if ids
        else {}
    )
    names = (
        {
            r.id: r.name
            for r in conn.execute(
                select(constituency.c.id, constituency.c.name).where(constituency.c.id.in_(cids))
            )
        }
        if cids
        else {}
    )
    out: list[Letter] = []
    for criteria, record, outcome_row, who in seen:
        commitments = {
            nid: (people[nid]["profile_commitment"] if nid in people else None)
            for _, nid in who.seats
        }
        for statement in letters_of(
            criteria=criteria,
            outcome=record,
            outcome_hash=str(outcome_row["record_hash"]),
            holders=who.seats,
            head=who.head,
            commitments=commitments,
        ):
            n = people.get(statement["nomination_id"])
            state = profiles.ERASED if n is None else profiles.state(n)
            out.append(
                Letter(
                    statement=statement,
                    code=letter_code(statement),
                    hash=letter_hash(statement),
                    constituency_name=str(
                        names.get(statement["constituency_id"], statement["constituency_id"])
                    ),
                    speaker_name=None
                    if n is None or state != profiles.PUBLIC
                    else str(n["nominee_name"]),
                    profile=state,
                    decided_at=outcome_row["created_at"],
                )
            )
    return out
