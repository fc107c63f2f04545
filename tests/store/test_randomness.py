"""The lot's inputs are fixed before anyone could know the seed (mandate.lot/2), on SQLite and
PostgreSQL: reveals only after the close and no ballot after it, commitments only where the
rules name commit-reveal, and a beacon value recorded only for the round the schedule gives,
only once it verifies against the pinned key. The bundles verify offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from policies.errors import Conflict, DomainError, PhaseClosed, WrongPhase
from policies.phases import Phase
from policies.randomness import BeaconInvalid, BeaconWrongRound
from policies.rules import InvalidRules
from policies.schedule import Deadline
from records.bundle import verify_bundle
from store import audit, bundles, log, outcomes, randomness, rounds
from store import rules as rules_store
from store.db import Database
from store.randomness import SECRETARIAT_PARTY
from tests.keys import ORIGIN
from tests.lot_rounds import BEACON, HOUR, HandRound, beacon_value, close_for_round, hand_round

WINDOW = 600


def _code(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


def _count(db: Database, r: HandRound) -> dict[str, Any]:
    """The count as the workflow runs it, then the round's bundle, verified."""
    r.to(Phase.COUNTING)
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.write() as conn:
        assert outcomes.publish_outcomes(conn, r.rid, log.require_checkpoint(conn)) == 1
    r.to(Phase.DECIDED)
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        record: dict[str, Any] = json.loads(outcomes.get(conn, r.rid, r.cid)["record"])
        record["_bundle"] = bundles.export(conn, r.rid)
    return record


def test_no_ballot_is_admitted_once_a_secret_can_be_revealed(db: Database) -> None:
    close = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    r = hand_round(db, close, {"commit_reveal": {"reveal_window": WINDOW}}, coordinators=2)
    r.commit_all()
    a, b, c = r.nominate(["woman", "man", "man"])
    r.to(Phase.NOMINATIONS_CLOSED)
    with pytest.raises(WrongPhase):  # not while nominations close either
        r.reveal(SECRETARIAT_PARTY, close - 2.5 * HOUR)
    with pytest.raises(PhaseClosed), db.write() as conn:
        randomness.commit(conn, r.rid, r.cid, SECRETARIAT_PARTY, "0" * 64, "t", close - HOUR)
    r.to(Phase.VOTING_OPEN)
    # A tie between a and b that the lot breaks; the last voter could have cast another.
    r.vote(r.members[0], [a])
    r.vote(r.members[1], [b])
    with pytest.raises(WrongPhase, match="reveals open once voting has closed") as early:
        r.reveal(SECRETARIAT_PARTY, close - timedelta(minutes=30))
    assert _code(early) == "wrong_phase"

    r.to(Phase.VOTING_CLOSED)
    # From the close on, no ballot: not even one its sender dates before the deadline.
    with pytest.raises(PhaseClosed) as late:
        r.vote(r.members[2], [c], close - timedelta(seconds=1))
    assert _code(late) == "phase_closed"
    r.reveal(SECRETARIAT_PARTY, close + timedelta(seconds=5))
    with pytest.raises(PhaseClosed):
        r.vote(r.members[2], [c], close - timedelta(seconds=1))
    with pytest.raises(PhaseClosed, match="at the end of the reveal window"):
        r.reveal(r.coordinators[0], close + timedelta(seconds=WINDOW))
    r.reveal(r.coordinators[0], close + timedelta(seconds=WINDOW - 1))
    # The second coordinator never reveals: named and left out.

    record = _count(db, r)
    assert record["lot"] == "mandate.lot/2"
    assert record["ballots_counted"] == 2
    assert record["randomness"]["left_out"] == [r.coordinators[1]]
    assert len(record["randomness"]["contributions"]) == 2
    report = verify_bundle(record["_bundle"])
    assert report.ok, report.problems
    assert any("recount of 2 ballot(s) matches" in line for line in report.checked)


def test_a_reveal_the_operator_logs_before_the_close_is_reported(db: Database) -> None:
    """The verifier holds the operator to the windows: a secret logged during voting (which
    voters could have read before their last ballot) is a problem, even if never counted."""
    close = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    r = hand_round(db, close, {"commit_reveal": {"reveal_window": WINDOW}})
    r.commit_all()
    r.nominate(["woman", "man"])
    r.to(Phase.VOTING_OPEN)
    with db.write() as conn:  # what the store refuses, written behind its back
        audit.append(
            conn,
            audit.round_scope(r.rid),
            "randomness.revealed",
            {
                "constituency_id": r.cid,
                "party": SECRETARIAT_PARTY,
                "secret": r.secrets["secretariat"],
            },
            "operator",
            close - HOUR,
        )
    r.to(Phase.VOTING_CLOSED)
    report = verify_bundle(_count(db, r)["_bundle"])
    assert any("a secret revealed before voting closed" in p for p in report.problems), report


