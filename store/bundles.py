"""Export a round bundle: everything an auditor needs to verify the round offline.

The format is documented in ``records/bundle.py``; every proof is against one checkpoint, the
latest when the bundle is made.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from policies.errors import InvalidInput, NotFound
from records.bundle import BUNDLE_FORMAT
from records.merkle import consistency_proof_from, inclusion_proof_from
from store import audit, log, outcomes, rounds
from store.keys import KEYS_SCOPE
from store.tables import log_entry

# Above this many entries, read the whole tree once instead of node by node.
_PRELOAD_ABOVE = 256


def export(conn: Connection, round_id: str, since: Sequence[int] = ()) -> dict[str, Any]:
    row = rounds.get(conn, round_id)
    if row["criteria"] is None:
        raise NotFound(f"round {round_id} is not published; there is nothing to verify yet")
    signed = log.require_checkpoint(conn)
    for old in since:
        if not 0 <= old <= signed.size:
            raise InvalidInput(
                f"since={old}: expected a tree size from 0 to the latest checkpoint's {signed.size}"
            )
    scopes = (audit.round_scope(round_id), KEYS_SCOPE)
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
        raise NotFound("the key list is not in a checkpoint yet; try again in a few seconds")
    return {
        "format": BUNDLE_FORMAT,
        "round_id": round_id,
        "origin": signed.origin,
        "checkpoint": signed.note,
        "key_list": key_list,
        "criteria": {
            "canonical": row["criteria"],
            "envelope": json.loads(row["criteria_envelope"]),
        },
        "entries": [
            {
                "index": r.idx,
                "envelope": r.envelope,
                "proof": _b64(inclusion_proof_from(r.idx, signed.size, read)),
            }
            for r in rows
        ],
        "outcomes": [
            {
                "constituency_id": o["constituency_id"],
                "envelope": json.loads(o["envelope"]),
                "consistency": _b64(
                    consistency_proof_from(
                        json.loads(o["record"])["checkpoint"]["size"], signed.size, read
                    )
                ),
            }
            for o in outcomes.list_for(conn, round_id)
        ],
        "consistency": [
            {"old_size": old, "proof": _b64(consistency_proof_from(old, signed.size, read))}
            for old in sorted(set(since))
        ],
        # Entries of the round logged after this checkpoint: a later bundle will hold them.
        "pending_entries": pending,
    }


def _b64(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]
