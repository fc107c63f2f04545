"""The published key list in the store, rotation, the key ring that picks the signing key, and
private keys that never reach the database."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Connection, select

from policies.errors import RecordError, ServiceUnavailable
from policies.times import iso
from records import dsse, merkle
from records.canonical import canonical_hash, canonical_json
from records.keylist import KeyList, KeyListError, KeyNotValid, ListedKey, listed_key
from records.keys import Signer, generate_signer, signer_to_pem
from records.note import NoteSigner, UnverifiedNoteError, open_checkpoint
from store import audit, keys, log, migrate, signing
from store.db import Database, utcnow
from store.signing import KeyRing
from store.tables import checkpoint, metadata
from tests.keys import CHECKPOINTS, ORIGIN, RECORDS
from tests.store.fresh import BACKENDS, checkpoint_verifiers, empty_url

OLD = generate_signer()
NEW = generate_signer()
NEXT_CHECKPOINTS = generate_signer()
OTHER = generate_signer()
LISTED_FROM = "2020-01-01T00:00:00Z"
ROTATION = "2031-06-01T00:00:00Z"
ROTATED_AT = datetime(2031, 6, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _scope() -> str:
    return f"test:{uuid.uuid4()}"


def _ring(*signers: Signer, refresh_seconds: float = 1.0) -> KeyRing:
    held = {s.key_id: s for s in signers}
    return KeyRing(held.get, refresh_seconds)


@pytest.fixture(params=BACKENDS)
def unkeyed_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database that lists no key yet."""
    with empty_url(request.param, tmp_path) as url:
        plain = Database(url)
        migrate.upgrade(plain)
        plain.dispose()
        yield url


@pytest.fixture
def open_db(unkeyed_url: str) -> Iterator[Database]:
    """Holds the private keys of this module; lists none of them yet."""
    db = Database(unkeyed_url, keyring=_ring(OLD, NEW, CHECKPOINTS, NEXT_CHECKPOINTS))
    yield db
    db.dispose()


def _list_first_keys(db: Database, records_until: str | None = None) -> None:
    with db.write() as conn:
        keys.add(conn, listed_key(OLD.public_key, "records", LISTED_FROM, records_until))
        keys.add(conn, listed_key(CHECKPOINTS.public_key, "checkpoints", LISTED_FROM))


def _signed_by(entry: audit.LoggedEntry) -> str:
    (signature,) = dsse.Envelope.from_bytes(entry.envelope).signatures
    return signature.keyid


def _raw(signer: Signer) -> bytes:
    return signer.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _time_of(entry: audit.LoggedEntry) -> str:
    at: str = json.loads(entry.statement)["at"]
    return at


# -- the key list


def test_the_key_list_reads_back_as_listed(open_db: Database) -> None:
    listed = [
        listed_key(OLD.public_key, "records", LISTED_FROM, "2030-01-01T00:00:00.5Z"),
        listed_key(NEW.public_key, "records", "2030-01-01T00:00:00.5Z"),
        listed_key(CHECKPOINTS.public_key, "checkpoints", LISTED_FROM),
    ]
    with open_db.write() as conn:
        for key in listed:
            keys.add(conn, key)
    with open_db.read() as conn:
        stored = keys.key_list(conn)
    assert stored == KeyList((listed[2], listed[0], listed[1]))  # by purpose, then start
    assert KeyList.from_json(json.loads(canonical_json(stored.to_json()))) == stored
    assert stored.find(OLD.key_id) == listed[0]  # times kept exactly as listed
    assert set(stored.for_purpose("records")) == {OLD.key_id, NEW.key_id}


