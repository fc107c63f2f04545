"""RFC 6962 Merkle hash trees over SHA-256: roots, inclusion and consistency proofs.

Hashing (RFC 6962 §2.1): a leaf hash is SHA-256(0x00 || data), an interior node is
SHA-256(0x01 || left || right), and the empty tree's root is SHA-256 of the empty string.
The tree over n > 1 leaves splits at k, the largest power of two below n.

Two ways to get proofs, with equal results:

- from the list of all leaf hashes (:func:`inclusion_proof`, :func:`consistency_proof`), which
  follow RFC 6962 §2.1.1 PATH and §2.1.2 SUBPROOF literally and cost O(n);
- from a store of complete subtree hashes (:func:`inclusion_proof_from`,
  :func:`consistency_proof_from`), which cost O(log n) reads.

Stored nodes are addressed by ``(level, index)``: level 0 holds the leaf hashes, and the node
at ``(L, K)`` is the hash of the complete subtree over leaves ``[K·2^L, (K+1)·2^L)``. Such a node
never changes once its last leaf is appended. :meth:`Tree.append` reports every node an append
completes, so a store can keep them and later serve any root or proof through a
:data:`HashReader` ``read(level, index) -> hash``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from policies.errors import RecordError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

HashReader = Callable[[int, int], bytes]
"""``read(level, index)``: the hash of the complete subtree over leaves
``[index·2^level, (index+1)·2^level)``; level 0 is the leaf hashes."""


class ProofError(RecordError):
    """A Merkle proof, root or tree size that does not check out."""

    code = "bad_proof"


@dataclass(frozen=True)
class Node:
    """The hash of the complete subtree at ``(level, index)``."""

    level: int
    index: int
    hash: bytes


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    _check_hash(left, "left child hash")
    _check_hash(right, "right child hash")
    return hashlib.sha256(b"\x01" + left + right).digest()


# -- from the list of leaf hashes


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of ``leaf_hashes``."""
    _check_hashes(leaf_hashes)
    if not leaf_hashes:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 audit path for leaf ``index``: the leaf's sibling first, the root's child last."""
    _check_hashes(leaf_hashes)
    _check_index(index, len(leaf_hashes))
    return _path(leaf_hashes, index, 0, len(leaf_hashes))


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 consistency proof that the tree of ``old_size`` leaves is a prefix of this one.

    Empty when ``old_size`` is 0 or the whole tree, as in RFC 6962.
    """
    _check_hashes(leaf_hashes)
    _check_sizes(old_size, len(leaf_hashes))
    if old_size in (0, len(leaf_hashes)):
        return []
    return _subproof(leaf_hashes, old_size, 0, len(leaf_hashes), True)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return hashes[lo]
    k = _split(hi - lo)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def _path(hashes: Sequence[bytes], m: int, lo: int, hi: int) -> list[bytes]:
    # PATH(m, D[lo:hi]) with m an absolute index.
    if hi - lo == 1:
        return []
    k = _split(hi - lo)
    if m < lo + k:
        return [*_path(hashes, m, lo, lo + k), _mth(hashes, lo + k, hi)]
    return [*_path(hashes, m, lo + k, hi), _mth(hashes, lo, lo + k)]


def _subproof(hashes: Sequence[bytes], m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
    # SUBPROOF(m, D[lo:hi], b) with m counted from lo.
    if m == hi - lo:
        return [] if complete else [_mth(hashes, lo, hi)]
    k = _split(hi - lo)
    if m <= k:
        return [*_subproof(hashes, m, lo, lo + k, complete), _mth(hashes, lo + k, hi)]
    return [*_subproof(hashes, m - k, lo + k, hi, False), _mth(hashes, lo, lo + k)]


# -- from a store of complete subtree hashes


def subtree_hash(lo: int, hi: int, read: HashReader) -> bytes:
    """MTH of leaves ``[lo, hi)`` from stored complete subtrees, in O(log n) reads.

    ``[lo, hi)`` must be a subtree of some RFC 6962 tree: cut from the left into the largest
    powers of two that fit, each piece must start at a multiple of its own width.
    """
    if not 0 <= lo < hi:
        raise ProofError(f"got leaf range [{lo}, {hi}), expected a non-empty range from 0 up")
    pieces: list[bytes] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        width = 1 << level
        if lo % width:
            raise ProofError(
                f"got a piece [{lo}, {lo + width}) of the range, expected it to start at a "
                f"multiple of its width {width}"
            )
        pieces.append(_read(read, level, lo >> level))
        lo += width
    result = pieces[-1]
    for left in reversed(pieces[:-1]):
        result = node_hash(left, result)
    return result


def root_from(size: int, read: HashReader) -> bytes:
    """The root of the tree's first ``size`` leaves, in O(log n) reads."""
    if size < 0:
        raise ProofError(f"got tree size {size}, expected 0 or more")
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, read)


