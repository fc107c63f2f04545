"""A member organisation's receipts: the log entries of its ballots and of its campaign
signatures, each named by its leaf hash, which anyone can check for inclusion in the log.

After a secret ballot's close the server no longer knows which ballot was whose
(store/ballots.py): those receipts are the organisation's to keep, and are not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from store import audit
from store.tables import ballot, campaign_signature, log_entry


@dataclass(frozen=True)
class BallotReceipt:
    round_id: str
    receipt: str  # the ballot.cast entry's leaf hash
    cast_at: datetime
    counted: bool  # its organisation's last ballot in the selection, the one that counts


def ballots_of(
    conn: Connection, organisation_id: str, constituency_id: str, round_ids: Iterable[str]
) -> list[BallotReceipt]:
    """Every ballot the organisation cast in its constituency's selection of these rounds,
    newest first."""
    ids = list(round_ids)
    if not ids:
        return []
    rows = conn.execute(
        select(ballot.c.id, ballot.c.round_id, ballot.c.entry_hash, ballot.c.cast_at)
        .where(
            ballot.c.round_id.in_(ids),
            ballot.c.constituency_id == constituency_id,
            ballot.c.voter_organisation_id == organisation_id,
        )
        .order_by(ballot.c.id.desc())
    ).all()
    seen: set[str] = set()
    found = []
    for r in rows:
        found.append(BallotReceipt(r.round_id, r.entry_hash, r.cast_at, r.round_id not in seen))
        seen.add(r.round_id)
    return found


def last_ballot(
    conn: Connection, round_id: str, constituency_id: str, organisation_id: str
) -> BallotReceipt | None:
    """The organisation's ballot that counts in the selection so far, if it has voted."""
    found = ballots_of(conn, organisation_id, constituency_id, [round_id])
    return found[0] if found else None


@dataclass(frozen=True)
class Entry:
    type: str  # signature.submitted, signature.withdrawn...
    receipt: str  # its leaf hash
    at: datetime


@dataclass(frozen=True)
class SignatureReceipt:
    campaign_id: str
    signature_id: str
    state: str
    entries: list[Entry]


def signatures_of(conn: Connection, organisation_id: str) -> list[SignatureReceipt]:
    """The organisation's signatures of campaigns, each with the log entries that name it."""
    signatures = conn.execute(
        select(
            campaign_signature.c.id, campaign_signature.c.campaign_id, campaign_signature.c.state
        )
        .where(campaign_signature.c.organisation_id == organisation_id)
        .order_by(campaign_signature.c.created_at.desc())
    ).all()
    found = []
    for s in signatures:
        # Canonical JSON has no spaces: the entries whose data name this signature.
        entries = conn.execute(
            select(log_entry.c.type, log_entry.c.leaf_hash, log_entry.c.created_at)
            .where(
                log_entry.c.scope == audit.campaign_scope(s.campaign_id),
                log_entry.c.type.like("signature.%"),
                log_entry.c.statement.contains(f'"signature_id":"{s.id}"'),
            )
            .order_by(log_entry.c.seq)
        ).all()
        found.append(
            SignatureReceipt(
                s.campaign_id,
                s.id,
                s.state,
                [Entry(e.type, e.leaf_hash, e.created_at) for e in entries if e.leaf_hash],
            )
        )
    return found
