"""The log's Merkle tree: integration in batches, signed checkpoints, and proofs.

Appending (``store.audit``) only inserts a signed entry. The integrator then gives committed
entries contiguous indexes in commit order, stores every complete subtree hash it completes
(so any proof costs O(log n) reads), and signs a C2SP checkpoint — only after checking that the
new tree extends the one the previous checkpoint signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select, update

from policies.errors import NotFound, RecordError
from policies.messages import N_
from records.merkle import (
    HashReader,
    ProofError,
    Tree,
    consistency_proof_from,
    inclusion_proof_from,
    verify_consistency,
)
from records.note import (
    Checkpoint,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    parse_note_unverified,
    sign_checkpoint,
)
from records.tlogproof import format_tlog_proof
from store.db import keyring, utcnow
from store.signing import key_list
from store.tables import checkpoint, log_entry, log_state, tree_node
from store.upsert import insert_ignore

# Entries per integration transaction: keeps each short beside ballot intake.
BATCH = 2000


class LogInconsistent(RecordError):
    """The stored tree does not extend the last signed checkpoint: nothing more is signed."""

    code = "log_inconsistent"


@dataclass(frozen=True)
class SignedCheckpoint:
    origin: str
    size: int
    root_hash: str
    note: str
    key_id: str

    def to_json(self) -> dict[str, object]:
        return {"origin": self.origin, "size": self.size, "root_hash": self.root_hash}


def integrate(conn: Connection, origin: str, limit: int = BATCH) -> tuple[int, SignedCheckpoint]:
    """Index up to ``limit`` waiting entries and sign a checkpoint for the new size.

    Returns how many entries were integrated and the latest checkpoint (a fresh one when the
    tree grew or none existed yet). Serialised by the ``log_state`` row.
    """
    conn.execute(insert_ignore(conn, log_state, {"id": 1, "size": 0}))
    size: int = conn.execute(
        select(log_state.c.size).where(log_state.c.id == 1).with_for_update()
    ).scalar_one()
    waiting = conn.execute(
        select(log_entry.c.id, log_entry.c.leaf_hash)
        .where(log_entry.c.idx.is_(None), log_entry.c.envelope.is_not(None))
        .order_by(log_entry.c.id)
        .limit(limit)
    ).all()
    previous = latest_checkpoint(conn)
    if not waiting and previous is not None and previous.size == size:
        return 0, previous
    read = node_reader(conn)
    tree = Tree.from_reader(size, read)
    nodes: list[dict[str, object]] = []
    for index, row in enumerate(waiting, start=size):
        nodes.extend(
            {"level": n.level, "idx": n.index, "hash": n.hash}
            for n in tree.append(bytes.fromhex(row.leaf_hash))
        )
        assert tree.size == index + 1
    if nodes:
        conn.execute(tree_node.insert(), nodes)
        conn.execute(
            update(log_entry)
            .where(log_entry.c.id == bindparam("row_id"))
            .values(idx=bindparam("new_idx")),
            [{"row_id": row.id, "new_idx": size + i} for i, row in enumerate(waiting)],
        )
        conn.execute(update(log_state).where(log_state.c.id == 1).values(size=tree.size))
    root = tree.root()
    if previous is not None:
        _check_extends(_as_signed(conn, previous, origin), tree.size, root, node_reader(conn))
    signed = _sign(conn, origin, tree.size, root)
    return len(waiting), signed


def integrate_all(conn: Connection, origin: str) -> SignedCheckpoint:
    """Integrate everything committed so far (several batches if need be)."""
    while True:
        count, signed = integrate(conn, origin)
        if count < BATCH:
            return signed


def _as_signed(conn: Connection, previous: SignedCheckpoint, origin: str) -> SignedCheckpoint:
    """The previous checkpoint as its signed note says, not as its row's columns say."""
    verifiers = [
        NoteVerifier(origin, k.ed25519().public_bytes_raw())
        for k in key_list(conn).keys
        if k.purpose == "checkpoints" and k.status != "revoked"
    ]
    try:
        opened = open_checkpoint(previous.note, verifiers, origin=origin)
    except RecordError as exc:
        raise LogInconsistent(
            f"refusing to sign: the last checkpoint (size {previous.size}) does not verify as "
            f"a checkpoint of {origin!r} under a listed checkpoints key ({exc.detail})"
        ) from exc
    if (opened.size, opened.root.hex()) != (previous.size, previous.root_hash):
        raise LogInconsistent(
            f"refusing to sign: the stored size and root of the last checkpoint "
            f"({previous.size}, {previous.root_hash}) differ from its signed note "
            f"({opened.size}, {opened.root.hex()})"
        )
    return previous


def _check_extends(previous: SignedCheckpoint, size: int, root: bytes, read: HashReader) -> None:
    try:
        if previous.size > size:
            raise ProofError(f"the tree has {size} entries, fewer than the {previous.size} signed")
        proof = consistency_proof_from(previous.size, size, read) if previous.size else []
        verify_consistency(previous.size, size, bytes.fromhex(previous.root_hash), root, proof)
    except ProofError as exc:
        raise LogInconsistent(
            f"refusing to sign a checkpoint of size {size}: it does not extend the checkpoint "
            f"of size {previous.size} ({exc.detail})"
        ) from exc


