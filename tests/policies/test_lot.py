"""The seeded lot order and seeded draws: known vectors, a permutation, uniformity, and a
different outcome for another seed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import InvalidInput
from policies.lot import LOT_DOMAIN, LOT_DOMAIN_V1, draw_below, lot, lot_order, lot_seed

# The vectors below were computed once, outside this code, with nothing but hashlib:
#
#   text = "\n".join(["mandate.lot/1", "c" * 64, "b" * 64, "alpha", "beta"])  # and ".../2"
#   seed = hashlib.sha256(text.encode()).hexdigest()
#   hashlib.sha256(bytes.fromhex(seed) + b"ana").hexdigest()   # and so on for each id
#
# and the order is the ids sorted by those digests.
CRITERIA = "c" * 64
BALLOTS = "b" * 64
SEED = "3040e857c0923afd5c39880c9c4e35d8490ff92b5ec0324652514a3edec05000"
LOTS = {
    "ana": "16a3de2345d5bff9964985ab5b5798378768cbcfe72903a26ea787d5ce21ca30",
    "ben": "9619d520b1a6c1ff1bdda758d36c327a49afc9c6f172591399f1d3670053fa6b",
    "chen": "409ed45935ae5114c8ab7ffe89e6d56b1f7692735c8a8fb6e37c5a37dd29a064",
    "dara": "e1093c2e32cd8ac167b2846b0e50d8cd84e8deb802a01a825c29bc0679b0f9e8",
}
ORDER = ["ana", "chen", "ben", "dara"]


SEED_V2 = "3589c5cdc9fb61bd92fc801bedea79833f994b498d1d66f4ec9b317804f53b57"


def test_known_seed() -> None:
    assert LOT_DOMAIN == "mandate.lot/2"
    assert LOT_DOMAIN_V1 == "mandate.lot/1"
    assert lot_seed(CRITERIA, BALLOTS, ["alpha", "beta"], domain=LOT_DOMAIN_V1) == SEED
    assert lot_seed(CRITERIA, BALLOTS, ["alpha", "beta"]) == SEED_V2  # the domain used now
    # hashlib.sha256("mandate.lot/1\ncrit\nballots".encode()).hexdigest(), and /2
    assert (
        lot_seed("crit", "ballots", domain=LOT_DOMAIN_V1)
        == "ef9ed52dd8f6d7800ca0b5e2c7abae4baba67914f8bbfb995d95b485e6a28fbf"
    )
    assert (
        lot_seed("crit", "ballots")
        == "2c66ad3699e52c2ee5fedf2d75e38912bbb10acc78f1586e1956b0e55eac53e4"
    )


def test_an_unknown_domain_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"unknown lot domain 'mandate\.lot/3'"):
        lot_seed(CRITERIA, BALLOTS, domain="mandate.lot/3")


def test_known_lots_and_order() -> None:
    for cid, expected in LOTS.items():
        assert lot(SEED, cid) == expected
    assert lot_order(SEED, ["dara", "ben", "ana", "chen"]) == ORDER
    assert lot_order(SEED, iter(LOTS)) == ORDER  # any iterable, any input order


def test_contributions_are_ordered_and_count() -> None:
    assert lot_seed(CRITERIA, BALLOTS, ["beta", "alpha"]) != SEED
    assert lot_seed(CRITERIA, BALLOTS, ["alpha"]) != SEED
    assert lot_seed(CRITERIA, BALLOTS) != lot_seed(BALLOTS, CRITERIA)


def test_malformed_seed_is_refused() -> None:
    with pytest.raises(InvalidInput, match="64 hex digits"):
        lot("abc", "ana")
    with pytest.raises(InvalidInput, match="64 hex digits"):
        lot_order("zz" * 32, [])


@settings(max_examples=100)
@given(
    ids=st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=30),
    contribution=st.text(max_size=10),
)
def test_order_is_a_permutation(ids: list[str], contribution: str) -> None:
    seed = lot_seed(CRITERIA, BALLOTS, [contribution])
    order = lot_order(seed, ids)
    assert sorted(order) == sorted(ids)
    assert order == lot_order(seed, list(reversed(ids)))  # independent of the input order
    assert [lot(seed, c) for c in order] == sorted(lot(seed, c) for c in ids)


def test_order_changes_with_the_seed() -> None:
    ids = [f"candidate-{i:02d}" for i in range(20)]
    orders = {tuple(lot_order(lot_seed(CRITERIA, BALLOTS, [str(n)]), ids)) for n in range(5)}
    assert len(orders) == 5  # 20! orders: five seeds agreeing would be a broken hash
    assert lot_order(SEED, ids) != lot_order(lot_seed(CRITERIA, "a" * 64, ["alpha", "beta"]), ids)


# -- draw_below
#
# The vectors below were computed once, outside this code, with nothing but hashlib:
#
#   block = lambda label, c: hashlib.sha256(
#       bytes.fromhex(SEED) + label.encode() + c.to_bytes(8, "big")).digest()
#   int.from_bytes(block("panel", c), "big") % 2**k     # k = (n - 1).bit_length()
#
# For n = 600 (k = 10) the attempts c = 0, 1, 2, 3 give 987, 821, 1005, 701 — all rejected —
# and c = 4 gives 292. For n = 2**300 + 1 (k = 301) an attempt joins two blocks (c = 0, 1).


def test_draw_below_known_vectors() -> None:
    assert draw_below(SEED, "panel", 1000) == 987  # first attempt accepted
    assert draw_below(SEED, "panel", 600) == 292  # four attempts rejected: no modulo bias
    assert draw_below(SEED, "panel", 7) == 3  # k = 3 bits
    assert draw_below(SEED, "alternate:1", 1000) == 280
    assert draw_below(SEED, "panel", 2**300 + 1) == int(
        "118760304345179027155160323848255566778015734094536234055829311155942342419776959386757941"
    )
    assert draw_below(SEED, "anything", 1) == 0


def test_draw_below_refuses_bad_input() -> None:
    for n in (0, -3, True, 2.0, "5"):
        with pytest.raises(InvalidInput, match="1 or more"):
            draw_below(SEED, "panel", n)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="64 hex digits"):
        draw_below("abc", "panel", 5)
    with pytest.raises(InvalidInput, match="label"):
        draw_below(SEED, None, 5)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(n=st.integers(1, 2**70), label=st.text(max_size=12), contribution=st.text(max_size=6))
def test_draw_below_is_in_range_and_reproducible(n: int, label: str, contribution: str) -> None:
    seed = lot_seed(CRITERIA, BALLOTS, [contribution])
    value = draw_below(seed, label, n)
    assert 0 <= value < n
    assert draw_below(seed, label, n) == value


def test_draw_below_changes_with_seed_and_label() -> None:
    n = 10**30
    by_seed = {draw_below(lot_seed(CRITERIA, BALLOTS, [str(i)]), "panel", n) for i in range(20)}
    by_label = {draw_below(SEED, f"alternate:{i}", n) for i in range(20)}
    assert len(by_seed) == len(by_label) == 20  # 10^30 outcomes: a repeat would be a broken hash


def test_draw_below_is_uniform() -> None:
    # n = 5 needs 3 bits: a draw modulo 5 would favour 0, 1 and 2 (8 = 5 + 3). Over 5,000 fixed
    # labels each value should come 1,000 times; the chi-square statistic with 4 degrees of
    # freedom exceeds 18.467 with probability 0.001. The labels are fixed: it cannot flake.
    counts = [0] * 5
    for i in range(5000):
        counts[draw_below(SEED, f"check:{i}", 5)] += 1
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts)
    assert chi2 < 18.467, counts
