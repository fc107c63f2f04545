"""RFC 8785 canonical JSON at the speed of the standard library's C JSON codec.

For ASCII text holding no floats and no integers beyond ±(2**53-1), the standard library's
compact, key-sorted JSON is exactly RFC 8785: keys sort alike by UTF-16 code units and by code
points, and both escape only '"', '\\' and control characters, the same way. So a verifier can
check and parse canonical JSON with ``json``'s C codec and fall back to the exact, pure-Python
:mod:`records.canonical` for anything else; the results are the same, only quicker.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from records.canonical import MAX_SAFE_INT, canonical_json, parse_canonical


def _refuse_number(text: str) -> object:
    raise ValueError(f"non-integer number {text[:40]}")


def _safe_int(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
        raise ValueError(f"integer {text[:40]} out of range")
    return value


_DECODER = json.JSONDecoder(
    parse_float=_refuse_number, parse_int=_safe_int, parse_constant=_refuse_number
)


def _refuse_type(value: object) -> object:
    raise TypeError(f"got {type(value).__name__}, expected JSON values")


def _compact_sorted_encoder() -> Callable[[object], str]:
    """The standard library's compact, key-sorted JSON encoder; its C core when it has one
    (``JSONEncoder.encode`` builds that core anew on every call)."""
    python = json.JSONEncoder(
        ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    ).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return python
    try:
        core = make(
            None, _refuse_type, json.encoder.encode_basestring, None, ":", ",", True, False, False
        )

        def fast(value: object) -> str:
            return "".join(core(value, 0))

        probe = {"b": [1, True, None, "é\n\x01"], "a": {}}
        if fast(probe) == python(probe):
            return fast
    except (TypeError, ValueError):
        pass
    return python


_ENCODE = _compact_sorted_encoder()


def loads_canonical(data: bytes) -> Any:
    """Same as :func:`records.canonical.parse_canonical`, quicker on ASCII input.

    For ASCII text without floats or unsafe integers, the standard library's compact,
    key-sorted JSON is exactly RFC 8785 (keys sort alike in UTF-16 and in code points, and
    the escapes agree), so it can stand in for the pure-Python canonicaliser. Anything else,
    and every failure, goes to ``parse_canonical``, which decides.
    """
    if isinstance(data, bytes) and data.isascii():
        text = data.decode("ascii")
        try:
            value, end = _DECODER.raw_decode(text)
            if end == len(text) and _ENCODE(value) == text:
                return value
        except (ValueError, TypeError, RecursionError):
            pass
    return parse_canonical(data)


def dumps_canonical_strings(value: object) -> bytes:
    """:func:`records.canonical.canonical_json` of a value of dicts with string keys, lists,
    strings, booleans and None (the caller vouches for that: it holds no floats and no
    integers, which are not checked here), quicker when it is ASCII."""
    try:
        text = _ENCODE(value)
    except (TypeError, ValueError, RecursionError):
        return canonical_json(value)
    return text.encode("ascii") if text.isascii() else canonical_json(value)
