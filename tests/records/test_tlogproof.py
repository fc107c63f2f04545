"""C2SP tlog-proof texts: byte for byte against Go's vectors, verification, strict parsing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import SignatureError
from records.merkle import ProofError, inclusion_proof, leaf_hash, root
from records.note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    UnverifiedNoteError,
    sign_checkpoint,
)
from records.tlogproof import (
    HEADER,
    TlogProof,
    TlogProofError,
    format_tlog_proof,
    parse_tlog_proof,
    verify_tlog_proof,
)
from tests import vectors

VECTORS = vectors.go_tlog()
SIGNER = NoteSigner.from_key(VECTORS["signer_key"])
VERIFIER = NoteVerifier.from_key(VECTORS["verifier_key"])
ORIGIN = VECTORS["origin"]
LEAVES = [base64.b64decode(x) for x in VECTORS["leaves_b64"]]
HASHES = [leaf_hash(x) for x in LEAVES]
SIGNED = {c["size"]: c["signed_note"] for c in VECTORS["checkpoints"]}
WITH_TEXT = [case for case in VECTORS["inclusions"] if "tlog_proof" in case]


def test_vectors_carry_tlog_proof_texts() -> None:
    assert len(WITH_TEXT) >= 5
    assert all(case["size"] in SIGNED for case in WITH_TEXT)


@pytest.mark.parametrize("case", WITH_TEXT, ids=lambda c: f"leaf{c['index']}-size{c['size']}")
def test_our_tlog_proof_equals_go_and_verifies(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    hashes = [base64.b64decode(x) for x in case["proof_b64"]]
    text = format_tlog_proof(index, inclusion_proof(index, HASHES[:size]), SIGNED[size])
    assert text == case["tlog_proof"]
    parsed = parse_tlog_proof(case["tlog_proof"])
    assert parsed == TlogProof(index, tuple(hashes), SIGNED[size])
    assert parsed.text() == case["tlog_proof"]
    assert parse_tlog_proof(case["tlog_proof"].encode("utf-8")) == parsed
    expected = Checkpoint(ORIGIN, size, root(HASHES[:size]))
    assert verify_tlog_proof(text, [VERIFIER], leaf=LEAVES[index]) == expected
    assert verify_tlog_proof(parsed, [VERIFIER], leaf_hash=HASHES[index], origin=ORIGIN) == (
        expected
    )
    other = (index + 1) % size
    if other != index:
        with pytest.raises(ProofError):
            verify_tlog_proof(parsed, [VERIFIER], leaf=LEAVES[other])
    with pytest.raises(ProofError):
        verify_tlog_proof(parsed, [VERIFIER], leaf=b"not logged")


CASE = max(WITH_TEXT, key=lambda c: len(c["proof_b64"]))
TEXT: str = CASE["tlog_proof"]
PROOF = parse_tlog_proof(TEXT)
LEAF = LEAVES[CASE["index"]]


def test_the_shape_of_the_text() -> None:
    lines = TEXT.split("\n")
    assert lines[0] == HEADER == "c2sp.org/tlog-proof@v1"
    assert lines[1] == f"index {CASE['index']}"
    assert lines[2 : 2 + len(PROOF.hashes)] == CASE["proof_b64"]
    assert lines[2 + len(PROOF.hashes)] == ""
    assert "\n".join(lines[3 + len(PROOF.hashes) :]) == SIGNED[CASE["size"]]


def test_extra_data_round_trips_and_is_not_authenticated() -> None:
    text = format_tlog_proof(PROOF.index, PROOF.hashes, PROOF.checkpoint, extra=b"context")
    assert text.split("\n")[1] == "extra Y29udGV4dA=="
    assert text.split("\n")[2] == f"index {PROOF.index}"
    parsed = parse_tlog_proof(text)
    assert parsed.extra == b"context"
    assert parsed.text() == text
    verify_tlog_proof(parsed, [VERIFIER], leaf=LEAF)
    other = parse_tlog_proof(text.replace("Y29udGV4dA==", "b3RoZXI="))
    assert other.extra == b"other"
    verify_tlog_proof(other, [VERIFIER], leaf=LEAF)


def test_a_proof_of_a_one_leaf_tree_has_no_hashes() -> None:
    text = format_tlog_proof(0, [], SIGNED[1])
    assert text == f"{HEADER}\nindex 0\n\n{SIGNED[1]}"
    assert parse_tlog_proof(text).hashes == ()
    verify_tlog_proof(text, [VERIFIER], leaf=LEAVES[0])


def test_verification_needs_the_log_key() -> None:
    with pytest.raises(UnverifiedNoteError):
        verify_tlog_proof(PROOF, [], leaf=LEAF)
    stranger = NoteSigner(ORIGIN, bytes(32))
    with pytest.raises(UnverifiedNoteError):
        verify_tlog_proof(PROOF, [stranger.verifier], leaf=LEAF)
    with pytest.raises(NoteError, match=r"expected 'other\.example/log'"):
        verify_tlog_proof(PROOF, [VERIFIER], leaf=LEAF, origin="other.example/log")


def test_a_checkpoint_signed_by_another_key_does_not_verify() -> None:
    stranger = NoteSigner(ORIGIN, bytes(32))
    size = CASE["size"]
    forged = sign_checkpoint(Checkpoint(ORIGIN, size, root(HASHES[:size])), [stranger])
    text = format_tlog_proof(PROOF.index, PROOF.hashes, forged)
    verify_tlog_proof(text, [stranger.verifier], leaf=LEAF)
    with pytest.raises(UnverifiedNoteError):
        verify_tlog_proof(text, [VERIFIER], leaf=LEAF)


def test_altered_parts_are_caught() -> None:
    signed = PROOF.checkpoint
    body_end = signed.index("\n\n")
    root_line = signed[:body_end].split("\n")[2]
    altered_root = signed.replace(root_line, base64.b64encode(bytes(32)).decode())
    with pytest.raises(SignatureError, match="does not match"):
        verify_tlog_proof(TlogProof(PROOF.index, PROOF.hashes, altered_root), [VERIFIER], leaf=LEAF)
    hashes = list(PROOF.hashes)
    hashes[-1] = bytes(32)
    with pytest.raises(ProofError, match="leads to root"):
        verify_tlog_proof(TlogProof(PROOF.index, tuple(hashes), signed), [VERIFIER], leaf=LEAF)
    with pytest.raises(ProofError, match="expected"):
        verify_tlog_proof(TlogProof(PROOF.index, PROOF.hashes[:-1], signed), [VERIFIER], leaf=LEAF)
    wrong_index = TlogProof(PROOF.index ^ 1, PROOF.hashes, signed)
    with pytest.raises(ProofError):
        verify_tlog_proof(wrong_index, [VERIFIER], leaf=LEAF)


def test_leaf_or_leaf_hash_exactly_one() -> None:
    with pytest.raises(ProofError, match="exactly one"):
        verify_tlog_proof(PROOF, [VERIFIER])
    with pytest.raises(ProofError, match="exactly one"):
        verify_tlog_proof(PROOF, [VERIFIER], leaf=LEAF, leaf_hash=leaf_hash(LEAF))


def test_format_refuses_what_would_not_parse() -> None:
    with pytest.raises(TlogProofError, match="index -1"):
        format_tlog_proof(-1, [], SIGNED[1])
    with pytest.raises(TlogProofError, match="index 1 for a checkpoint of size 1"):
        format_tlog_proof(1, [], SIGNED[1])
    with pytest.raises(TlogProofError, match="of 31 bytes"):
        format_tlog_proof(0, [bytes(31)], SIGNED[2])
    with pytest.raises(TlogProofError, match="not well formed"):
        format_tlog_proof(0, [], "not a note\n")


HASH_LINE = CASE["proof_b64"][0]
INDEX_LINE = f"index {CASE['index']}\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "expected the header"),
        (TEXT.replace(HEADER, "c2sp.org/tlog-proof@v2"), "expected 'c2sp.org/tlog-proof@v1'"),
        (TEXT.replace(HEADER + "\n", ""), "expected 'c2sp.org/tlog-proof@v1'"),
        (HEADER, "expected the header"),
        (HEADER + "\n", "expected the index line"),
        (TEXT.replace(INDEX_LINE, ""), "expected 'index '"),
        (TEXT.replace(INDEX_LINE, f"index 0{CASE['index']}\n"), "without leading zeroes"),
        (TEXT.replace(INDEX_LINE, f"index +{CASE['index']}\n"), "without leading zeroes"),
        (TEXT.replace(INDEX_LINE, f"index  {CASE['index']}\n"), "without leading zeroes"),
        (TEXT.replace(INDEX_LINE, f"Index {CASE['index']}\n"), "expected 'index '"),
        (TEXT.replace(INDEX_LINE, "index 1000\n"), "checkpoint of size 1000"),
        (TEXT.replace(INDEX_LINE, "extra !!\n" + INDEX_LINE), "extra data"),
        (TEXT.replace(INDEX_LINE, "extra QQ\n" + INDEX_LINE), "extra data"),
        (TEXT.replace(INDEX_LINE, "extra QR==\n" + INDEX_LINE), "canonical padded base64"),
        (TEXT.replace(HASH_LINE, HASH_LINE[:-4]), "proof hash \\[0\\]"),
        (TEXT.replace(HASH_LINE, "AAAA"), "of 3 bytes"),
        (TEXT.replace(HASH_LINE, HASH_LINE + " "), "standard base64"),
        (TEXT.replace(HASH_LINE + "\n", HASH_LINE + "\r\n"), "standard base64"),
        (TEXT.split("\n\n")[0] + "\n", "expected the empty line"),
        (TEXT.split("\n\n")[0] + "\n\n", "checkpoint that is not well formed"),
        (TEXT.replace(f"\n{ORIGIN}\n", "\n\n"), "checkpoint that is not well formed"),
        (TEXT[:-1], "checkpoint that is not well formed"),
    ],
)
def test_malformed_proofs_are_refused(text: str, match: str) -> None:
    with pytest.raises(TlogProofError, match=match) as caught:
        parse_tlog_proof(text)
    assert caught.value.code == "malformed_tlog_proof"


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(TlogProofError, match="UTF-8"):
        parse_tlog_proof(TEXT.encode() + b"\xff")


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=300),
    pick=st.integers(min_value=0, max_value=299),
    extra=st.none() | st.binary(max_size=40),
)
def test_any_proof_we_format_parses_back_and_verifies(
    size: int, pick: int, extra: bytes | None
) -> None:
    index = pick % size
    checkpoint = Checkpoint(ORIGIN, size, root(HASHES[:size]))
    signed = sign_checkpoint(checkpoint, [SIGNER])
    text = format_tlog_proof(index, inclusion_proof(index, HASHES[:size]), signed, extra=extra)
    parsed = parse_tlog_proof(text)
    assert parsed.text() == text
    assert parsed.extra == extra
    assert verify_tlog_proof(parsed, [VERIFIER], leaf=LEAVES[index]) == checkpoint
    if size > 1:
        with pytest.raises(ProofError):
            verify_tlog_proof(parsed, [VERIFIER], leaf=LEAVES[(index + 1) % size])
