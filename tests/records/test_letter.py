"""Designation letters: derived from the signed records, with a short code that verifies, and a
forged code or an altered letter that does not."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from records.canonical import canonical_hash
from records.letter import (
    ALPHABET,
    LETTER_FORMAT,
    letter_code,
    letter_statement,
    letters_in_bundle,
    normalise_code,
)

CRITERIA: dict[str, Any] = {
    "title": "Global Forum on Migration 2027",
    "segments": [{"key": "opening", "title": "Opening plenary"}],
    "participants": [
        {"constituency_id": "c1", "seats": 2, "rules": {"method": "approval.phragmen"}},
        {"constituency_id": "c2", "seats": 1, "rules": {"method": "designation"}},
    ],
}
OUTCOME: dict[str, Any] = {
    "round_id": "r1",
    "constituency_id": "c1",
    "criteria_hash": "ab" * 32,
    "criteria_version": 1,
    "result": {"winners": ["n2", "n1"], "alternates": ["n3"]},
}
OUTCOME_HASH = canonical_hash(OUTCOME)
COMMITMENTS = {"n1": "11" * 32, "n2": "22" * 32, "n3": "33" * 32}


def _letter(**changes: Any) -> dict[str, Any]:
    made = letter_statement(
        criteria=CRITERIA,
        outcome=OUTCOME,
        outcome_hash=OUTCOME_HASH,
        nomination_id="n2",
        seat=1,
        profile_commitment=COMMITMENTS["n2"],
    )
    return {**made, **changes}


def test_a_letter_states_the_forum_the_constituency_its_method_and_the_signed_outcome() -> None:
    letter = _letter()
    assert letter == {
        "format": LETTER_FORMAT,
        "round_id": "r1",
        "forum": "Global Forum on Migration 2027",
        "segments": [{"key": "opening", "title": "Opening plenary"}],
        "constituency_id": "c1",
        "criteria_hash": "ab" * 32,
        "criteria_version": 1,
        "method": "approval.phragmen",
        "seats": 2,
        "outcome_hash": OUTCOME_HASH,
        "seat": 1,
        "nomination_id": "n2",
        "profile_commitment": "22" * 32,
    }


def test_the_code_is_twelve_characters_in_three_groups_and_the_same_every_time() -> None:
    code = letter_code(_letter())
    assert len(code) == 14
    assert code[4] == code[9] == "-"
    assert all(c in ALPHABET for c in code.replace("-", ""))
    assert letter_code(_letter()) == code


def test_a_code_as_typed_is_read_back() -> None:
    code = letter_code(_letter())
    typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    assert normalise_code(typed) == code
    assert normalise_code(code.replace("-", "")) == code
    for bad in ("", "ABCD-EFGH-IJK", "ABCD-EFGH-IJKLM", "UUUU-UUUU-UUUU", "ABCD/EFGH/JKMN"):
        assert normalise_code(bad) is None


def test_the_bundle_gives_each_seat_holder_its_letter_and_a_forged_code_matches_none() -> None:
    assert letters_in_bundle(CRITERIA, [(OUTCOME, OUTCOME_HASH)], COMMITMENTS, {}) == {}
    confirmed = {"c1": {"outcome_hash": OUTCOME_HASH, "head": OUTCOME_HASH, "seats": ["n2", "n1"]}}
    found = letters_in_bundle(CRITERIA, [(OUTCOME, OUTCOME_HASH)], COMMITMENTS, confirmed)
    assert sorted((s["seat"], s["nomination_id"]) for s in found.values()) == [
        (1, "n2"),
        (2, "n1"),
    ]
    assert letter_code(_letter()) in found
    real = letter_code(_letter())
    forged = ("0" if real[0] != "0" else "1") + real[1:]
    assert normalise_code(forged) == forged
    assert forged not in found
    # An alternate who was not selected has no letter.
    assert letter_code(_letter(nomination_id="n3", profile_commitment="33" * 32)) not in found


@given(
    field=st.sampled_from(
        ["forum", "constituency_id", "outcome_hash", "seat", "nomination_id", "profile_commitment"]
    ),
    value=st.text(min_size=1, max_size=20) | st.integers(min_value=3, max_value=99),
)
def test_a_letter_altered_in_any_field_has_another_code(field: str, value: object) -> None:
    original = _letter()
    altered = _letter(**{field: value})
    if altered[field] == original[field]:
        return
    assert letter_code(altered) != letter_code(original)


def test_a_seat_passed_on_names_the_amendment_and_an_empty_seat_has_no_letter() -> None:
    confirmed = {"c1": {"outcome_hash": OUTCOME_HASH, "head": "99" * 32, "seats": [None, "n3"]}}
    found = letters_in_bundle(CRITERIA, [(OUTCOME, OUTCOME_HASH)], COMMITMENTS, confirmed)
    [(code, letter)] = found.items()
    assert (letter["seat"], letter["nomination_id"]) == (2, "n3")
    assert letter["amendment_hash"] == "99" * 32
    assert letter["profile_commitment"] == "33" * 32
    assert code == letter_code(letter)
    assert "amendment_hash" not in _letter()
