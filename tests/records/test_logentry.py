"""Log entries (DSSE envelopes over canonical statements) and the quick canonical JSON codec:
both must accept and refuse exactly what the plain, exact code does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import DomainError, RecordError
from policies.rules import ApprovalBallot
from records import dsse
from records.canonical import canonical_hash, canonical_json, parse_canonical
from records.canonical_fast import dumps_canonical_strings, loads_canonical
from records.keys import generate_signer
from records.logentry import (
    EntryError,
    Statement,
    _one_signature_envelope,
    parse_entry,
    round_scope,
    sign_entry,
)
from records.outcome import ballot_set_hash

SIGNER = generate_signer()
BALLOT = Statement(
    "ballot.cast",
    round_scope("r1"),
    7,
    "2025-02-01T10:00:00.25Z",
    "v1",
    {"constituency_id": "c1", "voter": "v1", "approvals": ["a", "b"]},
)


def envelope_of(statement: dict[str, Any], payload_type: str | None = None) -> bytes:
    kind = payload_type or dsse.payload_type_for(str(statement.get("type", "x")))
    return dsse.sign(SIGNER, kind, canonical_json(statement)).to_bytes()


def test_a_signed_entry_parses_back() -> None:
    data = sign_entry(SIGNER, BALLOT)
    entry = parse_entry(data)
    assert entry.statement == BALLOT
    assert entry.envelope.to_bytes() == data
    assert entry.envelope.payload_type == "application/vnd.mandate.ballot.cast.v1+json"
    assert entry.envelope.signatures[0].keyid == SIGNER.key_id
    assert _one_signature_envelope(data) == entry.envelope


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s.pop("actor"), "expected ['actor', 'at', 'data', 'scope', 'seq', 'type']"),
        (lambda s: s.update(extra=1), "got statement fields"),
        (lambda s: s.update(seq=0), "got seq 0, expected an integer ≥ 1"),
        (lambda s: s.update(seq=True), "got seq True"),
        (lambda s: s.update(at="2025-02-01 10:00:00"), "expected an RFC 3339 UTC time"),
        (lambda s: s.update(at="2025-02-01T10:00:00+00:00"), "expected an RFC 3339 UTC time"),
        (lambda s: s.update(actor=5), "got actor 5"),
        (lambda s: s.update(data=[]), "got data of type list"),
        (lambda s: s.update(scope=""), "got scope ''"),
        (lambda s: s.update(type="ballot cast"), "expected letters, digits"),
    ],
)
def test_statements_not_of_the_documented_form_are_refused(change: Any, expected: str) -> None:
    statement = BALLOT.to_json()
    change(statement)
    with pytest.raises(RecordError, match=re.escape(expected)):
        parse_entry(envelope_of(statement, "application/vnd.mandate.ballot.cast.v1+json"))


def test_a_payload_type_that_is_not_the_statements_is_refused() -> None:
    data = envelope_of(BALLOT.to_json(), dsse.payload_type_for("outcome.published"))
    with pytest.raises(EntryError, match=r"for a 'ballot\.cast' statement"):
        parse_entry(data)


def test_non_canonical_statements_and_envelopes_are_refused() -> None:
    payload = json.dumps(BALLOT.to_json()).encode()  # with spaces
    data = dsse.sign(SIGNER, dsse.payload_type_for("ballot.cast"), payload).to_bytes()
    with pytest.raises(EntryError, match="statement: got non-canonical JSON"):
        parse_entry(data)
    good = sign_entry(SIGNER, BALLOT)
    with pytest.raises(EntryError, match="envelope: got non-canonical JSON"):
        parse_entry(json.dumps(json.loads(good)).encode())
    with pytest.raises(DomainError):
        parse_entry(b"not json")


HEX = "0123456789abcdef"
keyids = st.one_of(st.text(HEX, min_size=64, max_size=64), st.text(max_size=70))
b64_texts = st.binary(max_size=80).map(lambda b: dsse._b64(b))


@st.composite
def envelope_bytes(draw: st.DrawFn) -> bytes:
    """Envelopes in their canonical form, and variations on it."""
    signatures = draw(
        st.lists(st.fixed_dictionaries({"keyid": keyids, "sig": b64_texts}), max_size=2)
    )
    obj: dict[str, Any] = {
        "payload": draw(b64_texts),
        "payloadType": draw(st.sampled_from(["application/vnd.mandate.x.v1+json", 'a"b', "é"])),
        "signatures": signatures,
    }
    data = canonical_json(obj)
    variant = draw(st.integers(0, 5))
    if variant == 1:
        data = json.dumps(obj).encode()
    elif variant == 2:
        data = data.replace(b"=", b"A", 1)
    elif variant == 3 and len(data) > 20:
        cut = draw(st.integers(0, len(data) - 1))
        data = data[:cut] + data[cut + 1 :]
    elif variant == 4:
        data = data.replace(b'"signatures":[{', b'"signatures":[{"x":1,', 1)
    return data


@settings(max_examples=300, deadline=None)
@given(data=envelope_bytes())
def test_the_quick_envelope_reading_agrees_with_the_full_parse(data: bytes) -> None:
    try:
        full: dsse.Envelope | None = dsse.Envelope.from_json(parse_canonical(data))
    except DomainError:
        full = None
    quick = _one_signature_envelope(data)
    assert quick is None or quick == full


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


def exact(data: bytes) -> tuple[bool, Any]:
    try:
        return True, parse_canonical(data)
    except DomainError:
        return False, None


def quick(data: bytes) -> tuple[bool, Any]:
    try:
        return True, loads_canonical(data)
    except DomainError:
        return False, None


@settings(max_examples=400, deadline=None)
@given(value=json_values, how=st.integers(0, 4))
def test_loads_canonical_agrees_with_parse_canonical(value: Any, how: int) -> None:
    text = [
        lambda: json.dumps(value, sort_keys=True, separators=(",", ":")),
        lambda: json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        lambda: json.dumps(value),
        lambda: json.dumps(value, separators=(",", ":")),
        lambda: json.dumps(value, sort_keys=True, separators=(",", ":")) + " ",
    ][how]()
    data = text.encode("utf-8", "surrogatepass")
    assert quick(data) == exact(data)


@settings(max_examples=200, deadline=None)
@given(value=json_values)
def test_canonical_json_reads_back_quickly(value: Any) -> None:
    try:
        data = canonical_json(value)
    except DomainError:
        return
    assert loads_canonical(data) == value


strings_only = st.recursive(
    st.text(max_size=6) | st.booleans() | st.none(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=strings_only)
def test_dumps_canonical_strings_is_canonical_json(value: Any) -> None:
    try:
        expected = canonical_json(value)
    except DomainError:
        with pytest.raises(DomainError):
            dumps_canonical_strings(value)
        return
    assert dumps_canonical_strings(value) == expected


@settings(max_examples=100, deadline=None)
@given(
    ballots=st.lists(
        st.builds(
            ApprovalBallot,
            st.text(max_size=5),
            st.frozensets(st.text(max_size=3), max_size=4),
        ),
        max_size=8,
    )
)
def test_ballot_set_hash_is_the_hash_of_the_canonical_ballot_list(
    ballots: list[ApprovalBallot],
) -> None:
    rows = [
        {"voter": b.voter, "approvals": sorted(b.approvals)}
        for b in sorted(ballots, key=lambda b: b.voter)
    ]
    try:
        expected = canonical_hash(rows)
    except DomainError:
        with pytest.raises(DomainError):
            ballot_set_hash(ballots)
        return
    assert ballot_set_hash(ballots) == expected
