"""Open data: what a round or a campaign has made public, as files (CSV, JSON, BLT).

Only what is public at the moment of the export: a nominee's name and statement once they
consented (and until erased), never a contact address; ballots once voting has closed, and
never a secret ballot's voter; results once counted; signatories once the list is published.
Each file's bytes are listed, with their SHA-256, in a signed manifest (records.export_manifest).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from policies.exports import blt_bytes, csv_bytes
from policies.phases import Phase, is_before
from policies.rules import RANKING, ballot_shape
from store import (
    ballots,
    nominations,
    outcomes,
    profiles,
    registry,
    round_notices,
    rounds,
    signatory_records,
)
from store import rules as rules_store

NOMINATION_COLUMNS = (
    "constituency_id",
    "nomination_id",
    "organisation_id",
    "organisation",
    "nominee_name",
    "profile",
    "consent",
    "rejected",
    "rejection_reason",
    "standing",
    "not_standing_reason",
)
RESULT_COLUMNS = ("constituency_id", "outcome", "place", "nomination_id", "nominee_name")
SIGNATORY_COLUMNS = (
    "signature_id",
    "organisation",
    "country",
    "type",
    "region",
    "signed_on",
    "version",
)


# The notices sent to member organisations: who was told what and when; never an address, and
# nothing of the notices to persons (a nominee's consent request).
NOTICE_COLUMNS = (
    "constituency_id",
    "kind",
    "organisation_id",
    "organisation",
    "channel",
    "lang",
    "condition",
    "status",
    "queued_at",
    "due_at",
    "sent_at",
    "skipped_at",
    "skip_reason",
)


def round_files(conn: Connection, round_id: str, as_of: datetime) -> dict[str, bytes]:
    """Every file the round has to offer, by name; the notices as they stood at ``as_of``."""
    row = rounds.get(conn, round_id)
    phase = Phase(row["phase"])
    if phase is Phase.DRAFT:
        return {}
    files: dict[str, bytes] = {}
    noms = _nominations(conn, row)
    files["nominations.csv"] = csv_bytes(NOMINATION_COLUMNS, noms)
    files["nominations.json"] = _json(noms)
    results = _results(conn, round_id)
    if results["rows"]:
        files["results.csv"] = csv_bytes(RESULT_COLUMNS, results["rows"])
        files["results.json"] = _json(results["records"])
    told = round_notices.public_log(conn, round_id, as_of)
    files["notices.csv"] = csv_bytes(NOTICE_COLUMNS, told)
    files["notices.json"] = _json(told)
    if phase is not Phase.CANCELLED and not is_before(phase, Phase.VOTING_CLOSED):
        for p in row["participants"]:
            cid = p["constituency_id"]
            rules = rules_store.rules_for(conn, round_id, cid)
            if ballot_shape(rules.method) == RANKING:
                files[f"ballots-{cid}.blt"] = _blt(conn, row, cid, p["seats"])
    return files


def campaign_files(conn: Connection, campaign_id: str) -> dict[str, bytes]:
    record = signatory_records.get(conn, campaign_id)
    listed = json.loads(record["record"])["signatories"]
    return {
        "signatories.csv": csv_bytes(SIGNATORY_COLUMNS, listed),
        "signatories.json": _json(listed),
    }


def _nominations(conn: Connection, row: Any) -> list[dict[str, Any]]:
    out = []
    for p in row["participants"]:
        cid = p["constituency_id"]
        for n in nominations.list_for(conn, row["id"], cid):
            public = profiles.state(n) == profiles.PUBLIC
            out.append(
                {
                    "constituency_id": cid,
                    "nomination_id": n["id"],
                    "organisation_id": n["organisation_id"],
                    "organisation": registry.get_organisation(conn, n["organisation_id"])["name"],
                    "nominee_name": n["nominee_name"] if public else None,
                    "profile": profiles.state(n),
                    "consent": n["consent"],
                    "rejected": n["rejected_at"] is not None,
                    "rejection_reason": n["rejection_text"],
                    "standing": n["standing"],
                    "not_standing_reason": n["not_standing_reason"],
                }
            )
    return out


def _results(conn: Connection, round_id: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for o in outcomes.list_for(conn, round_id):
        record = json.loads(o["record"])
        records.append(record)
        cid = record["constituency_id"]
        named = {
            n["id"]: n["nominee_name"] if profiles.state(n) == profiles.PUBLIC else None
            for n in nominations.list_for(conn, round_id, cid)
        }
        result = record["result"]
        for kind, ids in (("winner", result["winners"]), ("alternate", result["alternates"])):
            rows += [
                {
                    "constituency_id": cid,
                    "outcome": kind,
                    "place": place,
                    "nomination_id": nid,
                    "nominee_name": named.get(nid),
                }
                for place, nid in enumerate(ids, start=1)
            ]
    return {"rows": rows, "records": records}


def _blt(conn: Connection, row: Any, cid: str, seats: int) -> bytes:
    standing = nominations.candidates(conn, row["id"], cid)
    named = {
        n["id"]: n["nominee_name"] if profiles.state(n) == profiles.PUBLIC else n["id"]
        for n in nominations.list_for(conn, row["id"], cid)
    }
    counted = ballots.final_ballots(conn, row["id"], cid)  # a BLT file names no voter
    return blt_bytes(
        f"{row['title']} ({cid})",
        seats,
        [(c.id, str(named.get(c.id) or c.id)) for c in sorted(standing, key=lambda c: c.id)],
        [list(getattr(b, "ranking", ())) for b in counted],
    )


def _json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
