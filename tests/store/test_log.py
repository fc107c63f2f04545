"""The log's Merkle tree on both databases: signed entries, integration in commit order, signed
checkpoints, proofs an auditor can check with the key list alone, refusals, concurrency and the
upgrade of a log kept before entries were signed."""

from __future__ import annotations

import itertools
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Connection, func, select, update

from mandate import keyfile
from mandate.bootstrap import ensure_keys
from mandate.settings import Settings
from policies.errors import NotFound, SignatureError
from policies.times import iso
from records import dsse, merkle
from records.canonical import canonical_json
from records.chain import GENESIS, chain_hash, verify_chain
from records.note import open_checkpoint
from records.tlogproof import parse_tlog_proof, verify_tlog_proof
from store import audit, keys, log, migrate
from store.db import RECEIPTS, Database
from store.log import LogInconsistent, SignedCheckpoint
from store.tables import checkpoint, log_entry, log_head, log_state, tree_node
from tests.keys import CHECKPOINTS, ORIGIN, RECORDS
from tests.store.fresh import (
    BACKENDS,
    checkpoint_verifiers,
    empty_url,
    fresh_keyed,
    indexed_leaves,
)


def _scope() -> str:
    return f"test:{uuid.uuid4()}"


@pytest.fixture(params=BACKENDS)
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with fresh_keyed(request.param, tmp_path) as db:
        yield db


def _checkpoint_rows(conn: Connection) -> list[tuple[int, str, str, str]]:
    rows = conn.execute(
        select(
            checkpoint.c.size, checkpoint.c.root_hash, checkpoint.c.note, checkpoint.c.key_id
        ).order_by(checkpoint.c.size)
    ).all()
    return [tuple(r) for r in rows]


def _tree_size(conn: Connection) -> int:
    size: int = conn.execute(select(log_state.c.size).where(log_state.c.id == 1)).scalar_one()
    return size


def _waiting(conn: Connection) -> int:
    count: int = conn.execute(
        select(func.count()).select_from(log_entry).where(log_entry.c.idx.is_(None))
    ).scalar_one()
    return count


def _check_checkpoint(conn: Connection, signed: SignedCheckpoint, leaves: list[bytes]) -> bytes:
    """Open the note with the key list's checkpoints key; its root is the root of the leaves."""
    opened = open_checkpoint(signed.note, checkpoint_verifiers(conn), origin=ORIGIN)
    assert (opened.origin, opened.size, opened.root.hex()) == (
        signed.origin,
        signed.size,
        signed.root_hash,
    )
    assert opened.root == merkle.root(leaves[: signed.size])
    return opened.root


def _assert_indexed_by_seq(logged: list[audit.LoggedEntry]) -> None:
    indexes = [e.index for e in logged if e.index is not None]
    assert len(indexes) == len(logged), "every entry has its index"
    assert indexes == sorted(indexes), "within a scope, the index grows with seq"


# -- appending


def test_an_entry_is_an_envelope_over_exactly_its_statement(db: Database) -> None:
    scope = _scope()
    with db.write() as conn:
        appended = [
            audit.append(conn, scope, kind, {"n": n, "text": "café ☕ مرحبا"}, "tester")
            for n, kind in enumerate(["test.opened", "ballot.cast", "test.closed"])
        ]
        assert conn.info[RECEIPTS] == [e.leaf_hash for e in appended]
    with db.read() as conn:
        records_keys = keys.key_list(conn).for_purpose("records")
        rows = conn.execute(
            select(log_entry).where(log_entry.c.scope == scope).order_by(log_entry.c.seq)
        ).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    for row, entry in zip(rows, appended, strict=True):
        stored = row.envelope.encode()
        assert stored == entry.envelope
        envelope = dsse.Envelope.from_bytes(stored)
        assert envelope.to_bytes() == stored  # canonical bytes: the leaf is reproducible
        assert [s.keyid for s in envelope.signatures] == [RECORDS.key_id]
        payload = dsse.verify(envelope, records_keys, payload_type=dsse.payload_type_for(row.type))
        assert payload == row.statement.encode() == entry.statement
        assert json.loads(payload)["type"] == row.type
        assert row.leaf_hash == merkle.leaf_hash(stored).hex() == entry.leaf_hash


