"""Selection rounds: drafts, publication, and the mirror of the workflow's phases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, select, update

from policies.criteria import round_criteria
from policies.errors import NotFound, PhaseClosed, WrongPhase
from policies.messages import N_, Message
from policies.notice import (
    NO_MINIMUM,
    MinimumNotice,
    check_notice,
    last_nomination_at,
    said,
)
from policies.phases import TERMINAL, Phase, is_before
from policies.rules import SelectionRules
from policies.schedule import Deadline, Schedule, validate_publishable, validate_schedule
from policies.seats import SUBSTITUTION
from policies.times import iso
from records import dsse
from records.canonical import canonical_json, sha256_hex
from store import audit, lot_terms, ratification, round_notices
from store.db import keyring, utcnow
from store.ids import new_id
from store.registry import get_constituency
from store.rules import all_rules
from store.tables import round_

WORKFLOW_ACTOR = "workflow"
_DEADLINE_COLUMN = MappingProxyType(
    {
        Deadline.NOMINATIONS_CLOSE: "nominations_close_at",
        Deadline.VOTING_CLOSE: "voting_close_at",
    }
)


def workflow_id_for(round_id: str) -> str:
    return f"round-{round_id}"


def schedule_of(row: RowMapping) -> Schedule:
    return Schedule(
        nominations_open_at=row["nominations_open_at"],
        nominations_close_at=row["nominations_close_at"],
        voting_open_at=row["voting_open_at"],
        voting_close_at=row["voting_close_at"],
    )


def _check_frame(conn: Connection, data: dict[str, Any]) -> None:
    for p in data.get("participants", []):
        get_constituency(conn, p["constituency_id"])
    if "schedule" in data:
        validate_schedule(Schedule(**data["schedule"]))


def create_draft(conn: Connection, data: dict[str, Any], actor: str) -> RowMapping:
    _check_frame(conn, data)
    now = utcnow()
    rid = new_id()
    conn.execute(
        round_.insert().values(
            id=rid,
            title=data["title"],
            segments=data["segments"],
            participants=data["participants"],
            phase=Phase.DRAFT.value,
            phase_seq=0,
            created_at=now,
            updated_at=now,
            minimum_notice=data.get("minimum_notice"),
            ratification_threshold=data.get("ratification_threshold"),
            **data["schedule"],
        )
    )
    audit.append(conn, audit.round_scope(rid), "round.drafted", {"title": data["title"]}, actor)
    return get(conn, rid)


def update_draft(conn: Connection, round_id: str, data: dict[str, Any], actor: str) -> RowMapping:
    row = get(conn, round_id, for_update=True)
    if row["phase"] != Phase.DRAFT:
        raise WrongPhase(
            N_("only a draft can be edited; round %(round_id)s is %(phase)s"),
            round_id=round_id,
            phase=row["phase"],
        )
    if "schedule" in data and data["schedule"] is not None:
        merged = {k: row[k] for k in _schedule_fields()} | data["schedule"]
        data = {**data, "schedule": merged}
    _check_frame(conn, data)
    values = {k: v for k, v in data.items() if k != "schedule" and v is not None}
    values.update(data.get("schedule") or {})
    values["updated_at"] = utcnow()
    conn.execute(update(round_).where(round_.c.id == round_id).values(values))
    audit.append(conn, audit.round_scope(round_id), "round.edited", {"fields": sorted(data)}, actor)
    return get(conn, round_id)


def notice_of(row: RowMapping) -> MinimumNotice:
    """The minimums a published round is held to; none for rounds published before them."""
    return MinimumNotice.from_json(row["minimum_notice"] or {}, NO_MINIMUM)


def _schedule_fields() -> tuple[str, ...]:
    return ("nominations_open_at", "nominations_close_at", "voting_open_at", "voting_close_at")


def get(
    conn: Connection, round_id: str, *, for_update: bool = False, for_share: bool = False
) -> RowMapping:
    query = select(round_).where(round_.c.id == round_id)
    if for_update:
        query = query.with_for_update()
    elif for_share:
        query = query.with_for_update(read=True)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(N_("no round with id %(round_id)s"), round_id=round_id)
    return row._mapping


def list_rounds(conn: Connection, *, include_drafts: bool) -> list[RowMapping]:
    query = select(round_).order_by(round_.c.created_at)
    if not include_drafts:
        query = query.where(round_.c.phase != Phase.DRAFT.value)
    return [r._mapping for r in conn.execute(query)]


def list_unfinished(conn: Connection) -> list[RowMapping]:
    """Published rounds whose workflow may still have work to do."""
    done = [Phase.DRAFT.value, *(p.value for p in TERMINAL)]
    return [r._mapping for r in conn.execute(select(round_).where(round_.c.phase.not_in(done)))]


def publish(
    conn: Connection,
    round_id: str,
    actor: str,
    now: datetime | None = None,
    *,
    notice: MinimumNotice,
) -> RowMapping:
    """Freeze the criteria (RFC 8785 bytes, SHA-256, DSSE/Ed25519) and mark the round published.

    ``notice`` is the deployment's minimum notice, under what the draft sets itself; the
    schedule must meet the result, which the criteria publish. ``now`` is the moment of
    publication (tests publish rounds of the past with it)."""
    row = get(conn, round_id, for_update=True)
    if row["phase"] != Phase.DRAFT:
        raise WrongPhase(
            N_("round %(round_id)s is already %(phase)s; only a draft is published"),
            round_id=round_id,
            phase=row["phase"],
        )
    now = now or utcnow()
    schedule = schedule_of(row)
    validate_publishable(schedule, now)
    in_force = MinimumNotice.from_json(row["minimum_notice"] or {}, notice)
    check_notice(schedule, in_force, now)
    for p in row["participants"]:
        get_constituency(conn, p["constituency_id"])
    rules = all_rules(conn, row)
    ratified = ratification.for_criteria(conn, row)
    # Closing-soon reminders, seconds before each deadline, and as the criteria publish them.
    in_rules = {cid: SelectionRules.from_json(r) for cid, r in rules.items()}
    reminders = {cid: r.reminder_seconds for cid, r in in_rules.items()}
    version = 1
    criteria = round_criteria(
        round_id=round_id,
        version=version,
        title=row["title"],
        segments=row["segments"],
        participants=row["participants"],
        schedule=schedule,
        rules=rules,
        minimum_notice=in_force.to_json(),
        ratification=ratified,
        reminders={cid: r.reminders_in_force for cid, r in in_rules.items()},
        substitution=SUBSTITUTION,
    )
    payload = canonical_json(criteria)
    digest = sha256_hex(payload)
    # Signed by the records key valid at the time of the entry that publishes it.
    signer = keyring(conn).signer_for(conn, "records", now)
    envelope = dsse.sign(signer, dsse.payload_type_for("criteria"), payload)
    conn.execute(
        update(round_)
        .where(round_.c.id == round_id)
        .values(
            phase=Phase.PUBLISHED.value,
            phase_seq=1,
            minimum_notice=in_force.to_json(),
            criteria=payload.decode(),
            criteria_hash=digest,
            criteria_envelope=json.dumps(envelope.to_json()),
            criteria_version=version,
            workflow_id=workflow_id_for(round_id),
            published_at=now,
            updated_at=now,
        )
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "criteria.published",
        {"criteria_hash": digest, "version": version, "key_id": signer.key_id},
        actor,
        now,
    )
    published = get(conn, round_id)
    lot_terms.log_beacon_rounds(conn, published, actor, now)
    round_notices.published(conn, published, reminders)
    return published


def mirror_phase(conn: Connection, round_id: str, phase: Phase, seq: int, at: datetime) -> bool:
    """Record the workflow's phase change; a repeated or stale call changes nothing."""
    result = conn.execute(
        update(round_)
        .where(
            round_.c.id == round_id,
            round_.c.phase_seq < seq,
            round_.c.phase != Phase.CANCELLED.value,
        )
        .values(phase=phase.value, phase_seq=seq, updated_at=utcnow())
    )
    if result.rowcount != 1:
        return False
    audit.append(
        conn,
        audit.round_scope(round_id),
        "phase.changed",
        {"phase": phase.value, "seq": seq, "scheduled_at": iso(at)},
        WORKFLOW_ACTOR,
    )
    return True


