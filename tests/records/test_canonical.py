"""RFC 8785 canonical JSON, checked against the RFC's examples and the rfc8785 package."""

from __future__ import annotations

from typing import Any, cast

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import CanonicalizationError
from records.canonical import (
    MAX_SAFE_INT,
    canonical_hash,
    canonical_json,
    parse_canonical,
    sha256_hex,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INT, max_value=MAX_SAFE_INT)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)


def test_key_order_follows_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: the emoji (a surrogate pair in UTF-16) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


def test_rfc_example_without_numbers() -> None:
    # RFC 8785 §3.2.2, minus the float array the project never uses.
    value = {
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical_json(value) == expected.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\b\t\n\f\r", '"\\b\\t\\n\\f\\r"'),
        ("\x00\x01\x1f", '"\\u0000\\u0001\\u001f"'),
        ("\x7f\u2028\u2029", '"\x7f\u2028\u2029"'),
        ("é€😀", '"é€😀"'),
        ("</script>", '"</script>"'),
    ],
)
def test_string_escaping(text: str, expected: str) -> None:
    assert canonical_json(text) == expected.encode("utf-8")


def test_scalars_and_tuples() -> None:
    assert canonical_json([True, False, None, 0, -1, MAX_SAFE_INT]) == (
        b"[true,false,null,0,-1,9007199254740991]"
    )
    assert canonical_json((1, (2,))) == b"[1,[2]]"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"a": [0, 1, 2.5]}, "$.a[2]: got float 2.5"),
        ({"a b": {"c": 1.0}}, '$["a b"].c: got float'),
        ([MAX_SAFE_INT + 1], "$[0]: got integer 9007199254740992"),
        ({"n": -MAX_SAFE_INT - 1}, "$.n: got integer -9007199254740992"),
        ({"a": {1: "x"}}, "$.a: got key 1 of type int, expected str keys"),
        ({"s": {1, 2}}, "$.s: got set, expected"),
        ({"b": b"x"}, "$.b: got bytes, expected"),
        (["\ud800"], "$[0]: got a string with a lone surrogate"),
        ({"\udfff": 1}, "lone surrogate"),
    ],
)
def test_refused_values_name_their_path(value: object, fragment: str) -> None:
    with pytest.raises(CanonicalizationError) as info:
        canonical_json(value)
    assert fragment in info.value.detail


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_matches_rfc8785_package_and_round_trips(value: object) -> None:
    data = canonical_json(value)
    assert data == rfc8785.dumps(cast(Any, value))
    assert parse_canonical(data) == value


def test_hash_is_stable() -> None:
    value = {
        "mandate": "records",
        "n": [1, -2, MAX_SAFE_INT],
        "s": '€\u2028\x7f\x1f"',
        "ok": True,
        "none": None,
        "nested": {"b": [], "a": {}},
    }
    # Computed once with the independent rfc8785 package.
    expected = "e587d32b04abfbc152ad2fa74b0ba9f5353891a134af5b75a0b957ebacd7329a"
    assert canonical_hash(value) == expected
    assert sha256_hex(canonical_json(value)) == expected


def test_sha256_hex_of_empty_input() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1}',
        b'{"b":1,"a":2}',
        b'{"a":1,"a":1}',
        b'{"a":1}\n',
        b'"\\u00e9"',
        b'"\\/"',
        b"1.0",
        b"1e2",
        b"-0",
        b"NaN",
        b"not json",
        b'"\xff"',
        b"[9007199254740992]",
    ],
)
def test_parse_canonical_refuses_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(CanonicalizationError):
        parse_canonical(data)


def test_parse_canonical_accepts_canonical_bytes() -> None:
    assert parse_canonical(b'{"a":[1,"\xc3\xa9"],"b":null}') == {"a": [1, "é"], "b": None}
