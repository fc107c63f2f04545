"""drand quicknet beacons verified offline: BLS signatures on BLS12-381, in pure Python.

A drand network publishes, for each round n ≥ 1, a BLS signature σ_n by its group key. The
beacon's randomness is SHA-256(σ_n), as lowercase hex. This module checks a recorded beacon of a
network using quicknet's scheme, ``bls-unchained-g1-rfc9380`` (the League of Entropy's quicknet
chain 52db9ba7…, and any other chain with that scheme), against the network's public key:

- the public key is a point of G2 (96 bytes compressed), the signature a point of G1 (48 bytes);
- the message is m_n = SHA-256(n as 8 bytes big-endian): unchained, no previous signature;
- H = hash_to_g1(m_n) per RFC 9380 with the DST ``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``;
- the beacon verifies when e(σ, g2) = e(H, pk), checked as e(σ, -g2)·e(H, pk) = 1, after both
  points decoded as canonical compressed points of their prime-order groups (the IETF BLS
  signature draft's CoreVerify).

drand's other schemes (pedersen-bls-chained, pedersen-bls-unchained, bls-unchained-on-g1) put
the key and signature in the other groups or hash under another tag, and are refused. A recorded
randomness, when given, must equal SHA-256(σ). Any failure raises `BeaconError` saying what was
got and what was expected. The arithmetic is in `records.bls12_381`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from policies.beacon import QUICKNET
from policies.errors import RecordError
from records import bls12_381 as bls

SCHEME_QUICKNET = QUICKNET.scheme
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

# The League of Entropy's quicknet chain, as its /info document publishes it (policies.beacon).
QUICKNET_CHAIN_HASH = QUICKNET.chain_hash
QUICKNET_PUBLIC_KEY = QUICKNET.public_key
QUICKNET_GENESIS_TIME = QUICKNET.genesis_time
QUICKNET_PERIOD = QUICKNET.period

MAX_ROUND = 2**64 - 1


class BeaconError(RecordError):
    """A drand beacon that does not verify, or is not well formed."""

    code = "bad_beacon"


_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_Point = TypeVar("_Point")
_NEG_G2: tuple[bls.Fp2, bls.Fp2] = (bls.G2_GENERATOR[0], bls.FP2.neg(bls.G2_GENERATOR[1]))


def _unhex(value: str, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        shown = value[:40] + "…" if isinstance(value, str) and len(value) > 40 else value
        raise BeaconError(f"{what} must be a string of hex byte pairs, got {shown!r}")
    return bytes.fromhex(value)


def beacon_randomness(signature_hex: str) -> str:
    """drand's randomness of a beacon: lowercase hex SHA-256 of the signature's bytes."""
    return hashlib.sha256(_unhex(signature_hex, "beacon signature")).hexdigest()


def beacon_message(round: int) -> bytes:
    """The 32 bytes a quicknet beacon signs: SHA-256(round as uint64 big-endian)."""
    return hashlib.sha256(round.to_bytes(8, "big")).digest()


def _decode(
    decode: Callable[[bytes, str], _Point], data: bytes, what: str, pedersen: tuple[int, str]
) -> _Point:
    """The point in data, or BeaconError. pedersen is the size and the group that drand's
    pedersen-bls schemes use for it, the other group than quicknet's: told apart for clarity."""
    size, group = pedersen
    if len(data) == size:
        raise BeaconError(
            f"{what} has {size} bytes, {group} as drand's pedersen-bls schemes use; only "
            f"quicknet's scheme {SCHEME_QUICKNET} is supported, with a key on G2 (96 bytes) and "
            "a signature on G1 (48 bytes)"
        )
    try:
        return decode(data, what)
    except bls.PointError as exc:
        raise BeaconError(exc.detail) from exc


# Public keys are few and long-lived; their subgroup check is worth remembering.
@lru_cache(maxsize=16)
def _public_key(data: bytes) -> tuple[bls.Fp2, bls.Fp2]:
    return _decode(bls.decode_g2, data, "beacon public key", (48, "a key on G1"))


def verify_beacon(
    *,
    public_key_hex: str,
    round: int,
    signature_hex: str,
    randomness_hex: str | None = None,
    scheme: str = SCHEME_QUICKNET,
) -> None:
    """Raise BeaconError unless signature_hex is the network's signature for this round.

    scheme, when given, must be quicknet's; randomness_hex, when given, must be SHA-256 of the
    signature (as recorded beside it).
    """
    if scheme != SCHEME_QUICKNET:
        raise BeaconError(
            f"beacon scheme {scheme!r} is not supported: only drand quicknet's scheme "
            f"{SCHEME_QUICKNET} (signatures on G1, unchained) is"
        )
    if isinstance(round, bool) or not isinstance(round, int) or not 1 <= round <= MAX_ROUND:
        raise BeaconError(f"beacon round must be an integer from 1 to 2^64-1, got {round!r}")
    key = _unhex(public_key_hex, "beacon public key")
    sig = _unhex(signature_hex, "beacon signature")
    if randomness_hex is not None:
        expected = hashlib.sha256(sig).hexdigest()
        if _unhex(randomness_hex, "beacon randomness").hex() != expected:
            raise BeaconError(
                f"beacon randomness {randomness_hex} is not SHA-256 of the signature, "
                f"expected {expected}"
            )
    pk = _public_key(key)
    sigma = _decode(bls.decode_g1, sig, "beacon signature", (96, "a signature on G2"))
    h = bls.hash_to_g1(beacon_message(round), DST)
    if h is None or not bls.pairing_product_is_one([(sigma, _NEG_G2), (h, pk)]):
        raise BeaconError(
            f"beacon signature does not verify for round {round} under the given public key "
            f"(scheme {SCHEME_QUICKNET})"
        )