def test_an_overlapping_key_is_refused_and_not_listed(open_db: Database) -> None:
    _list_first_keys(open_db)
    with (
        pytest.raises(KeyListError, match="got overlapping records keys") as info,
        open_db.write() as conn,
    ):
        keys.add(conn, listed_key(NEW.public_key, "records", "2025-01-01T00:00:00Z"))
    assert OLD.key_id in info.value.detail
    assert NEW.key_id in info.value.detail
    with pytest.raises(KeyListError, match="listed twice"), open_db.write() as conn:
        keys.add(conn, listed_key(OLD.public_key, "records", "2040-01-01T00:00:00Z"))
    with open_db.write() as conn:
        assert keys.key_list(conn).find(NEW.key_id) is None
        # Windows that only touch do not overlap, and each purpose has windows of its own.
        keys.add(conn, listed_key(NEW.public_key, "records", "2010-01-01T00:00:00Z", LISTED_FROM))
        keys.add(
            conn, listed_key(OTHER.public_key, "checkpoints", "2010-01-01T00:00:00Z", LISTED_FROM)
        )
    with open_db.read() as conn:
        assert len(keys.key_list(conn).keys) == 4


def test_a_key_the_published_list_could_not_carry_is_refused(open_db: Database) -> None:
    """Auditors parse the published list strictly (KeyList.from_json): a key whose id is not
    the hash of its public key, or whose public key is not one, is refused when listed."""
    good = listed_key(NEW.public_key, "records", LISTED_FROM)
    mislabelled = dataclasses.replace(good, key_id=OLD.key_id)
    with (
        pytest.raises(KeyListError, match="SHA-256 of the raw public key"),
        open_db.write() as conn,
    ):
        keys.add(conn, mislabelled)
    with pytest.raises(RecordError, match="expected standard base64"), open_db.write() as conn:
        keys.add(conn, dataclasses.replace(good, public_key="not a key"))
    with open_db.write() as conn:
        assert keys.key_list(conn).keys == ()
        keys.add(conn, good)
        published = json.loads(keys.publish(conn, "test").statement)["data"]["key_list"]
    assert KeyList.from_json(published).keys == (good,)


# -- rotation


def test_rotation_signs_each_entry_by_the_key_valid_at_its_time(open_db: Database) -> None:
    _list_first_keys(open_db)
    with open_db.write() as conn:
        keys.rotate(conn, OLD.key_id, listed_key(NEW.public_key, "records", ROTATION), ROTATION)
    scope = _scope()
    times = [ROTATED_AT - timedelta(days=1), ROTATED_AT - timedelta(microseconds=1)]
    times += [ROTATED_AT, ROTATED_AT + timedelta(days=400)]
    with open_db.write() as conn:
        logged = [audit.append(conn, scope, "test.event", {}, None, at) for at in times]
    assert [_signed_by(e) for e in logged] == [OLD.key_id, OLD.key_id, NEW.key_id, NEW.key_id]

    with open_db.read() as conn:
        listed = keys.key_list(conn)
    old, new = listed.find(OLD.key_id), listed.find(NEW.key_id)
    assert old is not None
    assert (old.valid_until, old.status) == (ROTATION, "retired")
    assert new is not None
    assert (new.valid_from, new.valid_until, new.status) == (ROTATION, None, "active")
    for entry in logged:
        keyid = _signed_by(entry)
        public = listed.check_signed_at(keyid, "records", _time_of(entry))
        envelope = dsse.Envelope.from_bytes(entry.envelope)
        assert dsse.verify(envelope, {keyid: public}) == entry.statement
    # Each key only within its own window.
    before, after = _time_of(logged[1]), _time_of(logged[2])
    with pytest.raises(KeyNotValid, match=r"expected one within \[2031-06-01T00:00:00Z, open\)"):
        listed.check_signed_at(NEW.key_id, "records", before)
    with pytest.raises(KeyNotValid, match=r"within \[2020-01-01T00:00:00Z, 2031-06-01T00:00:00Z\)"):
        listed.check_signed_at(OLD.key_id, "records", after)
    with pytest.raises(KeyNotValid, match="expected a 'checkpoints' key"):
        listed.check_signed_at(OLD.key_id, "checkpoints", before)


