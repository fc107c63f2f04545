"""`mandate secretariat-token`: issue, list and revoke secretariat tokens on the server itself.

This is the way back in for an operator whose secretariat tokens are lost or revoked: it needs
what the server needs (the database, from ``MANDATE_DATA_DIR`` or ``MANDATE_DATABASE_URL``, and
the keys folder to sign the log entries), never the API. A token is shown once and stored as its
hash, like every token; issuing and revoking are logged as the API logs them
(``credential.issued``, ``credential.revoked`` in the registry scope), by the actor ``operator``.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import RowMapping

from mandate import keyfile
from mandate.settings import Settings
from policies.access import Role
from policies.errors import DomainError
from policies.times import iso
from store import credentials
from store.db import Database

ACTOR = "operator"  # who the log says acted: the server's own command line, no credential
DEFAULT_LABEL = "secretariat (server command line)"
MAX_LABEL = 100  # as the API allows for a token's label


class TokenCommandError(Exception):
    """What the operator asked cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Revoked:
    credential: RowMapping
    was_active: bool  # False: it had been revoked before, and nothing changed
    active_left: int  # secretariat tokens still active afterwards


def issue(settings: Settings, label: str | None = None) -> credentials.IssuedToken:
    text = _label(DEFAULT_LABEL if label is None else label)
    with _database(settings, signing=True) as db, db.write() as conn:
        return credentials.issue(conn, Role.SECRETARIAT, text, ACTOR)


def list_tokens(settings: Settings) -> list[RowMapping]:
    with _database(settings, signing=False) as db, db.read() as conn:
        return credentials.list_for(conn, role=Role.SECRETARIAT)


def revoke(settings: Settings, credential_id: str) -> Revoked:
    with _database(settings, signing=True) as db, db.write() as conn:
        found = credentials.get(conn, credential_id)
        if found["role"] != Role.SECRETARIAT.value:
            raise TokenCommandError(
                f"credential {credential_id} is a {found['role']} token, not a secretariat "
                f"token; revoke it through the API (DELETE /v1/credentials/{credential_id})"
            )
        was_active = found["revoked_at"] is None
        row = credentials.revoke(conn, credential_id, ACTOR)
        left = sum(
            r["revoked_at"] is None for r in credentials.list_for(conn, role=Role.SECRETARIAT)
        )
        return Revoked(row, was_active, left)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Do what ``args.token_command`` says and print it; 1 with the reason on failure."""
    action = args.token_command
    try:
        if action == "issue":
            issued = issue(settings, args.label)
            row = issued.credential
            print(f"issued secretariat token {row['id']} ({row['label']}); shown once, keep it:")
            print(issued.token)
        elif action == "list":
            print(_table(list_tokens(settings)))
        else:
            _print_revoked(revoke(settings, args.id))
    except (TokenCommandError, DomainError) as exc:
        detail = exc.detail if isinstance(exc, DomainError) else str(exc)
        print(f"mandate secretariat-token {action}: {detail}", file=sys.stderr)
        return 1
    return 0


def _print_revoked(done: Revoked) -> None:
    row = done.credential
    if not done.was_active:
        print(
            f"secretariat token {row['id']} was revoked already, at {iso(row['revoked_at'])}; "
            "nothing changed"
        )
    else:
        print(f"revoked secretariat token {row['id']} ({row['label']})")
    if done.active_left == 0:
        print(
            "warning: no secretariat token is active now; `mandate secretariat-token issue` "
            "on the server makes a new one",
            file=sys.stderr,
        )


def _table(rows: list[RowMapping]) -> str:
    if not rows:
        return "no secretariat token yet; `mandate secretariat-token issue` makes one"
    lines = [("ID", "CREATED", "STATE", "LABEL")]
    for r in rows:
        state = "active" if r["revoked_at"] is None else f"revoked {iso(r['revoked_at'])}"
        lines.append((r["id"], iso(r["created_at"]), state, r["label"]))
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)), line[3]])
        for line in lines
    )


def _label(label: str) -> str:
    text = unicodedata.normalize("NFC", label.strip())
    if not 1 <= len(text) <= MAX_LABEL:
        raise TokenCommandError(f"got a label of {len(text)} characters, expected 1 to {MAX_LABEL}")
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise TokenCommandError(f"got label {text!r}, expected no control characters")
    return text


@contextmanager
def _database(settings: Settings, *, signing: bool) -> Iterator[Database]:
    # The key ring signs the log entries an issue or a revocation appends.
    db = Database(settings.db_url, keyring=keyfile.keyring(settings) if signing else None)
    try:
        if not db.is_migrated():
            where = db.engine.url.render_as_string(hide_password=True)
            raise TokenCommandError(
                f"no Mandate database at {where}; run `mandate bootstrap` first, or set "
                "MANDATE_DATA_DIR or MANDATE_DATABASE_URL as the server has them"
            )
        yield db
    finally:
        db.dispose()
