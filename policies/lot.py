"""The seeded lot order that breaks every tie and orders every lottery.

seed = SHA-256 over the domain tag, the criteria hash, the hash of the closed ballot set and the
randomness contributions, joined by newlines; a candidate's lot = SHA-256(seed bytes, candidate id);
candidates are ordered by (lot, id). Anyone holding the published inputs can recompute it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from policies.errors import InvalidInput

LOT_DOMAIN = "mandate.lot/1"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def lot_seed(criteria_hash: str, ballot_set_hash: str, contributions: Sequence[str] = ()) -> str:
    """Hex SHA-256 of ``"\\n".join([LOT_DOMAIN, criteria_hash, ballot_set_hash, *contributions])``.

    Contributions are taken in the order given (the caller fixes it, e.g. by commitment order).
    """
    text = "\n".join([LOT_DOMAIN, criteria_hash, ballot_set_hash, *contributions])
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
        raise InvalidInput(f"a lot seed must be 64 hex digits (a SHA-256), got {seed!r}")
    return bytes.fromhex(seed)
