"""Seat acceptance and substitution in the store, on both backends: a decline and a silent seat
each pass to the right alternate with "at least one woman" still met (an alternate who would
break it is skipped), the deadline is enforced at write time, and the amended outcome verifies
offline."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from i18n.catalogs import Catalogs
from mandate.cli import main
from policies.errors import Conflict, Forbidden, NotFound, PhaseClosed
from records import dsse
from records.bundle import verify_bundle
from records.canonical import canonical_json
from records.merkle import leaf_hash
from store import bundles, log, round_notices, seats
from store.db import Database, utcnow
from store.tables import log_entry, mail_outbox
from tests.keys import ORIGIN
from tests.seats_support import DecidedRound, decided_round
from tests.workflows.support import SIGNER

WINDOW = timedelta(days=3)  # the default: these rounds publish no acceptance notice
LATER = utcnow() + timedelta(days=365)  # after every notice of these tests is due


def _open(r: DecidedRound) -> None:
    with r.db.write() as conn:
        deadline = seats.open_seats(conn, r.rid, r.close + timedelta(minutes=1))
    assert deadline == r.close + timedelta(minutes=1) + WINDOW


def _answer(r: DecidedRound, name: str, accept: bool, after: timedelta) -> None:
    with r.db.write() as conn:
        seats.answer(conn, r.ids[name], r.tokens[name], accept, r.close + after)


def _lapse(r: DecidedRound, after: timedelta) -> None:
    with r.db.write() as conn:
        seats.lapse_due(conn, r.rid, r.close + after)


def _entries(r: DecidedRound, kind: str) -> list[dict[str, Any]]:
    with r.db.read() as conn:
        rows = conn.execute(
            log_entry.select()
            .where(log_entry.c.scope == f"round:{r.rid}", log_entry.c.type == kind)
            .order_by(log_entry.c.seq)
        )
        return [json.loads(row.statement)["data"] for row in rows]


def _verified(r: DecidedRound, folder: Path) -> list[str]:
    """The round's bundle verifies, and ``mandate verify`` says so too."""
    with r.db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with r.db.read() as conn:
        bundle = bundles.export(conn, r.rid)
    # The criteria name the substitution method the amendments are recomputed by.
    assert '"substitution":"seats.next_alternate/1"' in bundle["criteria"]["canonical"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    path = folder / "bundle.json"
    path.write_text(json.dumps(bundle))
    assert main(["verify", str(path)]) == 0
    return report.checked


def test_a_decline_skips_an_alternate_who_would_break_a_constraint(
    db: Database, tmp_path: Path
) -> None:
    r = decided_round(db)
    assert [r.name(w) for w in r.winners] == ["Amir", "Bea"]
    assert [r.name(a) for a in r.alternates] == ["Cyril", "Emil", "Dora"]
    _open(r)
    with db.read() as conn:
        assert not seats.is_confirmed(conn, r.rid, r.cid)
        assert seats.seat_holders(conn, r.rid, r.cid) == []
    # Bea, the only woman, declines: Cyril and Emil would leave no woman; Dora takes seat 2.
    _answer(r, "Bea", False, timedelta(hours=1))
    [amended] = _entries(r, "outcome.amended")
    assert amended["seat"] == 2
    assert amended["reason"] == "declined"
    assert amended["successor"] == r.ids["Dora"]
    assert amended["skipped"] == [r.ids["Cyril"], r.ids["Emil"]]
    with db.read() as conn:
        outcome_hash = seats.state(conn, r.rid, r.cid)
    assert amended["previous"] == _entries(r, "outcome.published")[0]["outcome_hash"]
    assert outcome_hash is not None
    assert outcome_hash["head_hash"] == seats.amendment_hash(amended)
    # Dora has her own window, from her offer; Amir says nothing and lapses at his deadline:
    # Cyril, skipped before, now keeps the constraint (Dora holds seat 2) and takes seat 1.
    _answer(r, "Dora", True, WINDOW + timedelta(minutes=30))  # after Amir's deadline, in hers
    _lapse(r, WINDOW + timedelta(hours=1))
    first, second = _entries(r, "outcome.amended")
    assert second["reason"] == "lapsed"
    assert second["vacated"] == r.ids["Amir"]
    assert second["successor"] == r.ids["Cyril"]
    assert second["skipped"] == []
    assert second["previous"] == seats.amendment_hash(first)
    assert second["seats"] == [r.ids["Cyril"], r.ids["Dora"]]
    _answer(r, "Cyril", True, WINDOW + timedelta(hours=2))
    with db.read() as conn:
        assert seats.is_confirmed(conn, r.rid, r.cid)
        holders = seats.seat_holders(conn, r.rid, r.cid)
    assert [(h.seat, r.name(h.nomination_id)) for h in holders] == [(1, "Cyril"), (2, "Dora")]
    [confirmed] = _entries(r, "seats.confirmed")
    assert confirmed["seats"] == [r.ids["Cyril"], r.ids["Dora"]]
    assert confirmed["empty"] == 0
    checked = _verified(r, tmp_path)
    assert any("2 amendment(s)" in line for line in checked), checked


def test_a_silent_seat_passes_on_and_the_deadline_is_enforced_at_write_time(
    db: Database, tmp_path: Path
) -> None:
    r = decided_round(db)
    _open(r)
    _answer(r, "Bea", True, timedelta(hours=1))
    with pytest.raises(Conflict):  # answered already
        _answer(r, "Bea", False, timedelta(hours=2))
    with pytest.raises(PhaseClosed):  # Amir is too late, even before the workflow lapses him
        _answer(r, "Amir", True, WINDOW + timedelta(minutes=2))
    with pytest.raises(Forbidden), db.write() as conn:
        seats.answer(conn, r.ids["Amir"], r.tokens["Bea"], True, r.close)
    with pytest.raises(NotFound):  # Emil was never offered a seat
        _answer(r, "Emil", True, timedelta(hours=1))
    _lapse(r, WINDOW + timedelta(minutes=2))
    # Amir's seat goes to Cyril, who declines; Emil, next, lets it lapse; then Dora.
    _answer(r, "Cyril", False, WINDOW + timedelta(hours=1))
    _lapse(r, WINDOW * 3)
    _answer(r, "Dora", True, WINDOW * 3 + timedelta(hours=1))
    amended = _entries(r, "outcome.amended")
    assert [(a["reason"], r.name(a["vacated"]), r.name(a["successor"])) for a in amended] == [
        ("lapsed", "Amir", "Cyril"),
        ("declined", "Cyril", "Emil"),
        ("lapsed", "Emil", "Dora"),
    ]
    with db.write() as conn:
        # The requests are put into words and handed to the mail outbox when they are due.
        round_notices.release_due(conn, Catalogs.load(), "https://mandate.test", LATER)
    with db.read() as conn:
        assert seats.is_confirmed(conn, r.rid, r.cid)
        holders = seats.seat_holders(conn, r.rid, r.cid)
        mail = conn.execute(
            mail_outbox.select().where(mail_outbox.c.purpose == "round.seat_acceptance")
        ).all()
    assert [(h.seat, r.name(h.nomination_id)) for h in holders] == [(1, "Dora"), (2, "Bea")]
    asked = {m.dedup_key.split(":")[2] for m in mail}
    assert all(m.subject.endswith("please accept your seat") for m in mail)
    assert {r.ids[n] for n in ("Amir", "Bea", "Cyril", "Emil", "Dora")} <= asked
    _verified(r, tmp_path)


def test_a_seat_no_alternate_can_take_is_stated_empty(db: Database, tmp_path: Path) -> None:
    r = decided_round(db)
    _open(r)
    _answer(r, "Amir", True, timedelta(hours=1))
    _answer(r, "Bea", False, timedelta(hours=1))
    _answer(r, "Dora", False, timedelta(hours=2))  # the last woman
    with db.read() as conn:
        assert seats.is_confirmed(conn, r.rid, r.cid)
        view = seats.seats_of(conn, r.rid, r.cid)
    assert [(v.seat, v.status) for v in view] == [(1, "accepted"), (2, "empty")]
    last = _entries(r, "outcome.amended")[-1]
    assert last["successor"] is None
    assert last["skipped"] == [r.ids["Cyril"], r.ids["Emil"]]
    [confirmed] = _entries(r, "seats.confirmed")
    assert confirmed["seats"] == [r.ids["Amir"], None]
    assert confirmed["empty"] == 1
    _verified(r, tmp_path)


def _payload(entry: dict[str, object]) -> dict[str, object]:
    envelope = json.loads(str(entry["envelope"]))
    found: dict[str, object] = json.loads(base64.b64decode(envelope["payload"]))
    return found


def _decline_bea(r: DecidedRound) -> None:
    _open(r)
    _answer(r, "Amir", True, timedelta(hours=1))
    _answer(r, "Bea", False, timedelta(hours=1))
    _answer(r, "Dora", True, timedelta(hours=2))


def test_an_altered_amendment_is_reported_with_its_entry(db: Database, tmp_path: Path) -> None:
    r = decided_round(db)
    _decline_bea(r)
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        bundle = bundles.export(conn, r.rid)
    assert verify_bundle(bundle).ok
    [entry] = [e for e in bundle["entries"] if _payload(e).get("type") == "outcome.amended"]
    envelope = json.loads(entry["envelope"])
    payload = base64.b64decode(envelope["payload"]).replace(b'"seat":2', b'"seat":1', 1)
    envelope["payload"] = base64.b64encode(payload).decode()
    entry["envelope"] = json.dumps(envelope, separators=(",", ":"))
    report = verify_bundle(bundle)
    assert not report.ok
    assert any(p.startswith(f"entry {entry['index']}") for p in report.problems), report.problems


def test_a_signed_amendment_that_passes_over_the_rightful_alternate_is_refused(
    db: Database, tmp_path: Path
) -> None:
    """The operator, holding the records key, logs that Bea's seat went to Cyril (a man: no
    woman left): the signature holds, the recomputed substitution does not."""
    r = decided_round(db)
    _open(r)
    _answer(r, "Bea", False, timedelta(hours=1))
    with db.write() as conn:
        row = conn.execute(
            log_entry.select().where(
                log_entry.c.scope == f"round:{r.rid}", log_entry.c.type == "outcome.amended"
            )
        ).one()
        statement = json.loads(row.statement)
        statement["data"].update(
            successor=r.ids["Cyril"], skipped=[], seats=[r.ids["Amir"], r.ids["Cyril"]]
        )
        payload = canonical_json(statement)
        envelope = dsse.sign(SIGNER, dsse.payload_type_for("outcome.amended"), payload)
        forged = envelope.to_bytes()
        conn.execute(
            update(log_entry)
            .where(log_entry.c.id == row.id)
            .values(
                statement=payload.decode(),
                envelope=forged.decode(),
                leaf_hash=leaf_hash(forged).hex(),
            )
        )
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        bundle = bundles.export(conn, r.rid)
    report = verify_bundle(bundle)
    assert not report.ok
    assert any(
        "the published alternates and constraints give" in p and r.ids["Dora"] in p
        for p in report.problems
    ), report.problems
