"""RFC 8785 (JCS) canonical JSON, restricted to the values records hold (no floats)."""

from __future__ import annotations

import hashlib
import json
import re

from policies.errors import CanonicalizationError

# Larger integers lose precision in IEEE-754 doubles, so other JCS implementations disagree.
MAX_SAFE_INT = 2**53 - 1

_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f]')
# A Python str holds code points, so any surrogate in it is unpaired and has no UTF-8 form.
_SURROGATE = re.compile("[\ud800-\udfff]")
_EXPECTED_TYPES = "dict, list, tuple, str, int, bool or None"


def canonical_json(value: object) -> bytes:
    """Serialise ``value`` as RFC 8785 canonical JSON (UTF-8)."""
    out: list[str] = []
    _write(value, "$", out)
    return "".join(out).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def canonical_hash(value: object) -> str:
    """SHA-256 (hex) of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))


def parse_canonical(data: bytes) -> object:
    """Parse JSON bytes, refusing any input that is not already canonical."""
    try:
        value: object = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CanonicalizationError(f"got bytes that are not JSON ({exc}), expected JSON") from exc
    try:
        again = canonical_json(value)
    except RecursionError as exc:
        raise CanonicalizationError("got JSON nested too deeply to canonicalise") from exc
    if again != data:
        raise CanonicalizationError(
            f"got non-canonical JSON ({len(data)} bytes), "
            f"expected its RFC 8785 form ({len(again)} bytes)"
        )
    return value


def _write(value: object, path: str, out: list[str]) -> None:
    # bool before int: bool is a subclass of int but serialises differently.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise CanonicalizationError(
                f"{path}: got integer {int(value)}, expected one within ±(2**53-1)"
            )
        out.append(str(int(value)))
    elif isinstance(value, float):
        raise CanonicalizationError(f"{path}: got float {value!r}, expected no floats in records")
    elif isinstance(value, str):
        out.append(_string(value, path))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, f"{path}[{index}]", out)
        out.append("]")
    elif isinstance(value, dict):
        _write_object(value, path, out)
    else:
        raise CanonicalizationError(
            f"{path}: got {type(value).__name__}, expected {_EXPECTED_TYPES}"
        )


def _write_object(value: dict[object, object], path: str, out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalizationError(
                f"{path}: got key {key!r} of type {type(key).__name__}, expected str keys"
            )
        if _SURROGATE.search(key):
            raise CanonicalizationError(f"{path}: got key {key!r} with a lone surrogate")
    # Big-endian UTF-16 bytes compare exactly as UTF-16 code units (RFC 8785 §3.2.3).
    keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
    out.append("{")
    for index, key in enumerate(keys):
        name = str(key)
        if index:
            out.append(",")
        out.append(_string(name, path))
        out.append(":")
        _write(value[key], _child(path, name), out)
    out.append("}")


def _string(text: str, path: str) -> str:
    if _SURROGATE.search(text):
        raise CanonicalizationError(f"{path}: got a string with a lone surrogate, expected UTF-8")
    return '"' + _NEEDS_ESCAPE.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _child(path: str, key: str) -> str:
    if key.isascii() and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"
