"""Sealed ballots in a round bundle (format 3): while voting is open the log holds commitments
only; the openings at the close are checked against them before the recount.

Bundles here are built by the records primitives alone (``bundle_factory``), so an operator who
signs a wrong opening with its own valid key is what the verifier must catch.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from records.ballot_seal import ballot_commitment, new_salt, opening, opening_parts
from records.bundle import BUNDLE_FORMAT, verify_bundle
from records.sealed_ballots import SealedBallots
from tests.records.bundle_factory import Built, decided_round


def _statements(built: Built, kind: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for e in built.bundle["entries"]:
        statement = json.loads(base64.b64decode(json.loads(e["envelope"])["payload"]))
        if statement["type"] == kind:
            out.append((e["index"], statement))
    return out


@pytest.mark.parametrize("secrecy", ["open", "secret"])
def test_a_sealed_round_verifies_and_recounts_from_its_openings(secrecy: str) -> None:
    built = decided_round(sealed=True, secrecy=secrecy)
    report = verify_bundle(built.bundle)
    assert report.ok, report.problems
    assert built.bundle["format"] == BUNDLE_FORMAT
    checked = "\n".join(report.checked)
    assert "outcome 0 (c-africa): recount of 16 ballot(s) matches" in checked
    assert "outcome 1 (c-youth): recount of 8 ballot(s) matches" in checked
    # Nothing logged before the close says what any ballot holds.
    for _, statement in _statements(built, "ballot.cast"):
        assert set(statement["data"]) <= {"constituency_id", "commitment", "voter", "replaces"}
    closed = _statements(built, "phase.changed")
    close_index = next(i for i, s in closed if s["data"]["phase"] == "voting_closed")
    assert all(i > close_index for i, _ in _statements(built, "ballots.opened"))


def test_a_secret_ballot_publishes_no_link_between_a_ballot_and_its_voter() -> None:
    built = decided_round(sealed=True, secrecy="secret")
    for _, statement in _statements(built, "ballot.cast"):
        assert "voter" not in statement["data"]
        assert statement["actor"] is None
    openings = _statements(built, "ballots.opened")
    assert len(openings) == 2
    for _, statement in openings:
        ballots = statement["data"]["ballots"]
        assert all("voter" not in b for b in ballots)
        commitments = [b["commitment"] for b in ballots]
        assert commitments == sorted(commitments)  # an order that says nothing of who or when
        assert len(statement["data"]["voters"]) == len(ballots)
    # The voter who changed their mind: the replacement names only what it replaces.
    assert any("replaces" in s["data"] for _, s in _statements(built, "ballot.cast"))
    outcome_voters = json.dumps(built.bundle["outcomes"])
    assert "v000000" not in outcome_voters


def _tamper_first(cid: str, data: dict[str, Any]) -> dict[str, Any]:
    if cid != "c-africa":
        return data
    first = dict(data["ballots"][0])
    first["approvals"] = ["a3"] if first["approvals"] != ["a3"] else ["a4"]
    return {**data, "ballots": [first, *data["ballots"][1:]]}


@pytest.mark.parametrize("secrecy", ["open", "secret"])
def test_an_opening_that_differs_from_its_commitment_is_named(secrecy: str) -> None:
    # Signed with the operator's own valid key: only the commitment can tell.
    built = decided_round(sealed=True, secrecy=secrecy, opened=_tamper_first)
    report = verify_bundle(built.bundle)
    [(index, _)] = [
        (i, s)
        for i, s in _statements(built, "ballots.opened")
        if s["data"]["constituency_id"] == "c-africa"
    ]
    assert any(
        p.startswith(f"entry {index}: the opening of") and "does not match its commitment" in p
        for p in report.problems
    ), report.problems
    assert any("counted ballot(s) are not opened" in p for p in report.problems)


def test_a_withheld_ballot_and_a_replaced_one_opened_instead_are_named() -> None:
    def swap(cid: str, data: dict[str, Any]) -> dict[str, Any]:
        if cid != "c-africa":
            return data
        # The operator drops a counted ballot and opens, in its place, one that was replaced.
        return {**data, "ballots": data["ballots"][1:]}

    report = verify_bundle(decided_round(sealed=True, opened=swap).bundle)
    assert any("1 counted ballot(s) are not opened" in p for p in report.problems), report.problems
    assert any("recount" in p and "differs" in p for p in report.problems), report.problems


def test_a_secret_opening_that_names_a_voter_or_miscounts_voters_is_named() -> None:
    def leak(cid: str, data: dict[str, Any]) -> dict[str, Any]:
        first = {**data["ballots"][0], "voter": "v000000"}
        return {**data, "ballots": [first, *data["ballots"][1:]], "voters": data["voters"][1:]}

    report = verify_bundle(decided_round(sealed=True, secrecy="secret", opened=leak).bundle)
    assert any("names a voter in a secret ballot" in p for p in report.problems), report.problems
    assert any("the list of who voted" in p for p in report.problems), report.problems


def test_a_wrong_list_of_replaced_ballots_is_named() -> None:
    def hide(cid: str, data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "replaced": []}

    report = verify_bundle(decided_round(sealed=True, opened=hide).bundle)
    assert any("list of replaced ballots differs" in p for p in report.problems), report.problems


def test_ballot_contents_logged_while_voting_is_open_are_a_problem_in_format_3() -> None:
    built = decided_round()  # ballots in clear, as format 2 logged them
    built.bundle["format"] = BUNDLE_FORMAT
    report = verify_bundle(built.bundle)
    assert any("logs a ballot's contents while voting is open" in p for p in report.problems), (
        report.problems
    )


def _parts_of(secrecy: str, size: int) -> tuple[SealedBallots, list[str], list[dict[str, Any]]]:
    """Seven voters of one constituency, the first casting twice, opened in parts of ``size``."""
    problems: list[str] = []
    sealed = SealedBallots(lambda where, what: problems.append(f"{where}: {what}"))
    casts: dict[str, tuple[str, list[str], str]] = {}
    replaced = []
    index = 0
    for n, voter in enumerate(["v0", "v1", "v2", "v3", "v4", "v5", "v6", "v0"]):
        salt = new_salt()
        approvals = [f"c{n % 3}"]
        commitment = ballot_commitment("c", approvals, None, salt)
        data: dict[str, Any] = {"constituency_id": "c", "commitment": commitment}
        if secrecy == "secret" and voter in casts:
            data["replaces"] = casts[voter][0]
        if secrecy == "open":
            data["voter"] = voter
        if voter in casts:
            replaced.append(casts[voter][0])
        sealed.cast(index := index + 1, data)
        casts[voter] = (commitment, approvals, salt)
    parts = opening_parts(
        "c",
        secrecy,
        [
            opening(c, a, None, salt, None if secrecy == "secret" else v)
            for v, (c, a, salt) in sorted(casts.items(), key=lambda kv: kv[1][0])
        ],
        sorted(replaced),
        sorted(casts) if secrecy == "secret" else None,
        size=size,
    )
    return sealed, problems, parts


@pytest.mark.parametrize("secrecy", ["open", "secret"])
def test_an_opening_in_parts_joins_back_into_the_ballots(secrecy: str) -> None:
    sealed, problems, parts = _parts_of(secrecy, size=2)
    assert len(parts) == 4
    for n, part in enumerate(parts):
        sealed.opened(100 + n, part, before_close=False)
    counted = sealed.counted("c", secrecy)
    assert problems == []
    assert counted is not None
    assert len(counted) == 7
    assert {i for i, _ in counted.values()} == {103}  # named by the last part


def test_a_missing_or_repeated_part_is_named() -> None:
    sealed, problems, parts = _parts_of("open", size=2)
    for n, part in enumerate([parts[0], parts[2], parts[3]]):
        sealed.opened(100 + n, part, before_close=False)
    assert sealed.counted("c", "open") is None
    assert any("are not parts 1 to 3 of 3" in p for p in problems), problems


def test_an_opening_before_the_close_is_named() -> None:
    sealed, problems, parts = _parts_of("open", size=1000)
    sealed.opened(50, parts[0], before_close=True)
    assert problems == [
        "entry 50: opens ballots before voting closed: their contents were public early"
    ]


def _seeds(built: Built) -> list[str]:
    return [
        json.loads(base64.b64decode(o["envelope"]["payload"]))["seed"]
        for o in built.bundle["outcomes"]
    ]


@pytest.mark.parametrize("secrecy", ["open", "secret"])
def test_recasting_the_same_ballot_cannot_change_the_seed(secrecy: str) -> None:
    # A voter grinding for a tie-break casts its final ballot again and again: each cast has a
    # fresh salt, hence a fresh commitment, but the seed covers what the ballots say only.
    base = [("c-africa", f"v{n:06d}", ["a1", "a3"] if n % 2 else ["a2"]) for n in range(12)]
    # (The builder has the first voter change its mind to ["a4"] early on: that is its final.)
    again = [*base, *[("c-africa", base[0][1], ["a4"])] * 3]
    plain = decided_round(sealed=True, secrecy=secrecy, ballots=base)
    ground = decided_round(sealed=True, secrecy=secrecy, ballots=again)
    assert verify_bundle(ground.bundle).ok
    assert len(_statements(ground, "ballot.cast")) == len(_statements(plain, "ballot.cast")) + 3
    assert _seeds(ground) == _seeds(plain)
    # A different ballot does change it: the comparison above could fail.
    changed = decided_round(
        sealed=True, secrecy=secrecy, ballots=[*base, ("c-africa", base[0][1], ["a1"])]
    )
    assert _seeds(changed)[0] != _seeds(plain)[0]
