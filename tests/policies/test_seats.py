"""Who takes a vacated seat: the first alternate not asked before with whom the panel keeps
every constraint it kept; the rest skipped, and none: the seat stays empty."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from policies.rules import Constraint
from policies.seats import DECLINED, LAPSED, keeps, meets, substitute

WOMAN = Constraint("gender", "woman", min=1)
PER_REGION = Constraint("region", None, max=1)
PEOPLE = {
    "a": {"gender": "man", "region": "north"},
    "b": {"gender": "woman", "region": "south"},
    "c": {"gender": "man", "region": "east"},
    "d": {"gender": "man", "region": "north"},
    "e": {"gender": "woman", "region": "south"},
    "f": {"gender": "woman", "region": "west"},
}


def test_a_decliner_who_met_a_minimum_passes_over_alternates_who_would_not() -> None:
    found = substitute(
        panel=["a", "b"],
        seat=2,
        reason=DECLINED,
        alternates=["c", "d", "e"],
        asked={"a", "b"},
        attributes=PEOPLE,
        constraints=[WOMAN],
    )
    assert (found.successor, found.skipped) == ("e", ("c", "d"))
    assert found.to_json()["vacated"] == "b"


def test_a_maximum_skips_too_and_alternates_asked_before_are_not_asked_again() -> None:
    found = substitute(
        panel=["a", "b"],
        seat=1,
        reason=LAPSED,
        alternates=["c", "d", "e", "f"],
        asked={"a", "b", "c"},
        attributes=PEOPLE,
        constraints=[PER_REGION],
    )
    # c was asked before; d (north) is fine once a (north) leaves; e shares b's region.
    assert (found.successor, found.skipped) == ("d", ())
    found = substitute(
        panel=["a", "b"],
        seat=1,
        reason=LAPSED,
        alternates=["e", "f"],
        asked={"a", "b"},
        attributes=PEOPLE,
        constraints=[PER_REGION],
    )
    assert (found.successor, found.skipped) == ("f", ("e",))


def test_no_alternate_left_leaves_the_seat_empty() -> None:
    found = substitute(
        panel=["a", "b"],
        seat=2,
        reason=DECLINED,
        alternates=["c", "d"],
        asked={"a", "b"},
        attributes=PEOPLE,
        constraints=[WOMAN],
    )
    assert (found.successor, found.skipped) == (None, ("c", "d"))
    assert meets(["a"], PEOPLE, [WOMAN]) == [WOMAN.describe()]
    assert keeps(["a", "b"], ["a"], PEOPLE, [WOMAN], empty=1)
    assert not keeps(["a", "b"], ["a"], PEOPLE, [WOMAN])


@given(
    panel=st.lists(st.sampled_from(sorted(PEOPLE)), min_size=1, max_size=3, unique=True),
    alternates=st.permutations(sorted(PEOPLE)),
    seat=st.integers(min_value=1, max_value=3),
)
def test_the_successor_always_keeps_what_the_panel_kept(
    panel: list[str], alternates: list[str], seat: int
) -> None:
    seat = min(seat, len(panel))
    constraints = [WOMAN, PER_REGION]
    found = substitute(
        panel=list(panel),
        seat=seat,
        reason=DECLINED,
        alternates=alternates,
        asked=set(panel),
        attributes=PEOPLE,
        constraints=constraints,
    )
    rest = [p for i, p in enumerate(panel) if i != seat - 1]
    candidates = [a for a in alternates if a not in panel]
    if found.successor is None:
        assert list(found.skipped) == candidates
    else:
        assert found.successor not in panel
        assert keeps(panel, [*rest, found.successor], PEOPLE, constraints)
        # Everyone before it in the order was skipped for a constraint.
        before = candidates[: candidates.index(found.successor)]
        assert list(found.skipped) == before
        assert all(not keeps(panel, [*rest, s], PEOPLE, constraints) for s in before)
