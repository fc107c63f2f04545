"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog checkpoints.

Byte-compatible with Go's ``golang.org/x/mod/sumdb/note``: the same key strings, key hashes and
signature lines, so a note signed here opens there and the other way round. Ed25519 is
deterministic, so signing the same text with the same key gives the same note in both.

- signer key: ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 || 32-byte seed)>`` (a secret);
- verifier key: ``<name>+<hash>+<base64(0x01 || 32-byte public key)>``;
- key hash: the first four bytes, big-endian, of SHA-256(name || "\\n" || 0x01 || public key),
  written as eight hex digits;
- signed note: the text (ending in a newline), a blank line, then one line per signature,
  ``— <name> <base64(key hash || signature)>`` with an em dash (U+2014).

Checkpoints (c2sp.org/tlog-checkpoint) are notes whose text is the log's origin, its size, the
base64 root hash, then optional extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from policies.errors import RecordError, SignatureError

ALG_ED25519 = 0x01
KEY_SIZE = 32
HASH_SIZE = 32
MAX_SIGNATURES = 100  # as Go's note.Open; the spec asks verifiers to accept at least 16
SIGNATURE_PREFIX = "— "

# Go's unicode.IsSpace: ASCII/Latin-1 spaces, then the Unicode White_Space property.
# (Python's str.isspace differs: it also counts U+001C..U+001F.)
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class NoteError(RecordError):
    """A note, key string or checkpoint that is not well formed."""

    code = "malformed_note"


class UnverifiedNoteError(SignatureError):
    """A well-formed note with no signature by any of the trusted keys."""

    code = "unverified_note"

    def __init__(self, detail: str, note: Note | None = None) -> None:
        super().__init__(detail)
        self.note = note  # the parsed note, its signatures all unverified


def key_hash(name: str, key: bytes) -> int:
    """The 32-bit key hash of ``key`` (type byte || public key) under ``name``."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()
    return int.from_bytes(digest[:4], "big")


def is_valid_name(name: str) -> bool:
    """Go's rule for key names: non-empty UTF-8 with no Unicode space and no '+'."""
    return (
        name != ""
        and not _SURROGATE.search(name)
        and "+" not in name
        and not any(c in _GO_SPACES for c in name)
    )