def test_an_entry_another_key_signed_does_not_verify(db: Database) -> None:
    with db.write() as conn:
        entry = audit.append(conn, _scope(), "test.event", {}, None)
    with db.read() as conn:
        checkpoints_keys = keys.key_list(conn).for_purpose("checkpoints")
    with pytest.raises(SignatureError):
        dsse.verify(dsse.Envelope.from_bytes(entry.envelope), checkpoints_keys)


# -- integrating


def test_integrate_indexes_in_commit_order_and_by_seq_within_a_scope(db: Database) -> None:
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)  # whatever other tests left waiting
    a, b = _scope(), _scope()
    order: list[tuple[str, int]] = []
    for batch in ([a, b], [a], [b, a, a], [b]):
        with db.write() as conn:
            for scope in batch:
                order.append((scope, audit.append(conn, scope, "test.event", {}, None).seq))
    with db.write() as conn:
        before = _tree_size(conn)
        count, signed = log.integrate(conn, ORIGIN)
    assert count == len(order) == 7
    assert signed.size == before + 7
    with db.read() as conn:
        logged = {(e.scope, e.seq): e.index for s in (a, b) for e in audit.entries(conn, s)}
        assert [logged[k] for k in order] == list(range(before, before + 7))
        for scope in (a, b):
            _assert_indexed_by_seq(audit.entries(conn, scope))
        assert [e.index for e in log.entries(conn, before, before + 7)] == list(
            range(before, before + 7)
        )
        for entry in audit.entries(conn, a):
            assert log.index_of(conn, entry.leaf_hash) == entry.index
        _check_checkpoint(conn, signed, indexed_leaves(conn))


def test_the_checkpoint_root_is_the_root_of_every_leaf_in_index_order(db: Database) -> None:
    with db.write() as conn:
        audit.append(conn, _scope(), "test.event", {}, None)
    with db.write() as conn:
        signed = log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        leaves = indexed_leaves(conn)
        assert len(leaves) == signed.size == _tree_size(conn)
        assert _waiting(conn) == 0
        _check_checkpoint(conn, signed, leaves)
        assert signed.key_id == CHECKPOINTS.key_id
        assert log.latest_checkpoint(conn) == signed
        assert log.checkpoint_at(conn, signed.size) == signed
        assert log.require_checkpoint(conn, signed.size) == signed


def test_integrating_with_nothing_waiting_signs_nothing(db: Database) -> None:
    with db.write() as conn:
        audit.append(conn, _scope(), "test.event", {}, None)
        first = log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        rows = _checkpoint_rows(conn)
    with db.write() as conn:
        count, again = log.integrate(conn, ORIGIN)
    assert (count, again) == (0, first)
    with db.read() as conn:
        assert _checkpoint_rows(conn) == rows
        assert _tree_size(conn) == first.size


def test_an_entry_waiting_for_integration_has_no_index_yet(db: Database) -> None:
    with db.write() as conn:
        entry = audit.append(conn, _scope(), "test.event", {}, None)
    with db.read() as conn, pytest.raises(NotFound, match="not yet in a checkpoint"):
        log.index_of(conn, entry.leaf_hash)
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        assert log.index_of(conn, entry.leaf_hash.upper()) >= 0


