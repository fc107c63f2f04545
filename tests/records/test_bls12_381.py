"""BLS12-381 for quicknet's signatures: RFC 9380 vectors, the algebra, and py_ecc as an oracle.

Sources of the data below (data only; no code was taken from them): RFC 9380, Appendix K.1 and
K.2 (expand_message_xmd with SHA-256) and Appendix J.9.1 (BLS12381G1_XMD:SHA-256_SSWU_RO_), as
published in the draft's repository (cfrg/draft-irtf-cfrg-hash-to-curve, poc/vectors/*.json).

py_ecc (the Ethereum Foundation's pure-Python BLS12-381, in the test-only ``.venv-oracle``) is
an independent implementation: seeded random inputs go to tests/records/oracle_bls.py, and its
hash to G1, scalar multiples, compressed encodings, decoding verdicts and pairings must match.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records import bls12_381 as bls
from records.bls12_381 import (
    E1,
    E2,
    G1_GENERATOR,
    G2_GENERATOR,
    ONE12,
    P,
    PointError,
    R,
    decode_g1,
    decode_g2,
    encode_g1,
    encode_g2,
    expand_message_xmd,
    hash_to_field,
    hash_to_g1,
    map_to_g1,
)
from tests.policies.support import run_oracle

X = -bls.X_ABS
QUICKNET_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

# ---------------------------------------------------------------------------------------------
# RFC 9380 test vectors

XMD_SHA256_DST = "QUUX-V01-CS02-with-expander-SHA256-128"
XMD_SHA256 = [
    (
        "",
        32,
        ("68a985b87eb6b46952128911f2a4412bbc302a9d759667f87f7a21d803f07235"),
    ),
    (
        "abc",
        32,
        ("d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615"),
    ),
    (
        "abcdef0123456789",
        32,
        ("eff31487c770a893cfb36f912fbfcbff40d5661771ca4b2cb4eafe524333f5c1"),
    ),
    (
        "q128_" + "q" * 128,
        32,
        ("b23a1d2b4d97b2ef7785562a7e8bac7eed54ed6e97e29aa51bfe3f12ddad1ff9"),
    ),
    (
        "a512_" + "a" * 512,
        32,
        ("4623227bcc01293b8c130bf771da8c298dede7383243dc0993d2d94823958c4c"),
    ),
    (
        "",
        128,
        (
            "af84c27ccfd45d41914fdff5df25293e221afc53d8ad2ac06d5e3e29485dadbe"
            "e0d121587713a3e0dd4d5e69e93eb7cd4f5df4cd103e188cf60cb02edc3edf18"
            "eda8576c412b18ffb658e3dd6ec849469b979d444cf7b26911a08e63cf31f9dc"
            "c541708d3491184472c2c29bb749d4286b004ceb5ee6b9a7fa5b646c993f0ced"
        ),
    ),
    (
        "abc",
        128,
        (
            "abba86a6129e366fc877aab32fc4ffc70120d8996c88aee2fe4b32d6c7b6437a"
            "647e6c3163d40b76a73cf6a5674ef1d890f95b664ee0afa5359a5c4e07985635"
            "bbecbac65d747d3d2da7ec2b8221b17b0ca9dc8a1ac1c07ea6a1e60583e2cb00"
            "058e77b7b72a298425cd1b941ad4ec65e8afc50303a22c0f99b0509b4c895f40"
        ),
    ),
    (
        "abcdef0123456789",
        128,
        (
            "ef904a29bffc4cf9ee82832451c946ac3c8f8058ae97d8d629831a74c6572bd9"
            "ebd0df635cd1f208e2038e760c4994984ce73f0d55ea9f22af83ba4734569d4b"
            "c95e18350f740c07eef653cbb9f87910d833751825f0ebefa1abe5420bb52be1"
            "4cf489b37fe1a72f7de2d10be453b2c9d9eb20c7e3f6edc5a60629178d9478df"
        ),
    ),
    (
        "q128_" + "q" * 128,
        128,
        (
            "80be107d0884f0d881bb460322f0443d38bd222db8bd0b0a5312a6fedb49c1bb"
            "d88fd75d8b9a09486c60123dfa1d73c1cc3169761b17476d3c6b7cbbd727acd0"
            "e2c942f4dd96ae3da5de368d26b32286e32de7e5a8cb2949f866a0b80c58116b"
            "29fa7fabb3ea7d520ee603e0c25bcaf0b9a5e92ec6a1fe4e0391d1cdbce8c68a"
        ),
    ),
    (
        "a512_" + "a" * 512,
        128,
        (
            "546aff5444b5b79aa6148bd81728704c32decb73a3ba76e9e75885cad9def1d0"
            "6d6792f8a7d12794e90efed817d96920d728896a4510864370c207f99bd4a608"
            "ea121700ef01ed879745ee3e4ceef777eda6d9e5e38b90c86ea6fb0b36504ba4"
            "a45d22e86f6db5dd43d98a294bebb9125d5b794e9d2a81181066eb954966a487"
        ),
    ),
]

XMD_SHA256_LONG_DST_DST = "QUUX-V01-CS02-with-expander-SHA256-128-long-DST-" + "1" * 208
XMD_SHA256_LONG_DST = [
    (
        "",
        32,
        ("e8dc0c8b686b7ef2074086fbdd2f30e3f8bfbd3bdf177f73f04b97ce618a3ed3"),
    ),
    (
        "abc",
        32,
        ("52dbf4f36cf560fca57dedec2ad924ee9c266341d8f3d6afe5171733b16bbb12"),
    ),
    (
        "abcdef0123456789",
        32,
        ("35387dcf22618f3728e6c686490f8b431f76550b0b2c61cbc1ce7001536f4521"),
    ),
    (
        "q128_" + "q" * 128,
        32,
        ("01b637612bb18e840028be900a833a74414140dde0c4754c198532c3a0ba42bc"),
    ),
    (
        "a512_" + "a" * 512,
        32,
        ("20cce7033cabc5460743180be6fa8aac5a103f56d481cf369a8accc0c374431b"),
    ),
    (
        "",
        128,
        (
            "14604d85432c68b757e485c8894db3117992fc57e0e136f71ad987f789a0abc2"
            "87c47876978e2388a02af86b1e8d1342e5ce4f7aaa07a87321e691f6fba7e007"
            "2eecc1218aebb89fb14a0662322d5edbd873f0eb35260145cd4e64f748c5dfe6"
            "0567e126604bcab1a3ee2dc0778102ae8a5cfd1429ebc0fa6bf1a53c36f55dfc"
        ),
    ),
    (
        "abc",
        128,
        (
            "1a30a5e36fbdb87077552b9d18b9f0aee16e80181d5b951d0471d55b66684914"
            "aef87dbb3626eaabf5ded8cd0686567e503853e5c84c259ba0efc37f71c839da"
            "2129fe81afdaec7fbdc0ccd4c794727a17c0d20ff0ea55e1389d6982d1241cb8"
            "d165762dbc39fb0cee4474d2cbbd468a835ae5b2f20e4f959f56ab24cd6fe267"
        ),
    ),
    (
        "abcdef0123456789",
        128,
        (
            "d2ecef3635d2397f34a9f86438d772db19ffe9924e28a1caf6f1c8f15603d402"
            "8f40891044e5c7e39ebb9b31339979ff33a4249206f67d4a1e7c765410bcd249"
            "ad78d407e303675918f20f26ce6d7027ed3774512ef5b00d816e51bfcc96c353"
            "9601fa48ef1c07e494bdc37054ba96ecb9dbd666417e3de289d4f424f502a982"
        ),
    ),
    (
        "q128_" + "q" * 128,
        128,
        (
            "ed6e8c036df90111410431431a232d41a32c86e296c05d426e5f44e75b9a50d3"
            "35b2412bc6c91e0a6dc131de09c43110d9180d0a70f0d6289cb4e43b05f7ee5e"
            "9b3f42a1fad0f31bac6a625b3b5c50e3a83316783b649e5ecc9d3b1d9471cb50"
            "24b7ccf40d41d1751a04ca0356548bc6e703fca02ab521b505e8e45600508d32"
        ),
    ),
    (
        "a512_" + "a" * 512,
        128,
        (
            "78b53f2413f3c688f07732c10e5ced29a17c6a16f717179ffbe38d92d6c9ec29"
            "6502eb9889af83a1928cd162e845b0d3c5424e83280fed3d10cffb2f8431f14e"
            "7a23f4c68819d40617589e4c41169d0b56e0e3535be1fd71fbb08bb70c5b5ffe"
            "d953d6c14bf7618b35fc1f4c4b30538236b4b08c9fbf90462447a8ada60be495"
        ),
    ),
]

H2C_G1_DST = "QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"
H2C_G1 = [
    {
        "msg": "",
        "u": [
            "0ba14bd907ad64a016293ee7c2d276b8eae71f25a4b941eece7b0d89f17f75cb3ae5438a614fb61d6835ad59f29c564f",
            "019b9bd7979f12657976de2884c7cce192b82c177c80e0ec604436a7f538d231552f0d96d9f7babe5fa3b19b3ff25ac9",
        ],
        "Q0": (
            "11a3cce7e1d90975990066b2f2643b9540fa40d6137780df4e753a8054d07580db3b7f1f03396333d4a359d1fe3766fe",
            "0eeaf6d794e479e270da10fdaf768db4c96b650a74518fc67b04b03927754bac66f3ac720404f339ecdcc028afa091b7",
        ),
        "Q1": (
            "160003aaf1632b13396dbad518effa00fff532f604de1a7fc2082ff4cb0afa2d63b2c32da1bef2bf6c5ca62dc6b72f9c",
            "0d8bb2d14e20cf9f6036152ed386d79189415b6d015a20133acb4e019139b94e9c146aaad5817f866c95d609a361735e",
        ),
        "P": (
            "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1",
            "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265",
        ),
    },
    {
        "msg": "abc",
        "u": [
            "0d921c33f2bad966478a03ca35d05719bdf92d347557ea166e5bba579eea9b83e9afa5c088573c2281410369fbd32951",
            "003574a00b109ada2f26a37a91f9d1e740dffd8d69ec0c35e1e9f4652c7dba61123e9dd2e76c655d956e2b3462611139",
        ],
        "Q0": (
            "125435adce8e1cbd1c803e7123f45392dc6e326d292499c2c45c5865985fd74fe8f042ecdeeec5ecac80680d04317d80",
            "0e8828948c989126595ee30e4f7c931cbd6f4570735624fd25aef2fa41d3f79cfb4b4ee7b7e55a8ce013af2a5ba20bf2",
        ),
        "Q1": (
            "11def93719829ecda3b46aa8c31fc3ac9c34b428982b898369608e4f042babee6c77ab9218aad5c87ba785481eff8ae4",
            "0007c9cef122ccf2efd233d6eb9bfc680aa276652b0661f4f820a653cec1db7ff69899f8e52b8e92b025a12c822a6ce6",
        ),
        "P": (
            "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903",
            "0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d",
        ),
    },
    {
        "msg": "abcdef0123456789",
        "u": [
            "062d1865eb80ebfa73dcfc45db1ad4266b9f3a93219976a3790ab8d52d3e5f1e62f3b01795e36834b17b70e7b76246d4",
            "0cdc3e2f271f29c4ff75020857ce6c5d36008c9b48385ea2f2bf6f96f428a3deb798aa033cd482d1cdc8b30178b08e3a",
        ],
        "Q0": (
            "08834484878c217682f6d09a4b51444802fdba3d7f2df9903a0ddadb92130ebbfa807fffa0eabf257d7b48272410afff",
            "0b318f7ecf77f45a0f038e62d7098221d2dbbca2a394164e2e3fe953dc714ac2cde412d8f2d7f0c03b259e6795a2508e",
        ),
        "Q1": (
            "158418ed6b27e2549f05531a8281b5822b31c3bf3144277fbb977f8d6e2694fedceb7011b3c2b192f23e2a44b2bd106e",
            "1879074f344471fac5f839e2b4920789643c075792bec5af4282c73f7941cda5aa77b00085eb10e206171b9787c4169f",
        ),
        "P": (
            "11e0b079dea29a68f0383ee94fed1b940995272407e3bb916bbf268c263ddd57a6a27200a784cbc248e84f357ce82d98",
            "03a87ae2caf14e8ee52e51fa2ed8eefe80f02457004ba4d486d6aa1f517c0889501dc7413753f9599b099ebcbbd2d709",
        ),
    },
    {
        "msg": "q128_" + "q" * 128,
        "u": [
            "010476f6a060453c0b1ad0b628f3e57c23039ee16eea5e71bb87c3b5419b1255dc0e5883322e563b84a29543823c0e86",
            "0b1a912064fb0554b180e07af7e787f1f883a0470759c03c1b6509eb8ce980d1670305ae7b928226bb58fdc0a419f46e",
        ],
        "Q0": (
            "0cbd7f84ad2c99643fea7a7ac8f52d63d66cefa06d9a56148e58b984b3dd25e1f41ff47154543343949c64f88d48a710",
            "052c00e4ed52d000d94881a5638ae9274d3efc8bc77bc0e5c650de04a000b2c334a9e80b85282a00f3148dfdface0865",
        ),
        "Q1": (
            "06493fb68f0d513af08be0372f849436a787e7b701ae31cb964d968021d6ba6bd7d26a38aaa5a68e8c21a6b17dc8b579",
            "02e98f2ccf5802b05ffaac7c20018bc0c0b2fd580216c4aa2275d2909dc0c92d0d0bdc979226adeb57a29933536b6bb4",
        ),
        "P": (
            "15f68eaa693b95ccb85215dc65fa81038d69629f70aeee0d0f677cf22285e7bf58d7cb86eefe8f2e9bc3f8cb84fac488",
            "1807a1d50c29f430b8cafc4f8638dfeeadf51211e1602a5f184443076715f91bb90a48ba1e370edce6ae1062f5e6dd38",
        ),
    },
    {
        "msg": "a512_" + "a" * 512,
        "u": [
            "0a8ffa7447f6be1c5a2ea4b959c9454b431e29ccc0802bc052413a9c5b4f9aac67a93431bd480d15be1e057c8a08e8c6",
            "05d487032f602c90fa7625dbafe0f4a49ef4a6b0b33d7bb349ff4cf5410d297fd6241876e3e77b651cfc8191e40a68b7",
        ],
        "Q0": (
            "0cf97e6dbd0947857f3e578231d07b309c622ade08f2c08b32ff372bd90db19467b2563cc997d4407968d4ac80e154f8",
            "127f0cddf2613058101a5701f4cb9d0861fd6c2a1b8e0afe194fccf586a3201a53874a2761a9ab6d7220c68661a35ab3",
        ),
        "Q1": (
            "092f1acfa62b05f95884c6791fba989bbe58044ee6355d100973bf9553ade52b47929264e6ae770fb264582d8dce512a",
            "028e6d0169a72cfedb737be45db6c401d3adfb12c58c619c82b93a5dfcccef12290de530b0480575ddc8397cda0bbebf",
        ),
        "P": (
            "082aabae8b7dedb0e78aeb619ad3bfd9277a2f77ba7fad20ef6aabdc6c31d19ba5a6d12283553294c1825c4b3ca2dcfe",
            "05b84ae5a942248eea39e1d91030458c40153f3b654ab7872d779ad1e942856a20c438e8d99bc8abfbf74729ce1f7ac8",
        ),
    },
]


@pytest.mark.parametrize(("msg", "length", "uniform"), XMD_SHA256)
def test_expand_message_xmd_rfc9380_k1(msg: str, length: int, uniform: str) -> None:
    assert expand_message_xmd(msg.encode(), XMD_SHA256_DST.encode(), length).hex() == uniform


@pytest.mark.parametrize(("msg", "length", "uniform"), XMD_SHA256_LONG_DST)
def test_expand_message_xmd_rfc9380_k2_long_dst(msg: str, length: int, uniform: str) -> None:
    dst = XMD_SHA256_LONG_DST_DST.encode()
    assert len(dst) > 255
    assert expand_message_xmd(msg.encode(), dst, length).hex() == uniform


@pytest.mark.parametrize("vector", H2C_G1, ids=lambda v: f"msg-len-{len(v['msg'])}")
def test_hash_to_g1_rfc9380_j9(vector: dict[str, Any]) -> None:
    msg, dst = vector["msg"].encode(), H2C_G1_DST.encode()
    u = hash_to_field(msg, dst, 2)
    assert u == [int(x, 16) for x in vector["u"]]
    for name, u_i in (("Q0", u[0]), ("Q1", u[1])):
        x, y = vector[name]
        assert map_to_g1(u_i) == (int(x, 16), int(y, 16))
    x, y = vector["P"]
    point = hash_to_g1(msg, dst)
    assert point == (int(x, 16), int(y, 16))
    assert E1.on_curve(point)
    assert E1.in_subgroup(point)


# ---------------------------------------------------------------------------------------------
# Parameters, encodings, the tower and the pairing


def test_curve_parameters() -> None:
    assert R == X**4 - X**2 + 1
    assert (X - 1) ** 2 * R % 3 == 0
    assert P == (X - 1) ** 2 * R // 3 + X
    # The hard part of the final exponentiation uses this BLS12 identity.
    assert 3 * (P**4 - P**2 + 1) // R == (X - 1) ** 2 * (X + P) * (X**2 + P**2 - 1) + 3
    assert (P**4 - P**2 + 1) % R == 0
    assert R % 3 != 0  # so the cube of the pairing is still non-degenerate
    assert bls.H_EFF_G1 == 1 - X  # RFC 9380 §8.8.1: h_eff = 1 - x clears G1's cofactor


def test_generators_are_the_standard_ones() -> None:
    assert E1.on_curve(G1_GENERATOR)
    assert E2.on_curve(G2_GENERATOR)
    assert E1.in_subgroup(G1_GENERATOR)
    assert E2.in_subgroup(G2_GENERATOR)
    # The compressed generators as every BLS12-381 library prints them.
    assert encode_g1(G1_GENERATOR).hex() == (
        "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
        "6c55e83ff97a1aeffb3af00adb22c6bb"
    )
    assert encode_g2(G2_GENERATOR).hex() == (
        "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049"
        "334cf11213945d57e5ac7d055d042b7e024aa2b2f08f0a91260805272dc51051"
        "c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"
    )


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=R - 1))
def test_compressed_points_round_trip(k: int) -> None:
    p1 = E1.mul(G1_GENERATOR, k)
    assert p1 is not None
    assert decode_g1(encode_g1(p1), "point") == p1
    assert decode_g1(encode_g1(E1.neg(p1)), "point") == E1.neg(p1)
    p2 = E2.mul(G2_GENERATOR, k)
    assert p2 is not None
    assert decode_g2(encode_g2(p2), "point") == p2
    assert decode_g2(encode_g2(E2.neg(p2)), "point") == E2.neg(p2)


def test_group_law() -> None:
    a, b = 0x1234567, 0x89ABCDEF
    assert E1.add(E1.mul(G1_GENERATOR, a), E1.mul(G1_GENERATOR, b)) == E1.mul(G1_GENERATOR, a + b)
    assert E2.add(E2.mul(G2_GENERATOR, a), E2.mul(G2_GENERATOR, b)) == E2.mul(G2_GENERATOR, a + b)
    assert E1.add(G1_GENERATOR, E1.neg(G1_GENERATOR)) is None
    assert E2.add(G2_GENERATOR, G2_GENERATOR) == E2.mul(G2_GENERATOR, 2)
    assert E1.mul(G1_GENERATOR, R + 5) == E1.mul(G1_GENERATOR, 5)


def test_fp2_square_roots() -> None:
    for a in [(0, 0), (1, 0), (P - 1, 0), (5, 0), (3, 7), (P - 2, P - 1), (12345, 0)]:
        root = bls.f2_sqrt(a)
        is_square = bls.f2_pow(a, (P * P - 1) // 2) in ((1, 0), (0, 0))
        assert (root is not None) == is_square
        if root is not None:
            assert bls.f2_sqr(root) == a


def _sample_fp12(seed: int) -> tuple[int, ...]:
    return tuple(
        int.from_bytes(hashlib.sha512(b"%d/%d" % (seed, k)).digest(), "big") % P for k in range(12)
    )


def test_fp12_tower() -> None:
    a, b = _sample_fp12(1), _sample_fp12(2)
    assert bls.f12_mul(a, bls.f12_inv(a)) == ONE12
    assert bls.f12_sqr(a) == bls.f12_mul(a, a)
    assert bls.f12_mul(a, b) == bls.f12_mul(b, a)
    assert bls.f12_frob(a) == bls.f12_pow(a, P)
    six = a
    for _ in range(6):
        six = bls.f12_frob(six)
    assert bls.f12_conj(a) == six
    line = ((3, 4), (5, 6), 7)
    dense = (3, 4, 0, 0, 5, 6, 7, 0, 0, 0, 0, 0)
    assert bls.f12_mul_line(a, *line) == bls.f12_mul(a, dense)


def test_final_exponentiation_is_the_cube_of_the_plain_power() -> None:
    f = _sample_fp12(3)
    plain = bls.f12_pow(f, (P**12 - 1) // R)
    assert bls.final_exponentiation(f) == bls.f12_pow(plain, 3)


def g1(k: int) -> tuple[int, int]:
    point = E1.mul(G1_GENERATOR, k)
    assert point is not None
    return point


def g2(k: int) -> tuple[tuple[int, int], tuple[int, int]]:
    point = E2.mul(G2_GENERATOR, k)
    assert point is not None
    return point


def test_pairing_is_bilinear_and_non_degenerate() -> None:
    e = bls.pairing(G1_GENERATOR, G2_GENERATOR)
    assert e != ONE12
    assert bls.f12_pow(e, R) == ONE12
    a, b = 0xC0FFEE, 0xFACADE
    assert bls.pairing(g1(a), g2(b)) == bls.f12_pow(e, a * b)
    assert bls.pairing(g1(a), G2_GENERATOR) == bls.pairing(G1_GENERATOR, g2(a))
    assert bls.pairing_product_is_one([(g1(a), g2(b)), (g1(R - a), g2(b))])
    assert not bls.pairing_product_is_one([(g1(a), g2(b)), (g1(a), g2(b))])


# ---------------------------------------------------------------------------------------------
# Malformed points


def point_outside_subgroup_g1() -> tuple[int, int]:
    x = 0
    while True:
        y = bls.fp_sqrt(E1.rhs(x))
        if y is not None and not E1.in_subgroup((x, y)):
            return (x, y)
        x += 1


def point_outside_subgroup_g2() -> tuple[tuple[int, int], tuple[int, int]]:
    x0 = 0
    while True:
        x = (x0, 1)
        y = bls.f2_sqrt(E2.rhs(x))
        if y is not None and not E2.in_subgroup((x, y)):
            return (x, y)
        x0 += 1


def x_not_on_g1() -> bytes:
    x = 0
    while bls.fp_sqrt(E1.rhs(x)) is not None:
        x += 1
    out = bytearray(x.to_bytes(48, "big"))
    out[0] |= 0x80
    return bytes(out)


P_HEX = f"{P:096x}"
MALFORMED_G1 = [
    ("", "has 0 bytes, expected 48"),
    ("97" * 47, "has 47 bytes, expected 48"),
    ("3" + encode_g1(G1_GENERATOR).hex()[1:], "not in compressed form"),
    ("c0" + "00" * 47, "is the identity point"),
    ("e0" + "00" * 47, "not the canonical identity"),
    ("c0" + "00" * 46 + "01", "not the canonical identity"),
    ("9" + P_HEX[1:], "expected one below p"),
    ("bf" + "ff" * 47, "expected one below p"),
    (x_not_on_g1().hex(), "not a point of BLS12-381"),
    (encode_g1(point_outside_subgroup_g1()).hex(), "outside the prime-order subgroup G1"),
]
MALFORMED_G2 = [
    ("97" * 48, "has 48 bytes, expected 96"),
    ("c0" + "00" * 95, "is the identity point"),
    ("0" + encode_g2(G2_GENERATOR).hex()[1:], "not in compressed form"),
    ("9" + P_HEX[1:] + encode_g2(G2_GENERATOR).hex()[96:], "part of p or more"),
    (encode_g2(G2_GENERATOR).hex()[:96] + P_HEX, "part of p or more"),
    (encode_g2(point_outside_subgroup_g2()).hex(), "outside the prime-order subgroup G2"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED_G1)
def test_malformed_g1_points(data: str, message: str) -> None:
    with pytest.raises(PointError, match=message) as caught:
        decode_g1(bytes.fromhex(data), "the point")
    assert caught.value.code == "bad_point"
    assert caught.value.detail.startswith("the point ")


@pytest.mark.parametrize(("data", "message"), MALFORMED_G2)
def test_malformed_g2_points(data: str, message: str) -> None:
    with pytest.raises(PointError, match=message):
        decode_g2(bytes.fromhex(data), "the point")


def test_a_g2_x_without_a_point_is_refused() -> None:
    x0 = 0
    while bls.f2_sqrt(E2.rhs((x0, 1))) is not None:
        x0 += 1
    data = bytearray((1).to_bytes(48, "big") + x0.to_bytes(48, "big"))
    data[0] |= 0x80
    with pytest.raises(PointError, match="not a point of the BLS12-381 twist"):
        decode_g2(bytes(data), "the point")


# ---------------------------------------------------------------------------------------------
# py_ecc, an independent implementation, as an oracle (in its own virtualenv)

ORACLE_SCRIPT = Path(__file__).with_name("oracle_bls.py")


def ask_py_ecc(query: dict[str, Any]) -> dict[str, Any]:
    """py_ecc's answers to ``query`` (see tests/records/oracle_bls.py), from ``.venv-oracle``."""
    answer: dict[str, Any] = run_oracle(str(ORACLE_SCRIPT), query)
    return answer


