"""The published key list: which Ed25519 key may sign what, and when (validity windows, rotation).

Times are RFC 3339 UTC strings ending in ``Z``; they are passed in, never read from a clock, and
compared after parsing. A key is valid at ``t`` when it is not revoked and
``valid_from <= t < valid_until`` (``valid_until`` None: open-ended). Keys of one purpose that
are not revoked never have overlapping windows, so at most one of them is valid at any instant.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from policies.errors import RecordError, SignatureError
from records.keys import key_id, public_key_from_b64, public_key_to_b64

KEYLIST_FORMAT = "mandate.keylist/1"
PURPOSES = ("records", "checkpoints")
STATUSES = ("active", "retired", "revoked")

_KEY_FIELDS = {"key_id", "public_key", "purpose", "valid_from", "valid_until", "status"}
_LIST_FIELDS = {"format", "keys"}
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


class KeyListError(RecordError):
    """A key list, a listed key or a rotation is malformed or inconsistent."""

    code = "key_list_invalid"


class KeyNotValid(SignatureError):
    """A key that may not have signed this: unknown, of another purpose, revoked or expired."""

    code = "key_not_valid"


def parse_time(text: object, where: str = "time") -> datetime:
    """Parse an RFC 3339 UTC time ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``."""
    if not isinstance(text, str) or not _UTC_TIME.fullmatch(text):
        raise KeyListError(
            f"got {where} {text!r}, expected an RFC 3339 UTC time like '2025-01-31T12:00:00Z'"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise KeyListError(f"got {where} {text!r}, expected a real date and time ({exc})") from exc


@dataclass(frozen=True)
class ListedKey:
    key_id: str
    public_key: str  # base64 of the raw 32-byte Ed25519 public key
    purpose: str  # "records" | "checkpoints"
    valid_from: str
    valid_until: str | None
    status: str  # "active" | "retired" | "revoked"

    def __post_init__(self) -> None:
        for name in ("key_id", "public_key", "purpose", "status"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise KeyListError(f"got {name} of type {type(value).__name__}, expected a string")
        if self.purpose not in PURPOSES:
            raise KeyListError(f"got purpose {self.purpose!r}, expected one of {list(PURPOSES)}")
        if self.status not in STATUSES:
            raise KeyListError(f"got status {self.status!r}, expected one of {list(STATUSES)}")
        start = parse_time(self.valid_from, "valid_from")
        if self.valid_until is not None and parse_time(self.valid_until, "valid_until") <= start:
            raise KeyListError(
                f"key {self.key_id}: got valid_until {self.valid_until!r}, "
                f"expected a time after valid_from {self.valid_from!r}"
            )

    @property
    def start(self) -> datetime:
        return parse_time(self.valid_from, "valid_from")

    @property
    def end(self) -> datetime | None:
        return None if self.valid_until is None else parse_time(self.valid_until, "valid_until")

    def ed25519(self) -> Ed25519PublicKey:
        """The public key; refuses one whose id is not the SHA-256 of its raw bytes."""
        public = public_key_from_b64(self.public_key)
        if key_id(public) != self.key_id:
            raise KeyListError(
                f"got key_id {self.key_id!r}, expected {key_id(public)!r} "
                "(SHA-256 of the raw public key)"
            )
        return public

    def valid_at(self, at: datetime) -> bool:
        end = self.end
        return self.status != "revoked" and self.start <= at and (end is None or at < end)

    def to_json(self) -> dict[str, object]:
        return {
            "key_id": self.key_id,
            "public_key": self.public_key,
            "purpose": self.purpose,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, obj: object) -> ListedKey:
        """Strictly parse one listed key; unknown or missing fields are refused."""
        fields = _object(obj, _KEY_FIELDS, "listed key")
        until = fields["valid_until"]
        key = cls(
            key_id=_text(fields["key_id"], "key_id"),
            public_key=_text(fields["public_key"], "public_key"),
            purpose=_text(fields["purpose"], "purpose"),
            valid_from=_text(fields["valid_from"], "valid_from"),
            valid_until=None if until is None else _text(until, "valid_until"),
            status=_text(fields["status"], "status"),
        )
        key.ed25519()
        return key


@dataclass(frozen=True)
class KeyList:
    keys: tuple[ListedKey, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for key in self.keys:
            if key.key_id in seen:
                raise KeyListError(f"got key {key.key_id} listed twice, expected each once")
            seen.add(key.key_id)
        for purpose in PURPOSES:
            live = sorted(
                (k for k in self.keys if k.purpose == purpose and k.status != "revoked"),
                key=lambda k: k.start,
            )
            for before, after in itertools.pairwise(live):
                end = before.end
                if end is None or end > after.start:
                    raise KeyListError(
                        f"got overlapping {purpose} keys {before.key_id} "
                        f"[{before.valid_from}, {before.valid_until}) and {after.key_id} "
                        f"from {after.valid_from}, expected one valid key at a time"
                    )

    def to_json(self) -> dict[str, object]:
        return {"format": KEYLIST_FORMAT, "keys": [k.to_json() for k in self.keys]}

    @classmethod
    def from_json(cls, obj: object) -> KeyList:
        """Strictly parse a published key list."""
        fields = _object(obj, _LIST_FIELDS, "key list")
        if fields["format"] != KEYLIST_FORMAT:
            raise KeyListError(
                f"got key list format {fields['format']!r}, expected {KEYLIST_FORMAT!r}"
            )
        raw = fields["keys"]
        if not isinstance(raw, list):
            raise KeyListError(f"got key list keys of type {type(raw).__name__}, expected a list")
        return cls(tuple(ListedKey.from_json(k) for k in raw))

    def find(self, key_id: str) -> ListedKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    def for_purpose(self, purpose: str) -> dict[str, Ed25519PublicKey]:
        """The keys of ``purpose`` that are not revoked, by key id (pair with check_signed_at)."""
        if purpose not in PURPOSES:
            raise KeyListError(f"got purpose {purpose!r}, expected one of {list(PURPOSES)}")
        return {
            k.key_id: k.ed25519()
            for k in self.keys
            if k.purpose == purpose and k.status != "revoked"
        }

    def check_signed_at(self, key_id: str, purpose: str, at: str) -> Ed25519PublicKey:
        """The public key of ``key_id`` if it could sign a ``purpose`` statement at ``at``."""
        when = parse_time(at, "signing time")
        key = self.find(key_id)
        if key is None:
            raise KeyNotValid(f"got key id {key_id!r}, expected one in the key list")
        if key.purpose != purpose:
            raise KeyNotValid(
                f"got key {key_id} for purpose {key.purpose!r}, expected a {purpose!r} key"
            )
        if key.status == "revoked":
            raise KeyNotValid(f"got key {key_id}, which is revoked, expected a key not revoked")
        if not key.valid_at(when):
            raise KeyNotValid(
                f"got signing time {at} for key {key_id}, expected one within "
                f"[{key.valid_from}, {key.valid_until or 'open'})"
            )
        return key.ed25519()


def rotate(keys: KeyList, old_key_id: str, new: ListedKey, at: str) -> KeyList:
    """Retire ``old_key_id`` at ``at`` and list ``new`` from ``at``; ``keys`` is left unchanged."""
    when = parse_time(at, "rotation time")
    old = keys.find(old_key_id)
    if old is None:
        raise KeyListError(f"got old key id {old_key_id!r}, expected one in the key list")
    if old.status != "active":
        raise KeyListError(f"got old key {old_key_id} with status {old.status!r}, expected active")
    old_end = old.end
    if not (old.start < when and (old_end is None or when <= old_end)):
        raise KeyListError(
            f"got rotation time {at}, expected one after {old.valid_from} "
            f"and not after {old.valid_until or 'open'} (the old key's window)"
        )
    if new.purpose != old.purpose:
        raise KeyListError(
            f"got new key for purpose {new.purpose!r}, expected {old.purpose!r} like the old key"
        )
    if new.start != when:
        raise KeyListError(
            f"got new key valid_from {new.valid_from}, expected the rotation time {at}"
        )
    if new.status != "active":
        raise KeyListError(f"got new key with status {new.status!r}, expected active")
    new.ed25519()
    retired = dataclasses.replace(old, valid_until=at, status="retired")
    return KeyList((*(retired if k is old else k for k in keys.keys), new))


def listed_key(
    public_key: Ed25519PublicKey, purpose: str, valid_from: str, valid_until: str | None = None
) -> ListedKey:
    """An active listed key for ``public_key``, with its id computed."""
    return ListedKey(
        key_id=key_id(public_key),
        public_key=public_key_to_b64(public_key),
        purpose=purpose,
        valid_from=valid_from,
        valid_until=valid_until,
        status="active",
    )


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise KeyListError(f"got {where} of type {type(value).__name__}, expected a string")
    return value


def _object(value: object, fields: set[str], where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise KeyListError(f"got {where} of type {type(value).__name__}, expected a JSON object")
    got = set(value)
    if got != fields:
        raise KeyListError(f"got {where} fields {sorted(map(str, got))}, expected {sorted(fields)}")
    return {str(k): v for k, v in value.items()}


_PUBLISHED_EXTRA = {"origin", "checkpoint_verifier_keys"}  # what GET /v1/keys adds to a list


@dataclass(frozen=True)
class PublishedKeys:
    """The key list an auditor took from the operator (``GET /v1/keys``) and trusts.

    A bundle carries its own key list; checked against this one, a bundle's key is trusted only
    if the operator publishes it, for the same purpose, unrevoked, and only within the window
    the operator publishes for it (a newer list may have closed a window the bundle's left open).
    """

    keys: KeyList
    origin: str | None = None  # the log the list is for, when the answer names it

    @classmethod
    def from_json(cls, obj: object) -> PublishedKeys:
        """Parse the answer of ``GET /v1/keys`` (or ``mandate keys list``'s bare list)."""
        if not isinstance(obj, dict):
            raise KeyListError(
                f"got JSON {type(obj).__name__}, expected a key list (an object with "
                "format and keys)"
            )
        if obj.get("format") != KEYLIST_FORMAT:
            raise KeyListError(
                f"got format {obj.get('format')!r}, expected {KEYLIST_FORMAT!r} "
                "(the answer of GET /v1/keys)"
            )
        unknown = set(obj) - _LIST_FIELDS - _PUBLISHED_EXTRA
        if unknown:
            raise KeyListError(
                f"got key list fields {sorted(map(str, unknown))}, expected only "
                f"{sorted(_LIST_FIELDS | _PUBLISHED_EXTRA)}"
            )
        origin = obj.get("origin")
        if origin is not None and (not isinstance(origin, str) or not origin):
            raise KeyListError(f"got origin {origin!r}, expected the log's name (a string)")
        return cls(KeyList.from_json({"format": obj["format"], "keys": obj.get("keys")}), origin)

    def vouch(self, listed: KeyList) -> tuple[KeyList, list[str]]:
        """The keys of ``listed`` (a bundle's) as this list has them, and why any other is not
        trusted. A key revoked in ``listed`` stays, revoked: nothing it signed is trusted."""
        kept: list[ListedKey] = []
        problems: list[str] = []
        for key in listed.keys:
            ours = self.keys.find(key.key_id)
            if key.status == "revoked":
                kept.append(key)
            elif ours is None:
                problems.append(
                    f"key {key.key_id} ({key.purpose}) is not in the published key list you "
                    "trust; its signatures are not trusted"
                )
            elif ours.purpose != key.purpose or ours.public_key != key.public_key:
                problems.append(
                    f"key {key.key_id} is listed for {key.purpose} here but for "
                    f"{ours.purpose} in the published key list you trust; its signatures are "
                    "not trusted"
                )
            else:
                if ours.status == "revoked":
                    problems.append(
                        f"key {key.key_id} ({key.purpose}) is revoked in the published key list "
                        "you trust; its signatures are not trusted"
                    )
                kept.append(ours)
        return KeyList(tuple(kept)), problems
