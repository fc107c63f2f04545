"""BLS12-381 as far as checking a BLS signature on G1 needs it, in pure Python.

- the fields Fp, Fp2 = Fp[i]/(i² + 1) and Fp12 = Fp2[w]/(w⁶ - ξ) with ξ = 1 + i;
- the curves E1: y² = x³ + 4 over Fp (G1) and E2: y² = x³ + 4ξ over Fp2 (G2, the M-twist);
- compressed points in the ZCash encoding (flag bits 0x80 compressed, 0x40 infinity, 0x20 the
  larger y; G2 puts x's imaginary part first), decoded only when canonical, on the curve, in the
  prime-order subgroup and not the identity;
- hashing to G1 per RFC 9380 (BLS12381G1_XMD:SHA-256_SSWU_RO_: expand_message_xmd with SHA-256,
  simplified SWU on the 11-isogenous curve, the isogeny map, cofactor clearing by h_eff);
- the optimal ate pairing. The final exponentiation raises to 3·(p¹²-1)/r, so `pairing` is the
  cube of the usual one: as bilinear and non-degenerate, because 3 does not divide r.

Standard library only. Nothing here is constant-time: the inputs are public, and verifying a
signature needs no secret.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from policies.errors import RecordError

# draft-irtf-cfrg-pairing-friendly-curves, RFC 9380 §8.8
P = (  # the base field's prime
    0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB
)
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001  # the order of G1 and G2
X_ABS = 0xD201000000010000  # the curve parameter x is -X_ABS
_FP_BYTES = 48

F = TypeVar("F", int, tuple[int, int])
Fp2 = tuple[int, int]  # a0 + a1·i
Fp12 = tuple[int, ...]  # 12 ints: the Fp2 coefficients (re, im) of w⁰…w⁵
G1Point = tuple[int, int] | None  # affine; None is the identity
G2Point = tuple[Fp2, Fp2] | None


class PointError(RecordError):
    """Bytes that are not a compressed point of G1 or G2."""

    code = "bad_point"


# ---------------------------------------------------------------------------------------------
# Fp and Fp2


def fp_sqrt(a: int) -> int | None:
    """A square root of a in Fp, or None when a is not a square."""
    # p ≡ 3 (mod 4): a^((p+1)/4) is a root whenever one exists.
    root = pow(a, (P + 1) // 4, P)
    return root if root * root % P == a % P else None


def f2_mul(a: Fp2, b: Fp2) -> Fp2:
    a0, a1 = a
    b0, b1 = b
    return ((a0 * b0 - a1 * b1) % P, (a0 * b1 + a1 * b0) % P)


def f2_sqr(a: Fp2) -> Fp2:
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % P, 2 * a0 * a1 % P)


def f2_inv(a: Fp2) -> Fp2:
    a0, a1 = a
    n = pow(a0 * a0 + a1 * a1, -1, P)
    return (a0 * n % P, -a1 * n % P)


def f2_pow(a: Fp2, e: int) -> Fp2:
    result: Fp2 = (1, 0)
    for bit in bin(e)[2:]:
        result = f2_sqr(result)
        if bit == "1":
            result = f2_mul(result, a)
    return result


def f2_sqrt(a: Fp2) -> Fp2 | None:
    """A square root of a in Fp2, or None when a is not a square."""
    a0, a1 = a[0] % P, a[1] % P
    if a1 == 0:
        # -1 is not a square in Fp, so exactly one of a0, -a0 is (or a0 = 0).
        r = fp_sqrt(a0)
        if r is not None:
            return (r, 0)
        r = fp_sqrt(-a0 % P)
        return None if r is None else (0, r)
    # (x0 + x1·i)² = a  ⇔  x0² - x1² = a0, 2·x0·x1 = a1; then x0² = (a0 ± |a|)/2.
    norm_root = fp_sqrt((a0 * a0 + a1 * a1) % P)
    if norm_root is None:
        return None
    half = pow(2, -1, P)
    x0 = fp_sqrt((a0 + norm_root) * half % P)
    if x0 is None:
        x0 = fp_sqrt((a0 - norm_root) * half % P)
    if x0 is None or x0 == 0:
        return None
    root = (x0, a1 * pow(2 * x0, -1, P) % P)
    return root if f2_sqr(root) == (a0, a1) else None


class _Field(Generic[F]):
    """What the curve arithmetic needs of Fp or Fp2."""

    zero: F
    one: F

    def add(self, a: F, b: F) -> F:
        raise NotImplementedError

    def sub(self, a: F, b: F) -> F:
        raise NotImplementedError

    def mul(self, a: F, b: F) -> F:
        raise NotImplementedError

    def sqr(self, a: F) -> F:
        raise NotImplementedError

    def neg(self, a: F) -> F:
        raise NotImplementedError

    def inv(self, a: F) -> F:
        raise NotImplementedError


class _Fp(_Field[int]):
    zero = 0
    one = 1

    def add(self, a: int, b: int) -> int:
        return (a + b) % P

    def sub(self, a: int, b: int) -> int:
        return (a - b) % P

    def mul(self, a: int, b: int) -> int:
        return a * b % P

    def sqr(self, a: int) -> int:
        return a * a % P

    def neg(self, a: int) -> int:
        return -a % P

    def inv(self, a: int) -> int:
        return pow(a, -1, P)


class _Fp2(_Field[Fp2]):
    zero = (0, 0)
    one = (1, 0)

    def add(self, a: Fp2, b: Fp2) -> Fp2:
        return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)

    def sub(self, a: Fp2, b: Fp2) -> Fp2:
        return ((a[0] - b[0]) % P, (a[1] - b[1]) % P)

    def mul(self, a: Fp2, b: Fp2) -> Fp2:
        return f2_mul(a, b)

    def sqr(self, a: Fp2) -> Fp2:
        return f2_sqr(a)

    def neg(self, a: Fp2) -> Fp2:
        return (-a[0] % P, -a[1] % P)

    def inv(self, a: Fp2) -> Fp2:
        return f2_inv(a)


FP = _Fp()
FP2 = _Fp2()


# ---------------------------------------------------------------------------------------------
# Curves y² = x³ + b: affine points outside, Jacobian coordinates inside


@dataclass(frozen=True)
class Curve(Generic[F]):
    field: _Field[F]
    b: F

    def rhs(self, x: F) -> F:
        """x³ + b."""
        f = self.field
        return f.add(f.mul(f.sqr(x), x), self.b)

    def on_curve(self, point: tuple[F, F] | None) -> bool:
        return point is None or self.field.sqr(point[1]) == self.rhs(point[0])

    def neg(self, point: tuple[F, F] | None) -> tuple[F, F] | None:
        return None if point is None else (point[0], self.field.neg(point[1]))

    def _double(self, pt: tuple[F, F, F]) -> tuple[F, F, F]:
        f = self.field
        x, y, z = pt
        if z == f.zero or y == f.zero:
            return (f.one, f.one, f.zero)
        # dbl-2009-l for a = 0.
        a = f.sqr(x)
        b = f.sqr(y)
        c = f.sqr(b)
        d = f.sub(f.sqr(f.add(x, b)), f.add(a, c))
        d = f.add(d, d)
        e = f.add(f.add(a, a), a)
        x3 = f.sub(f.sqr(e), f.add(d, d))
        c8 = f.add(c, c)
        c8 = f.add(c8, c8)
        c8 = f.add(c8, c8)
        y3 = f.sub(f.mul(e, f.sub(d, x3)), c8)
        z3 = f.mul(y, z)
        return (x3, y3, f.add(z3, z3))

    def _add(self, p1: tuple[F, F, F], p2: tuple[F, F, F]) -> tuple[F, F, F]:
        f = self.field
        x1, y1, z1 = p1
        x2, y2, z2 = p2
        if z1 == f.zero:
            return p2
        if z2 == f.zero:
            return p1
        z1z1 = f.sqr(z1)
        z2z2 = f.sqr(z2)
        u1 = f.mul(x1, z2z2)
        u2 = f.mul(x2, z1z1)
        s1 = f.mul(f.mul(y1, z2), z2z2)
        s2 = f.mul(f.mul(y2, z1), z1z1)
        h = f.sub(u2, u1)
        r = f.sub(s2, s1)
        if h == f.zero:
            return self._double(p1) if r == f.zero else (f.one, f.one, f.zero)
        hh = f.sqr(h)
        hhh = f.mul(h, hh)
        v = f.mul(u1, hh)
        x3 = f.sub(f.sub(f.sqr(r), hhh), f.add(v, v))
        y3 = f.sub(f.mul(r, f.sub(v, x3)), f.mul(s1, hhh))
        z3 = f.mul(f.mul(z1, z2), h)
        return (x3, y3, z3)

    def _jacobian(self, point: tuple[F, F] | None) -> tuple[F, F, F]:
        f = self.field
        return (f.one, f.one, f.zero) if point is None else (point[0], point[1], f.one)

    def _affine(self, pt: tuple[F, F, F]) -> tuple[F, F] | None:
        f = self.field
        x, y, z = pt
        if z == f.zero:
            return None
        zi = f.inv(z)
        zi2 = f.sqr(zi)
        return (f.mul(x, zi2), f.mul(y, f.mul(zi2, zi)))

    def add(self, p1: tuple[F, F] | None, p2: tuple[F, F] | None) -> tuple[F, F] | None:
        return self._affine(self._add(self._jacobian(p1), self._jacobian(p2)))

    def mul(self, point: tuple[F, F] | None, k: int) -> tuple[F, F] | None:
        """k·point for k ≥ 0, by double-and-add from the top bit."""
        base = self._jacobian(point)
        acc = self._jacobian(None)
        for bit in bin(k)[2:]:
            acc = self._double(acc)
            if bit == "1":
                acc = self._add(acc, base)
        return self._affine(acc)

    def in_subgroup(self, point: tuple[F, F] | None) -> bool:
        return self.mul(point, R) is None


E1 = Curve(FP, 4)
E2 = Curve(FP2, (4, 4))

G1_GENERATOR: tuple[int, int] = (
    0x17F1D3A73197D7942695638C4FA9AC0FC3688C4F9774B905A14E3A3F171BAC586C55E83FF97A1AEFFB3AF00ADB22C6BB,
    0x08B3F481E3AAA0F1A09E30ED741D8AE4FCF5E095D5D00AF600DB18CB2C04B3EDD03CC744A2888AE40CAA232946C5E7E1,
)
G2_GENERATOR: tuple[Fp2, Fp2] = (
    (
        0x024AA2B2F08F0A91260805272DC51051C6E47AD4FA403B02B4510B647AE3D1770BAC0326A805BBEFD48056C8C121BDB8,
        0x13E02B6052719F607DACD3A088274F65596BD0D09920B61AB5DA61BBDC7F5049334CF11213945D57E5AC7D055D042B7E,
    ),
    (
        0x0CE5D527727D6E118CC9CDC6DA2E351AADFD9BAA8CBDD3A76D429A695160D12C923AC9CC3BACA289E193548608B82801,
        0x0606C4A02EA734CC32ACD2B02BC28B99CB3E287E85A763AF267492AB572E99AB3F370D275CEC1DA1AAA9075FF05F79BE,
    ),
)


# ---------------------------------------------------------------------------------------------
# Compressed points (the ZCash encoding)

_C_FLAG, _I_FLAG, _S_FLAG = 0x80, 0x40, 0x20


def _fp_is_large(y: int) -> bool:
    """True when y is the lexicographically larger of y and -y."""
    return y > (P - 1) // 2


def _f2_is_large(y: Fp2) -> bool:
    return _fp_is_large(y[1]) if y[1] != 0 else _fp_is_large(y[0])


def encode_g1(point: G1Point) -> bytes:
    if point is None:
        return bytes([_C_FLAG | _I_FLAG]) + bytes(_FP_BYTES - 1)
    out = bytearray(point[0].to_bytes(_FP_BYTES, "big"))
    out[0] |= _C_FLAG | (_S_FLAG if _fp_is_large(point[1]) else 0)
    return bytes(out)


def encode_g2(point: G2Point) -> bytes:
    if point is None:
        return bytes([_C_FLAG | _I_FLAG]) + bytes(2 * _FP_BYTES - 1)
    (x0, x1), y = point
    out = bytearray(x1.to_bytes(_FP_BYTES, "big") + x0.to_bytes(_FP_BYTES, "big"))
    out[0] |= _C_FLAG | (_S_FLAG if _f2_is_large(y) else 0)
    return bytes(out)


def _split_flags(data: bytes, size: int, what: str) -> tuple[bool, bytes]:
    """(the sign flag, the encoding with its flags cleared)."""
    if len(data) != size:
        raise PointError(f"{what} has {len(data)} bytes, expected {size} (a compressed point)")
    flags = data[0] & 0xE0
    if not flags & _C_FLAG:
        raise PointError(f"{what} is not in compressed form: its first byte is {data[0]:#04x}")
    body = bytes([data[0] & 0x1F]) + data[1:]
    if flags & _I_FLAG:
        if flags & _S_FLAG or any(body):
            raise PointError(f"{what} has the infinity flag but is not the canonical identity")
        raise PointError(f"{what} is the identity point, expected a point of the group")
    return bool(flags & _S_FLAG), body


def decode_g1(data: bytes, what: str) -> tuple[int, int]:
    """A compressed G1 point that is on the curve, in the subgroup and not the identity."""
    large, body = _split_flags(data, _FP_BYTES, what)
    x = int.from_bytes(body, "big")
    if x >= P:
        raise PointError(f"{what} has an x-coordinate of {x:#x}, expected one below p")
    y = fp_sqrt(E1.rhs(x))
    if y is None:
        raise PointError(f"{what} is not a point of BLS12-381: x³ + 4 has no square root")
    if _fp_is_large(y) != large:
        y = P - y
    point = (x, y)
    if not E1.in_subgroup(point):
        raise PointError(f"{what} is on the curve but outside the prime-order subgroup G1")
    return point


def decode_g2(data: bytes, what: str) -> tuple[Fp2, Fp2]:
    """A compressed G2 point that is on the curve, in the subgroup and not the identity."""
    large, body = _split_flags(data, 2 * _FP_BYTES, what)
    x1 = int.from_bytes(body[:_FP_BYTES], "big")
    x0 = int.from_bytes(body[_FP_BYTES:], "big")
    if x1 >= P or x0 >= P:
        raise PointError(f"{what} has an x-coordinate part of p or more, expected both below p")
    x = (x0, x1)
    y = f2_sqrt(E2.rhs(x))
    if y is None:
        raise PointError(f"{what} is not a point of the BLS12-381 twist: x³ + b has no root")
    if _f2_is_large(y) != large:
        y = FP2.neg(y)
    point = (x, y)
    if not E2.in_subgroup(point):
        raise PointError(f"{what} is on the curve but outside the prime-order subgroup G2")
    return point


# ---------------------------------------------------------------------------------------------
# Hashing to G1 (RFC 9380, suite BLS12381G1_XMD:SHA-256_SSWU_RO_)

_H2C_L = 64  # ceil((ceil(log2 p) + 128) / 8)
_SHA256_BLOCK = 64


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with SHA-256 (a DST over 255 bytes is first hashed, per §5.3.3)."""
    if len(dst) > 255:
        dst = hashlib.sha256(b"H2C-OVERSIZE-DST-" + dst).digest()
    ell = -(-len_in_bytes // 32)
    if ell > 255 or len_in_bytes > 65535:
        raise ValueError(f"expand_message_xmd: {len_in_bytes} bytes asked, at most 8160 allowed")
    dst_prime = dst + bytes([len(dst)])
    msg_prime = bytes(_SHA256_BLOCK) + msg + len_in_bytes.to_bytes(2, "big") + b"\0" + dst_prime
    b0 = hashlib.sha256(msg_prime).digest()
    blocks = [hashlib.sha256(b0 + b"\1" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1], strict=True))
        blocks.append(hashlib.sha256(mixed + bytes([i]) + dst_prime).digest())
    return b"".join(blocks)[:len_in_bytes]


