"""InclusionVerifier: many inclusion proofs against one tree, remembering proven nodes.

It must accept and reject exactly what the plain ``verify_inclusion`` does, whatever proofs
came before (good, bad or repeated) and in whatever order.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records.merkle import (
    InclusionVerifier,
    ProofError,
    Tree,
    inclusion_proof,
    inclusion_proof_from,
    leaf_hash,
    root,
    verify_inclusion,
)
from tests import vectors as go_vectors


def leaves_for(salt: bytes, size: int) -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(size)]


def flip(h: bytes, position: int = 0) -> bytes:
    return h[:position] + bytes([h[position] ^ 1]) + h[position + 1 :]


def plain_accepts(index: int, size: int, leaf: bytes, proof: list[bytes], top: bytes) -> bool:
    try:
        verify_inclusion(index, size, leaf, proof, top)
    except ProofError:
        return False
    return True


def plain_verdict(index: int, size: int, leaf: bytes, proof: list[Any], top: bytes) -> str:
    try:
        verify_inclusion(index, size, leaf, proof, top)
    except ProofError as exc:
        return exc.detail
    return "ok"


def memo_accepts(verifier: InclusionVerifier, index: int, leaf: bytes, proof: list[Any]) -> bool:
    return memo_verdict(verifier, index, leaf, proof) == "ok"


def memo_verdict(verifier: InclusionVerifier, index: int, leaf: bytes, proof: list[Any]) -> str:
    try:
        verifier.verify(index, leaf, proof)
    except ProofError as exc:
        return exc.detail
    return "ok"


def test_go_vectors_verify() -> None:
    vectors: dict[str, Any] = go_vectors.go_tlog()
    hashes = [leaf_hash(base64.b64decode(x)) for x in vectors["leaves_b64"]]
    for case in vectors["inclusions"]:
        index, size = case["index"], case["size"]
        proof = [base64.b64decode(x) for x in case["proof_b64"]]
        verifier = InclusionVerifier(size, root(hashes[:size]))
        verifier.verify(index, hashes[index], proof)
        verifier.verify(index, hashes[index], proof)  # a second time, from memory
        with pytest.raises(ProofError):
            verifier.verify(index, leaf_hash(b"not the entry"), proof)


def test_every_leaf_of_small_trees_in_every_direction() -> None:
    for size in range(1, 70):
        hashes = leaves_for(b"s", size)
        top = root(hashes)
        proofs = [inclusion_proof(i, hashes) for i in range(size)]
        for order in (range(size), range(size - 1, -1, -1), range(0, size, 3)):
            verifier = InclusionVerifier(size, top)
            for i in order:
                verifier.verify(i, hashes[i], proofs[i])
            for i in range(size):  # everything is proven now: no hashing, still exact
                verifier.verify(i, hashes[i], proofs[i])
                with pytest.raises(ProofError):
                    verifier.verify(i, flip(hashes[i]), proofs[i])
                for position in range(len(proofs[i])):
                    altered = [*proofs[i]]
                    altered[position] = flip(altered[position], 31)
                    with pytest.raises(ProofError):
                        verifier.verify(i, hashes[i], altered)


def test_an_altered_high_proof_hash_is_caught_after_a_memory_hit() -> None:
    hashes = leaves_for(b"h", 1000)
    verifier = InclusionVerifier(1000, root(hashes))
    verifier.verify(10, hashes[10], inclusion_proof(10, hashes))
    proof = inclusion_proof(11, hashes)
    # Leaf 11 is leaf 10's proven sibling: no hashing at all, but the rest must still match.
    proof[-1] = flip(proof[-1])
    with pytest.raises(ProofError, match="inclusion proof for leaf 11 of a tree of size 1000"):
        verifier.verify(11, hashes[11], proof)
    verifier.verify(11, hashes[11], inclusion_proof(11, hashes))


def test_a_failed_proof_teaches_nothing() -> None:
    hashes = leaves_for(b"f", 8)
    verifier = InclusionVerifier(8, root(hashes))
    bad = inclusion_proof(0, hashes)
    bad[0] = flip(bad[0])  # claims a wrong leaf 1
    with pytest.raises(ProofError):
        verifier.verify(0, hashes[0], bad)
    with pytest.raises(ProofError):
        verifier.verify(1, bad[0], inclusion_proof(1, hashes))
    verifier.verify(1, hashes[1], inclusion_proof(1, hashes))


def test_proving_in_order_hashes_about_once_per_leaf() -> None:
    size = 4096
    hashes = leaves_for(b"n", size)
    verifier = InclusionVerifier(size, root(hashes))
    calls = 0
    real = hashlib.sha256

    def counting(data: bytes = b"") -> Any:
        nonlocal calls
        calls += 1
        return real(data)

    tree, store = Tree(), {}
    for h in hashes:
        store.update({(n.level, n.index): n.hash for n in tree.append(h)})
    proofs = [inclusion_proof_from(i, size, lambda lv, ix: store[(lv, ix)]) for i in range(size)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hashlib, "sha256", counting)
        for i in range(size):
            verifier.verify(i, hashes[i], proofs[i])
    assert calls < size  # plain verification would take 12 per leaf


def test_bad_arguments_are_refused() -> None:
    hashes = leaves_for(b"a", 5)
    verifier = InclusionVerifier(5, root(hashes))
    assert (verifier.size, verifier.root) == (5, root(hashes))
    proof = inclusion_proof(2, hashes)
    with pytest.raises(ProofError, match="expected 0 ≤ index < size"):
        verifier.verify(5, hashes[2], proof)
    with pytest.raises(ProofError, match="expected 0 ≤ index < size"):
        verifier.verify(-1, hashes[2], proof)
    with pytest.raises(ProofError, match="leaf hash of 3 bytes"):
        verifier.verify(2, b"abc", proof)
    with pytest.raises(ProofError, match="expected 3"):
        verifier.verify(2, hashes[2], proof[:-1])
    with pytest.raises(ProofError, match=r"proof hash \[0\] of 2 bytes"):
        verifier.verify(2, hashes[2], [b"ab", *proof[1:]])
    with pytest.raises(ProofError, match="tree size"):
        InclusionVerifier(-1, root(hashes))
    with pytest.raises(ProofError, match="root"):
        InclusionVerifier(5, b"short")
    with pytest.raises(ProofError):
        InclusionVerifier(0, hashlib.sha256(b"").digest()).verify(0, hashes[0], [])


@st.composite
def queries(draw: st.DrawFn) -> tuple[list[bytes], list[tuple[int, str, int]]]:
    size = draw(st.integers(min_value=1, max_value=200))
    hashes = leaves_for(draw(st.binary(max_size=4)), size)
    kinds = st.sampled_from(
        ["good", "good", "good", "leaf", "proof", "short", "long", "index", "swap", "junk"]
    )
    asked = draw(
        st.lists(
            st.tuples(st.integers(0, size - 1), kinds, st.integers(0, 10_000)),
            max_size=60,
        )
    )
    return hashes, asked


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


@settings(max_examples=150, deadline=None)
@given(case=queries(), encoded=st.booleans())
def test_agrees_with_verify_inclusion_whatever_came_before(
    case: tuple[list[bytes], list[tuple[int, str, int]]], encoded: bool
) -> None:
    hashes, asked = case
    size = len(hashes)
    top = root(hashes)
    verifier = InclusionVerifier(size, top)
    for index, kind, n in asked:
        at, leaf, proof = index, hashes[index], inclusion_proof(index, hashes)
        junk = None
        if kind == "leaf":
            leaf = flip(leaf, n % 32)
        elif kind == "proof" and proof:
            proof[n % len(proof)] = flip(proof[n % len(proof)], n % 32)
        elif kind == "short" and proof:
            proof = proof[:-1]
        elif kind == "long":
            proof = [*proof, top]
        elif kind == "index":
            at = n % size
        elif kind == "swap" and len(proof) > 1:
            proof[0], proof[-1] = proof[-1], proof[0]
        elif kind == "junk" and proof:
            junk = n % len(proof)
        expected = junk is None and plain_accepts(at, size, leaf, proof, top)
        if encoded:
            texts = [b64(h) for h in proof]
            if junk is not None:
                texts[junk] = ["", "not base64!", b64(b"short"), b64(proof[junk]) + " "][n % 4]
            got = memo_accepts_b64(verifier, at, leaf, texts)
        else:
            bad: list[Any] = [*proof]
            if junk is not None:
                bad[junk] = [b"short", "text", None, proof[junk] + b"x"][n % 4]
            # The very message of verify_inclusion, whatever came before.
            verdict = memo_verdict(verifier, at, leaf, bad)
            assert verdict == plain_verdict(at, size, leaf, bad, top)
            got = verdict == "ok"
        assert got == expected, (at, kind)


def memo_accepts_b64(
    verifier: InclusionVerifier, index: int, leaf: bytes, proof: list[str]
) -> bool:
    try:
        verifier.verify_base64(index, leaf, proof)
    except ProofError:
        return False
    return True


def test_base64_proofs_of_every_leaf_verify_and_any_altered_text_fails() -> None:
    size = 300
    hashes = leaves_for(b"t", size)
    verifier = InclusionVerifier(size, root(hashes))
    for i in range(size):
        proof = [b64(h) for h in inclusion_proof(i, hashes)]
        verifier.verify_base64(i, hashes[i], proof)
        for position in range(len(proof)):
            altered = [*proof]
            altered[position] = b64(flip(inclusion_proof(i, hashes)[position], 5))
            with pytest.raises(ProofError):
                verifier.verify_base64(i, hashes[i], altered)
        verifier.verify_base64(i, hashes[i], proof)