def _sign(conn: Connection, origin: str, size: int, root: bytes) -> SignedCheckpoint:
    existing = checkpoint_at(conn, size)
    if existing is not None:
        return existing  # one checkpoint per size: the first one signed stands
    at = utcnow()
    key_id, signer = keyring(conn).note_signer(conn, origin, at)
    note = sign_checkpoint(Checkpoint(origin, size, root), [signer])
    signed = SignedCheckpoint(origin, size, root.hex(), note, key_id)
    conn.execute(
        checkpoint.insert().values(
            size=size, root_hash=root.hex(), note=note, key_id=key_id, created_at=at
        )
    )
    return signed


# -- reading


def node_reader(conn: Connection) -> HashReader:
    """Reads stored subtree hashes one by one, remembering what it read."""
    cache: dict[tuple[int, int], bytes] = {}

    def read(level: int, index: int) -> bytes:
        key = (level, index)
        if key not in cache:
            h = conn.execute(
                select(tree_node.c.hash).where(tree_node.c.level == level, tree_node.c.idx == index)
            ).scalar()
            if h is None:
                raise ProofError(f"no stored subtree hash at level {level}, index {index}")
            cache[key] = bytes(h)
        return cache[key]

    return read


def preloaded_reader(conn: Connection) -> HashReader:
    """Every stored subtree hash at once: for exports that need many proofs."""
    nodes = {
        (r.level, r.idx): bytes(r.hash)
        for r in conn.execute(select(tree_node.c.level, tree_node.c.idx, tree_node.c.hash))
    }

    def read(level: int, index: int) -> bytes:
        h = nodes.get((level, index))
        if h is None:
            raise ProofError(f"no stored subtree hash at level {level}, index {index}")
        return h

    return read


def _signed(row: Row[Any]) -> SignedCheckpoint:
    origin = parse_checkpoint(parse_note_unverified(row.note).text).origin
    return SignedCheckpoint(origin, row.size, row.root_hash, row.note, row.key_id)


def latest_checkpoint(conn: Connection) -> SignedCheckpoint | None:
    row = conn.execute(select(checkpoint).order_by(checkpoint.c.size.desc()).limit(1)).first()
    return None if row is None else _signed(row)


def checkpoint_at(conn: Connection, size: int) -> SignedCheckpoint | None:
    row = conn.execute(select(checkpoint).where(checkpoint.c.size == size)).first()
    return None if row is None else _signed(row)


def require_checkpoint(conn: Connection, size: int | None = None) -> SignedCheckpoint:
    found = latest_checkpoint(conn) if size is None else checkpoint_at(conn, size)
    if found is None:
        if size is None:
            raise NotFound(
                N_(
                    "no checkpoint has been signed yet; the integrator signs one within seconds "
                    "of a write"
                )
            )
        raise NotFound(
            N_(
                "no checkpoint of size %(size)s; the integrator signs one within seconds of a write"
            ),
            size=size,
        )
    return found


@dataclass(frozen=True)
class IndexedEntry:
    index: int
    envelope: str
    leaf_hash: str


def entries(conn: Connection, start: int, end: int) -> list[IndexedEntry]:
    """Integrated entries with indexes in ``[start, end)``."""
    rows = conn.execute(
        select(log_entry.c.idx, log_entry.c.envelope, log_entry.c.leaf_hash)
        .where(log_entry.c.idx >= start, log_entry.c.idx < end)
        .order_by(log_entry.c.idx)
    )
    return [IndexedEntry(r.idx, r.envelope, r.leaf_hash) for r in rows]


def index_of(conn: Connection, leaf_hash: str) -> int:
    row = conn.execute(
        select(log_entry.c.idx).where(log_entry.c.leaf_hash == leaf_hash.lower())
    ).first()
    if row is None:
        raise NotFound(N_("no log entry has leaf hash %(leaf_hash)s"), leaf_hash=leaf_hash)
    if row.idx is None:
        raise NotFound(
            N_(
                "the entry with leaf hash %(leaf_hash)s is logged but not yet in a checkpoint; "
                "ask again in a few seconds"
            ),
            leaf_hash=leaf_hash,
        )
    index: int = row.idx
    return index


def inclusion(conn: Connection, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        raise NotFound(
            N_("entry %(index)s is not in the tree of size %(size)s"), index=index, size=size
        )
    return inclusion_proof_from(index, size, node_reader(conn))


def consistency(conn: Connection, old_size: int, new_size: int) -> list[bytes]:
    if not 0 <= old_size <= new_size:
        raise NotFound(
            N_("no consistency proof from size %(old_size)s to size %(new_size)s"),
            old_size=old_size,
            new_size=new_size,
        )
    return consistency_proof_from(old_size, new_size, node_reader(conn))


def tlog_proof(conn: Connection, index: int) -> str:
    """The C2SP tlog-proof of entry ``index`` against the latest checkpoint."""
    signed = require_checkpoint(conn)
    return format_tlog_proof(index, inclusion(conn, index, signed.size), signed.note)