def test_a_statement_dated_outside_its_keys_window_fails_the_check(open_db: Database) -> None:
    """An old key that signs a statement dated after its retirement is caught by the time."""
    _list_first_keys(open_db)
    with open_db.write() as conn:
        keys.rotate(conn, OLD.key_id, listed_key(NEW.public_key, "records", ROTATION), ROTATION)
        listed = keys.key_list(conn)
    at = iso(ROTATED_AT + timedelta(hours=1))
    statement = canonical_json({"type": "test.event", "at": at, "data": {}})
    forged = dsse.sign(OLD, dsse.payload_type_for("test.event"), statement)
    # The signature itself is good: only the key's window tells it apart.
    assert dsse.verify(forged, listed.for_purpose("records")) == statement
    with pytest.raises(KeyNotValid, match=f"got signing time {at} for key {OLD.key_id}"):
        listed.check_signed_at(OLD.key_id, "records", at)


def test_a_rotated_checkpoints_key_signs_the_next_checkpoint(unkeyed_url: str) -> None:
    # This ring re-reads the list on every use, so the rotation can be due within a second.
    db = Database(unkeyed_url, keyring=_ring(OLD, CHECKPOINTS, NEXT_CHECKPOINTS, refresh_seconds=0))
    try:
        _list_first_keys(db)
        with db.write() as conn:
            audit.append(conn, _scope(), "test.event", {}, None)
            first = log.integrate_all(conn, ORIGIN)
        due = iso(utcnow() + SECOND / 2)
        with db.write() as conn:
            keys.rotate(
                conn,
                CHECKPOINTS.key_id,
                listed_key(NEXT_CHECKPOINTS.public_key, "checkpoints", due),
                due,
            )
            keys.publish(conn, "test")
        time.sleep(0.6)
        with db.write() as conn:
            second = log.integrate_all(conn, ORIGIN)
        with db.read() as conn:
            listed = keys.key_list(conn)
            verifiers = checkpoint_verifiers(conn)
            rows = conn.execute(select(checkpoint).order_by(checkpoint.c.size)).all()
            consistency = log.consistency(conn, first.size, second.size)
    finally:
        db.dispose()
    assert (first.key_id, second.key_id) == (CHECKPOINTS.key_id, NEXT_CHECKPOINTS.key_id)
    assert second.size == first.size + 1  # the keys.published entry
    for row in rows:
        listed.check_signed_at(row.key_id, "checkpoints", iso(row.created_at))
    assert len(verifiers) == 2
    (old_verifier,) = [v for v in verifiers if v.public_key == _raw(CHECKPOINTS)]
    (new_verifier,) = [v for v in verifiers if v.public_key == _raw(NEXT_CHECKPOINTS)]
    open_checkpoint(first.note, [old_verifier], origin=ORIGIN)
    open_checkpoint(second.note, [new_verifier], origin=ORIGIN)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(second.note, [old_verifier], origin=ORIGIN)
    merkle.verify_consistency(
        first.size,
        second.size,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        consistency,
    )


# -- publishing


def test_publish_logs_the_key_list_as_it_stands(open_db: Database) -> None:
    _list_first_keys(open_db)
    with open_db.write() as conn:
        first = keys.publish(conn, "secretariat")
        keys.rotate(conn, OLD.key_id, listed_key(NEW.public_key, "records", ROTATION), ROTATION)
        second = keys.publish(conn, "secretariat")
        listed = keys.key_list(conn)
    with open_db.read() as conn:
        logged = audit.entries(conn, keys.KEYS_SCOPE)
    assert logged == [first, second]
    assert [(e.seq, e.type) for e in logged] == [(1, "keys.published"), (2, "keys.published")]
    statements = [json.loads(e.statement) for e in logged]
    assert all(s["actor"] == "secretariat" for s in statements)
    for statement in statements:
        data = statement["data"]
        assert data["key_list_hash"] == canonical_hash(data["key_list"])
    published = [KeyList.from_json(s["data"]["key_list"]) for s in statements]
    assert published[1] == listed
    assert published[0].find(OLD.key_id) == listed_key(OLD.public_key, "records", LISTED_FROM)
    assert published[0].find(NEW.key_id) is None
    retired = published[1].find(OLD.key_id)
    assert retired is not None
    assert (retired.valid_until, retired.status) == (ROTATION, "retired")
    for entry in logged:  # signed by the records key valid when it was published
        assert _signed_by(entry) == OLD.key_id
        listed.check_signed_at(OLD.key_id, "records", _time_of(entry))