def test_commitments_need_rules_that_name_commit_reveal(db: Database) -> None:
    close = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    r = hand_round(db, close, {})
    with pytest.raises(Conflict, match="name no commit-reveal"), db.write() as conn:
        randomness.commit(conn, r.rid, r.cid, SECRETARIAT_PARTY, "0" * 64, "t", close - 4 * HOUR)
    with db.read() as conn:
        terms = randomness.terms(conn, r.rid, r.cid)
        assert (terms.reveals, terms.beacon, terms.count_at) == (None, None, None)
        assert randomness.count_plan(conn, r.rid) == (None, [])


@pytest.mark.parametrize(
    ("beacon", "message"),
    [
        ({"chain_hash": BEACON["chain_hash"]}, "public_key is required"),
        ({**BEACON, "round": 1000}, "cannot be chosen"),
        ({**BEACON, "chain_hash": "ab" * 32}, "is not supported"),
    ],
)
def test_rules_with_an_unpinned_or_chosen_beacon_are_refused(
    db: Database, beacon: dict[str, Any], message: str
) -> None:
    close = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    r = hand_round(db, close, {}, publish=False)
    with db.write() as conn, pytest.raises(InvalidRules, match=message):
        rules_store.publish_rules(conn, r.rid, r.cid, {"beacon": beacon}, "t")


def test_the_beacon_round_follows_the_schedule_and_is_verified_before_it_is_recorded(
    db: Database,
) -> None:
    # Voting closes so that the beacon round is quicknet's 1000; then the close moves 3 s.
    close = close_for_round(1000, WINDOW)
    r = hand_round(
        db,
        close,
        {"method": "lottery.uniform", "beacon": BEACON, "commit_reveal": {"reveal_window": WINDOW}},
    )
    with db.read() as conn:
        assert randomness.beacon_due_for(conn, r.rid, r.cid).round == 1000
    with db.write() as conn:
        rounds.record_extension(
            conn, r.rid, Deadline.VOTING_CLOSE, close + timedelta(seconds=3), "a late train", "t"
        )
    r.close = close + timedelta(seconds=3)
    with db.read() as conn:
        due = randomness.beacon_due_for(conn, r.rid, r.cid)
        scheduled = [
            json.loads(e.statement)["data"]
            for e in audit.entries(conn, audit.round_scope(r.rid))
            if e.type == "beacon.scheduled"
        ]
    assert due.round == 1001
    assert [s["round"] for s in scheduled] == [1000, 1001]  # at publication, and when it moved
    assert scheduled[1]["reveals_close_at"] == "2023-08-23T15:58:27Z"

    r.commit_all()
    r.nominate(["woman", "man", "woman"])
    r.to(Phase.VOTING_OPEN)
    value = beacon_value(1001)
    verified = randomness.verify_beacon_value(due, **value)
    with db.write() as conn, pytest.raises(WrongPhase, match="recorded after voting closed"):
        randomness.record_beacon(conn, r.rid, r.cid, verified, "t")
    # The round the schedule named before the extension, and any other, are refused.
    for other in (1000, 1002):
        with pytest.raises(BeaconWrongRound, match="waits for round 1001") as wrong:
            randomness.verify_beacon_value(due, **beacon_value(other))
        assert _code(wrong) == "beacon_wrong_round"
    forged = [
        {**value, "signature": _flipped(value["signature"])},
        {**value, "randomness": "0" * 64},
        {**value, "signature": value["signature"][:-2]},
        {**value, "randomness": value["randomness"].upper()},
    ]
    for bad in forged:
        with pytest.raises(BeaconInvalid) as invalid:
            randomness.verify_beacon_value(due, **bad)
        assert _code(invalid) == "beacon_invalid"

    r.to(Phase.VOTING_CLOSED)
    r.reveal(SECRETARIAT_PARTY)
    with db.write() as conn:
        randomness.record_beacon(conn, r.rid, r.cid, verified, "t")
    with db.write() as conn, pytest.raises(Conflict, match="already recorded"):
        randomness.record_beacon(conn, r.rid, r.cid, verified, "t")
    with db.read() as conn:
        assert randomness.beacon_wanted(conn, r.rid, r.cid) is None
        count_at, beacons = randomness.count_plan(conn, r.rid)
    assert (count_at, beacons) == (due.at, [r.cid])

    record = _count(db, r)
    assert record["randomness"]["beacon"]["round"] == 1001
    assert record["randomness"]["contributions"][-1].startswith(
        f"drand:{BEACON['chain_hash']}:1001:"
    )
    report = verify_bundle(record["_bundle"])
    assert report.ok, report.problems
    assert any("beacon round 1001 verifies" in line for line in report.checked)


def _flipped(signature: str) -> str:
    """The signature with one bit flipped: no longer the network's."""
    raw = bytearray(bytes.fromhex(signature))
    raw[20] ^= 0x01
    return raw.hex()