def hash_to_field(msg: bytes, dst: bytes, count: int) -> list[int]:
    """RFC 9380 §5.2 for Fp: count field elements."""
    uniform = expand_message_xmd(msg, dst, count * _H2C_L)
    return [int.from_bytes(uniform[_H2C_L * i : _H2C_L * (i + 1)], "big") % P for i in range(count)]


def _hexes(*values: str) -> tuple[int, ...]:
    return tuple(int(v, 16) for v in values)


# RFC 9380 §8.8.1: E': y² = x³ + A'·x + B', 11-isogenous to E1; Z and h_eff.
_ISO_A, _ISO_B = (
    0x144698A3B8E9433D693A02C96D4982B0EA985383EE66A8D8E8981AEFD881AC98936F8DA0E0F97F5CF428082D584C1D,
    0x12E2908D11688030018B12E8753EEE3B2016C1F0F24F4070A0B9C14FCEF35EF55A23215A316CEAA5D1CC48E98E172BE0,
)
_SSWU_Z = 11
H_EFF_G1 = 0xD201000000010001

# RFC 9380 Appendix E.2: the isogeny's coefficients k_(1,i), k_(2,i), k_(3,i), k_(4,i), lowest
# degree first.
_ISO_X_NUM = _hexes(
    "11a05f2b1e833340b809101dd99815856b303e88a2d7005ff2627b56cdb4e2c85610c2d5f2e62d6eaeac1662734649b7",
    "17294ed3e943ab2f0588bab22147a81c7c17e75b2f6a8417f565e33c70d1e86b4838f2a6f318c356e834eef1b3cb83bb",
    "0d54005db97678ec1d1048c5d10a9a1bce032473295983e56878e501ec68e25c958c3e3d2a09729fe0179f9dac9edcb0",
    "1778e7166fcc6db74e0609d307e55412d7f5e4656a8dbf25f1b33289f1b330835336e25ce3107193c5b388641d9b6861",
    "0e99726a3199f4436642b4b3e4118e5499db995a1257fb3f086eeb65982fac18985a286f301e77c451154ce9ac8895d9",
    "1630c3250d7313ff01d1201bf7a74ab5db3cb17dd952799b9ed3ab9097e68f90a0870d2dcae73d19cd13c1c66f652983",
    "0d6ed6553fe44d296a3726c38ae652bfb11586264f0f8ce19008e218f9c86b2a8da25128c1052ecaddd7f225a139ed84",
    "17b81e7701abdbe2e8743884d1117e53356de5ab275b4db1a682c62ef0f2753339b7c8f8c8f475af9ccb5618e3f0c88e",
    "080d3cf1f9a78fc47b90b33563be990dc43b756ce79f5574a2c596c928c5d1de4fa295f296b74e956d71986a8497e317",
    "169b1f8e1bcfa7c42e0c37515d138f22dd2ecb803a0c5c99676314baf4bb1b7fa3190b2edc0327797f241067be390c9e",
    "10321da079ce07e272d8ec09d2565b0dfa7dccdde6787f96d50af36003b14866f69b771f8c285decca67df3f1605fb7b",
    "06e08c248e260e70bd1e962381edee3d31d79d7e22c837bc23c0bf1bc24c6b68c24b1b80b64d391fa9c8ba2e8ba2d229",
)
_ISO_X_DEN = _hexes(
    "08ca8d548cff19ae18b2e62f4bd3fa6f01d5ef4ba35b48ba9c9588617fc8ac62b558d681be343df8993cf9fa40d21b1c",
    "12561a5deb559c4348b4711298e536367041e8ca0cf0800c0126c2588c48bf5713daa8846cb026e9e5c8276ec82b3bff",
    "0b2962fe57a3225e8137e629bff2991f6f89416f5a718cd1fca64e00b11aceacd6a3d0967c94fedcfcc239ba5cb83e19",
    "03425581a58ae2fec83aafef7c40eb545b08243f16b1655154cca8abc28d6fd04976d5243eecf5c4130de8938dc62cd8",
    "13a8e162022914a80a6f1d5f43e7a07dffdfc759a12062bb8d6b44e833b306da9bd29ba81f35781d539d395b3532a21e",
    "0e7355f8e4e667b955390f7f0506c6e9395735e9ce9cad4d0a43bcef24b8982f7400d24bc4228f11c02df9a29f6304a5",
    "0772caacf16936190f3e0c63e0596721570f5799af53a1894e2e073062aede9cea73b3538f0de06cec2574496ee84a3a",
    "14a7ac2a9d64a8b230b3f5b074cf01996e7f63c21bca68a81996e1cdf9822c580fa5b9489d11e2d311f7d99bbdcc5a5e",
    "0a10ecf6ada54f825e920b3dafc7a3cce07f8d1d7161366b74100da67f39883503826692abba43704776ec3a79a1d641",
    "095fc13ab9e92ad4476d6e3eb3a56680f682b4ee96f7d03776df533978f31c1593174e4b4b7865002d6384d168ecdd0a",
    "01",
)
_ISO_Y_NUM = _hexes(
    "090d97c81ba24ee0259d1f094980dcfa11ad138e48a869522b52af6c956543d3cd0c7aee9b3ba3c2be9845719707bb33",
    "134996a104ee5811d51036d776fb46831223e96c254f383d0f906343eb67ad34d6c56711962fa8bfe097e75a2e41c696",
    "00cc786baa966e66f4a384c86a3b49942552e2d658a31ce2c344be4b91400da7d26d521628b00523b8dfe240c72de1f6",
    "01f86376e8981c217898751ad8746757d42aa7b90eeb791c09e4a3ec03251cf9de405aba9ec61deca6355c77b0e5f4cb",
    "08cc03fdefe0ff135caf4fe2a21529c4195536fbe3ce50b879833fd221351adc2ee7f8dc099040a841b6daecf2e8fedb",
    "16603fca40634b6a2211e11db8f0a6a074a7d0d4afadb7bd76505c3d3ad5544e203f6326c95a807299b23ab13633a5f0",
    "04ab0b9bcfac1bbcb2c977d027796b3ce75bb8ca2be184cb5231413c4d634f3747a87ac2460f415ec961f8855fe9d6f2",
    "0987c8d5333ab86fde9926bd2ca6c674170a05bfe3bdd81ffd038da6c26c842642f64550fedfe935a15e4ca31870fb29",
    "09fc4018bd96684be88c9e221e4da1bb8f3abd16679dc26c1e8b6e6a1f20cabe69d65201c78607a360370e577bdba587",
    "0e1bba7a1186bdb5223abde7ada14a23c42a0ca7915af6fe06985e7ed1e4d43b9b3f7055dd4eba6f2bafaaebca731c30",
    "19713e47937cd1be0dfd0b8f1d43fb93cd2fcbcb6caf493fd1183e416389e61031bf3a5cce3fbafce813711ad011c132",
    "18b46a908f36f6deb918c143fed2edcc523559b8aaf0c2462e6bfe7f911f643249d9cdf41b44d606ce07c8a4d0074d8e",
    "0b182cac101b9399d155096004f53f447aa7b12a3426b08ec02710e807b4633f06c851c1919211f20d4c04f00b971ef8",
    "0245a394ad1eca9b72fc00ae7be315dc757b3b080d4c158013e6632d3c40659cc6cf90ad1c232a6442d9d3f5db980133",
    "05c129645e44cf1102a159f748c4a3fc5e673d81d7e86568d9ab0f5d396a7ce46ba1049b6579afb7866b1e715475224b",
    "15e6be4e990f03ce4ea50b3b42df2eb5cb181d8f84965a3957add4fa95af01b2b665027efec01c7704b456be69c8b604",
)
_ISO_Y_DEN = _hexes(
    "16112c4c3a9c98b252181140fad0eae9601a6de578980be6eec3232b5be72e7a07f3688ef60c206d01479253b03663c1",
    "1962d75c2381201e1a0cbd6c43c348b885c84ff731c4d59ca4a10356f453e01f78a4260763529e3532f6102c2e49a03d",
    "058df3306640da276faaae7d6e8eb15778c4855551ae7f310c35a5dd279cd2eca6757cd636f96f891e2538b53dbf67f2",
    "16b7d288798e5395f20d23bf89edb4d1d115c5dbddbcd30e123da489e726af41727364f2c28297ada8d26d98445f5416",
    "0be0e079545f43e4b00cc912f8228ddcc6d19c9f0f69bbb0542eda0fc9dec916a20b15dc0fd2ededda39142311a5001d",
    "08d9e5297186db2d9fb266eaac783182b70152c65550d881c5ecd87b6f0f5a6449f38db9dfa9cce202c6477faaf9b7ac",
    "166007c08a99db2fc3ba8734ace9824b5eecfdfa8d0cf8ef5dd365bc400a0051d5fa9c01a58b1fb93d1a1399126a775c",
    "16a3ef08be3ea7ea03bcddfabba6ff6ee5a4375efa1f4fd7feb34fd206357132b920f5b00801dee460ee415a15812ed9",
    "1866c8ed336c61231a1be54fd1d74cc4f9fb0ce4c6af5920abc5750c4bf39b4852cfe2f7bb9248836b233d9d55535d4a",
    "167a55cda70a6e1cea820597d94a84903216f763e13d87bb5308592e7ea7d4fbc7385ea3d529b35e346ef48bb8913f55",
    "04d2f259eea405bd48f010a01ad2911d9c6dd039bb61a6290e591b36e636a5c871a5c29f4f83060400f8b49cba8f6aa8",
    "0accbb67481d033ff5852c1e48c50c477f94ff8aefce42d28c0f9a88cea7913516f968986f7ebbea9684b529e2561092",
    "0ad6b9514c767fe3c3613144b45f1496543346d98adf02267d5ceef9a00d9b8693000763e3b90ac11e99b138573345cc",
    "02660400eb2e4f3b628bdd0d53cd76f2bf565b94e72927c1cb748df27942480e420517bd8714cc80d1fadc1326ed06f7",
    "0e0fa1d816ddc03e6b24255e0d7819c171c40f65e273b853324efcd6356caa205ca2f570f13497804415473a1d634b8f",
    "01",
)