def _random_bytes(rng: random.Random, size: int, *, compressed: bool) -> str:
    data = bytearray(rng.randbytes(size))
    if compressed:
        data[0] = data[0] & 0x1F | 0x80 | rng.choice((0, 0x20))
    return data.hex()


def _oracle_query() -> dict[str, Any]:
    """Seeded random inputs, plus the edge cases every check should agree on."""
    rng = random.Random(9380)
    g1_scalars = [1, 2, R - 1, *(rng.randrange(1, R) for _ in range(4))]
    g2_scalars = [1, R - 1, *(rng.randrange(1, R) for _ in range(3))]
    hashes = [
        (rng.randbytes(rng.randrange(0, 200)), rng.randbytes(rng.randrange(1, 256)))
        for _ in range(8)
    ]
    rounds = [1, *(rng.randrange(1, 2**64) for _ in range(3))]
    hashes += [(hashlib.sha256(n.to_bytes(8, "big")).digest(), QUICKNET_DST) for n in rounds]
    decode_g1_inputs = [
        *(encode_g1(E1.neg(g1(k))).hex() for k in g1_scalars[3:]),
        *(_random_bytes(rng, 48, compressed=True) for _ in range(8)),
        *(data for data, _ in MALFORMED_G1 if data),
    ]
    decode_g2_inputs = [
        *(encode_g2(E2.neg(g2(k))).hex() for k in g2_scalars[2:]),
        *(_random_bytes(rng, 96, compressed=True) for _ in range(4)),
        *(data for data, _ in MALFORMED_G2),
    ]
    pairings = [(1, 1), *((rng.randrange(1, R), rng.randrange(1, R)) for _ in range(2))]
    return {
        "g1": g1_scalars,
        "g2": g2_scalars,
        "hash_to_g1": [(m.hex(), d.hex()) for m, d in hashes],
        "decode_g1": decode_g1_inputs,
        "decode_g2": decode_g2_inputs,
        "pairing": pairings,
    }


