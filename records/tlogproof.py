"""C2SP transparency log proofs (c2sp.org/tlog-proof): one entry's offline-verifiable proof.

The text is the line ``c2sp.org/tlog-proof@v1``; optionally ``extra <base64>`` (opaque,
unauthenticated data); ``index <n>``; zero or more base64 hashes of the RFC 6962 inclusion
proof, the leaf's sibling first; an empty line; then the signed checkpoint note verbatim::

    c2sp.org/tlog-proof@v1
    index 2
    1/wPGfm8LXLNCvYbG1Jp096GhemEUS7Ipl2tB2fAYXY=

    mandate.example/log
    3
    z4anl1NJEckn8ud0ipUJTVIIUB8+QJ7/klv+1uGpP9k=

    — mandate.example/log vcZB8oh2...

The leaf itself is not in the proof: the verifier brings the entry (or its leaf hash).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policies.errors import RecordError
from records import merkle
from records.merkle import HASH_SIZE, ProofError, verify_inclusion
from records.note import (
    Checkpoint,
    NoteError,
    NoteVerifier,
    open_checkpoint,
    parse_checkpoint,
    parse_note_unverified,
)

HEADER = "c2sp.org/tlog-proof@v1"
FILE_EXTENSION = ".tlog-proof"

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class TlogProofError(RecordError):
    """A tlog-proof text that is not well formed."""

    code = "malformed_tlog_proof"


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof: nothing in it is verified until :func:`verify_tlog_proof`."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the signed checkpoint note, verbatim
    extra: bytes | None = None

    def text(self) -> str:
        """The proof in its text form."""
        return format_tlog_proof(self.index, self.hashes, self.checkpoint, extra=self.extra)


def format_tlog_proof(
    index: int,
    proof_hashes: Sequence[bytes],
    signed_checkpoint: str,
    *,
    extra: bytes | None = None,
) -> str:
    """The tlog-proof text for the entry at ``index``.

    ``proof_hashes`` is the RFC 6962 inclusion proof in the tree of the checkpoint's size and
    ``signed_checkpoint`` the checkpoint note as the log signed it. ``extra`` (optional) is
    written base64-encoded on an ``extra`` line.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise TlogProofError(f"got index {index!r}, expected an integer ≥ 0")
    for position, h in enumerate(proof_hashes):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise TlogProofError(
                f"got proof hash [{position}] of {len(h)} bytes, expected {HASH_SIZE}"
            )
    checkpoint = _unverified_checkpoint(signed_checkpoint)
    if index >= checkpoint.size:
        raise TlogProofError(
            f"got index {index} for a checkpoint of size {checkpoint.size}, expected an index "
            "below the size"
        )
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {_b64(extra)}")
    lines.append(f"index {index}")
    lines.extend(_b64(h) for h in proof_hashes)
    return "".join(line + "\n" for line in lines) + "\n" + signed_checkpoint


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    """Parse a tlog-proof text, refusing anything the format does not allow."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TlogProofError(f"got a proof that is not valid UTF-8 ({exc.reason})") from exc
    line, rest = _next_line(text, "the header")
    if line != HEADER:
        raise TlogProofError(f"got first line {line[:40]!r}, expected {HEADER!r}")
    line, rest = _next_line(rest, "the index line")
    extra = None
    if line.startswith("extra "):
        extra = _unb64(line[len("extra ") :], "extra data")
        line, rest = _next_line(rest, "the index line")
    if not line.startswith("index ") or not _DECIMAL.fullmatch(line[len("index ") :]):
        raise TlogProofError(
            f"got {line[:40]!r}, expected 'index ' and a decimal without leading zeroes"
        )
    index = int(line[len("index ") :])
    hashes: list[bytes] = []
    while True:
        line, rest = _next_line(rest, "the empty line before the checkpoint")
        if not line:
            break
        h = _unb64(line, f"proof hash [{len(hashes)}]")
        if len(h) != HASH_SIZE:
            raise TlogProofError(
                f"got proof hash [{len(hashes)}] of {len(h)} bytes, expected {HASH_SIZE}"
            )
        hashes.append(h)
    checkpoint = _unverified_checkpoint(rest)
    if index >= checkpoint.size:
        raise TlogProofError(
            f"got index {index} for a checkpoint of size {checkpoint.size}, expected an index "
            "below the size"
        )
    return TlogProof(index, tuple(hashes), rest, extra)


def verify_tlog_proof(
    proof: TlogProof | str | bytes,
    verifiers: Iterable[NoteVerifier],
    *,
    leaf: bytes | None = None,
    leaf_hash: bytes | None = None,
    origin: str | None = None,
) -> Checkpoint:
    """Check the checkpoint's signature and the entry's inclusion; return the checkpoint.

    Give the entry as ``leaf`` (its bytes) or ``leaf_hash`` (SHA-256(0x00 || bytes)), not
    both. With ``origin``, the checkpoint must be that log's. The extra data is not checked:
    it is not authenticated.
    """
    if (leaf is None) == (leaf_hash is None):
        raise ProofError("got both or neither of leaf and leaf_hash, expected exactly one")
    parsed = proof if isinstance(proof, TlogProof) else parse_tlog_proof(proof)
    checkpoint = open_checkpoint(parsed.checkpoint, verifiers, origin=origin)
    entry_hash = merkle.leaf_hash(leaf) if leaf is not None else leaf_hash
    assert entry_hash is not None
    verify_inclusion(parsed.index, checkpoint.size, entry_hash, parsed.hashes, checkpoint.root)
    return checkpoint


def _unverified_checkpoint(signed_checkpoint: str) -> Checkpoint:
    try:
        return parse_checkpoint(parse_note_unverified(signed_checkpoint).text)
    except NoteError as exc:
        raise TlogProofError(f"got a checkpoint that is not well formed: {exc.detail}") from exc


def _next_line(text: str, what: str) -> tuple[str, str]:
    line, found, rest = text.partition("\n")
    if not found:
        raise TlogProofError(f"got the end of the proof, expected {what}")
    return line, rest


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError) as exc:
        raise TlogProofError(f"got {what} {text[:60]!r}, expected standard base64") from exc
    if _b64(data) != text:
        raise TlogProofError(f"got {what} {text[:60]!r}, expected canonical padded base64")
    return data