# -- the key ring


def test_the_ring_rereads_the_list_when_no_cached_key_is_valid(open_db: Database) -> None:
    _list_first_keys(open_db, records_until="2030-01-01T00:00:00Z")
    ring = _ring(OLD, NEW, refresh_seconds=3600)
    with open_db.read() as conn:
        assert ring.signer_for(conn, "records", datetime(2029, 1, 1, tzinfo=UTC)) is OLD
    with open_db.write() as conn:
        keys.add(conn, listed_key(NEW.public_key, "records", "2030-01-01T00:00:00Z"))
    with open_db.read() as conn:
        assert ring.signer_for(conn, "records", datetime(2031, 1, 1, tzinfo=UTC)) is NEW


def test_the_ring_caches_the_list_for_refresh_seconds(
    open_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _list_first_keys(open_db)
    reads: list[int] = []
    read_list = signing.key_list

    def counted(conn: Connection) -> KeyList:
        reads.append(1)
        return read_list(conn)

    monkeypatch.setattr(signing, "key_list", counted)
    ring = _ring(OLD, NEW, refresh_seconds=0.3)
    later = ROTATED_AT + timedelta(days=1)
    with open_db.read() as conn:
        for _ in range(5):
            assert ring.signer_for(conn, "records", later) is OLD
    assert len(reads) == 1
    with open_db.write() as conn:
        keys.rotate(conn, OLD.key_id, listed_key(NEW.public_key, "records", ROTATION), ROTATION)
    reads.clear()
    time.sleep(0.35)  # past refresh_seconds: the next use reads the rotated list, once
    with open_db.read() as conn:
        assert ring.signer_for(conn, "records", later) is NEW
        assert ring.signer_for(conn, "records", ROTATED_AT - SECOND) is OLD
    assert len(reads) == 1


def test_no_key_valid_at_the_time_is_a_clear_unavailability(open_db: Database) -> None:
    with (  # nothing listed yet
        pytest.raises(ServiceUnavailable, match="no checkpoints key is listed as valid at"),
        open_db.write() as conn,
    ):
        log.integrate(conn, ORIGIN)
    _list_first_keys(open_db)
    with open_db.write() as conn:  # a revoked key is never valid
        keys.add(
            conn,
            ListedKey(
                NEW.key_id,
                listed_key(NEW.public_key, "records", LISTED_FROM).public_key,
                "records",
                "2015-01-01T00:00:00Z",
                "2019-01-01T00:00:00Z",
                "revoked",
            ),
        )
    scope = _scope()
    for at in (datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC)):
        with pytest.raises(ServiceUnavailable) as info, open_db.write() as conn:
            audit.append(conn, scope, "test.event", {}, None, at)
        assert info.value.detail == (
            f"no records key is listed as valid at {iso(at)}; "
            "run `mandate bootstrap` or `mandate keys rotate`"
        )
        assert info.value.code == "service_unavailable"
    with open_db.read() as conn:
        assert audit.entries(conn, scope) == []


@pytest.mark.parametrize("held", [(), (NEW,)], ids=["no private key", "another private key"])
def test_a_listed_key_whose_private_key_is_missing_is_unavailable(
    open_db: Database, held: tuple[Signer, ...]
) -> None:
    _list_first_keys(open_db)
    loaded = {OLD.key_id: held[0]} if held else {}
    ring = KeyRing(loaded.get)
    with open_db.read() as conn, pytest.raises(ServiceUnavailable) as info:
        ring.signer_for(conn, "records", utcnow())
    assert info.value.detail == (
        f"the records key {OLD.key_id} is listed but its private key is not available to this "
        "process"
    )