def test_proofs_over_many_small_integrations(fresh_db: Database) -> None:
    """A few hundred entries, integrated a few at a time: every checkpoint opens and has the
    root of its leaves, every inclusion and every consistency proof verifies and equals the
    proof computed from the leaves alone, and every tlog-proof verifies."""
    rng = random.Random(6962)
    scopes = [_scope() for _ in range(5)]
    signed: list[SignedCheckpoint] = []
    appended = 1  # the test keys' keys.published entry
    while appended < 300:
        with fresh_db.write() as conn:
            for _ in range(rng.randint(1, 25)):
                audit.append(conn, rng.choice(scopes), "test.event", {"n": appended}, None)
                appended += 1
        with fresh_db.write() as conn:
            waiting = _waiting(conn)
            limit = rng.choice([1, 2, 3, 7, 16])
            count, latest = log.integrate(conn, ORIGIN, limit=limit)
        assert count == min(limit, waiting)
        assert not signed or latest.size == signed[-1].size + count
        signed.append(latest)
    with fresh_db.write() as conn:
        while _waiting(conn):
            signed.append(log.integrate(conn, ORIGIN, limit=40)[1])
    assert len({s.size for s in signed}) == len(signed) >= 20

    with fresh_db.read() as conn:
        leaves = indexed_leaves(conn)
        final = signed[-1]
        assert final.size == len(leaves) == appended
        assert [r[0] for r in _checkpoint_rows(conn)] == [s.size for s in signed]
        roots = {s.size: _check_checkpoint(conn, s, leaves) for s in signed}
        verifiers = checkpoint_verifiers(conn)
        envelopes = [e.envelope.encode() for e in log.entries(conn, 0, final.size)]
        assert [merkle.leaf_hash(e) for e in envelopes] == leaves

        for index in range(final.size):
            proof = log.inclusion(conn, index, final.size)
            assert proof == merkle.inclusion_proof(index, leaves)
            merkle.verify_inclusion(index, final.size, leaves[index], proof, roots[final.size])
            text = log.tlog_proof(conn, index)
            assert parse_tlog_proof(text).index == index
            opened = verify_tlog_proof(text, verifiers, leaf=envelopes[index], origin=ORIGIN)
            assert (opened.size, opened.root) == (final.size, roots[final.size])

        for s in signed:  # the first, middle and last entry of every checkpoint
            for index in sorted({0, s.size // 2, s.size - 1}):
                proof = log.inclusion(conn, index, s.size)
                merkle.verify_inclusion(index, s.size, leaves[index], proof, roots[s.size])

        for old, new in itertools.combinations_with_replacement([s.size for s in signed], 2):
            proof = log.consistency(conn, old, new)
            assert proof == merkle.consistency_proof(old, leaves[:new])
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)


def test_a_proof_of_one_entry_fails_for_another(fresh_db: Database) -> None:
    with fresh_db.write() as conn:
        for n in range(5):
            audit.append(conn, _scope(), "test.event", {"n": n}, None)
        log.integrate_all(conn, ORIGIN)
    with fresh_db.read() as conn:
        verifiers = checkpoint_verifiers(conn)
        envelopes = [e.envelope.encode() for e in log.entries(conn, 0, 6)]
        text = log.tlog_proof(conn, 2)
    verify_tlog_proof(text, verifiers, leaf=envelopes[2], origin=ORIGIN)
    with pytest.raises(merkle.ProofError):
        verify_tlog_proof(text, verifiers, leaf=envelopes[3], origin=ORIGIN)


# -- refusing


def _tamper_border_node(conn: Connection, size: int) -> None:
    # The largest complete subtree of the signed tree: the new tree is built on it.
    level = size.bit_length() - 1
    conn.execute(
        update(tree_node)
        .where(tree_node.c.level == level, tree_node.c.idx == 0)
        .values(hash=bytes(32))
    )


def _tamper_checkpoint_root(conn: Connection, size: int) -> None:
    conn.execute(update(checkpoint).where(checkpoint.c.size == size).values(root_hash="ab" * 32))


def _tamper_checkpoint_size(conn: Connection, size: int) -> None:
    # A checkpoint that claims more entries than the tree holds.
    conn.execute(update(checkpoint).where(checkpoint.c.size == size).values(size=size + 50))


@pytest.mark.parametrize(
    ("tamper", "refusal"),
    [
        (_tamper_border_node, "refusing to sign a checkpoint of size 16: it does not extend"),
        # A stored checkpoint is trusted only as far as its signed note says.
        (_tamper_checkpoint_root, "differ from its signed note"),
        (_tamper_checkpoint_size, "differ from its signed note"),
    ],
    ids=["tree node", "checkpoint root", "checkpoint size"],
)
def test_a_tampered_tree_or_checkpoint_is_refused_and_nothing_is_signed(
    fresh_db: Database, tamper: Callable[[Connection, int], None], refusal: str
) -> None:
    scope = _scope()
    with fresh_db.write() as conn:
        for n in range(12):
            audit.append(conn, scope, "test.event", {"n": n}, None)
        signed = log.integrate_all(conn, ORIGIN)
    assert signed.size == 13
    with fresh_db.write() as conn:
        tamper(conn, signed.size)
        for n in range(3):
            audit.append(conn, scope, "test.event", {"n": n}, None)
    with fresh_db.read() as conn:
        rows = _checkpoint_rows(conn)
        nodes = conn.execute(select(func.count()).select_from(tree_node)).scalar_one()

    for _ in range(2):  # and again: a refusal is not a one-off
        with (
            pytest.raises(LogInconsistent, match="refusing to sign") as info,
            fresh_db.write() as conn,
        ):
            log.integrate(conn, ORIGIN)
        assert info.value.code == "log_inconsistent"
        assert refusal in info.value.detail

    with fresh_db.read() as conn:
        assert _checkpoint_rows(conn) == rows
        assert conn.execute(select(func.count()).select_from(tree_node)).scalar_one() == nodes
        assert _tree_size(conn) == 13
        assert _waiting(conn) == 3


def test_a_tampered_leaf_fails_its_neighbours_inclusion_proof(fresh_db: Database) -> None:
    with fresh_db.write() as conn:
        for n in range(7):
            audit.append(conn, _scope(), "test.event", {"n": n}, None)
        signed = log.integrate_all(conn, ORIGIN)
        leaves = indexed_leaves(conn)
        conn.execute(
            update(tree_node)
            .where(tree_node.c.level == 0, tree_node.c.idx == 4)
            .values(hash=bytes(32))
        )
    with fresh_db.read() as conn:
        proof = log.inclusion(conn, 5, signed.size)
    with pytest.raises(merkle.ProofError, match="leads to root"):
        merkle.verify_inclusion(5, signed.size, leaves[5], proof, bytes.fromhex(signed.root_hash))


# -- concurrency

APPENDERS = 4
INTEGRATORS = 2
TRANSACTIONS = 20


def test_appending_while_integrating_indexes_every_entry_exactly_once(
    fresh_db: Database,
) -> None:
    shared = _scope()
    own = [_scope() for _ in range(APPENDERS)]
    start = threading.Barrier(APPENDERS + INTEGRATORS)
    appending = threading.Event()
    appending.set()
    checkpoints: list[SignedCheckpoint] = []

    def append(thread: int) -> int:
        start.wait(timeout=30)
        written = 0
        for n in range(TRANSACTIONS):
            with fresh_db.write() as conn:
                for k in range(n % 3 + 1):
                    scope = shared if k == 0 else own[thread]
                    audit.append(conn, scope, "test.event", {"t": thread, "n": n, "k": k}, None)
                    written += 1
        return written

    def integrate() -> int:
        start.wait(timeout=30)
        turns = 0
        while appending.is_set():
            with fresh_db.write() as conn:
                checkpoints.append(log.integrate(conn, ORIGIN, limit=7)[1])
            turns += 1
        return turns

    with ThreadPoolExecutor(APPENDERS + INTEGRATORS) as pool:
        integrators = [pool.submit(integrate) for _ in range(INTEGRATORS)]
        try:
            written = sum(pool.map(append, range(APPENDERS)))
        finally:
            appending.clear()
        assert all(f.result() > 0 for f in integrators)
    with fresh_db.write() as conn:
        checkpoints.append(log.integrate_all(conn, ORIGIN))

    with fresh_db.read() as conn:
        leaves = indexed_leaves(conn)  # contiguous: no index twice, none skipped
        assert _waiting(conn) == 0
        assert len(leaves) == written + 1 == checkpoints[-1].size
        for scope in (shared, *own):
            logged = audit.entries(conn, scope)
            _assert_indexed_by_seq(logged)
            verify_chain(audit.as_chain(logged))
        assert len(audit.entries(conn, shared)) == APPENDERS * TRANSACTIONS
        sizes = sorted({c.size for c in checkpoints})
        roots = {c.size: _check_checkpoint(conn, c, leaves) for c in checkpoints}
        assert [r[0] for r in _checkpoint_rows(conn)] == sizes
        final = sizes[-1]
        for index in range(final):
            proof = log.inclusion(conn, index, final)
            merkle.verify_inclusion(index, final, leaves[index], proof, roots[final])
        for old, new in itertools.pairwise(sizes):
            proof = log.consistency(conn, old, new)
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)


