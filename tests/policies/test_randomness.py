"""Commit-reveal: who contributes to the seed, and who is named and left out."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.beacon import MARGIN, QUICKNET, beacon_due
from policies.errors import InvalidInput
from policies.lot import LOT_DOMAIN, LOT_DOMAIN_V1, lot_seed
from policies.randomness import (
    LATE,
    MISMATCHED,
    NOT_REVEALED,
    REVEALED,
    BeaconValue,
    Commitment,
    InvalidSecret,
    Reveal,
    check_new_randomness_rules,
    commitment_for,
    randomness_terms,
    settle,
)
from policies.rules import Beacon, CommitReveal, InvalidRules, SelectionRules

S1, S2, S3 = "a1" * 32, "b2" * 32, "c3" * 32


def test_commitment_is_bound_to_the_party() -> None:
    text = f"mandate.commit/1\nsecretariat\n{S1}"
    assert commitment_for("secretariat", S1) == hashlib.sha256(text.encode()).hexdigest()
    assert commitment_for("secretariat", S1) != commitment_for("coord-1", S1)
    for bad in ("", "A1" * 32, "a1" * 31, "zz" * 32):
        with pytest.raises(InvalidSecret):
            commitment_for("secretariat", bad)


def test_every_party_revealed() -> None:
    got = settle(
        [
            Commitment("k2", commitment_for("k2", S2), True),
            Commitment("sec", commitment_for("sec", S1), True),
        ],
        [Reveal("sec", S1), Reveal("k2", S2)],
    )
    assert [p.status for p in got.parties] == [REVEALED, REVEALED]
    # contributions in the order of the party ids, whatever the order of the log
    assert got.contributions == [f"k2:{S2}", f"sec:{S1}"]
    assert got.left_out == []


def test_missing_reveal_mismatched_reveal_and_late_commitment_are_named_and_left_out() -> None:
    got = settle(
        [
            Commitment("sec", commitment_for("sec", S1), True),
            Commitment("k1", commitment_for("k1", S2), True),
            Commitment("k2", commitment_for("k2", S3), True),
            Commitment("k3", commitment_for("k3", S3), False),  # after nominations closed
        ],
        [
            Reveal("sec", S1),
            Reveal("k2", S1),  # not the secret k2 committed to
            Reveal("k3", S3),  # revealed, but its commitment was late
        ],
    )
    status = {p.party: p.status for p in got.parties}
    assert status == {"sec": REVEALED, "k1": NOT_REVEALED, "k2": MISMATCHED, "k3": LATE}
    assert got.contributions == [f"sec:{S1}"]
    assert got.left_out == ["k1", "k2", "k3"]
    record = got.to_json()
    assert record["left_out"] == ["k1", "k2", "k3"]
    assert [p["status"] for p in record["parties"]] == [NOT_REVEALED, MISMATCHED, LATE, REVEALED]
    assert {p["party"]: p["secret"] for p in record["parties"]}["k2"] is None


def test_the_last_on_time_commitment_counts() -> None:
    got = settle(
        [
            Commitment("sec", commitment_for("sec", S1), True),
            Commitment("sec", commitment_for("sec", S2), True),
            Commitment("sec", commitment_for("sec", S3), False),  # late: ignored
        ],
        [Reveal("sec", S1), Reveal("sec", S2)],
    )
    assert got.contributions == [f"sec:{S2}"]


def test_the_beacon_comes_last_and_a_missing_one_is_recorded() -> None:
    beacon = BeaconValue("ab" * 32, 1000, "cd" * 32, "ef" * 48)
    got = settle([Commitment("sec", commitment_for("sec", S1), True)], [Reveal("sec", S1)], beacon)
    assert got.contributions == [f"sec:{S1}", f"drand:{'ab' * 32}:1000:{'cd' * 32}"]
    assert got.to_json()["beacon"]["round"] == 1000
    missing = settle([], [], None, beacon_named=True)
    assert not missing.is_empty()
    assert missing.to_json()["beacon"] is None
    assert settle([], []).is_empty()


@given(
    st.permutations(["sec", "k1", "k2", "k3"]), st.sets(st.sampled_from(["sec", "k1", "k2", "k3"]))
)
def test_the_seed_does_not_depend_on_the_log_order(order: list[str], revealing: set[str]) -> None:
    secret = {p: hashlib.sha256(p.encode()).hexdigest() for p in order}
    commitments = [Commitment(p, commitment_for(p, secret[p]), True) for p in order]
    reveals = [Reveal(p, secret[p]) for p in reversed(order) if p in revealing]
    got = settle(commitments, reveals)
    assert got.contributions == [f"{p}:{secret[p]}" for p in sorted(revealing)]
    assert got.left_out == sorted(set(order) - revealing)
    seed = lot_seed("c" * 64, "b" * 64, got.contributions)
    again = settle(
        sorted(commitments, key=lambda c: c.party), sorted(reveals, key=lambda r: r.party)
    )
    assert lot_seed("c" * 64, "b" * 64, again.contributions) == seed


# ---------------------------------------------------------------------------------------------
# When randomness is written, and which beacon round the count waits for


def _at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


# quicknet round 1000 is published at genesis + 999 periods (drand's TimeOfRound).
ROUND_1000_AT = 1692803367 + 999 * 3
BEACON = Beacon(QUICKNET.chain_hash, None, QUICKNET.public_key)


def test_quicknet_round_times() -> None:
    assert QUICKNET.round_time(1) == _at(1692803367)
    assert QUICKNET.round_time(1000) == _at(ROUND_1000_AT)
    assert QUICKNET.first_round_at_or_after(_at(ROUND_1000_AT)) == 1000
    assert QUICKNET.first_round_at_or_after(_at(ROUND_1000_AT) - timedelta(seconds=2)) == 1000
    assert QUICKNET.first_round_at_or_after(_at(ROUND_1000_AT) + timedelta(microseconds=1)) == 1001
    assert QUICKNET.first_round_at_or_after(_at(0)) == 1  # before genesis: the first round
    with pytest.raises(InvalidInput, match="time zone"):
        QUICKNET.first_round_at_or_after(datetime(2030, 1, 1))


@given(st.integers(min_value=1692803367, max_value=4102444800), st.integers(0, 999_999))
def test_the_derived_round_is_the_first_published_a_margin_after_the_last_act(
    unix: int, micros: int
) -> None:
    last_act = _at(unix) + timedelta(microseconds=micros)
    due = beacon_due(QUICKNET, last_act)
    assert due.at == QUICKNET.round_time(due.round)
    assert due.at is not None
    assert due.at >= last_act + MARGIN
    assert QUICKNET.round_time(due.round - 1) < last_act + MARGIN


def test_terms_under_lot_2_with_commit_reveal_and_a_beacon() -> None:
    rules = SelectionRules(seats=1, beacon=BEACON, commit_reveal=CommitReveal(600))
    nominations_close, voting_close = _at(ROUND_1000_AT - 9000), _at(ROUND_1000_AT - 660)
    terms = randomness_terms(rules, LOT_DOMAIN, nominations_close, voting_close)
    assert terms.commitments_close_at == nominations_close
    # Reveals only after the close: no ballot can be cast knowing a secret.
    assert terms.reveals == (voting_close, voting_close + timedelta(seconds=600))
    assert terms.beacon is not None
    assert (terms.beacon.round, terms.beacon.at) == (1000, _at(ROUND_1000_AT))
    assert terms.beacon.public_key == QUICKNET.public_key
    assert terms.count_at == _at(ROUND_1000_AT)
    # One second later the reveals end a second later, and round 1000 would come too soon.
    later = randomness_terms(
        rules, LOT_DOMAIN, nominations_close, voting_close + timedelta(seconds=1)
    )
    assert later.beacon is not None
    assert later.beacon.round == 1001


def test_terms_under_lot_2_without_commit_reveal_or_beacon() -> None:
    close = _at(ROUND_1000_AT - 60)
    beacon_only = randomness_terms(
        SelectionRules(seats=1, beacon=BEACON), LOT_DOMAIN, close - timedelta(days=1), close
    )
    assert beacon_only.reveals is None
    assert beacon_only.beacon is not None
    assert beacon_only.beacon.round == 1000
    reveals_only = randomness_terms(
        SelectionRules(seats=1, commit_reveal=CommitReveal(30)), LOT_DOMAIN, close, close
    )
    assert reveals_only.beacon is None
    assert reveals_only.count_at == close + timedelta(seconds=30)
    # Neither: the seed is fixed at the close, and the count does not wait.
    neither = randomness_terms(SelectionRules(seats=1), LOT_DOMAIN, close, close)
    assert (neither.reveals, neither.beacon, neither.count_at) == (None, None, None)


def test_terms_of_rounds_published_under_lot_1() -> None:
    """Reveals were taken during voting and the rules named the round: kept for old records."""
    rules = SelectionRules(seats=1, beacon=Beacon(QUICKNET.chain_hash, 1003, None))
    nominations_close, voting_close = _at(ROUND_1000_AT), _at(ROUND_1000_AT + 3600)
    terms = randomness_terms(rules, LOT_DOMAIN_V1, nominations_close, voting_close)
    assert terms.reveals == (nominations_close, voting_close)
    assert terms.beacon is not None
    assert (terms.beacon.round, terms.beacon.public_key) == (1003, None)
    assert terms.count_at is None  # they counted at the close
    with pytest.raises(InvalidInput, match="unknown lot domain"):
        randomness_terms(rules, "mandate.lot/9", nominations_close, voting_close)


@pytest.mark.parametrize(
    ("beacon", "message"),
    [
        (Beacon(QUICKNET.chain_hash, 1000, QUICKNET.public_key), "cannot be chosen"),
        (Beacon(QUICKNET.chain_hash, None, None), "public_key is required"),
        (Beacon(QUICKNET.chain_hash, None, "8" + "f" * 191), "is not the key of drand quicknet"),
        (Beacon("ab" * 32, None, QUICKNET.public_key), "is not supported; supported: drand"),
    ],
)
def test_new_rules_pin_quicknet_and_name_no_round(beacon: Beacon, message: str) -> None:
    with pytest.raises(InvalidRules, match=message):
        check_new_randomness_rules(SelectionRules(seats=1, beacon=beacon))
    check_new_randomness_rules(SelectionRules(seats=1, beacon=BEACON))
    check_new_randomness_rules(SelectionRules(seats=1))


def test_rules_json_keeps_the_shape_of_older_rules() -> None:
    old = {"chain_hash": QUICKNET.chain_hash, "round": 1000, "public_key": None}
    rules = SelectionRules.from_json({"seats": 1, "beacon": old})
    assert rules.beacon == Beacon(QUICKNET.chain_hash, 1000, None)
    assert rules.to_json()["beacon"] == old
    assert "commit_reveal" not in rules.to_json()
    new = SelectionRules.from_json(
        {
            "seats": 1,
            "beacon": {"chain_hash": QUICKNET.chain_hash, "public_key": QUICKNET.public_key},
            "commit_reveal": {"reveal_window": 90},
        }
    )
    assert new.to_json()["beacon"] == {
        "chain_hash": QUICKNET.chain_hash,
        "public_key": QUICKNET.public_key,
    }
    assert new.to_json()["commit_reveal"] == {"reveal_window": 90}
    default = SelectionRules.from_json({"seats": 1, "commit_reveal": {}})
    assert default.commit_reveal == CommitReveal(600)