def record_extension(
    conn: Connection, round_id: str, which: Deadline, new_at: datetime, reason: str, actor: str
) -> bool:
    row = get(conn, round_id, for_update=True)
    column = _DEADLINE_COLUMN[which]
    if row[column] == new_at:
        return False  # already recorded: a retried activity
    if Phase(row["phase"]) in TERMINAL:
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s; its deadlines are final"),
            round_id=round_id,
            phase=row["phase"],
        )
    conn.execute(
        update(round_)
        .where(round_.c.id == round_id)
        .values({column: new_at, "updated_at": utcnow()})
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "deadline.extended",
        {
            "deadline": which.value,
            "from": iso(row[column]),
            "to": iso(new_at),
            "reason": reason,
        },
        actor,
    )
    if which is Deadline.VOTING_CLOSE:  # the beacon round follows the close: log where it went
        lot_terms.log_beacon_rounds(conn, get(conn, round_id), actor)
    round_notices.extended(conn, row, which.value, row[column], new_at, reason)
    return True


def record_cancellation(conn: Connection, round_id: str, reason: str, actor: str, seq: int) -> bool:
    row = get(conn, round_id, for_update=True)
    if row["phase"] == Phase.CANCELLED:
        return False
    if Phase(row["phase"]) in TERMINAL:
        raise WrongPhase(
            N_("round %(round_id)s is %(phase)s and can no longer be cancelled"),
            round_id=round_id,
            phase=row["phase"],
        )
    conn.execute(
        update(round_)
        .where(round_.c.id == round_id)
        .values(
            phase=Phase.CANCELLED.value, phase_seq=seq, cancel_reason=reason, updated_at=utcnow()
        )
    )
    audit.append(
        conn,
        audit.round_scope(round_id),
        "round.cancelled",
        {"reason": reason, "previous_phase": row["phase"], "seq": seq},
        actor,
    )
    return True


