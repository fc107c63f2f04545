"""Selection rounds: drafts, publication, and the mirror of the workflow's phases."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from policies.errors import Conflict, InvalidSchedule, NotFound, SignatureError, WrongPhase
from policies.notice import NO_MINIMUM
from policies.phases import Phase
from policies.rules import SelectionRules
from policies.schedule import Deadline
from policies.times import iso
from records import dsse
from records.canonical import parse_canonical, sha256_hex
from records.chain import verify_chain
from records.keys import generate_signer
from store import audit, registry, rounds
from store import rules as rules_store
from store.audit import LoggedEntry
from store.db import Database
from tests.keys import RECORDS

ACTOR = "test-secretariat"
DAY = timedelta(days=1)
# _draft publishes empty rules for each of its two constituencies.
RULES = ["rules.published", "rules.published"]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _schedule(start: datetime) -> dict[str, datetime]:
    return {
        "nominations_open_at": start,
        "nominations_close_at": start + 7 * DAY,
        "voting_open_at": start + 9 * DAY,
        "voting_close_at": start + 14 * DAY,
    }


def _constituency(conn: Connection) -> str:
    row = registry.create_constituency(conn, f"Farmers {uuid.uuid4()}", "small farmers", ACTOR)
    return str(row["id"])


def _frame(conn: Connection, start: datetime | None = None) -> dict[str, Any]:
    return {
        "title": f"Panel {uuid.uuid4()}",
        "segments": [{"id": "plenary", "label": "Plenary"}],
        "participants": [
            {"constituency_id": _constituency(conn), "seats": 2},
            {"constituency_id": _constituency(conn), "seats": 1},
        ],
        "schedule": _schedule(start or _now() + DAY),
    }


def _draft(db: Database, start: datetime | None = None, *, with_rules: bool = True) -> str:
    with db.write() as conn:
        row = rounds.create_draft(conn, _frame(conn, start), ACTOR)
        if with_rules:
            for p in row["participants"]:
                rules_store.publish_rules(conn, row["id"], p["constituency_id"], {}, ACTOR)
        return str(row["id"])


def test_publish_needs_every_constituencys_rules(db: Database) -> None:
    rid = _draft(db, with_rules=False)
    needs = "every participating constituency must publish its rules"
    with pytest.raises(Conflict, match=needs), db.write() as conn:
        rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
    with db.write() as conn:
        first = rounds.get(conn, rid)["participants"][0]["constituency_id"]
        rules_store.publish_rules(conn, rid, first, {"alternates": 1}, ACTOR)
    with pytest.raises(Conflict, match="missing: "), db.write() as conn:
        rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)


def _published(db: Database) -> str:
    rid = _draft(db)
    with db.write() as conn:
        rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
    return rid


def _log(conn: Connection, rid: str) -> list[LoggedEntry]:
    logged = audit.entries(conn, audit.round_scope(rid))
    verify_chain(audit.as_chain(logged))
    return logged


def _row(db: Database, rid: str) -> Any:
    with db.read() as conn:
        return rounds.get(conn, rid)


def test_create_draft(db: Database) -> None:
    with db.write() as conn:
        frame = _frame(conn)
        row = rounds.create_draft(conn, frame, ACTOR)
        logged = _log(conn, row["id"])
    assert row["phase"] == "draft"
    assert row["phase_seq"] == 0
    assert row["title"] == frame["title"]
    assert row["participants"] == frame["participants"]
    assert row["segments"] == frame["segments"]
    assert {k: row[k] for k in frame["schedule"]} == frame["schedule"]
    assert row["criteria"] is None
    assert row["published_at"] is None
    assert [e.type for e in logged] == ["round.drafted"]


def test_create_draft_with_unknown_constituency(db: Database) -> None:
    with db.write() as conn:
        frame = _frame(conn)
    frame["participants"].append({"constituency_id": str(uuid.uuid4()), "seats": 1})
    with db.write() as conn, pytest.raises(NotFound, match="no constituency"):
        rounds.create_draft(conn, frame, ACTOR)


def test_create_draft_refuses_out_of_order_schedule(db: Database) -> None:
    with db.write() as conn:
        frame = _frame(conn)
    frame["schedule"]["voting_close_at"] = frame["schedule"]["voting_open_at"]
    with db.write() as conn, pytest.raises(InvalidSchedule, match="voting must close after"):
        rounds.create_draft(conn, frame, ACTOR)


def test_update_draft_merges_partial_schedule(db: Database) -> None:
    rid = _draft(db)
    before = _row(db, rid)
    new_close = before["voting_close_at"] + 2 * DAY
    with db.write() as conn:
        row = rounds.update_draft(
            conn, rid, {"title": "Renamed", "schedule": {"voting_close_at": new_close}}, ACTOR
        )
        logged = _log(conn, rid)
    assert row["title"] == "Renamed"
    assert row["voting_close_at"] == new_close
    for field in ("nominations_open_at", "nominations_close_at", "voting_open_at"):
        assert row[field] == before[field], field
    assert row["participants"] == before["participants"]
    assert row["phase"] == "draft"
    assert [e.type for e in logged] == ["round.drafted", *RULES, "round.edited"]
    assert json.loads(logged[-1].statement)["data"] == {"fields": ["schedule", "title"]}


def test_update_draft_refuses_out_of_order_result(db: Database) -> None:
    rid = _draft(db)
    before = _row(db, rid)
    late = before["voting_open_at"] + timedelta(hours=1)
    with db.write() as conn, pytest.raises(InvalidSchedule) as info:
        rounds.update_draft(conn, rid, {"schedule": {"nominations_close_at": late}}, ACTOR)
    assert "voting must open when nominations close or later" in info.value.detail
    assert _row(db, rid) == before
    with db.read() as conn:
        assert [e.type for e in _log(conn, rid)] == ["round.drafted", *RULES]


def test_publish(db: Database) -> None:
    rid = _draft(db)
    signer = RECORDS
    with db.write() as conn:
        row = rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
        logged = _log(conn, rid)
    assert row["phase"] == "published"
    assert row["phase_seq"] == 1
    assert row["criteria_version"] == 1
    assert row["published_at"] is not None
    assert row["workflow_id"] == rounds.workflow_id_for(rid)

    payload = row["criteria"].encode()
    criteria = parse_canonical(payload)  # refuses anything but RFC 8785 bytes
    assert sha256_hex(payload) == row["criteria_hash"]
    assert isinstance(criteria, dict)
    assert criteria["round_id"] == rid
    assert criteria["version"] == 1
    assert criteria["participants"] == sorted(
        ({**p, "rules": SelectionRules(seats=p["seats"]).to_json()} for p in row["participants"]),
        key=lambda p: str(p["constituency_id"]),
    )
    assert criteria["schedule"]["voting_close_at"] == iso(row["voting_close_at"])

    envelope = dsse.Envelope.from_json(json.loads(row["criteria_envelope"]))
    verified = dsse.verify(
        envelope,
        {signer.key_id: signer.public_key},
        payload_type=dsse.payload_type_for("criteria"),
    )
    assert verified == payload
    other = generate_signer()
    with pytest.raises(SignatureError):
        dsse.verify(envelope, {other.key_id: other.public_key})

    assert [e.type for e in logged] == ["round.drafted", *RULES, "criteria.published"]
    assert json.loads(logged[-1].statement)["data"] == {
        "criteria_hash": row["criteria_hash"],
        "version": 1,
        "key_id": signer.key_id,
    }


def test_publish_twice_is_wrong_phase(db: Database) -> None:
    rid = _published(db)
    before = _row(db, rid)
    with db.write() as conn, pytest.raises(WrongPhase, match="already published"):
        rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
    assert _row(db, rid) == before


def test_publish_after_nominations_closed(db: Database) -> None:
    rid = _draft(db, start=_now() - 8 * DAY)
    with db.write() as conn, pytest.raises(InvalidSchedule, match="already be closed"):
        rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
    row = _row(db, rid)
    assert (row["phase"], row["criteria"], row["criteria_hash"]) == ("draft", None, None)


def test_publish_unknown_round(db: Database) -> None:
    with db.write() as conn, pytest.raises(NotFound):
        rounds.publish(conn, str(uuid.uuid4()), ACTOR, notice=NO_MINIMUM)


def test_editing_after_publish_is_wrong_phase(db: Database) -> None:
    rid = _published(db)
    with db.write() as conn, pytest.raises(WrongPhase, match="only a draft can be edited"):
        rounds.update_draft(conn, rid, {"title": "Too late"}, ACTOR)
    assert _row(db, rid)["title"] != "Too late"


def test_mirror_phase_is_idempotent(db: Database) -> None:
    rid = _published(db)
    at = _now()
    with db.write() as conn:
        assert rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 2, at)
    with db.write() as conn:
        assert not rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 2, at)
    with db.read() as conn:
        row = rounds.get(conn, rid)
        changes = [e for e in _log(conn, rid) if e.type == "phase.changed"]
    assert (row["phase"], row["phase_seq"]) == ("nominations_open", 2)
    assert len(changes) == 1
    assert json.loads(changes[0].statement)["data"] == {
        "phase": "nominations_open",
        "seq": 2,
        "scheduled_at": iso(at),
    }
    assert json.loads(changes[0].statement)["actor"] == rounds.WORKFLOW_ACTOR


def test_mirror_phase_ignores_stale_seq(db: Database) -> None:
    rid = _published(db)
    at = _now()
    with db.write() as conn:
        assert rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 2, at)
        assert rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_CLOSED, 3, at)
    with db.write() as conn:
        assert not rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 2, at)
        assert not rounds.mirror_phase(conn, rid, Phase.PUBLISHED, 1, at)
    with db.read() as conn:
        row = rounds.get(conn, rid)
        changes = [e for e in _log(conn, rid) if e.type == "phase.changed"]
    assert (row["phase"], row["phase_seq"]) == ("nominations_closed", 3)
    assert len(changes) == 2


def test_mirror_phase_never_overrides_cancellation(db: Database) -> None:
    rid = _published(db)
    with db.write() as conn:
        assert rounds.record_cancellation(conn, rid, "funding withdrawn", ACTOR, 2)
    with db.write() as conn:
        assert not rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 3, _now())
        assert not rounds.mirror_phase(conn, rid, Phase.NOMINATIONS_OPEN, 99, _now())
    with db.read() as conn:
        row = rounds.get(conn, rid)
        assert not [e for e in _log(conn, rid) if e.type == "phase.changed"]
    assert (row["phase"], row["phase_seq"]) == ("cancelled", 2)


def test_mirror_phase_unknown_round(db: Database) -> None:
    with db.write() as conn:
        assert not rounds.mirror_phase(conn, str(uuid.uuid4()), Phase.VOTING_OPEN, 5, _now())


@pytest.mark.parametrize("which", list(Deadline))
def test_record_extension(db: Database, which: Deadline) -> None:
    rid = _published(db)
    column = "nominations_close_at" if which is Deadline.NOMINATIONS_CLOSE else "voting_close_at"
    before = _row(db, rid)
    new_at = before[column] + timedelta(hours=12)
    with db.write() as conn:
        assert rounds.record_extension(conn, rid, which, new_at, "flooding in the region", ACTOR)
    with db.write() as conn:
        assert not rounds.record_extension(conn, rid, which, new_at, "a retry", ACTOR)
    with db.read() as conn:
        row = rounds.get(conn, rid)
        extended = [e for e in _log(conn, rid) if e.type == "deadline.extended"]
    assert row[column] == new_at
    others = {"nominations_close_at", "voting_close_at", "nominations_open_at", "voting_open_at"}
    for field in others - {column}:
        assert row[field] == before[field], field
    assert row["phase"] == "published"
    assert len(extended) == 1
    statement = json.loads(extended[0].statement)
    assert statement["data"] == {
        "deadline": which.value,
        "from": iso(before[column]),
        "to": iso(new_at),
        "reason": "flooding in the region",
    }
    assert statement["actor"] == ACTOR


def test_record_extension_refused_when_terminal(db: Database) -> None:
    rid = _published(db)
    with db.write() as conn:
        rounds.record_cancellation(conn, rid, "called off", ACTOR, 2)
    new_at = _row(db, rid)["voting_close_at"] + DAY
    with db.write() as conn, pytest.raises(WrongPhase, match="deadlines are final"):
        rounds.record_extension(conn, rid, Deadline.VOTING_CLOSE, new_at, "late", ACTOR)


def test_record_cancellation(db: Database) -> None:
    rid = _published(db)
    with db.write() as conn:
        assert rounds.record_cancellation(conn, rid, "funding withdrawn", ACTOR, 2)
    with db.write() as conn:
        assert not rounds.record_cancellation(conn, rid, "again", ACTOR, 3)
    with db.read() as conn:
        row = rounds.get(conn, rid)
        cancelled = [e for e in _log(conn, rid) if e.type == "round.cancelled"]
    assert (row["phase"], row["phase_seq"], row["cancel_reason"]) == (
        "cancelled",
        2,
        "funding withdrawn",
    )
    assert len(cancelled) == 1
    assert json.loads(cancelled[0].statement)["data"] == {
        "reason": "funding withdrawn",
        "previous_phase": "published",
        "seq": 2,
    }


def test_decided_round_cannot_be_cancelled(db: Database) -> None:
    rid = _published(db)
    with db.write() as conn:
        assert rounds.mirror_phase(conn, rid, Phase.DECIDED, 8, _now())
    with db.write() as conn, pytest.raises(WrongPhase, match="can no longer be cancelled"):
        rounds.record_cancellation(conn, rid, "too late", ACTOR, 9)
    assert _row(db, rid)["phase"] == "decided"


def test_list_unfinished(db: Database) -> None:
    draft = _draft(db)
    published = _published(db)
    voting = _published(db)
    cancelled = _published(db)
    decided = _published(db)
    with db.write() as conn:
        rounds.mirror_phase(conn, voting, Phase.VOTING_OPEN, 4, _now())
        rounds.record_cancellation(conn, cancelled, "called off", ACTOR, 2)
        rounds.mirror_phase(conn, decided, Phase.DECIDED, 8, _now())
    with db.read() as conn:
        unfinished = {r["id"] for r in rounds.list_unfinished(conn)}
        listed = {r["id"] for r in rounds.list_rounds(conn, include_drafts=False)}
        all_rounds = {r["id"] for r in rounds.list_rounds(conn, include_drafts=True)}
    assert {published, voting} <= unfinished
    assert not {draft, cancelled, decided} & unfinished
    assert draft not in listed
    assert {published, voting, cancelled, decided} <= listed
    assert draft in all_rounds
