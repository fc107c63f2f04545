"""Test oracle: BLS12-381 and drand quicknet's signature check as py_ecc computes them.

Run with the interpreter of ``.venv-oracle`` (never the project's): reads one JSON object from
stdin and prints one JSON object with the same keys, each answered in order:

- ``hash_to_g1``: ``[msg hex, dst hex]`` pairs → the compressed point hash_to_G1(msg, dst), hex;
- ``g1``, ``g2``: scalars k → the compressed point k·g1 or k·g2, hex;
- ``decode_g1``, ``decode_g2``: compressed points, hex → ``[x, y]`` (hex strings; for G2 each is
  ``[re, im]``) when the bytes are a point of the prime-order group other than the identity,
  else null;
- ``pairing``: ``[a, b]`` → e(a·g1, b·g2) as 12 hex strings, the Fp2 coefficients (re, im) of
  w⁰…w⁵ with w⁶ = 1 + i, the basis records.bls12_381 uses (py_ecc's Fp12 is Fp[w]/(w¹² - 2w⁶
  + 2), where i = w⁶ - 1);
- ``verify``: ``[public key hex, round, signature hex]`` → whether the signature is the quicknet
  beacon of that round (bls-unchained-g1-rfc9380: key on G2, signature on G1, message
  SHA-256(round as 8 bytes big-endian), hashed to G1 under the DST below); a fourth item, a DST
  in hex, hashes under that tag instead.

py_ecc's BLS ciphersuites put signatures on G2, so the quicknet check is assembled here from its
primitives: decompression, the subgroup check by multiplying by the group order, hash_to_G1 and
the pairing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

from py_ecc.bls.hash_to_curve import hash_to_G1  # type: ignore[import-not-found]
from py_ecc.bls.point_compression import (  # type: ignore[import-not-found]
    compress_G1,
    compress_G2,
    decompress_G1,
    decompress_G2,
)
from py_ecc.optimized_bls12_381 import (  # type: ignore[import-not-found]
    FQ12,
    G1,
    G2,
    curve_order,
    field_modulus,
    final_exponentiate,
    is_inf,
    multiply,
    neg,
    normalize,
    pairing,
)

DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


def g1_hex(point: Any) -> str:
    return int(compress_G1(point)).to_bytes(48, "big").hex()


def g2_hex(point: Any) -> str:
    z1, z2 = compress_G2(point)
    return (int(z1).to_bytes(48, "big") + int(z2).to_bytes(48, "big")).hex()


def decode_g1(data: bytes) -> Any:
    """The point, or None unless data is a compressed point of G1 other than the identity."""
    if len(data) != 48:
        return None
    try:
        point = decompress_G1(int.from_bytes(data, "big"))
    except ValueError:
        return None
    return None if is_inf(point) or not is_inf(multiply(point, curve_order)) else point


def decode_g2(data: bytes) -> Any:
    if len(data) != 96:
        return None
    try:
        point = decompress_G2((int.from_bytes(data[:48], "big"), int.from_bytes(data[48:], "big")))
    except ValueError:
        return None
    return None if is_inf(point) or not is_inf(multiply(point, curve_order)) else point


def coordinates(point: Any) -> Any:
    if point is None:
        return None
    x, y = normalize(point)
    if hasattr(x, "coeffs") and len(x.coeffs) == 2:
        return [[hex(int(c)) for c in x.coeffs], [hex(int(c)) for c in y.coeffs]]
    return [hex(int(x)), hex(int(y))]


def fp2_basis(f: Any) -> list[str]:
    """py_ecc's Σ c_k·w^k as Σ (a_k + b_k·i)·w^k over k < 6, using w⁶ = 1 + i."""
    c = [int(x) for x in f.coeffs]
    out: list[str] = []
    for k in range(6):
        b = c[k + 6]
        out += [hex((c[k] + b) % field_modulus), hex(b)]
    return out


def verify(public_key: str, round_: int, signature: str, dst: bytes = DST) -> bool:
    pk = decode_g2(bytes.fromhex(public_key))
    sig = decode_g1(bytes.fromhex(signature))
    if pk is None or sig is None:
        return False
    h = hash_to_G1(hashlib.sha256(round_.to_bytes(8, "big")).digest(), dst, hashlib.sha256)
    # e(σ, -g2)·e(H, pk) = 1, with one final exponentiation for the product.
    f = pairing(neg(G2), sig, final_exponentiate=False) * pairing(pk, h, final_exponentiate=False)
    return bool(final_exponentiate(f) == FQ12.one())


def main() -> None:
    query = json.load(sys.stdin)
    answer = {
        "hash_to_g1": [
            g1_hex(hash_to_G1(bytes.fromhex(m), bytes.fromhex(d), hashlib.sha256))
            for m, d in query.get("hash_to_g1", [])
        ],
        "g1": [g1_hex(multiply(G1, k)) for k in query.get("g1", [])],
        "g2": [g2_hex(multiply(G2, k)) for k in query.get("g2", [])],
        "decode_g1": [coordinates(decode_g1(bytes.fromhex(x))) for x in query.get("decode_g1", [])],
        "decode_g2": [coordinates(decode_g2(bytes.fromhex(x))) for x in query.get("decode_g2", [])],
        "pairing": [
            fp2_basis(pairing(multiply(G2, b), multiply(G1, a)))
            for a, b in query.get("pairing", [])
        ],
        "verify": [
            verify(k, n, s, *(bytes.fromhex(d) for d in dst))
            for k, n, s, *dst in query.get("verify", [])
        ],
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