# Every phase-gated write reads the round row so: built once (its compiled form is reused).
# What a gate judges by, and no more: the whole row carries the criteria, their envelope and
# the participants, read and decoded for nothing at every ballot.
_GATE = (
    select(
        round_.c.id,
        round_.c.phase,
        *(round_.c[name] for name in _schedule_fields()),
        round_.c.minimum_notice,
    )
    .where(round_.c.id == bindparam("g_round_id"))
    .with_for_update(read=True)
)


def gate(
    conn: Connection, round_id: str, window: Window, now: datetime | None = None
) -> RowMapping:
    """Admit a write only inside ``window``, judged at write time; the round's phase, schedule
    and minimum notice.

    The round row is read FOR SHARE: the workflow's close (an UPDATE of the same row) waits
    for every admitted write to commit, so nothing acknowledged before the close is missed by
    what follows it, and nothing after the deadline gets in. SQLite's IMMEDIATE transaction
    gives the same order.
    """
    row = conn.execute(_GATE, {"g_round_id": round_id}).first()
    if row is None:
        raise NotFound(N_("no round with id %(round_id)s"), round_id=round_id)
    now = now or utcnow()
    opens, closes = row._mapping[window.opens], row._mapping[window.closes]
    phase = Phase(row.phase)
    if phase in (Phase.DRAFT, Phase.CANCELLED) or now < opens:
        raise WrongPhase(window.not_open, round_id=round_id, phase=phase.value, opens=iso(opens))
    if now >= closes or is_before(window.closed_phase, phase) or phase == window.closed_phase:
        raise PhaseClosed(window.closed, closes=iso(closes), now=iso(now))
    return row._mapping


def gate_nomination(conn: Connection, round_id: str, now: datetime | None = None) -> RowMapping:
    """The nominations window's gate, closing early enough that each nominee keeps the
    consent minimum before nominations close (``policies.notice``)."""
    now = now or utcnow()
    row = gate(conn, round_id, NOMINATIONS, now)
    notice = notice_of(row)
    last = last_nomination_at(schedule_of(row), notice)
    if now >= last:
        raise PhaseClosed(
            N_(
                "new nominations closed at %(last)s, so that each nominee has %(consent)s to "
                "consent before nominations close at %(close)s; it is now %(now)s"
            ),
            last=iso(last),
            consent=said(notice.consent),
            close=iso(row["nominations_close_at"]),
            now=iso(now),
        )
    return row


@dataclass(frozen=True)
class Window:
    name: str
    opens: str
    closes: str
    closed_phase: Phase
    not_open: Message  # the refusal before it opens, with round_id, phase and opens
    closed: Message  # the refusal once it has closed, with closes and now


NOMINATIONS = Window(
    "nominations",
    "nominations_open_at",
    "nominations_close_at",
    Phase.NOMINATIONS_CLOSED,
    N_("nominations are not open: round %(round_id)s is %(phase)s, nominations open at %(opens)s"),
    N_("nominations closed at %(closes)s; it is now %(now)s"),
)
VOTING = Window(
    "voting",
    "voting_open_at",
    "voting_close_at",
    Phase.VOTING_CLOSED,
    N_("voting is not open: round %(round_id)s is %(phase)s, voting open at %(opens)s"),
    N_("voting closed at %(closes)s; it is now %(now)s"),
)
