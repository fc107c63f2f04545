"""Commit-reveal: who contributes to the seed, and who is named and left out."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.lot import lot_seed
from policies.randomness import (
    LATE,
    MISMATCHED,
    NOT_REVEALED,
    REVEALED,
    BeaconValue,
    Commitment,
    InvalidSecret,
    Reveal,
    commitment_for,
    settle,
)

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
