"""C2SP signed notes and checkpoints, byte for byte against Go's x/mod/sumdb/note."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.errors import RecordError, SignatureError
from records.note import (
    MAX_SIGNATURES,
    Checkpoint,
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    UnverifiedNoteError,
    generate_keys,
    key_hash,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_note_unverified,
    sign_checkpoint,
    sign_note,
)
from tests import vectors

VECTORS = vectors.go_tlog()
SIGNER = NoteSigner.from_key(VECTORS["signer_key"])
VERIFIER = NoteVerifier.from_key(VECTORS["verifier_key"])
ORIGIN = VECTORS["origin"]

# The example in the documentation of Go's golang.org/x/mod/sumdb/note.
GO_DOC_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_DOC_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_DOC_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_DOC_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
GO_DOC_COSIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)

OTHER = NoteSigner("witness.example/w1", bytes(range(32)))
SAME_NAME = NoteSigner(ORIGIN, bytes(32))


# -- keys


def test_vector_keys_parse_and_re_encode() -> None:
    assert SIGNER.key() == VECTORS["signer_key"]
    assert VERIFIER.key() == VECTORS["verifier_key"]
    assert SIGNER.verifier == VERIFIER
    assert SIGNER.name == VERIFIER.name == VECTORS["key_name"]
    assert f"{VERIFIER.key_hash:08x}" == VECTORS["verifier_key"].split("+")[1]


def test_generate_keys_from_a_seed_gives_go_key_strings() -> None:
    assert generate_keys(VECTORS["key_name"], SIGNER.seed) == (
        VECTORS["signer_key"],
        VECTORS["verifier_key"],
    )
    assert generate_keys("PeterNeumann", NoteSigner.from_key(GO_DOC_SKEY).seed) == (
        GO_DOC_SKEY,
        GO_DOC_VKEY,
    )


def test_key_hash_is_the_first_four_bytes_of_sha256_of_name_newline_typed_key() -> None:
    typed = b"\x01" + VERIFIER.public_key
    digest = hashlib.sha256(ORIGIN.encode() + b"\n" + typed).digest()
    assert key_hash(ORIGIN, typed) == int.from_bytes(digest[:4], "big") == VERIFIER.key_hash


def test_signer_repr_and_errors_hide_the_key() -> None:
    assert "seed" not in repr(SIGNER)
    assert VECTORS["signer_key"].split("+")[-1] not in repr(SIGNER)
    assert repr(SIGNER) == "NoteSigner(name='mandate.example/log', key_hash='bdc641f2')"
    assert repr(VERIFIER) == f"NoteVerifier({VECTORS['verifier_key']!r})"
    secret = VECTORS["signer_key"].split("+")[-1]
    for broken in (
        VECTORS["signer_key"].replace("PRIVATE", "PRIVATE2"),
        VECTORS["signer_key"].replace("bdc641f2", "bdc641f3"),
        VECTORS["signer_key"][:-4],
    ):
        with pytest.raises(NoteError) as caught:
            NoteSigner.from_key(broken)
        assert secret[:20] not in caught.value.detail


def test_key_hex_digits_may_be_upper_case_as_go_parses_them() -> None:
    upper = VECTORS["verifier_key"].replace("bdc641f2", "BDC641F2")
    assert NoteVerifier.from_key(upper) == VERIFIER


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        ("", "expected <name>"),
        ("mandate.example/log", "expected <name>"),
        ("mandate.example/log+bdc641f2", "expected <name>"),
        ("mandate.example/log+bdc641f+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8ILz", "<name>"),
        ("mandate.example/log+0xc641f2+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8ILz", "<name>"),
        ("mandate.example/log+bdc641f2+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8IL", "<name>"),
        ("mandate example+bdc641f2+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8ILz", "<name>"),
        ("mandate.example/log+bdc641f3+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8ILz", "key hash"),
        ("other+bdc641f2+AbHE3xwXzOkKA81MBX/HTU4u4k3f4qjJxf2NCkWh8ILz", "key hash"),
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str, match: str) -> None:
    with pytest.raises(NoteError, match=match) as caught:
        NoteVerifier.from_key(vkey)
    assert caught.value.code == "malformed_note"
    assert isinstance(caught.value, RecordError)


def test_verifier_key_of_another_type_or_length_is_refused() -> None:
    for typed, match in (
        (b"\x02" + VERIFIER.public_key, "key type 0x02"),
        (b"\x01" + VERIFIER.public_key[:31], "of 31 bytes"),
    ):
        vkey = f"{ORIGIN}+{key_hash(ORIGIN, typed):08x}+{base64.b64encode(typed).decode()}"
        with pytest.raises(NoteError, match=match):
            NoteVerifier.from_key(vkey)


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\u00a0b", "a\u2003b", "a\u3000b", "a\tb"])
def test_names_go_refuses_are_refused(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        NoteSigner(name, bytes(32))
    with pytest.raises(NoteError, match="key name"):
        NoteVerifier(name, VERIFIER.public_key)


def test_names_go_accepts_are_accepted() -> None:
    # Go's unicode.IsSpace is not Python's str.isspace: U+001C..U+001F are not spaces to Go,
    # and a zero-width space is not a space to either.
    for name in ("a\u200bb", "例え.example/ログ", "a\x1cb"):
        assert NoteSigner(name, bytes(32)).name == name


# -- signing and opening, against Go's output


@pytest.mark.parametrize("checkpoint", VECTORS["checkpoints"], ids=lambda c: f"size{c['size']}")
def test_our_signed_checkpoints_equal_go_byte_for_byte(checkpoint: dict[str, Any]) -> None:
    signed = checkpoint["signed_note"]
    note = open_note(signed, [VERIFIER])
    assert note.sigs == (NoteSignature(ORIGIN, VERIFIER.key_hash, signed.split(" ")[-1][:-1]),)
    assert note.unverified_sigs == ()
    parsed = parse_checkpoint(note.text)
    expected = Checkpoint(ORIGIN, checkpoint["size"], base64.b64decode(checkpoint["root_b64"]))
    assert parsed == expected
    assert expected.body() == note.text
    assert sign_note(expected.body(), [SIGNER]) == signed
    assert sign_checkpoint(expected, [SIGNER]) == signed
    assert open_checkpoint(signed, [VERIFIER], origin=ORIGIN) == expected
    assert open_note(signed.encode("utf-8"), [VERIFIER]) == note


def test_go_documentation_example() -> None:
    signer = NoteSigner.from_key(GO_DOC_SKEY)
    verifier = NoteVerifier.from_key(GO_DOC_VKEY)
    assert sign_note(GO_DOC_TEXT, [signer]) == GO_DOC_TEXT + "\n" + GO_DOC_SIG
    note = open_note(GO_DOC_TEXT + "\n" + GO_DOC_SIG + GO_DOC_COSIG, [verifier])
    assert note.text == GO_DOC_TEXT
    assert [s.name for s in note.sigs] == ["PeterNeumann"]
    assert [s.name for s in note.unverified_sigs] == ["EnochRoot"]


def test_bad_notes_from_the_vectors_are_refused() -> None:
    assert len(VECTORS["bad_notes"]) >= 2
    altered, other_key = VECTORS["bad_notes"][:2]
    with pytest.raises(SignatureError, match="does not match the note text") as caught:
        open_note(altered, [VERIFIER])
    assert caught.value.code == "bad_signature"
    with pytest.raises(UnverifiedNoteError, match="expected one by a trusted key") as unverified:
        open_note(other_key, [VERIFIER])
    assert unverified.value.code == "unverified_note"
    assert isinstance(unverified.value, SignatureError)
    assert unverified.value.note is not None
    assert unverified.value.note.unverified_sigs[0].name == ORIGIN
    assert unverified.value.note.unverified_sigs[0].key_hash != VERIFIER.key_hash
    for bad in VECTORS["bad_notes"]:
        with pytest.raises(SignatureError):
            open_note(bad, [VERIFIER])
        with pytest.raises(SignatureError):
            open_checkpoint(bad, [VERIFIER])


def test_a_key_with_the_same_name_but_another_hash_is_ignored() -> None:
    signed = sign_note("hello\n", [SAME_NAME, SIGNER])
    note = open_note(signed, [VERIFIER])
    assert [s.key_hash for s in note.sigs] == [VERIFIER.key_hash]
    assert [s.key_hash for s in note.unverified_sigs] == [SAME_NAME.key_hash]


def test_several_signers_in_order() -> None:
    signed = sign_note("hello\n", [SIGNER, OTHER])
    lines = signed.split("\n")
    assert lines[:2] == ["hello", ""]
    assert lines[2].startswith(f"— {ORIGIN} ")
    assert lines[3].startswith("— witness.example/w1 ")
    both = open_note(signed, [VERIFIER, OTHER.verifier])
    assert [s.name for s in both.sigs] == [ORIGIN, "witness.example/w1"]
    only_other = open_note(signed, [OTHER.verifier])
    assert [s.name for s in only_other.unverified_sigs] == [ORIGIN]


def test_no_trusted_keys_means_unverified() -> None:
    with pytest.raises(UnverifiedNoteError, match=r"trusted key in \[\]"):
        open_note(sign_note("hello\n", [SIGNER]), [])


def test_a_bad_signature_by_a_known_key_rejects_the_note_even_with_a_good_one() -> None:
    good = sign_note("hello\n", [SIGNER, OTHER])
    forged_other = sign_note("other\n", [OTHER]).split("\n\n")[1]
    forged = good.replace(good.split("\n")[3] + "\n", forged_other)
    assert forged.count("—") == 2
    assert open_note(forged, [VERIFIER]).sigs  # the bad one is by a key we do not know
    with pytest.raises(SignatureError, match=r"witness\.example/w1"):
        open_note(forged, [VERIFIER, OTHER.verifier])


def test_a_second_line_by_the_same_known_key_is_verified_too() -> None:
    # Go skips it; we verify it, so a forged duplicate cannot ride along.
    good = sign_note("hello\n", [SIGNER])
    assert (
        open_note(good + good.split("\n\n")[1], [VERIFIER]).sigs == open_note(good, [VERIFIER]).sigs
    )
    forged = sign_note("other\n", [SIGNER]).split("\n\n")[1]
    with pytest.raises(SignatureError):
        open_note(good + forged, [VERIFIER])


def test_identical_unknown_lines_count_once() -> None:
    signed = sign_note("hello\n", [SIGNER, OTHER])
    duplicated = signed + signed.split("\n")[3] + "\n"
    assert len(open_note(duplicated, [VERIFIER]).unverified_sigs) == 1
    assert len(parse_note_unverified(duplicated).unverified_sigs) == 2


def test_ambiguous_verifiers_are_refused() -> None:
    clash = dataclasses.replace(VERIFIER)
    assert open_note(sign_note("x\n", [SIGNER]), [VERIFIER, clash]).sigs  # the same key twice
    fake = NoteVerifier(ORIGIN, OTHER.verifier.public_key)
    object.__setattr__(fake, "key_hash", VERIFIER.key_hash)
    with pytest.raises(NoteError, match="two different verifiers"):
        open_note(sign_note("x\n", [SIGNER]), [VERIFIER, fake])


def test_text_may_hold_blank_lines_and_the_last_one_separates() -> None:
    text = "first\n\nsecond\n"
    signed = sign_note(text, [SIGNER])
    assert open_note(signed, [VERIFIER]).text == text
    assert open_note(sign_note("\n", [SIGNER]), [VERIFIER]).text == "\n"


def test_parse_note_unverified_trusts_nothing() -> None:
    signed = VECTORS["checkpoints"][0]["signed_note"]
    note = parse_note_unverified(signed)
    assert note == Note(open_note(signed, [VERIFIER]).text, (), note.unverified_sigs)
    assert [s.key_hash for s in note.unverified_sigs] == [VERIFIER.key_hash]


# -- what Go refuses

GOOD = sign_note("hello\n", [SIGNER])
GOOD_LINE = GOOD.split("\n\n")[1]
GOOD_B64 = GOOD_LINE.split(" ")[-1][:-1]


@pytest.mark.parametrize(
    ("note", "match"),
    [
        ("hello\n" + GOOD_LINE, "without a blank line"),
        ("hello\n\n", "signature block is empty"),
        (GOOD[:-1], "does not end in a newline"),
        ("hello\n\n" + GOOD_LINE.replace("—", "-"), "expected '— '"),
        ("hello\n\n" + GOOD_LINE.replace("— ", "—"), "expected '— '"),
        ("hello\n\n" + GOOD_LINE.replace("— ", "—  "), "key name"),
        ("hello\n\n" + GOOD_LINE + "\n", "signature block is empty"),
        ("hello\n\n" + f"— a+b {GOOD_B64}\n", "key name"),
        ("hello\n\n" + f"— a\u00a0b {GOOD_B64}\n", "key name"),
        ("hello\n\n" + f"— {ORIGIN}\n", "standard base64"),
        ("hello\n\n" + f"— {ORIGIN} \n", "standard base64"),
        ("hello\n\n" + f"— {ORIGIN} {GOOD_B64} \n", "standard base64"),
        ("hello\n\n" + f"— {ORIGIN} {GOOD_B64[:-1]}\n", "standard base64"),
        ("hello\n\n" + f"— {ORIGIN} {GOOD_B64.rstrip('=')}\n", "standard base64"),
        ("hello\n\n" + f"— {ORIGIN} AAAAAA==\n", "standard base64"),
        ("hel\tlo\n\n" + GOOD_LINE, "control character U\\+0009"),
        ("hello\r\n\n" + GOOD_LINE, "control character U\\+000D"),
        ("hello\x00\n\n" + GOOD_LINE, "control character U\\+0000"),
        ("hello\n\n" + GOOD_LINE.replace("\n", "\r\n"), "control character"),
        ("hello\ud800\n\n" + GOOD_LINE, "unpaired surrogate"),
        ("hello\n\n" + GOOD_LINE * (MAX_SIGNATURES + 1), f"more than {MAX_SIGNATURES}"),
    ],
)
def test_malformed_notes_are_refused(note: str, match: str) -> None:
    with pytest.raises(NoteError, match=match) as caught:
        open_note(note, [VERIFIER])
    assert caught.value.code == "malformed_note"


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(b"hello \xff\n\n" + GOOD_LINE.encode(), [VERIFIER])
    with pytest.raises(NoteError, match="not valid UTF-8"):
        open_note(b"hello \xed\xa0\x80\n\n" + GOOD_LINE.encode(), [VERIFIER])  # a surrogate


def test_up_to_the_limit_of_signatures_is_fine() -> None:
    assert open_note(GOOD + GOOD_LINE * (MAX_SIGNATURES - 1), [VERIFIER]).sigs


def test_altered_text_is_refused() -> None:
    for altered in (
        GOOD.replace("hello", "hellO"),
        "x" + GOOD,
        GOOD.replace("hello\n", "hello\nx\n"),
    ):
        with pytest.raises(SignatureError, match="does not match"):
            open_note(altered, [VERIFIER])


def test_del_and_c1_characters_are_allowed_as_in_go() -> None:
    text = "del \x7f c1 \x85 nbsp \xa0\n"
    assert open_note(sign_note(text, [SIGNER]), [VERIFIER]).text == text


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("no newline", "end in a newline"),
        ("", "end in a newline"),
        ("tab\there\n", "control character"),
        ("lone \udc80\n", "unpaired surrogate"),
    ],
)
def test_sign_note_refuses_texts_that_would_not_open(text: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        sign_note(text, [SIGNER])


def test_sign_note_needs_a_signer() -> None:
    with pytest.raises(NoteError, match="at least one"):
        sign_note("hello\n", [])


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(
        st.characters(
            blacklist_categories=["Cs"], blacklist_characters=[chr(i) for i in range(32)]
        ),
        max_size=60,
    ).map(lambda s: s + "\n"),
    extra=st.characters(blacklist_categories=["Cs"], min_codepoint=32),
)
def test_sign_then_open_round_trips_and_any_change_is_caught(text: str, extra: str) -> None:
    signed = sign_note(text, [SIGNER, OTHER])
    note = open_note(signed, [VERIFIER])
    assert note.text == text
    assert note.unverified_sigs == (
        NoteSignature(OTHER.name, OTHER.key_hash, note.unverified_sigs[0].base64),
    )
    with pytest.raises(SignatureError):
        open_note(extra + signed, [VERIFIER])


# -- checkpoints


def test_checkpoint_body_and_extensions() -> None:
    root = hashlib.sha256(b"root").digest()
    checkpoint = Checkpoint("example.com/log", 7, root, ("ext one", "ext two"))
    body = checkpoint.body()
    assert body == (f"example.com/log\n7\n{base64.b64encode(root).decode()}\next one\next two\n")
    assert parse_checkpoint(body) == checkpoint
    signed = sign_checkpoint(checkpoint, [SIGNER])
    assert open_checkpoint(signed, [VERIFIER]) == checkpoint
    assert Checkpoint("o", 0, root).body().startswith("o\n0\n")


ROOT_B64 = base64.b64encode(hashlib.sha256(b"root").digest()).decode()
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# The same 32 bytes with a non-zero unused bit: decodes, but is not the canonical form.
NON_CANONICAL_ROOT = ROOT_B64[:-2] + _ALPHABET[_ALPHABET.index(ROOT_B64[-2]) ^ 1] + "="


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (f"origin\n1\n{ROOT_B64}", "not ending in a newline"),
        ("origin\n1\n", "expected origin, size and root"),
        (f"origin\n01\n{ROOT_B64}\n", "without leading zeroes"),
        (f"origin\n+1\n{ROOT_B64}\n", "without leading zeroes"),
        (f"origin\n1_0\n{ROOT_B64}\n", "without leading zeroes"),
        (f"origin\n\u0661\n{ROOT_B64}\n", "without leading zeroes"),
        (f"origin\n-1\n{ROOT_B64}\n", "without leading zeroes"),
        (f"origin\n\n{ROOT_B64}\n", "without leading zeroes"),
        ("origin\n1\nAAAA\n", "canonical base64 of 32 bytes"),
        (f"origin\n1\n{ROOT_B64[:-2]}\n", "canonical base64"),
        (f"origin\n1\n{NON_CANONICAL_ROOT}\n", "canonical base64"),
        (f"\n1\n{ROOT_B64}\n", "checkpoint origin"),
        (f"origin\n1\n{ROOT_B64}\n\n", "checkpoint extension line"),
        (f"origin\n1\n{ROOT_B64}\next\n\nmore\n", "checkpoint extension line"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, match: str) -> None:
    with pytest.raises(NoteError, match=match):
        parse_checkpoint(text)


def test_checkpoint_fields_are_checked() -> None:
    root = hashlib.sha256(b"root").digest()
    with pytest.raises(NoteError, match="origin"):
        Checkpoint("two\nlines", 1, root)
    with pytest.raises(NoteError, match="size"):
        Checkpoint("o", -1, root)
    with pytest.raises(NoteError, match="size"):
        Checkpoint("o", True, root)
    with pytest.raises(NoteError, match="of 31 bytes"):
        Checkpoint("o", 1, root[:31])
    with pytest.raises(NoteError, match="extension"):
        Checkpoint("o", 1, root, ("",))


def test_open_checkpoint_checks_the_origin() -> None:
    signed = VECTORS["checkpoints"][-1]["signed_note"]
    with pytest.raises(NoteError, match=r"expected 'other\.example/log'"):
        open_checkpoint(signed, [VERIFIER], origin="other.example/log")