# -- upgrading a log kept before entries were signed

OLD_ENTRIES = 9


def _log_unsigned(conn: Connection, scope: str, n: int, at: datetime) -> None:
    """An entry as revision 0002 wrote it: statement and hash chain, no envelope."""
    head = conn.execute(select(log_head).where(log_head.c.scope == scope)).first()
    prev = GENESIS if head is None else head.head_hash
    statement = canonical_json(
        {"type": "test.event", "scope": scope, "seq": n, "at": iso(at), "actor": None, "data": {}}
    )
    entry_hash = chain_hash(prev, statement)
    conn.execute(
        log_entry.insert().values(
            scope=scope,
            seq=n,
            type="test.event",
            statement=statement.decode(),
            prev_hash=prev,
            entry_hash=entry_hash,
            created_at=at,
        )
    )
    if head is None:
        conn.execute(log_head.insert().values(scope=scope, seq=n, head_hash=entry_hash))
    else:
        conn.execute(
            update(log_head).where(log_head.c.scope == scope).values(seq=n, head_hash=entry_hash)
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_0002_signs_the_old_entries_so_they_can_be_integrated(
    backend: str, tmp_path: Path
) -> None:
    first = datetime(2024, 5, 1, 9, 30, 15, 250000, tzinfo=UTC)
    scopes = [_scope(), _scope()]
    with empty_url(backend, tmp_path) as url:
        plain = Database(url)  # no key ring: revision 0002 signed nothing
        migrate.upgrade(plain, "0002")
        with plain.engine.begin() as conn:
            for n in range(OLD_ENTRIES):
                _log_unsigned(conn, scopes[n % 2], n // 2 + 1, first + timedelta(minutes=n))
        migrate.upgrade(plain)
        assert migrate.drift(plain) == []
        with plain.read() as conn:
            assert _waiting(conn) == OLD_ENTRIES
            old = {s: audit.entries(conn, s) for s in scopes}
        assert all(e.envelope == b"" and e.leaf_hash == "" for es in old.values() for e in es)
        plain.dispose()

        settings = Settings(
            data_dir=tmp_path / "data", keys_dir=tmp_path / "keys", database_url=SecretStr(url)
        )
        added = ensure_keys(settings)
        assert len(added) == 2
        assert ensure_keys(settings) == []  # listed once
        db = Database(url, keyring=keyfile.keyring(settings))
        try:
            with db.write() as conn:
                assert audit.sign_unsigned(conn) == 0  # bootstrap signed them all
                signed = log.integrate_all(conn, ORIGIN)
            with db.read() as conn:
                listed = keys.key_list(conn)
                leaves = indexed_leaves(conn)
                assert signed.size == len(leaves) == OLD_ENTRIES + 1  # and keys.published
                _check_checkpoint(conn, signed, leaves)
                records_key = next(k for k in listed.keys if k.purpose == "records")
                assert records_key.valid_from == iso(first)
                for scope in scopes:
                    upgraded = audit.entries(conn, scope)
                    assert [e.statement for e in upgraded] == [e.statement for e in old[scope]]
                    verify_chain(audit.as_chain(upgraded))
                    for entry in upgraded:
                        envelope = dsse.Envelope.from_bytes(entry.envelope)
                        keyid = envelope.signatures[0].keyid
                        at = json.loads(entry.statement)["at"]
                        public = listed.check_signed_at(keyid, "records", at)
                        assert dsse.verify(envelope, {keyid: public}) == entry.statement
                        assert entry.leaf_hash == merkle.leaf_hash(entry.envelope).hex()
                        assert entry.index is not None
                        assert entry.index < OLD_ENTRIES
                published = audit.entries(conn, keys.KEYS_SCOPE)
                assert [e.type for e in published] == ["keys.published"]
                assert published[0].index == OLD_ENTRIES
        finally:
            db.dispose()