def inclusion_proof_from(index: int, size: int, read: HashReader) -> list[bytes]:
    """Same as :func:`inclusion_proof` over the first ``size`` leaves, in O(log n) reads."""
    _check_index(index, size)
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(subtree_hash(lo + k, hi, read))
            hi = lo + k
        else:
            path.append(subtree_hash(lo, lo + k, read))
            lo += k
    path.reverse()
    return path


def consistency_proof_from(old_size: int, new_size: int, read: HashReader) -> list[bytes]:
    """Same as :func:`consistency_proof` over the first ``new_size`` leaves, in O(log n) reads."""
    _check_sizes(old_size, new_size)
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(subtree_hash(lo + k, hi, read))
            hi = lo + k
        else:
            proof.append(subtree_hash(lo, lo + k, read))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(subtree_hash(lo, hi, read))
    proof.reverse()
    return proof


class Tree:
    """An append-only Merkle tree that keeps only its right border (its "compact range").

    The border is the hashes of the complete subtrees that together cover ``[0, size)``, largest
    first: one per bit set in ``size``. Appending costs O(log n) and so does :meth:`root`.
    Every append returns the nodes it completed, for a store to keep; :meth:`from_reader`
    resumes a tree from such a store.
    """

    __slots__ = ("_border", "_size")

    def __init__(self, size: int = 0, border: Sequence[bytes] = ()) -> None:
        if size < 0:
            raise ProofError(f"got tree size {size}, expected 0 or more")
        if len(border) != size.bit_count():
            raise ProofError(
                f"got a border of {len(border)} hashes for size {size}, "
                f"expected {size.bit_count()} (one per bit set in the size)"
            )
        for h in border:
            _check_hash(h, "border hash")
        self._size = size
        self._border = list(border)

    @classmethod
    def from_reader(cls, size: int, read: HashReader) -> Tree:
        """The tree of ``size`` leaves, resumed from stored nodes in O(log n) reads."""
        return cls(size, [node.hash for node in _border_nodes(size, read)])

    @property
    def size(self) -> int:
        return self._size

    @property
    def border(self) -> tuple[Node, ...]:
        """The complete subtrees covering ``[0, size)``, largest (leftmost) first."""
        hashes = iter(self._border)
        return tuple(
            Node(level, index, next(hashes)) for level, index in _border_addresses(self._size)
        )

    def append(self, leaf: bytes) -> list[Node]:
        """Append one leaf hash; return the nodes this completes, the leaf itself first."""
        _check_hash(leaf, "leaf hash")
        index, level, h = self._size, 0, leaf
        completed = [Node(0, index, h)]
        while index & 1:
            h = node_hash(self._border.pop(), h)
            index >>= 1
            level += 1
            completed.append(Node(level, index, h))
        self._border.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The root of the tree at its current size."""
        if not self._border:
            return EMPTY_ROOT
        result = self._border[-1]
        for left in reversed(self._border[:-1]):
            result = node_hash(left, result)
        return result

    def __repr__(self) -> str:
        return f"Tree(size={self._size}, root={_show(self.root())})"


def _border_addresses(size: int) -> list[tuple[int, int]]:
    addresses: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            addresses.append((level, start >> level))
            start += 1 << level
    return addresses


def _border_nodes(size: int, read: HashReader) -> list[Node]:
    if size < 0:
        raise ProofError(f"got tree size {size}, expected 0 or more")
    return [
        Node(level, index, _read(read, level, index)) for level, index in _border_addresses(size)
    ]


# -- verification (RFC 9162 §2.1.3.2 and §2.1.4.2: independent of the builders above)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``root`` of
    ``size`` leaves; raise ProofError otherwise."""
    _check_index(index, size)
    _check_hash(leaf, "leaf hash")
    _check_hash(root, "root")
    _check_hashes(proof, "proof hash")
    expected = _inclusion_length(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"got an inclusion proof of {len(proof)} hashes for leaf {index} of a tree of "
            f"size {size}, expected {expected}"
        )
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"got more proof hashes than leaf {index} of size {size} needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of a tree of size {size} leads to root "
            f"{_show(r)}, expected {_show(root)}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that ``proof`` shows the tree ``old_root`` of ``old_size`` leaves is a prefix of
    the tree ``new_root`` of ``new_size`` leaves; raise ProofError otherwise.

    From size 0 the proof must be empty and ``old_root`` the empty tree's root; between equal
    sizes it must be empty and the roots equal.
    """
    _check_sizes(old_size, new_size)
    _check_hash(old_root, "old root")
    _check_hash(new_root, "new root")
    _check_hashes(proof, "proof hash")
    expected = _consistency_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(
            f"got a consistency proof of {len(proof)} hashes from size {old_size} to "
            f"{new_size}, expected {expected}"
        )
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise ProofError(
                f"got old root {_show(old_root)} for size 0, expected the empty tree's root "
                f"{_show(EMPTY_ROOT)}"
            )
        return
    if old_size == new_size:
        if old_root != new_root:
            raise ProofError(
                f"got roots {_show(old_root)} and {_show(new_root)} for the same size "
                f"{old_size}, expected equal roots"
            )
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"got more proof hashes than sizes {old_size} → {new_size} need")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0 or fr != old_root:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} leads to old root "
            f"{_show(fr)}, expected {_show(old_root)}"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof from size {old_size} to {new_size} with old root "
            f"{_show(old_root)} leads to new root {_show(sr)}, expected {_show(new_root)}"
        )


class InclusionVerifier:
    """Checks many inclusion proofs against one tree (``size``, ``root``), remembering what
    each proof has established.

    A proof that leads to the root proves every node on its path and every sibling it names:
    in a tree with that root, only those hashes can stand at those places. A later proof
    stops hashing as soon as it reaches a node already proven (it must have the proven
    hash), so verifying the leaves of a range costs about one node hash per leaf instead of
    log n. The proof hashes above that point are not skipped: each must equal the proven
    node at its place, so an altered hash anywhere in any proof is still caught. (Above a
    node that has been reached before, the rest of a proof is compared in one go with the
    rest of the proof that reached it first.)

    Nodes are named ``(level, index)`` as in :class:`Tree`, except that a node on the
    right border with no right sibling is named where it is a right child (or the root):
    that is the name every path reaching it uses. The root is ``(bit_length(size - 1), 0)``.
    """

    __slots__ = ("_known", "_root", "_size", "_suffixes")

    def __init__(self, size: int, root: bytes) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ProofError(f"got tree size {size!r}, expected an integer ≥ 0")
        _check_hash(root, "root")
        self._size = size
        self._root = root
        top = (size - 1).bit_length() if size else 0
        self._known: dict[int, bytes] = {top: root}  # the root, node (top, 0)
        # For a node reached before: the rest of the proof above it, as first received (one
        # table for proofs of bytes, one for proofs of base64 text).
        self._suffixes: tuple[dict[int, list[Any]], ...] = ({}, {})

    @property
    def size(self) -> int:
        return self._size

    @property
    def root(self) -> bytes:
        return self._root

    def verify(self, index: int, leaf: bytes, proof: Sequence[bytes]) -> None:
        """Check that ``proof`` shows leaf hash ``leaf`` at ``index``; raise ProofError
        otherwise. Accepts and rejects exactly what :func:`verify_inclusion` does."""
        self._verify(index, leaf, proof, False)

    def verify_base64(self, index: int, leaf: bytes, proof: Sequence[str]) -> None:
        """Same as :meth:`verify` for a proof of base64 texts (as bundles carry them); only
        the hashes that are needed get decoded."""
        self._verify(index, leaf, proof, True)

    def _verify(self, index: int, leaf: bytes, proof: Sequence[Any], encoded: bool) -> None:
        try:
            self._walk(index, leaf, proof, encoded)
        except ProofError:
            # Say what is wrong the way verify_inclusion does, whatever came before: the
            # same proof then gets the same message, in whatever order proofs are checked.
            if encoded:
                proof = [_proof_hash(p, position, True) for position, p in enumerate(proof)]
            verify_inclusion(index, self._size, leaf, proof, self._root)

    def _walk(self, index: int, leaf: bytes, proof: Sequence[Any], encoded: bool) -> None:
        size = self._size
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < size:
            raise ProofError(
                f"got leaf index {index!r} for a tree of size {size}, expected 0 ≤ index < size"
            )
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ProofError(f"got leaf hash {_describe(leaf)}, expected {HASH_SIZE} bytes")
        # RFC 9162 §2.1.3.2 in the form of transparency-dev/merkle: an "inner" part below the
        # level where the paths to the leaf and to the last leaf meet, then the right border.
        inner = (index ^ (size - 1)).bit_length()
        expected = inner + (index >> inner).bit_count()
        if len(proof) != expected:
            raise ProofError(
                f"got an inclusion proof of {len(proof)} hashes for leaf {index} of a tree of "
                f"size {size}, expected {expected}"
            )
        # Node (level, k) is keyed k << 6 | level: one int is quicker to hash than a pair.
        known = self._known
        sha256 = hashlib.sha256
        pending: list[tuple[int, bytes]] = []
        walked: list[tuple[int, int]] = []  # nodes above the leaf, and where the proof was
        r, level, k, position = leaf, 0, index, 0
        while True:
            if level >= inner:
                while k and not k & 1:  # the right border: no sibling at this level
                    k >>= 1
                    level += 1
            key = k << 6 | level
            proven = known.get(key)
            if proven is not None:
                if proven != r:
                    raise ProofError(
                        f"inclusion proof for leaf {index} of a tree of size {size} leads to "
                        f"node {_show(r)} at level {level}, where the tree with root "
                        f"{_show(self._root)} has {_show(proven)}"
                    )
                break
            p = _proof_hash(proof[position], position, encoded)
            pending.append((key, r))
            if level:
                walked.append((key, position))
            if k & 1:
                pending.append((key - 64, p))
                r = sha256(b"\x01" + p + r).digest()
            else:
                pending.append((key + 64, p))
                r = sha256(b"\x01" + r + p).digest()
            k >>= 1
            level += 1
            position += 1
        # Above a proven node every sibling is proven too: the rest of the proof must name them.
        suffixes = self._suffixes[encoded]
        while position < expected:
            if level >= inner:
                while k and not k & 1:
                    k >>= 1
                    level += 1
            key = k << 6 | level
            suffix = suffixes.get(key)
            if suffix is not None and proof[position:] == suffix:
                break
            sibling = known.get(key ^ 64)
            if sibling is None or sibling != _proof_hash(proof[position], position, encoded):
                raise ProofError(
                    f"inclusion proof for leaf {index} of a tree of size {size}: hash "
                    f"[{position}] is not the node the tree with root {_show(self._root)} "
                    f"has there"
                )
            if level:
                walked.append((key, position))
            k >>= 1
            level += 1
            position += 1
        for key, h in pending:
            known[key] = h
        for key, at in walked:
            suffixes[key] = list(proof[at:])


def _proof_hash(p: object, position: int, encoded: bool) -> bytes:
    if encoded:
        try:
            h = binascii.a2b_base64(p, strict_mode=True)  # type: ignore[arg-type]
        except (binascii.Error, TypeError, ValueError):
            raise ProofError(
                f"got proof hash [{position}] {_describe(p)}, expected base64 of {HASH_SIZE} bytes"
            ) from None
        if len(h) == HASH_SIZE:
            return h
        raise ProofError(
            f"got proof hash [{position}] of {len(h)} bytes, expected base64 of {HASH_SIZE} bytes"
        )
    if isinstance(p, bytes) and len(p) == HASH_SIZE:
        return p
    raise ProofError(f"got proof hash [{position}] {_describe(p)}, expected {HASH_SIZE} bytes")


def _inclusion_length(index: int, size: int) -> int:
    length, lo, hi = 0, 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        lo, hi = (lo, lo + k) if index < lo + k else (lo + k, hi)
        length += 1
    return length


def _consistency_length(old_size: int, new_size: int) -> int:
    if old_size in (0, new_size):
        return 0
    length, lo, hi, m, complete = 0, 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            hi = lo + k
        else:
            lo, m, complete = lo + k, m - k, False
        length += 1
    return length + (0 if complete else 1)


# -- checks


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _read(read: HashReader, level: int, index: int) -> bytes:
    h = read(level, index)
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        raise ProofError(
            f"got {_describe(h)} from the store for node ({level}, {index}), "
            f"expected a {HASH_SIZE}-byte hash"
        )
    return h


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(
            f"got leaf index {index} for a tree of size {size}, expected 0 ≤ index < size"
        )


def _check_sizes(old_size: int, new_size: int) -> None:
    if not 0 <= old_size <= new_size:
        raise ProofError(f"got sizes {old_size} → {new_size}, expected 0 ≤ old size ≤ new size")


def _check_hash(h: object, what: str) -> None:
    if not isinstance(h, bytes) or len(h) != HASH_SIZE:
        raise ProofError(f"got {what} {_describe(h)}, expected {HASH_SIZE} bytes")


def _check_hashes(hashes: Sequence[bytes], what: str = "leaf hash") -> None:
    for position, h in enumerate(hashes):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError(f"got {what} [{position}] {_describe(h)}, expected {HASH_SIZE} bytes")


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"of {len(value)} bytes"
    return f"of type {type(value).__name__}"


def _show(h: bytes) -> str:
    return base64.b64encode(h).decode("ascii")
