"""Export a round bundle: everything an auditor needs to verify the round offline."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection

from policies.errors import NotFound
from records.bundle import BUNDLE_FORMAT
from records.keys import Signer, public_key_to_b64
from store import audit, outcomes, rounds


def export(conn: Connection, round_id: str, signer: Signer) -> dict[str, Any]:
    row = rounds.get(conn, round_id)
    if row["criteria"] is None:
        raise NotFound(f"round {round_id} is not published; there is nothing to verify yet")
    entries = audit.entries(conn, audit.round_scope(round_id), limit=10_000_000)
    return {
        "format": BUNDLE_FORMAT,
        "round_id": round_id,
        "criteria": {
            "canonical": row["criteria"],
            "envelope": json.loads(row["criteria_envelope"]),
        },
        "keys": [
            {
                "key_id": signer.key_id,
                "algorithm": "ed25519",
                "public_key": public_key_to_b64(signer.public_key),
            }
        ],
        "log": [
            {
                "seq": e.seq,
                "statement": e.statement.decode(),
                "prev_hash": e.prev_hash,
                "entry_hash": e.entry_hash,
            }
            for e in entries
        ],
        "outcomes": [
            {"constituency_id": o["constituency_id"], "envelope": json.loads(o["envelope"])}
            for o in outcomes.list_for(conn, round_id)
        ],
    }
