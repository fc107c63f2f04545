"""The audit log's SHA-256 hash chain: each entry commits to all entries before it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from policies.errors import CanonicalizationError, ChainError
from records.canonical import parse_canonical, sha256_hex

GENESIS = "0" * 64

_HASH = re.compile(r"[0-9a-f]{64}")


def chain_hash(prev_hash: str, statement: bytes) -> str:
    """Hash of an entry: SHA-256 over the previous hash's bytes and the statement."""
    if not _HASH.fullmatch(prev_hash):
        raise ChainError(f"got prev_hash {prev_hash!r}, expected 64 lowercase hex characters")
    return sha256_hex(bytes.fromhex(prev_hash) + statement)


@dataclass(frozen=True)
class ChainEntry:
    seq: int
    statement: bytes
    prev_hash: str
    entry_hash: str


def next_entry(previous: ChainEntry | None, statement: bytes) -> ChainEntry:
    """The entry that appends ``statement`` after ``previous`` (None starts a chain)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.entry_hash
    return ChainEntry(seq, statement, prev_hash, chain_hash(prev_hash, statement))


def chain_problems(entries: Sequence[ChainEntry]) -> list[str]:
    """Every way ``entries`` fails to be a valid chain from genesis, each naming its seq."""
    problems: list[str] = []
    expected_prev = GENESIS
    for position, entry in enumerate(entries, start=1):
        name = f"entry {entry.seq}"
        if entry.seq != position:
            problems.append(f"{name}: out of sequence (got seq {entry.seq}, expected {position})")
        if entry.prev_hash != expected_prev:
            problems.append(
                f"{name}: prev_hash does not link to the entry before "
                f"(got {_short(entry.prev_hash)}, expected {_short(expected_prev)})"
            )
        try:
            recomputed = chain_hash(entry.prev_hash, entry.statement)
        except ChainError as exc:
            problems.append(f"{name}: {exc.detail}")
        else:
            if entry.entry_hash != recomputed:
                problems.append(
                    f"{name}: entry_hash does not match its statement "
                    f"(got {_short(entry.entry_hash)}, expected {_short(recomputed)})"
                )
        try:
            parse_canonical(entry.statement)
        except CanonicalizationError as exc:
            problems.append(f"{name}: statement is not canonical JSON ({exc.detail})")
        # The next entry must link to the hash as stored, which is what later entries committed to.
        expected_prev = entry.entry_hash
    return problems


def verify_chain(entries: Sequence[ChainEntry]) -> None:
    """Raise one ChainError listing every problem in ``entries``; return if there are none."""
    problems = chain_problems(entries)
    if problems:
        raise ChainError(f"{len(problems)} problem(s) in the chain: " + "; ".join(problems))


def _short(digest: str) -> str:
    return digest[:12] + "…" if len(digest) > 12 else digest
