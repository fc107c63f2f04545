"""Export bundles: everything an auditor needs to verify a round or a campaign offline.

The formats are documented in ``records/bundle.py`` (rounds) and ``records/campaign_bundle.py``
(campaigns); every proof is against one checkpoint, the latest when the bundle is made.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from policies.errors import InvalidInput, NotFound
from policies.messages import N_
from records.bundle import BUNDLE_FORMAT
from records.campaign_bundle import CAMPAIGN_BUNDLE_FORMAT
from records.merkle import HashReader, consistency_proof_from, inclusion_proof_from
from store import audit, campaigns, log, outcomes, profiles, rounds, signatory_records
from store.keys import KEYS_SCOPE
from store.log import SignedCheckpoint
from store.tables import log_entry

# Above this many entries, read the whole tree once instead of node by node.
_PRELOAD_ABOVE = 256


@dataclass(frozen=True)
class _LogPart:
    """A scope's entries and the key list's, each with its inclusion proof, and the rest that
    every bundle carries."""

    signed: SignedCheckpoint
    read: HashReader
    fields: dict[str, Any]

    def consistency_from(self, size: int) -> list[str]:
        return _b64(consistency_proof_from(size, self.signed.size, self.read))


def _log_part(conn: Connection, scope: str, since: Sequence[int]) -> _LogPart:
    signed = log.require_checkpoint(conn)
    for old in since:
        if not 0 <= old <= signed.size:
            raise InvalidInput(
                N_(
                    "since=%(old)s: expected a tree size from 0 to the latest checkpoint's %(size)s"
                ),
                old=old,
                size=signed.size,
            )
    scopes = (scope, KEYS_SCOPE)
    rows = conn.execute(
        select(log_entry.c.idx, log_entry.c.envelope, log_entry.c.scope, log_entry.c.statement)
        .where(
            log_entry.c.scope.in_(scopes),
            log_entry.c.idx.is_not(None),
            log_entry.c.idx < signed.size,
        )
        .order_by(log_entry.c.idx)
    ).all()
    pending = conn.execute(
        select(func.count()).where(
            log_entry.c.scope.in_(scopes),
            log_entry.c.envelope.is_not(None),
            (log_entry.c.idx.is_(None)) | (log_entry.c.idx >= signed.size),
        )
    ).scalar_one()
    read = log.preloaded_reader(conn) if len(rows) > _PRELOAD_ABOVE else log.node_reader(conn)
    key_list = None
    for r in rows:
        if r.scope == KEYS_SCOPE:
            key_list = json.loads(r.statement)["data"]["key_list"]
    if key_list is None:
        raise NotFound(N_("the key list is not in a checkpoint yet; try again in a few seconds"))
    return _LogPart(
        signed,
        read,
        {
            "origin": signed.origin,
            "checkpoint": signed.note,
            "key_list": key_list,
            "entries": [
                {
                    "index": r.idx,
                    "envelope": r.envelope,
                    "proof": _b64(inclusion_proof_from(r.idx, signed.size, read)),
                }
                for r in rows
            ],
            "consistency": [
                {"old_size": old, "proof": _b64(consistency_proof_from(old, signed.size, read))}
                for old in sorted(set(since))
            ],
            # Entries logged after this checkpoint: a later bundle will hold them.
            "pending_entries": pending,
        },
    )


def export(conn: Connection, round_id: str, since: Sequence[int] = ()) -> dict[str, Any]:
    row = rounds.get(conn, round_id)
    if row["criteria"] is None:
        raise NotFound(
            N_("round %(round_id)s is not published; there is nothing to verify yet"),
            round_id=round_id,
        )
    part = _log_part(conn, audit.round_scope(round_id), since)
    return {
        "format": BUNDLE_FORMAT,
        "round_id": round_id,
        **part.fields,
        "criteria": {
            "canonical": row["criteria"],
            "envelope": json.loads(row["criteria_envelope"]),
        },
        "outcomes": [
            {
                "constituency_id": o["constituency_id"],
                "envelope": json.loads(o["envelope"]),
                "consistency": part.consistency_from(json.loads(o["record"])["checkpoint"]["size"]),
            }
            for o in outcomes.list_for(conn, round_id)
        ],
        # Consented profiles with their salts, erased ones marked: checked against the log.
        "profiles": profiles.for_bundle(conn, round_id, part.signed.size),
    }


def export_campaign(
    conn: Connection, campaign_id: str, since: Sequence[int] = ()
) -> dict[str, Any]:
    row = campaigns.get(conn, campaign_id)
    versions = campaigns.versions(conn, campaign_id)
    if not versions:
        raise NotFound(
            N_("campaign %(campaign_id)s is not published; there is nothing to verify yet"),
            campaign_id=campaign_id,
        )
    part = _log_part(conn, audit.campaign_scope(campaign_id), since)
    record = None
    if row["phase"] == "concluded":
        found = signatory_records.get(conn, campaign_id)
        record = {
            "envelope": json.loads(found["envelope"]),
            "consistency": part.consistency_from(json.loads(found["record"])["checkpoint"]["size"]),
        }
    return {
        "format": CAMPAIGN_BUNDLE_FORMAT,
        "campaign_id": campaign_id,
        **part.fields,
        "statements": [
            {
                "version": v["version"],
                "canonical": v["canonical"],
                "envelope": json.loads(v["envelope"]),
            }
            for v in versions
        ],
        "record": record,
    }


def _b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]
