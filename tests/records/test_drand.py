"""drand quicknet beacons: real rounds, beacons signed here, refusals, and py_ecc as an oracle.

Sources of the data below (data only; no code was taken from them):

- The quicknet public key: drand's announcement "quicknet is live on the League of Entropy
  mainnet" (drand/website, docs/blog/2023-10-16-quicknet-is-live.md), i.e. the chain's /info.
- Quicknet rounds 1000-1003: the League of Entropy relay's /public/<round> answers for chain
  52db9ba7…, as pinned in ideal-lab5/idn-sdk (pallets/randomness-beacon tests); round 1000's
  randomness as the relay publishes it (fe290bec…, quoted by several independent projects).
- Beacons of drand's other schemes, refused here: drand/drand crypto/schemes_test.go
  (TestVerifyBeacon), drand/drand-client test/beacon-verification.test.ts, noislabs/drand-verify
  src/verify.rs; the "walkthrough" beacon of drand-client, a chain with quicknet's scheme.

A forged or mistyped beacon cannot pass a pairing check against the network's key, so each
real beacon that verifies here (and in py_ecc) is its own proof of having been copied right.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies.errors import RecordError
from records import bls12_381 as bls
from records import drand
from records.drand import (
    DST,
    MAX_ROUND,
    QUICKNET_PUBLIC_KEY,
    SCHEME_QUICKNET,
    BeaconError,
    beacon_message,
    beacon_randomness,
    verify_beacon,
)
from tests.records.test_bls12_381 import (
    MALFORMED_G1,
    MALFORMED_G2,
    ask_py_ecc,
    point_outside_subgroup_g1,
)

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------------
# Real beacons

QUICKNET_ROUNDS = {
    1000: (
        "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b1957"
        "6350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39"
    ),
    1001: (
        "b33bf3667cbd5a82de3a24b4e0e9fe5513cc1a0e840368c6"
        "e31f5fcfa79bea03f73896b25883abf2853d10337fb8fa41"
    ),
    1002: (
        "ab066f9c12dd6de1336fca0f925192fb0c72a771c3e4c82e"
        "de1fd362c1a770f9eb05843c6308ce2530b53a99c0281a6e"
    ),
    1003: (
        "b104c82771698f45fd8dcfead083d482694c31ab519bcef0"
        "77f126f3736fe98c8392fd5d45d88aeb76b56ccfcb0296d7"
    ),
}
QUICKNET_1000_RANDOMNESS = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
# quicknet-t, the testnet twin of quicknet (same announcement): a valid key that is not quicknet's.
QUICKNET_T_PUBLIC_KEY = (
    "b15b65b46fb29104f6a4b5d1e11a8da6344463973d423661bb0804846a0ecd1ef93c25057f1c0baab2ac53e56c662b66"
    "072f6d84ee791a3382bfb055afab1e6a375538d8ffc451104ac971d2dc9b168e2d3246b0be2015969cbaac298f6502da"
)

# (public key, round, signature, randomness or None): beacons with quicknet's scheme.
QUICKNET_BEACONS: list[tuple[str, int, str, str | None]] = [
    *((QUICKNET_PUBLIC_KEY, n, sig, None) for n, sig in QUICKNET_ROUNDS.items()),
    (QUICKNET_PUBLIC_KEY, 1000, QUICKNET_ROUNDS[1000], QUICKNET_1000_RANDOMNESS),
    (  # drand-client's "walkthrough" chain
        "81d320f220ee9c79e60e19dedc838c31e3ab919b15481e9feb52f643628c4f6a13fdc52129493875a818109d767272ca"
        "0541cbcdcea9335f2870d781b39b845ba8cbd44fdfe4967781cf72ca5917fc9398bcf97ca0548ed5a709016c4b1ff0f3",
        38,
        "95c93585c513ebbcb4777ff15599b3140e5ec0295faa0e483f3deadd88fa6d43f0d3703e3a4ce106e8fd6c6987f32126",
        "b2fc21325a24904a6a9e81a6c63f65f6cec3f0b2400df3f4a56b214770e9ccca",
    ),
]

# Real beacons of drand's other schemes: (scheme, public key, round, signature).
LOE_MAINNET_CHAINED = (  # the League of Entropy's default chain 8990e7a9…, 30 s, chained
    "pedersen-bls-chained",
    "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    2634945,
    "814778ed1e480406beb43b74af71ce2f0373e0ea1bfdfea8f9ed62c876c20fcbc7f0163860e3da42ed2148756015f4"
    "551451898ffe06d384b4d002245025571b6b7a752f7158b40ad92b13b6d703ad31922a617f2c7f6d960b84d56cf1d79eef",
)
TESTNET_UNCHAINED = (
    "pedersen-bls-unchained",
    "8200fc249deb0148eb918d6e213980c5d01acd7fc251900d9260136da3b54836ce125172399ddc69c4e3e11429b62c11",
    7601003,
    "af7eac5897b72401c0f248a26b612c5ef68e0ff830b4d78927988c89b5db3e997bfcdb7c24cb19f549830cd02cb854a1"
    "143fd53a1d4e0713ded471260869439060d170a77187eb6371742840e43eccfa225657c4cc2d9619f7c3d680470c9743",
)
# Same groups as quicknet, but the message hashed under the G2 tag (deprecated by drand).
G2_TAGGED_ON_G1 = (
    "bls-unchained-on-g1",
    "876f6fa8073736e22f6ff4badaab35c637503718f7a452d178ce69c45d2d8129a54ad2f988ab10c9666f87ab603c59bf"
    "013409a5b500555da31720f8eec294d9809b8796f40d5372c71a44ca61226f1eb978310392f98074a608747f77e66c5a",
    3,
    "ac7c3ca14bc88bd014260f22dc016b4fe586f9313c3a549c83d195811a99a5d2d4999d4df6daec73ff51fafadd6d5bb5",
)
DST_G2 = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"


@pytest.mark.parametrize(
    ("key", "round_", "sig", "randomness"),
    QUICKNET_BEACONS,
    ids=[f"{b[0][:8]}-{b[1]}" + ("-randomness" if b[3] else "") for b in QUICKNET_BEACONS],
)
def test_real_quicknet_beacons_verify(
    key: str, round_: int, sig: str, randomness: str | None
) -> None:
    verify_beacon(public_key_hex=key, round=round_, signature_hex=sig, randomness_hex=randomness)
    verify_beacon(scheme=SCHEME_QUICKNET, public_key_hex=key, round=round_, signature_hex=sig)
    if randomness is not None:
        assert beacon_randomness(sig) == randomness


def test_quicknet_randomness_is_sha256_of_the_signature() -> None:
    sig = QUICKNET_ROUNDS[1000]
    assert beacon_randomness(sig) == QUICKNET_1000_RANDOMNESS
    assert beacon_randomness(sig.upper()) == QUICKNET_1000_RANDOMNESS
    assert hashlib.sha256(bytes.fromhex(sig)).hexdigest() == QUICKNET_1000_RANDOMNESS


def test_quicknet_constants() -> None:
    assert drand.QUICKNET_PUBLIC_KEY == QUICKNET_PUBLIC_KEY
    assert drand.QUICKNET_CHAIN_HASH == (
        "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
    )
    assert SCHEME_QUICKNET == "bls-unchained-g1-rfc9380"
    assert DST == b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


def test_beacon_message() -> None:
    assert beacon_message(1000) == hashlib.sha256((1000).to_bytes(8, "big")).digest()
    assert beacon_message(MAX_ROUND) == hashlib.sha256(b"\xff" * 8).digest()


# ---------------------------------------------------------------------------------------------
# Beacons that must be refused


def _quicknet(**changes: Any) -> None:
    args: dict[str, Any] = {
        "public_key_hex": QUICKNET_PUBLIC_KEY,
        "round": 1000,
        "signature_hex": QUICKNET_ROUNDS[1000],
    }
    args.update(changes)
    verify_beacon(**args)


def _flip(hex_value: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(hex_value))
    raw[bit // 8] ^= 0x80 >> (bit % 8)
    return raw.hex()


def test_error_is_a_record_error_with_its_code() -> None:
    with pytest.raises(BeaconError) as caught:
        _quicknet(round=1001)
    assert isinstance(caught.value, RecordError)
    assert caught.value.code == "bad_beacon"
    assert caught.value.detail == (
        "beacon signature does not verify for round 1001 under the given public key "
        "(scheme bls-unchained-g1-rfc9380)"
    )


@pytest.mark.parametrize("round_", [999, 1001, 1000 + 2**32])
def test_wrong_round(round_: int) -> None:
    with pytest.raises(BeaconError, match=f"does not verify for round {round_}"):
        _quicknet(round=round_)


def test_another_rounds_signature() -> None:
    with pytest.raises(BeaconError, match="does not verify"):
        _quicknet(signature_hex=QUICKNET_ROUNDS[1001])


def test_signature_from_another_public_key() -> None:
    # quicknet's round 1000 under quicknet-t's key, then a signature made here under quicknet's
    with pytest.raises(BeaconError, match="does not verify"):
        _quicknet(public_key_hex=QUICKNET_T_PUBLIC_KEY)
    _, other_sig = sign_here(SECRET, 1000)
    with pytest.raises(BeaconError, match="does not verify"):
        _quicknet(signature_hex=other_sig)


def test_forged_signatures() -> None:
    # Valid points of G1 that are not the signature: a multiple of the generator, the message's
    # own hash point (a signature by the secret key 1), and the negated signature.
    h = bls.hash_to_g1(beacon_message(1000), DST)
    negated = _flip(QUICKNET_ROUNDS[1000], 2)  # the 0x20 flag: the same x, the other y
    for point in (bls.E1.mul(bls.G1_GENERATOR, 0xC0FFEE), h):
        with pytest.raises(BeaconError, match="does not verify for round 1000"):
            _quicknet(signature_hex=bls.encode_g1(point).hex())
    bls.decode_g1(bytes.fromhex(negated), "negated signature")  # still a point of G1
    with pytest.raises(BeaconError, match="does not verify for round 1000"):
        _quicknet(signature_hex=negated)


OUTSIDE_G1 = "beacon signature is on the curve but outside the prime-order subgroup G1"
OUTSIDE_G2 = "beacon public key is on the curve but outside the prime-order subgroup G2"
FLIPPED_BITS = [
    ("signature_hex", 3, "beacon signature is not a point of BLS12-381: x³ + 4 has no square root"),
    ("signature_hex", 100, OUTSIDE_G1),
    ("signature_hex", 383, OUTSIDE_G1),
    ("public_key_hex", 3, OUTSIDE_G2),
    (
        "public_key_hex",
        100,
        "beacon public key is not a point of the BLS12-381 twist: x³ + b has no root",
    ),
    ("public_key_hex", 500, OUTSIDE_G2),
]


@pytest.mark.parametrize(("field", "bit", "message"), FLIPPED_BITS)
def test_a_flipped_bit(field: str, bit: int, message: str) -> None:
    value = QUICKNET_PUBLIC_KEY if field == "public_key_hex" else QUICKNET_ROUNDS[1000]
    with pytest.raises(BeaconError) as caught:
        _quicknet(**{field: _flip(value, bit)})
    assert caught.value.detail == message


def test_randomness_that_is_not_sha256_of_the_signature() -> None:
    with pytest.raises(BeaconError, match="is not SHA-256 of the signature"):
        _quicknet(randomness_hex=_flip(QUICKNET_1000_RANDOMNESS, 0))
    with pytest.raises(BeaconError, match="is not SHA-256 of the signature"):
        _quicknet(randomness_hex=hashlib.sha256(b"anything").hexdigest())
    with pytest.raises(BeaconError, match="hex byte pairs"):
        _quicknet(randomness_hex="not hex")


NOT_HEX = [
    ("zz" * 48, "must be a string of hex byte pairs, got 'zzzz"),
    (QUICKNET_ROUNDS[1000][:-1], "hex byte pairs"),
    (" " + QUICKNET_ROUNDS[1000][1:], "hex byte pairs"),
]
MALFORMED_SIGNATURES = [
    *NOT_HEX,
    (QUICKNET_ROUNDS[1000] + "00", "has 49 bytes, expected 48"),
    *MALFORMED_G1,
]


@pytest.mark.parametrize(("signature", "message"), MALFORMED_SIGNATURES)
def test_malformed_signature(signature: str, message: str) -> None:
    with pytest.raises(BeaconError) as caught:
        _quicknet(signature_hex=signature)
    assert caught.value.detail.startswith("beacon signature ")
    assert message in caught.value.detail


MALFORMED_KEYS = [
    *NOT_HEX,
    (QUICKNET_PUBLIC_KEY[:-2], "has 95 bytes, expected 96"),
    *((data, message) for data, message in MALFORMED_G2 if len(data) != 96),
]


@pytest.mark.parametrize(("key", "message"), MALFORMED_KEYS)
def test_malformed_public_key(key: str, message: str) -> None:
    with pytest.raises(BeaconError) as caught:
        _quicknet(public_key_hex=key)
    assert caught.value.detail.startswith("beacon public key ")
    assert message in caught.value.detail


@pytest.mark.parametrize("round_", [0, -1, MAX_ROUND + 1, True, 1000.0, "1000", None])
def test_bad_round(round_: object) -> None:
    with pytest.raises(BeaconError, match="round must be an integer from 1 to 2\\^64-1"):
        _quicknet(round=round_)


# ---------------------------------------------------------------------------------------------
# drand's other schemes


@pytest.mark.parametrize(
    "scheme",
    [
        "pedersen-bls-chained",
        "pedersen-bls-unchained",
        "bls-unchained-on-g1",
        "bls-bn254-unchained-on-g1",
        "quicknet",
        "",
        None,
    ],
)
def test_other_scheme_names_are_refused(scheme: object) -> None:
    with pytest.raises(BeaconError) as caught:
        _quicknet(scheme=scheme)
    assert caught.value.detail == (
        f"beacon scheme {scheme!r} is not supported: only drand quicknet's scheme "
        "bls-unchained-g1-rfc9380 (signatures on G1, unchained) is"
    )


@pytest.mark.parametrize("beacon", [LOE_MAINNET_CHAINED, TESTNET_UNCHAINED], ids=lambda b: b[0])
def test_pedersen_beacons_are_refused_as_another_scheme(beacon: tuple[str, str, int, str]) -> None:
    _, key, round_, sig = beacon
    # Their keys are on G1 (48 bytes), their signatures on G2 (96 bytes): either names quicknet.
    with pytest.raises(BeaconError) as caught:
        verify_beacon(public_key_hex=key, round=round_, signature_hex=sig)
    assert caught.value.detail == (
        "beacon public key has 48 bytes, a key on G1 as drand's pedersen-bls schemes use; only "
        "quicknet's scheme bls-unchained-g1-rfc9380 is supported, with a key on G2 (96 bytes) "
        "and a signature on G1 (48 bytes)"
    )
    with pytest.raises(BeaconError, match=r"^beacon signature has 96 bytes, a signature on G2 "):
        _quicknet(signature_hex=sig)


def test_a_g2_tagged_beacon_on_the_same_groups_does_not_verify() -> None:
    # Its message point is hashed under the G2 tag, so quicknet's check fails; py_ecc shows
    # it is a genuine signature under that tag (test_verification_agrees_with_py_ecc).
    _, key, round_, sig = G2_TAGGED_ON_G1
    with pytest.raises(BeaconError, match=f"does not verify for round {round_}"):
        verify_beacon(public_key_hex=key, round=round_, signature_hex=sig)


# ---------------------------------------------------------------------------------------------
# Beacons signed here with a test key


SECRET = 0x2E3A6F0C5D4B1A09F8E7D6C5B4A39281706F5E4D3C2B1A0918273645F0E1D2C3 % bls.R


def sign_here(secret: int, round_: int, dst: bytes = DST) -> tuple[str, str]:
    """(public key on G2, signature on G1), as a test-only BLS signer makes them."""
    h = bls.hash_to_g1(beacon_message(round_), dst)
    key = bls.E2.mul(bls.G2_GENERATOR, secret)
    return bls.encode_g2(key).hex(), bls.encode_g1(bls.E1.mul(h, secret)).hex()


@pytest.mark.parametrize("round_", [1, 2**32, MAX_ROUND])
def test_signed_here(round_: int) -> None:
    key, sig = sign_here(SECRET, round_)
    verify_beacon(
        public_key_hex=key,
        round=round_,
        signature_hex=sig,
        randomness_hex=beacon_randomness(sig),
    )
    other_key, _ = sign_here(SECRET + 1, round_)
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(public_key_hex=other_key, round=round_, signature_hex=sig)
    key, g2_tagged = sign_here(SECRET, round_, DST_G2)
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(public_key_hex=key, round=round_, signature_hex=g2_tagged)


# ---------------------------------------------------------------------------------------------
# py_ecc, an independent implementation, as an oracle


def _verdict(key: str, round_: int, sig: str) -> bool:
    try:
        verify_beacon(public_key_hex=key, round=round_, signature_hex=sig)
    except BeaconError:
        return False
    return True


def test_verification_agrees_with_py_ecc() -> None:
    rng = random.Random(20230823)  # seeded: the same cases on every run
    signed = []
    for _ in range(2):
        secret, round_ = rng.randrange(1, bls.R), rng.randrange(1, 2**64)
        signed.append((*sign_here(secret, round_), round_))
    (key_a, sig_a, round_a), (key_b, sig_b, round_b) = signed
    forged = bls.encode_g1(bls.E1.mul(bls.G1_GENERATOR, rng.randrange(1, bls.R))).hex()
    _, g2_key, g2_round, g2_sig = G2_TAGGED_ON_G1
    # (public key, round, signature, expected verdict)
    cases: list[tuple[str, int, str, bool]] = [
        *((key, n, sig, True) for key, n, sig, _ in QUICKNET_BEACONS),
        (key_a, round_a, sig_a, True),
        (key_b, round_b, sig_b, True),
        (key_a, round_a + 1, sig_a, False),  # a wrong round
        (key_b, round_a, sig_a, False),  # another key's signature
        (QUICKNET_PUBLIC_KEY, 1000, forged, False),  # a valid point, not the signature
        (QUICKNET_PUBLIC_KEY, 1000, _flip(QUICKNET_ROUNDS[1000], 2), False),  # negated
        (QUICKNET_PUBLIC_KEY, 1000, bls.encode_g1(point_outside_subgroup_g1()).hex(), False),
        (g2_key, g2_round, g2_sig, False),  # another scheme's tag
    ]
    answer = ask_py_ecc(
        {
            "verify": [
                *([key, n, sig] for key, n, sig, _ in cases),
                [g2_key, g2_round, g2_sig, DST_G2.hex()],
            ]
        }
    )
    theirs = answer["verify"]
    ours = [_verdict(key, n, sig) for key, n, sig, _ in cases]
    assert ours == theirs[:-1]
    assert ours == [expected for *_, expected in cases]
    assert theirs[-1] is True  # the G2-tagged beacon is genuine, under its own scheme's tag


# ---------------------------------------------------------------------------------------------
# The verifier's import rule

IMPORTS = """
import json, sys
import records.drand
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_imports_only_the_standard_library_and_policies() -> None:
    out = subprocess.run(
        [sys.executable, "-c", IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(out.stdout))
    outside = sorted(
        m
        for m in loaded - sys.stdlib_module_names - {"records", "policies"}
        if not m.startswith("_")
    )
    assert outside == []