@pytest.fixture(scope="module")
def oracle() -> tuple[dict[str, Any], dict[str, Any]]:
    query = _oracle_query()
    return query, ask_py_ecc(query)


def test_scalar_multiples_and_their_encodings_agree_with_py_ecc(
    oracle: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    query, answer = oracle
    assert answer["g1"] == [encode_g1(E1.mul(G1_GENERATOR, k)).hex() for k in query["g1"]]
    assert answer["g2"] == [encode_g2(E2.mul(G2_GENERATOR, k)).hex() for k in query["g2"]]
    # and each decodes back to the same multiple here
    for k, data in zip(query["g1"], answer["g1"], strict=True):
        assert decode_g1(bytes.fromhex(data), "point") == E1.mul(G1_GENERATOR, k)
    for k, data in zip(query["g2"], answer["g2"], strict=True):
        assert decode_g2(bytes.fromhex(data), "point") == E2.mul(G2_GENERATOR, k)


def test_hash_to_g1_agrees_with_py_ecc(oracle: tuple[dict[str, Any], dict[str, Any]]) -> None:
    query, answer = oracle
    ours = [
        encode_g1(hash_to_g1(bytes.fromhex(m), bytes.fromhex(d))).hex()
        for m, d in query["hash_to_g1"]
    ]
    assert answer["hash_to_g1"] == ours
    assert len(set(ours)) == len(ours)


def _decoded(decode: Any, data: str) -> Any:
    try:
        return decode(bytes.fromhex(data), "point")
    except PointError:
        return None


def test_decoding_verdicts_agree_with_py_ecc(
    oracle: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    query, answer = oracle
    g1_ours = [_decoded(decode_g1, x) for x in query["decode_g1"]]
    g1_theirs = [None if a is None else (int(a[0], 16), int(a[1], 16)) for a in answer["decode_g1"]]
    assert g1_ours == g1_theirs
    g2_ours = [_decoded(decode_g2, x) for x in query["decode_g2"]]
    g2_theirs = [
        None if a is None else tuple(tuple(int(c, 16) for c in xy) for xy in a)
        for a in answer["decode_g2"]
    ]
    assert g2_ours == g2_theirs
    # the inputs hold both verdicts: valid points and refusals
    assert None in g1_ours
    assert None in g2_ours
    assert any(g1_ours)
    assert any(g2_ours)


def test_pairing_agrees_with_py_ecc(oracle: tuple[dict[str, Any], dict[str, Any]]) -> None:
    # py_ecc's Miller loop runs over |x| and leaves out the inversion a negative x calls for, so
    # its pairing is the inverse of the optimal ate pairing; ours is that pairing's cube. Hence
    # ours = conj(theirs)³ (the inverse of a unitary element is its conjugate), for every input.
    query, answer = oracle
    for (a, b), theirs_hex in zip(query["pairing"], answer["pairing"], strict=True):
        theirs = tuple(int(c, 16) for c in theirs_hex)
        assert theirs != ONE12
        ours = bls.pairing(g1(a), g2(b))
        assert ours == bls.f12_pow(bls.f12_conj(theirs), 3)
