"""The rules form says each refusal of the policies beside its field, in the reader's words:
the policies refuse each case here, so that a change of their wording shows."""

from __future__ import annotations

from typing import Any

import pytest

from policies.constraints import check_rules
from policies.rules import InvalidRules, SelectionRules
from web import i18n
from web.rule_refusals import CONSTRAINTS, explain
from web.validation import Words


def Say(lang: str) -> Words:
    return Words(i18n.translations(lang))


def _refusal(**rules: Any) -> str:
    with pytest.raises(InvalidRules) as caught:
        check_rules(SelectionRules.from_json({"seats": 2, **rules}))
    return caught.value.detail


WOMAN = {"attribute": "gender", "value": "woman"}
CASES = [
    (
        {"constraints": [{**WOMAN, "min": 3}]},
        CONSTRAINTS,
        "At least 3 with gender “woman” cannot be met: the constituency has 2 seats in this round.",
    ),
    (
        {"constraints": [{**WOMAN, "min": 2}, {"attribute": "gender", "max": 1}]},
        CONSTRAINTS,
        "At least 2 with gender “woman” cannot be met when another rule allows at most 1 for "
        "each gender.",
    ),
    (
        {"constraints": [{**WOMAN, "min": 2}, {"attribute": "gender", "value": "man", "min": 1}]},
        CONSTRAINTS,
        "The minimums on gender need 3 seats together, but the constituency has 2 seats in this "
        "round.",
    ),
    (
        {"method": "designation"},
        "quorum",
        "Designation needs a quorum: how many coordinators must approve the same decision.",
    ),
    ({"quorum": 2}, "quorum", "A quorum is only for designation."),
    (
        {"method": "ranked.stv", "max_approvals": 2},
        "max_approvals",
        "Leave this empty: it is only for approval votes.",
    ),
    ({"max_ranks": 2}, "max_ranks", "Leave this empty: it is only for ranked votes."),
    (
        {"endorsements": {"required": 1, "distinct_regions": 2}},
        "endorsements_regions",
        "Endorsements from 2 different regions need at least 2 required endorsements; 1 are "
        "required now.",
    ),
    (
        {"constraints": [WOMAN, WOMAN]},
        CONSTRAINTS,
        "Two balance rules are about the same attribute and value: keep one of them.",
    ),
    (
        {"constraints": [{"attribute": "region", "min": 1}]},
        CONSTRAINTS,
        "A balance rule without a value sets only a maximum for each value; give a value to "
        "require a minimum.",
    ),
    (
        {"constraints": [{**WOMAN, "min": 2, "max": 1}]},
        CONSTRAINTS,
        "A balance rule's minimum is more than its maximum.",
    ),
]


@pytest.mark.parametrize(("rules", "field", "said"), CASES)
def test_each_refusal_is_said_beside_its_field(
    rules: dict[str, Any], field: str, said: str
) -> None:
    refusal = explain(_refusal(**rules), Say("en"))
    assert (refusal.field, refusal.text, refusal.english) == (field, said, False)
    for lang in ("fr", "es", "ar"):
        translated = explain(_refusal(**rules), Say(lang))
        assert translated.field == field
        assert translated.text != said, lang


def test_a_refusal_without_words_of_its_own_stays_in_english_beside_a_named_field() -> None:
    detail = _refusal(time_limit=601)
    refusal = explain(detail, Say("fr"))
    assert (refusal.field, refusal.text, refusal.english) == ("time_limit", detail, True)
    assert explain("something new", Say("fr")).field == "method"


def test_a_quorum_larger_than_the_coordinators_is_said_in_the_readers_words() -> None:
    detail = "a quorum of 3 coordinators can never be met: constituency abc has 1"
    refusal = explain(detail, Say("en"))
    assert refusal.field == "quorum"
    assert (
        refusal.text
        == "A quorum of 3 coordinators can never be met: the constituency has 1 coordinator."
    )
    assert "3" in explain(detail, Say("ar")).text
