"""The hash chain: building, verifying, and detecting each kind of tampering."""

from __future__ import annotations

import dataclasses

import pytest

from policies.errors import ChainError
from records.canonical import canonical_json, sha256_hex
from records.chain import (
    GENESIS,
    ChainEntry,
    chain_hash,
    chain_problems,
    next_entry,
    verify_chain,
)


def build(count: int) -> list[ChainEntry]:
    entries: list[ChainEntry] = []
    for n in range(1, count + 1):
        previous = entries[-1] if entries else None
        entries.append(next_entry(previous, canonical_json({"n": n, "event": "vote"})))
    return entries


def problems_of(entries: list[ChainEntry]) -> str:
    with pytest.raises(ChainError) as info:
        verify_chain(entries)
    return info.value.detail


def test_valid_chain_verifies() -> None:
    entries = build(5)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert chain_problems(entries) == []
    verify_chain(entries)
    verify_chain([])


def test_chain_hash_definition() -> None:
    statement = b'{"a":1}'
    assert chain_hash(GENESIS, statement) == sha256_hex(bytes(32) + statement)
    with pytest.raises(ChainError, match="64 lowercase hex"):
        chain_hash("xyz", statement)


def test_altered_statement_byte_detected() -> None:
    entries = build(4)
    entries[2] = dataclasses.replace(entries[2], statement=entries[2].statement.replace(b"3", b"7"))
    detail = problems_of(entries)
    assert "entry 3: entry_hash does not match its statement" in detail
    assert "entry 1" not in detail
    assert "entry 2" not in detail
    assert "entry 4" not in detail


def test_non_canonical_statement_detected() -> None:
    first = next_entry(None, b'{"b":1, "a":2}')
    detail = problems_of([first])
    assert "entry 1: statement is not canonical JSON (got non-canonical JSON" in detail
    assert "entry_hash" not in detail


def test_reordering_detected() -> None:
    entries = build(4)
    entries[1], entries[2] = entries[2], entries[1]
    detail = problems_of(entries)
    assert "entry 3: out of sequence (got seq 3, expected 2)" in detail
    assert "entry 2: out of sequence (got seq 2, expected 3)" in detail
    assert "entry 3: prev_hash does not link" in detail


def test_dropped_entry_detected() -> None:
    entries = build(5)
    del entries[2]
    detail = problems_of(entries)
    assert "entry 4: out of sequence (got seq 4, expected 3)" in detail
    assert "entry 4: prev_hash does not link" in detail
    assert "entry 5: out of sequence" in detail


def test_dropped_first_entry_detected() -> None:
    detail = problems_of(build(3)[1:])
    assert "entry 2: out of sequence (got seq 2, expected 1)" in detail
    assert f"expected {GENESIS[:12]}…" in detail


def test_changed_prev_hash_detected() -> None:
    entries = build(3)
    entries[1] = dataclasses.replace(entries[1], prev_hash="ab" * 32)
    detail = problems_of(entries)
    assert "entry 2: prev_hash does not link to the entry before (got abababababab…" in detail
    assert "entry 2: entry_hash does not match its statement" in detail


def test_malformed_prev_hash_reported_not_raised() -> None:
    entries = build(2)
    entries[1] = dataclasses.replace(entries[1], prev_hash="not hex")
    detail = problems_of(entries)
    assert "entry 2: got prev_hash 'not hex', expected 64 lowercase hex characters" in detail


def test_every_problem_is_reported() -> None:
    entries = build(5)
    entries[1] = dataclasses.replace(entries[1], statement=b'{"n":99}')
    entries[3] = dataclasses.replace(entries[3], entry_hash="cd" * 32)
    problems = chain_problems(entries)
    assert problems[0].startswith("entry 2: entry_hash does not match its statement")
    assert problems[1].startswith("entry 4: entry_hash does not match its statement (got cdcd")
    assert problems[2].startswith("entry 5: prev_hash does not link")
    assert len(problems) == 3
    assert problems_of(entries).startswith("3 problem(s) in the chain: entry 2:")
