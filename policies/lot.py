"""The seeded lot order that breaks every tie and orders every lottery, and seeded draws.

seed = SHA-256 over the domain tag, the criteria hash, the hash of the closed ballot set and the
randomness contributions, joined by newlines; a candidate's lot = SHA-256(seed bytes, candidate id);
candidates are ordered by (lot, id). A lottery draws a whole number below n with ``draw_below``
(SHA-256 of the seed, a label and a counter, by rejection: no modulo bias). Anyone holding the
published inputs can recompute both.

The domain tag names the rules the inputs were gathered under; the formula is the same for both:

- ``mandate.lot/2`` (rounds whose criteria say ``"lot": "mandate.lot/2"``): every input is fixed
  before anyone could know the seed. The ballot set (or nominee list) is closed first; secrets
  are revealed only after voting closes; the beacon round is derived from the schedule, so it is
  published after the last reveal (``policies.randomness``, ``policies.beacon``).
- ``mandate.lot/1`` (rounds published before): secrets could be revealed while voting was still
  open, and the rules named the beacon round. Kept so their records still verify.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from policies.errors import InvalidInput
from policies.messages import N_

LOT_DOMAIN_V1 = "mandate.lot/1"
LOT_DOMAIN = "mandate.lot/2"  # what rounds are published under now
LOT_DOMAINS = frozenset({LOT_DOMAIN_V1, LOT_DOMAIN})
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def lot_seed(
    criteria_hash: str,
    ballot_set_hash: str,
    contributions: Sequence[str] = (),
    *,
    domain: str = LOT_DOMAIN,
) -> str:
    """Hex SHA-256 of ``"\\n".join([domain, criteria_hash, ballot_set_hash, *contributions])``.

    Contributions are taken in the order given (the caller fixes it, e.g. by commitment order).
    """
    if domain not in LOT_DOMAINS:
        raise InvalidInput(
            N_("unknown lot domain %(domain)s; known: %(lot_domains)s"),
            domain=repr(domain),
            lot_domains=", ".join(sorted(LOT_DOMAINS)),
        )
    text = "\n".join([domain, criteria_hash, ballot_set_hash, *contributions])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lot(seed: str, candidate_id: str) -> str:
    """Hex SHA-256 of the seed's bytes followed by the UTF-8 bytes of the candidate id."""
    return hashlib.sha256(_seed_bytes(seed) + candidate_id.encode("utf-8")).hexdigest()


def lot_order(seed: str, candidate_ids: Iterable[str]) -> list[str]:
    """The candidate ids sorted by (lot, id): the order every tie is broken in."""
    prefix = _seed_bytes(seed)  # refuses a malformed seed even when there are no candidates

    def key(cid: str) -> tuple[str, str]:
        return hashlib.sha256(prefix + cid.encode("utf-8")).hexdigest(), cid

    return sorted(candidate_ids, key=key)


def _seed_bytes(seed: str) -> bytes:
    if not isinstance(seed, str) or _HEX64.fullmatch(seed) is None:
        raise InvalidInput(
            N_("a lot seed must be 64 hex digits (a SHA-256), got %(seed)s"), seed=repr(seed)
        )
    return bytes.fromhex(seed)


def draw_below(seed: str, label: str, n: int) -> int:
    """A whole number in [0, n), uniformly distributed, drawn from the seed under ``label``.

    Byte-exact rule (so it can be redone in any language):

    - k = the bit length of n − 1 (the fewest bits that write every number below n), and
      w = ⌈k / 256⌉ blocks per attempt. For n = 1 the draw is 0, with no hashing.
    - block c = SHA-256(S ‖ L ‖ C), where S is the seed's 32 bytes (the 64 hex digits decoded),
      L the UTF-8 bytes of ``label`` and C the counter c as 8 bytes, big-endian, unsigned.
    - attempt t (t = 0, 1, 2, ...) joins blocks t·w, t·w + 1, ..., t·w + w − 1 in that order, reads
      the w·32 bytes as one big-endian unsigned integer and keeps its k lowest bits (the integer
      modulo 2^k). The first attempt whose value is below n is the draw.

    Every value below 2^k is equally likely in an attempt, so every value below n is equally
    likely in the draw; an attempt succeeds with probability more than 1/2. S and C have fixed
    lengths, so (seed, label, counter) → bytes is one-to-one.
    """
    prefix = _seed_bytes(seed)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInput(
            N_("a draw needs a whole number of outcomes, 1 or more, got %(n)s"), n=repr(n)
        )
    if not isinstance(label, str):
        raise InvalidInput(N_("a draw's label must be a string, got %(label)s"), label=repr(label))
    if n == 1:
        return 0
    bits = (n - 1).bit_length()
    width = -(-bits // 256)
    mask = (1 << bits) - 1
    prefix += label.encode("utf-8")
    counter = 0
    while True:
        blocks = b"".join(
            hashlib.sha256(prefix + (counter + i).to_bytes(8, "big")).digest() for i in range(width)
        )
        counter += width
        value = int.from_bytes(blocks, "big") & mask
        if value < n:
            return value
