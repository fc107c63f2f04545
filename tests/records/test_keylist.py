"""The published key list: JSON forms, validity windows, refusals, rotation."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import RecordError, SignatureError
from records.canonical import canonical_json
from records.dsse import Envelope, sign, verify
from records.keylist import (
    KeyList,
    KeyListError,
    KeyNotValid,
    ListedKey,
    listed_key,
    parse_time,
    rotate,
)
from records.keys import Signer, generate_signer

T0 = "2025-01-01T00:00:00Z"
T1 = "2025-06-01T00:00:00Z"
T2 = "2026-01-01T00:00:00Z"
RECORD_TYPE = "application/vnd.mandate.ballot.cast.v1+json"


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def old() -> Signer:
    return generate_signer()


@pytest.fixture
def new() -> Signer:
    return generate_signer()


@pytest.fixture
def keys(old: Signer) -> KeyList:
    checkpoints = generate_signer()
    return KeyList(
        (
            listed_key(old.public_key, "records", T0),
            listed_key(checkpoints.public_key, "checkpoints", T0),
        )
    )


def test_errors_have_stable_codes() -> None:
    assert KeyNotValid.code == "key_not_valid"
    assert issubclass(KeyNotValid, SignatureError)
    assert KeyListError.code == "key_list_invalid"
    assert issubclass(KeyListError, RecordError)


def test_listed_key_round_trip(old: Signer) -> None:
    key = dataclasses.replace(listed_key(old.public_key, "records", T0, T1), status="retired")
    obj = key.to_json()
    assert obj == {
        "key_id": old.key_id,
        "public_key": key.public_key,
        "purpose": "records",
        "valid_from": T0,
        "valid_until": T1,
        "status": "retired",
    }
    assert ListedKey.from_json(json.loads(json.dumps(obj))) == key


def test_key_list_round_trip(keys: KeyList, old: Signer, new: Signer) -> None:
    rotated = rotate(keys, old.key_id, listed_key(new.public_key, "records", T1), T1)
    for key_list in (keys, rotated, KeyList(())):
        obj = key_list.to_json()
        assert obj["format"] == "mandate.keylist/1"
        assert KeyList.from_json(json.loads(canonical_json(obj))) == key_list


def test_fractional_seconds_accepted_and_compared_as_times() -> None:
    assert parse_time("2025-01-01T00:00:00.5Z") == parse_time("2025-01-01T00:00:00.500000Z")
    assert parse_time("2025-01-01T00:00:00.5Z") > parse_time(T0)


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T00:00:00",
        "2025-01-01",
        "2025-01-01 00:00:00Z",
        "2025-01-01t00:00:00z",
        "20250101T000000Z",
        "2025-02-30T00:00:00Z",
        "2025-01-01T24:00:00Z",
        "2025-01-01T00:00:00.1234567Z",
        " 2025-01-01T00:00:00Z",
        5,
        None,
    ],
)
def test_bad_times_refused(text: object) -> None:
    with pytest.raises(KeyListError, match="got"):
        parse_time(text)


def _key_json(signer: Signer) -> dict[str, object]:
    return listed_key(signer.public_key, "records", T0, T1).to_json()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"purpose": "ballots"}, "purpose"),
        ({"status": "expired"}, "status"),
        ({"status": 1}, "status of type int"),
        ({"valid_from": "2025-01-01"}, "valid_from"),
        ({"valid_until": T0}, "after valid_from"),
        ({"valid_until": "2024-01-01T00:00:00Z"}, "after valid_from"),
        ({"valid_until": "soon"}, "valid_until"),
        ({"key_id": "0" * 64}, "SHA-256 of the raw public key"),
        ({"public_key": "AAAA"}, "3 bytes"),
        ({"public_key": "not base64!"}, "base64"),
        ({"extra": 1}, "fields"),
    ],
)
def test_malformed_listed_key_refused(
    old: Signer, change: dict[str, object], fragment: str
) -> None:
    obj = {**_key_json(old), **change}
    with pytest.raises(RecordError, match=fragment):
        ListedKey.from_json(obj)


def test_listed_key_missing_field_refused(old: Signer) -> None:
    obj = _key_json(old)
    del obj["valid_until"]
    with pytest.raises(KeyListError, match="fields"):
        ListedKey.from_json(obj)


@pytest.mark.parametrize("obj", [None, [], "keys", {"keys": []}, {"format": "x", "keys": []}])
def test_malformed_key_list_refused(obj: object) -> None:
    with pytest.raises(KeyListError, match="got"):
        KeyList.from_json(obj)


def test_key_list_keys_must_be_a_list() -> None:
    with pytest.raises(KeyListError, match="expected a list"):
        KeyList.from_json({"format": "mandate.keylist/1", "keys": {}})


def test_duplicate_key_refused(old: Signer) -> None:
    key = listed_key(old.public_key, "records", T0, T1)
    with pytest.raises(KeyListError, match="listed twice"):
        KeyList((key, key))


def test_overlapping_keys_of_one_purpose_refused(old: Signer, new: Signer) -> None:
    first = listed_key(old.public_key, "records", T0, T2)
    second = listed_key(new.public_key, "records", T1)
    with pytest.raises(KeyListError, match="overlapping records keys"):
        KeyList((first, second))
    # Adjacent windows, other purposes and revoked keys do not overlap.
    KeyList((dataclasses.replace(first, valid_until=T1), second))
    KeyList((first, dataclasses.replace(second, purpose="checkpoints")))
    KeyList((first, dataclasses.replace(second, status="revoked")))


def test_for_purpose(keys: KeyList, old: Signer) -> None:
    records = keys.for_purpose("records")
    assert list(records) == [old.key_id]
    assert len(keys.for_purpose("checkpoints")) == 1
    revoked = KeyList(tuple(dataclasses.replace(k, status="revoked") for k in keys.keys))
    assert revoked.for_purpose("records") == {}
    with pytest.raises(KeyListError, match="purpose"):
        keys.for_purpose("ballots")


def test_check_signed_at_inside_window(keys: KeyList, old: Signer) -> None:
    public = keys.check_signed_at(old.key_id, "records", T0)
    public.verify(old.sign(b"x"), b"x")
    keys.check_signed_at(old.key_id, "records", "2099-12-31T23:59:59Z")


def test_check_signed_at_refusals(keys: KeyList, old: Signer) -> None:
    with pytest.raises(KeyNotValid, match="expected one in the key list"):
        keys.check_signed_at("f" * 64, "records", T1)
    with pytest.raises(KeyNotValid, match="expected a 'checkpoints' key"):
        keys.check_signed_at(old.key_id, "checkpoints", T1)
    with pytest.raises(KeyNotValid, match="expected one within"):
        keys.check_signed_at(old.key_id, "records", "2024-12-31T23:59:59Z")
    bounded = KeyList((dataclasses.replace(keys.keys[0], valid_until=T1),))
    bounded.check_signed_at(old.key_id, "records", "2025-05-31T23:59:59.999999Z")
    with pytest.raises(KeyNotValid, match="expected one within"):
        bounded.check_signed_at(old.key_id, "records", T1)  # valid_until is exclusive
    revoked = KeyList((dataclasses.replace(keys.keys[0], status="revoked"),))
    with pytest.raises(KeyNotValid, match="revoked") as caught:
        revoked.check_signed_at(old.key_id, "records", T1)
    assert caught.value.code == "key_not_valid"
    with pytest.raises(KeyListError, match="signing time"):
        keys.check_signed_at(old.key_id, "records", "yesterday")


def test_rotate_is_pure_and_retires_the_old_key(keys: KeyList, old: Signer, new: Signer) -> None:
    before = keys.to_json()
    new_key = listed_key(new.public_key, "records", T1)
    rotated = rotate(keys, old.key_id, new_key, T1)
    assert keys.to_json() == before
    retired = rotated.find(old.key_id)
    assert retired is not None
    assert (retired.valid_until, retired.status) == (T1, "retired")
    assert rotated.find(new.key_id) == new_key
    assert rotated.keys[1] == keys.keys[1]  # the checkpoint key is untouched


def _verify_record(keys: KeyList, envelope_bytes: bytes, signed_at: str) -> bytes:
    """Verify a records envelope and that its signer was valid at ``signed_at``."""
    envelope = Envelope.from_bytes(envelope_bytes)
    payload = verify(envelope, keys.for_purpose("records"), payload_type=RECORD_TYPE)
    keys.check_signed_at(envelope.signatures[0].keyid, "records", signed_at)
    return payload


def test_records_across_a_rotation(keys: KeyList, old: Signer, new: Signer) -> None:
    early = sign(old, RECORD_TYPE, b'{"at":"2025-03-01T00:00:00Z"}').to_bytes()
    rotated = rotate(keys, old.key_id, listed_key(new.public_key, "records", T1), T1)
    # Signed inside the old key's window: still verifies after rotation.
    assert (
        _verify_record(rotated, early, "2025-03-01T00:00:00Z") == b'{"at":"2025-03-01T00:00:00Z"}'
    )
    # "Signed" by the old key after rotation: its signature is fine, its key no longer valid.
    late = sign(old, RECORD_TYPE, b'{"at":"2025-07-01T00:00:00Z"}').to_bytes()
    with pytest.raises(KeyNotValid, match="expected one within"):
        _verify_record(rotated, late, "2025-07-01T00:00:00Z")
    with pytest.raises(KeyNotValid, match="expected one within"):
        _verify_record(rotated, late, T1)
    # The new key works from the rotation time on, and not before.
    fresh = sign(new, RECORD_TYPE, b"{}").to_bytes()
    assert _verify_record(rotated, fresh, T1) == b"{}"
    assert _verify_record(rotated, fresh, T2) == b"{}"
    with pytest.raises(KeyNotValid):
        _verify_record(rotated, fresh, "2025-05-31T23:59:59Z")
    # Without the rotation the new key is unknown.
    with pytest.raises(SignatureError, match="trusted keyid"):
        _verify_record(keys, fresh, T1)


def test_rotate_refusals(keys: KeyList, old: Signer, new: Signer) -> None:
    new_key = listed_key(new.public_key, "records", T1)
    with pytest.raises(KeyListError, match="old key id"):
        rotate(keys, "0" * 64, new_key, T1)
    with pytest.raises(KeyListError, match="SHA-256 of the raw public key"):
        rotate(keys, old.key_id, dataclasses.replace(new_key, key_id="0" * 64), T1)
    with pytest.raises(KeyListError, match="expected the rotation time"):
        rotate(keys, old.key_id, listed_key(new.public_key, "records", T2), T1)
    with pytest.raises(KeyListError, match="expected 'records' like the old key"):
        rotate(keys, old.key_id, listed_key(new.public_key, "checkpoints", T1), T1)
    with pytest.raises(KeyListError, match="expected active"):
        rotate(keys, old.key_id, dataclasses.replace(new_key, status="retired"), T1)
    with pytest.raises(KeyListError, match="old key's window"):
        rotate(keys, old.key_id, listed_key(new.public_key, "records", T0), T0)
    with pytest.raises(KeyListError, match="rotation time"):
        rotate(keys, old.key_id, new_key, "June")
    rotated = rotate(keys, old.key_id, new_key, T1)
    with pytest.raises(KeyListError, match="status 'retired', expected active"):
        rotate(rotated, old.key_id, listed_key(generate_signer().public_key, "records", T2), T2)
    with pytest.raises(KeyListError, match="listed twice"):
        rotate(rotated, new.key_id, dataclasses.replace(new_key, valid_from=T2), T2)


def test_rotate_refuses_overlapping_active_keys(old: Signer, new: Signer) -> None:
    # A second records key already scheduled from T2 would overlap the new open-ended key.
    scheduled = generate_signer()
    keys = KeyList(
        (
            listed_key(old.public_key, "records", T0, T2),
            listed_key(scheduled.public_key, "records", T2),
        )
    )
    with pytest.raises(KeyListError, match="overlapping records keys"):
        rotate(keys, old.key_id, listed_key(new.public_key, "records", T1), T1)


BASE = datetime(2025, 1, 1, tzinfo=UTC)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["records", "checkpoints"]), st.integers(1, 10**7)),
        max_size=8,
    ),
    probes=st.lists(st.integers(0, 10**8), min_size=1, max_size=20),
)
def test_one_valid_key_per_purpose_after_rotations(
    steps: list[tuple[str, int]], probes: list[int]
) -> None:
    signers = {p: generate_signer() for p in ("records", "checkpoints")}
    keys = KeyList(tuple(listed_key(s.public_key, p, fmt(BASE)) for p, s in signers.items()))
    moment = BASE
    boundaries = [BASE]
    for purpose, seconds in steps:
        moment += timedelta(seconds=seconds)
        boundaries.append(moment)
        fresh = generate_signer()
        at = fmt(moment)
        keys = rotate(keys, signers[purpose].key_id, listed_key(fresh.public_key, purpose, at), at)
        signers[purpose] = fresh
    instants = [BASE + timedelta(seconds=s) for s in probes]
    instants += boundaries + [b - timedelta(seconds=1) for b in boundaries[1:]]
    for instant in instants:
        at = fmt(instant)
        for purpose in ("records", "checkpoints"):
            valid = []
            for key in keys.keys:
                try:
                    keys.check_signed_at(key.key_id, purpose, at)
                except KeyNotValid:
                    continue
                valid.append(key.key_id)
            assert len(valid) == 1, (purpose, at, valid)
    # Before the first valid_from, no key is valid.
    before = fmt(BASE - timedelta(seconds=1))
    for key in keys.keys:
        with pytest.raises(KeyNotValid):
            keys.check_signed_at(key.key_id, key.purpose, before)
    assert len(keys.keys) == 2 + len(steps)