def test_each_handle_signs_with_its_own_ring_and_a_handle_without_one_cannot(
    open_db: Database, unkeyed_url: str
) -> None:
    """The ring belongs to the Database handle, not to the process: two handles on one database
    sign with their own keys, and a handle given none refuses to log anything."""
    _list_first_keys(open_db, records_until="2030-01-01T00:00:00Z")
    with open_db.write() as conn:
        keys.add(conn, listed_key(NEW.public_key, "records", "2030-01-01T00:00:00Z"))
    only_new = Database(unkeyed_url, keyring=_ring(NEW))
    plain = Database(unkeyed_url)
    scope = _scope()
    try:
        with only_new.write() as conn:
            audit.append(conn, scope, "test.event", {}, None, datetime(2031, 1, 1, tzinfo=UTC))
        with open_db.write() as conn:
            audit.append(conn, scope, "test.event", {}, None, datetime(2029, 1, 1, tzinfo=UTC))
        with pytest.raises(RuntimeError, match="has no key ring"), plain.write() as conn:
            audit.append(conn, scope, "test.event", {}, None)
        # The first handle's keys did not stay behind for the process.
        with (
            pytest.raises(ServiceUnavailable, match=f"the records key {OLD.key_id}"),
            only_new.write() as conn,
        ):
            audit.append(conn, scope, "test.event", {}, None, datetime(2029, 1, 1, tzinfo=UTC))
    finally:
        only_new.dispose()
        plain.dispose()
    with open_db.read() as conn:
        logged = audit.entries(conn, scope)
    assert [_signed_by(e) for e in logged] == [NEW.key_id, OLD.key_id]


# -- private keys


def _secrets(signer: Signer) -> list[str]:
    """Every text form a private key could leak in."""
    seed = signer.seed
    pem = signer_to_pem(signer).decode()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return [
        seed.hex(),
        seed.hex().upper(),
        base64.b64encode(seed).decode(),
        base64.urlsafe_b64encode(seed).decode().rstrip("="),
        base64.b64encode(b"\x01" + seed).decode(),
        pem,
        body,
        NoteSigner(ORIGIN, seed).key(),
    ]


def _assert_no_private_key(db: Database, signers: list[Signer]) -> int:
    """Scan every value of every table, and every envelope's payload; return values scanned."""
    secrets = [s for signer in signers for s in _secrets(signer)]
    seeds = [signer.seed for signer in signers]
    scanned = 0
    with db.read() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    scanned += 1
                    if isinstance(value, bytes):
                        assert not any(seed in value for seed in seeds), table.name
                        continue
                    text = str(value)
                    assert not any(secret in text for secret in secrets), table.name
                    if table.name == "log_entry" and text.startswith('{"payload"'):
                        payload = dsse.Envelope.from_bytes(text.encode()).payload.decode()
                        assert not any(secret in payload for secret in secrets)
    return scanned


def test_private_keys_never_reach_the_database(db: Database) -> None:
    with db.write() as conn:
        audit.append(conn, _scope(), "test.event", {}, None)
        log.integrate_all(conn, ORIGIN)
    assert _assert_no_private_key(db, [RECORDS, CHECKPOINTS]) > 0


def test_private_keys_never_reach_the_database_through_rotation(open_db: Database) -> None:
    _list_first_keys(open_db)
    with open_db.write() as conn:
        keys.publish(conn, "test")
        keys.rotate(conn, OLD.key_id, listed_key(NEW.public_key, "records", ROTATION), ROTATION)
        keys.publish(conn, "test")
        audit.append(conn, _scope(), "test.event", {}, None, ROTATED_AT + SECOND)
        log.integrate_all(conn, ORIGIN)
    assert _assert_no_private_key(open_db, [OLD, NEW, CHECKPOINTS]) > 0