@dataclass(frozen=True, repr=False)
class NoteVerifier:
    """An Ed25519 public key under a name: verifies that name's signatures."""

    name: str
    public_key: bytes
    key_hash: int = field(init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != KEY_SIZE:
            raise NoteError(
                f"got an Ed25519 public key {_describe(self.public_key)}, expected 32 bytes"
            )
        object.__setattr__(self, "key_hash", key_hash(self.name, self._typed_key))

    @classmethod
    def from_key(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key ``<name>+<hash>+<base64(0x01 || public key)>``."""
        name, rest = _chop(vkey, "+")
        hash_hex, key_b64 = _chop(rest, "+")
        expected = "expected <name>+<8 hex digits>+<base64 of 0x01 and a 32-byte key>"
        key = _b64_or_none(key_b64)
        if not _HEX8.fullmatch(hash_hex) or key is None or not is_valid_name(name) or not key:
            raise NoteError(f"got verifier key {vkey[:120]!r}, {expected}")
        if int(hash_hex, 16) != key_hash(name, key):
            raise NoteError(
                f"got key hash {hash_hex} in verifier key for {name!r}, expected "
                f"{key_hash(name, key):08x} (the hash of the name and key)"
            )
        if key[0] != ALG_ED25519:
            raise NoteError(
                f"got key type {key[0]:#04x} in verifier key for {name!r}, "
                f"expected {ALG_ED25519:#04x} (Ed25519)"
            )
        if len(key) - 1 != KEY_SIZE:
            raise NoteError(
                f"got an Ed25519 key of {len(key) - 1} bytes in verifier key for {name!r}, "
                f"expected {KEY_SIZE}"
            )
        return cls(name, key[1:])

    def key(self) -> str:
        """The verifier key string (the ``vkey``), as Go writes it."""
        return f"{self.name}+{self.key_hash:08x}+{_b64(self._typed_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    @property
    def _typed_key(self) -> bytes:
        return bytes([ALG_ED25519]) + self.public_key

    def __repr__(self) -> str:
        return f"NoteVerifier({self.key()!r})"


@dataclass(frozen=True, repr=False)
class NoteSigner:
    """An Ed25519 private key (its 32-byte seed) under a name; its repr hides the seed."""

    name: str
    seed: bytes
    key_hash: int = field(init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.seed, bytes) or len(self.seed) != KEY_SIZE:
            raise NoteError(f"got an Ed25519 seed {_describe(self.seed)}, expected 32 bytes")
        object.__setattr__(self, "key_hash", self.verifier.key_hash)

    @classmethod
    def from_key(cls, skey: str) -> NoteSigner:
        """Parse a signer key ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>``.

        Error messages never repeat the key material.
        """
        private, rest = _chop(skey, "+")
        key_word, rest = _chop(rest, "+")
        name, rest = _chop(rest, "+")
        hash_hex, key_b64 = _chop(rest, "+")
        key = _b64_or_none(key_b64)
        if (
            private != "PRIVATE"
            or key_word != "KEY"
            or not _HEX8.fullmatch(hash_hex)
            or key is None
            or not is_valid_name(name)
            or not key
        ):
            raise NoteError(
                "got a signer key that does not parse, expected "
                "PRIVATE+KEY+<name>+<8 hex digits>+<base64 of 0x01 and a 32-byte seed>"
            )
        if key[0] != ALG_ED25519:
            raise NoteError(
                f"got key type {key[0]:#04x} in signer key for {name!r}, "
                f"expected {ALG_ED25519:#04x} (Ed25519)"
            )
        if len(key) - 1 != KEY_SIZE:
            raise NoteError(
                f"got an Ed25519 seed of {len(key) - 1} bytes in signer key for {name!r}, "
                f"expected {KEY_SIZE}"
            )
        signer = cls(name, key[1:])
        if int(hash_hex, 16) != signer.key_hash:
            raise NoteError(
                f"got key hash {hash_hex} in signer key for {name!r}, expected "
                f"{signer.key_hash:08x} (the hash of the name and the derived public key)"
            )
        return signer

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        public = self._private_key().public_key()
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return NoteVerifier(self.name, raw)

    def key(self) -> str:
        """The signer key string, as Go writes it. A secret."""
        typed = bytes([ALG_ED25519]) + self.seed
        return f"PRIVATE+KEY+{self.name}+{self.key_hash:08x}+{_b64(typed)}"

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` (deterministic)."""
        return self._private_key().sign(message)

    def _private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_hash='{self.key_hash:08x}')"


def generate_keys(name: str, seed: bytes) -> tuple[str, str]:
    """The (signer key, verifier key) strings for ``name`` and a 32-byte ``seed``.

    The caller supplies the seed (e.g. ``os.urandom(32)``); this module draws no randomness.
    """
    signer = NoteSigner(name, seed)
    return signer.key(), signer.verifier.key()


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: the key's name and hash, and the base64 as written."""

    name: str
    key_hash: int
    base64: str


@dataclass(frozen=True)
class Note:
    """A note's text (ending in a newline) and its signatures.

    From :func:`open_note`, ``sigs`` are the verified signatures (one per trusted key) and
    ``unverified_sigs`` those by keys not trusted. From :func:`parse_note_unverified`, every
    signature is unverified and the text must not be trusted.
    """

    text: str
    sigs: tuple[NoteSignature, ...]
    unverified_sigs: tuple[NoteSignature, ...]


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """The signed note: ``text``, a blank line, then one signature line per signer, in order.

    Refuses a text that does not end in a newline, as Go's ``note.Sign`` does, and also a text
    that no verifier would open (ASCII control characters other than newline, or code points
    without a UTF-8 form).
    """
    if not text.endswith("\n"):
        raise NoteError(f"got note text ending in {text[-1:]!r}, expected it to end in a newline")
    _check_characters(text, "note text")
    if not signers:
        raise NoteError("got no signers, expected at least one")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        sig = signer.key_hash.to_bytes(4, "big") + signer.sign(message)
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {_b64(sig)}\n")
    return text + "\n" + "".join(lines)


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> Note:
    """Parse ``note`` and check its signatures against the trusted ``verifiers``.

    As Go's ``note.Open``: signatures by unknown keys (a name and key hash no verifier has) are
    kept as unverified; a signature by a known key that does not verify rejects the note
    (SignatureError); a note with no verified signature is rejected (UnverifiedNoteError).
    Unlike Go, a second signature line by the same known key is verified too, not skipped.
    """
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        slot = (verifier.name, verifier.key_hash)
        if known.setdefault(slot, verifier) != verifier:
            raise NoteError(
                f"got two different verifiers for key {verifier.name}+{verifier.key_hash:08x}, "
                "expected at most one per name and key hash"
            )
    text, lines = _parse(note)
    message = text.encode("utf-8")
    verified: dict[tuple[str, int], NoteSignature] = {}
    unverified: dict[str, NoteSignature] = {}
    for line, signature, sig in lines:
        slot = (signature.name, signature.key_hash)
        trusted = known.get(slot)
        if trusted is None:
            unverified.setdefault(line, signature)  # identical unknown lines count once
            continue
        if not trusted.verify(message, sig):
            raise SignatureError(
                f"signature by key {signature.name}+{signature.key_hash:08x} does not match "
                f"the note text ({len(message)} bytes)"
            )
        verified.setdefault(slot, signature)
    result = Note(text, tuple(verified.values()), tuple(unverified.values()))
    if not verified:
        found = sorted({f"{s.name}+{s.key_hash:08x}" for s in unverified.values()})
        keys = sorted(f"{name}+{h:08x}" for name, h in known)
        raise UnverifiedNoteError(
            f"got signatures by keys {found}, expected one by a trusted key in {keys}",
            result,
        )
    return result


def parse_note_unverified(note: str | bytes) -> Note:
    """Parse ``note`` without checking any signature: every signature is unverified.

    The text of such a note must not be trusted; use :func:`open_note` for that.
    """
    text, lines = _parse(note)
    unique: dict[str, NoteSignature] = {}
    for line, signature, _ in lines:
        unique.setdefault(line, signature)
    return Note(text, (), tuple(unique.values()))


def _parse(note: str | bytes) -> tuple[str, list[tuple[str, NoteSignature, bytes]]]:
    """Split a note into its text and its signature lines, refusing what Go refuses."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"got a note that is not valid UTF-8 ({exc.reason})") from exc
    _check_characters(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("got a note without a blank line, expected text, a blank line, signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError(
            "got a note whose signature block is empty or does not end in a newline, "
            "expected one or more signature lines each ending in a newline"
        )
    lines = block[:-1].split("\n")
    parsed: list[tuple[str, NoteSignature, bytes]] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(
                f"got signature line {number} starting {line[:12]!r}, expected '— ' "
                "(em dash U+2014, space)"
            )
        body = line[len(SIGNATURE_PREFIX) :]
        name, b64 = _chop(body, " ")
        raw = _b64_or_none(b64)
        if not is_valid_name(name):
            raise NoteError(
                f"got key name {name[:60]!r} in signature line {number}, expected a non-empty "
                "name without spaces or '+'"
            )
        if raw is None or len(raw) < 5:
            raise NoteError(
                f"got signature {b64[:60]!r} in line {number}, expected standard base64 of a "
                "4-byte key hash and a signature"
            )
        if number > MAX_SIGNATURES:
            raise NoteError(f"got more than {MAX_SIGNATURES} signature lines, expected fewer")
        signature = NoteSignature(name, int.from_bytes(raw[:4], "big"), b64)
        parsed.append((body, signature, raw[4:]))
    return text, parsed


# -- checkpoints (c2sp.org/tlog-checkpoint)


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise NoteError(f"got checkpoint size {self.size!r}, expected an integer ≥ 0")
        if not isinstance(self.root, bytes) or len(self.root) != HASH_SIZE:
            raise NoteError(f"got a checkpoint root {_describe(self.root)}, expected 32 bytes")
        for extension in self.extensions:
            _check_line(extension, "checkpoint extension line")

    def body(self) -> str:
        """The note text: one line each for origin, size, base64 root, then the extensions."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text (not the signed note: see :func:`open_checkpoint`)."""
    if not text.endswith("\n"):
        raise NoteError("got checkpoint text not ending in a newline, expected lines ending in one")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(
            f"got a checkpoint of {len(lines)} line(s), expected origin, size and root hash"
        )
    origin, size, root_b64, *extensions = lines
    if not _DECIMAL.fullmatch(size):
        raise NoteError(
            f"got checkpoint size {size[:30]!r}, expected ASCII decimal without leading zeroes"
        )
    root = _b64_or_none(root_b64)
    if root is None or _b64(root) != root_b64 or len(root) != HASH_SIZE:
        raise NoteError(
            f"got checkpoint root {root_b64[:60]!r}, expected canonical base64 of {HASH_SIZE} bytes"
        )
    checkpoint = Checkpoint(origin, int(size), root, tuple(extensions))
    if checkpoint.body() != text:  # e.g. an empty extension line
        raise NoteError("got a checkpoint text that does not re-encode to itself")
    return checkpoint


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> str:
    """The signed checkpoint note."""
    return sign_note(checkpoint.body(), signers)


def open_checkpoint(
    note: str | bytes, verifiers: Iterable[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint note and parse its text; with ``origin``, require that origin."""
    checkpoint = parse_checkpoint(open_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"got checkpoint origin {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


# -- helpers


def _chop(s: str, sep: str) -> tuple[str, str]:
    before, found, after = s.partition(sep)
    return (before, after) if found else (s, "")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64_or_none(text: str) -> bytes | None:
    """Standard padded base64 as Go's StdEncoding decodes it, or None."""
    if not text.isascii():
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not is_valid_name(name):
        raise NoteError(f"got key name {name!r}, expected a non-empty name without spaces or '+'")


def _check_characters(text: str, what: str) -> None:
    control = _CONTROL.search(text)
    if control:
        raise NoteError(
            f"got {what} with control character U+{ord(control.group()):04X} at "
            f"{control.start()}, expected none but newline"
        )
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise NoteError(
            f"got {what} with unpaired surrogate U+{ord(surrogate.group()):04X} at "
            f"{surrogate.start()}, expected valid UTF-8 text"
        )


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"of {len(value)} bytes"
    return f"of type {type(value).__name__}"


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line or "\n" in line:
        raise NoteError(f"got {what} {line!r}, expected a non-empty line without newlines")
    _check_characters(line, what)