def _horner(coeffs: tuple[int, ...], x: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % P
    return acc


def map_to_g1(u: int) -> G1Point:
    """Simplified SWU onto E' (RFC 9380 §6.6.2), then the isogeny map onto E1 (§6.6.3)."""
    zu2 = _SSWU_Z * u * u % P
    tv1 = (zu2 * zu2 + zu2) % P
    if tv1 == 0:
        x1 = _ISO_B * pow(_SSWU_Z * _ISO_A, -1, P) % P
    else:
        x1 = -_ISO_B * pow(_ISO_A, -1, P) * (1 + pow(tv1, -1, P)) % P
    x, y = x1, fp_sqrt((x1 * x1 * x1 + _ISO_A * x1 + _ISO_B) % P)
    if y is None:
        x = zu2 * x1 % P
        y = fp_sqrt((x * x * x + _ISO_A * x + _ISO_B) % P)
        if y is None:  # impossible for a valid Z: g(x1)·g(x2) is a square times Z³
            raise ArithmeticError("simplified SWU found no square root")
    if u % P & 1 != y & 1:  # sgn0 (§4.1) of u and y must agree
        y = -y % P
    x_den, y_den = _horner(_ISO_X_DEN, x), _horner(_ISO_Y_DEN, x)
    if x_den == 0 or y_den == 0:
        return None  # a pole of the isogeny: the identity
    return (
        _horner(_ISO_X_NUM, x) * pow(x_den, -1, P) % P,
        y * _horner(_ISO_Y_NUM, x) * pow(y_den, -1, P) % P,
    )


def hash_to_g1(msg: bytes, dst: bytes) -> G1Point:
    """RFC 9380 §3 hash_to_curve: two field elements, mapped, added, cofactor cleared."""
    u0, u1 = hash_to_field(msg, dst, 2)
    return E1.mul(E1.add(map_to_g1(u0), map_to_g1(u1)), H_EFF_G1)


# ---------------------------------------------------------------------------------------------
# Fp12 = Fp2[w]/(w⁶ - ξ), ξ = 1 + i: flat tuples of 12 ints, products reduced once at the end

ONE12: Fp12 = (1,) + (0,) * 11


def _fold(d: list[int]) -> Fp12:
    # d holds (re, im) of w⁰…w¹⁰; w^(6+k) = ξ·w^k and ξ·(x + y·i) = (x - y) + (x + y)·i.
    for k in range(0, 10, 2):
        x, y = d[12 + k], d[13 + k]
        d[k] += x - y
        d[k + 1] += x + y
    return tuple(v % P for v in d[:12])


def f12_mul(a: Fp12, b: Fp12) -> Fp12:
    d = [0] * 22
    for i in range(0, 12, 2):
        a0, a1 = a[i], a[i + 1]
        if a0 == 0 and a1 == 0:
            continue
        for j in range(0, 12, 2):
            b0, b1 = b[j], b[j + 1]
            k = i + j
            d[k] += a0 * b0 - a1 * b1
            d[k + 1] += a0 * b1 + a1 * b0
    return _fold(d)


def f12_sqr(a: Fp12) -> Fp12:
    d = [0] * 22
    for i in range(0, 12, 2):
        a0, a1 = a[i], a[i + 1]
        d[2 * i] += a0 * a0 - a1 * a1
        d[2 * i + 1] += 2 * a0 * a1
        t0, t1 = 2 * a0, 2 * a1
        for j in range(i + 2, 12, 2):
            b0, b1 = a[j], a[j + 1]
            k = i + j
            d[k] += t0 * b0 - t1 * b1
            d[k + 1] += t0 * b1 + t1 * b0
    return _fold(d)


def f12_mul_line(a: Fp12, c0: Fp2, c2: Fp2, c3: int) -> Fp12:
    """a · (c0 + c2·w² + c3·w³), the sparse shape of every Miller-loop line."""
    d = [0] * 22
    l00, l01 = c0
    l20, l21 = c2
    for i in range(0, 12, 2):
        a0, a1 = a[i], a[i + 1]
        d[i] += a0 * l00 - a1 * l01
        d[i + 1] += a0 * l01 + a1 * l00
        d[i + 4] += a0 * l20 - a1 * l21
        d[i + 5] += a0 * l21 + a1 * l20
        d[i + 6] += a0 * c3
        d[i + 7] += a1 * c3
    return _fold(d)


def f12_conj(a: Fp12) -> Fp12:
    """a^(p⁶): w^(p⁶) = -w, so the odd powers of w change sign."""
    return tuple(v if (k // 2) % 2 == 0 else -v % P for k, v in enumerate(a))


_XI: Fp2 = (1, 1)
# w^p = ξ^((p-1)/6)·w, so the coefficient of w^k gains γ_k = ξ^(k(p-1)/6) under Frobenius.
_FROB_GAMMA: tuple[Fp2, ...] = tuple(f2_pow(_XI, k * (P - 1) // 6) for k in range(6))


def f12_frob(a: Fp12) -> Fp12:
    """a^p: conjugate every Fp2 coefficient, then scale the coefficient of w^k by γ_k."""
    out: list[int] = []
    for k in range(6):
        out.extend(f2_mul((a[2 * k], -a[2 * k + 1] % P), _FROB_GAMMA[k]))
    return tuple(out)


def f12_inv(a: Fp12) -> Fp12:
    # a·conj(a) has only even powers of w, i.e. lies in Fp6 = Fp2[v]/(v³ - ξ) with v = w².
    c = f12_conj(a)
    n = f12_mul(a, c)
    n0, n1, n2 = (n[0], n[1]), (n[4], n[5]), (n[8], n[9])
    t0 = FP2.sub(f2_sqr(n0), f2_mul(_XI, f2_mul(n1, n2)))
    t1 = FP2.sub(f2_mul(_XI, f2_sqr(n2)), f2_mul(n0, n1))
    t2 = FP2.sub(f2_sqr(n1), f2_mul(n0, n2))
    den = FP2.add(f2_mul(n0, t0), f2_mul(_XI, FP2.add(f2_mul(n2, t1), f2_mul(n1, t2))))
    di = f2_inv(den)
    s0, s1, s2 = f2_mul(t0, di), f2_mul(t1, di), f2_mul(t2, di)
    return f12_mul(c, (*s0, 0, 0, *s1, 0, 0, *s2, 0, 0))


def f12_pow(a: Fp12, e: int) -> Fp12:
    result = ONE12
    for bit in bin(e)[2:]:
        result = f12_sqr(result)
        if bit == "1":
            result = f12_mul(result, a)
    return result


# ---------------------------------------------------------------------------------------------
# The optimal ate pairing


def _line_step(
    t: tuple[Fp2, Fp2], lam: Fp2, x3: Fp2, p: tuple[int, int]
) -> tuple[tuple[Fp2, Fp2], Fp2, Fp2, int]:
    """The next point on the twist and the line through t with slope lam, evaluated at p.

    With the untwisting (x, y) ↦ (x·w⁻², y·w⁻³), the line y - y_T = λ(x - x_T) at P, times w³,
    is (λ·x_T - y_T) + (-λ·x_P)·w² + y_P·w³. The factor w³ lies in Fp4 and is removed by the
    final exponentiation, as are the vertical lines this loop leaves out.
    """
    (xt, yt), (xp, yp) = t, p
    y3 = FP2.sub(f2_mul(lam, FP2.sub(xt, x3)), yt)
    c0 = FP2.sub(f2_mul(lam, xt), yt)
    c2 = (-lam[0] * xp % P, -lam[1] * xp % P)
    return (x3, y3), c0, c2, yp


def miller_loop(pairs: Sequence[tuple[tuple[int, int], tuple[Fp2, Fp2]]]) -> Fp12:
    """∏ f_{x,Q}(P) over the (P in G1, Q in G2) pairs, sharing the squarings of one loop."""
    f = ONE12
    points = [q for _, q in pairs]
    for bit in bin(X_ABS)[3:]:
        f = f12_sqr(f)
        for n, (p, _) in enumerate(pairs):
            xt, yt = points[n]
            lam = f2_mul(f2_mul((3, 0), f2_sqr(xt)), f2_inv(FP2.add(yt, yt)))
            x3 = FP2.sub(f2_sqr(lam), FP2.add(xt, xt))
            points[n], c0, c2, c3 = _line_step(points[n], lam, x3, p)
            f = f12_mul_line(f, c0, c2, c3)
        if bit == "1":
            for n, (p, q) in enumerate(pairs):
                xt, yt = points[n]
                xq, yq = q
                # T = k·Q with 1 < k < |x| < r never equals ±Q, so the chord is never vertical.
                lam = f2_mul(FP2.sub(yq, yt), f2_inv(FP2.sub(xq, xt)))
                x3 = FP2.sub(FP2.sub(f2_sqr(lam), xt), xq)
                points[n], c0, c2, c3 = _line_step(points[n], lam, x3, p)
                f = f12_mul_line(f, c0, c2, c3)
    # x < 0: f_{x,Q} = 1/f_{|x|,Q} up to factors the final exponentiation removes.
    return f12_conj(f)


def _exp_by_x(a: Fp12) -> Fp12:
    """a^x for a in the cyclotomic subgroup, where inversion is conjugation and x < 0."""
    return f12_conj(f12_pow(a, X_ABS))


def final_exponentiation(f: Fp12) -> Fp12:
    """f^(3·(p¹²-1)/r).

    Easy part f^((p⁶-1)(p²+1)); hard part through 3·(p⁴-p²+1)/r = (x-1)²·(x+p)·(x²+p²-1) + 3,
    an identity of BLS12 curves (the module's tests check it for BLS12-381's x).
    """
    f = f12_mul(f12_conj(f), f12_inv(f))
    f = f12_mul(f12_frob(f12_frob(f)), f)
    a = f12_mul(_exp_by_x(f), f12_conj(f))  # f^(x-1)
    a = f12_mul(_exp_by_x(a), f12_conj(a))  # f^((x-1)²)
    b = f12_mul(_exp_by_x(a), f12_frob(a))  # ·(x+p)
    c = f12_mul(f12_mul(_exp_by_x(_exp_by_x(b)), f12_frob(f12_frob(b))), f12_conj(b))
    return f12_mul(c, f12_mul(f12_sqr(f), f))


def pairing(p: tuple[int, int], q: tuple[Fp2, Fp2]) -> Fp12:
    """The cube of the optimal ate pairing e(P, Q), for P in G1 and Q in G2 (not the identity)."""
    return final_exponentiation(miller_loop([(p, q)]))


def pairing_product_is_one(pairs: Sequence[tuple[tuple[int, int], tuple[Fp2, Fp2]]]) -> bool:
    """∏ e(P, Q) = 1 over the pairs: one shared Miller loop, one final exponentiation."""
    return final_exponentiation(miller_loop(pairs)) == ONE12
