"""The signatory record a campaign publishes when it closes, and each signatory's proof."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import Connection, RowMapping, func, or_, select

from policies.errors import NotFound
from policies.messages import N_
from policies.regions import REGION_SCHEME
from policies.times import iso
from records import dsse
from records.canonical import canonical_json, sha256_hex
from records.merkle import inclusion_proof_from
from records.signatories import SIGNATORIES_TYPE, signatory_record
from records.signatory_proof import PROOF_FORMAT
from store import audit, campaigns, log, signatures
from store.db import keyring, utcnow
from store.log import SignedCheckpoint
from store.signing import key_list
from store.tables import log_entry
from store.tables import signatory_record as record_table


class SignaturesNotCovered(Exception):
    """Some signature entry of the campaign is not in the checkpoint yet: publish later."""


def publish(
    conn: Connection,
    campaign_id: str,
    covering: SignedCheckpoint,
    *,
    region_scheme: str = REGION_SCHEME,
) -> bool:
    """Sign and store the campaign's signatory list; False when it was published before.

    ``covering`` is the checkpoint the record names; every signature entry must be in it.
    ``region_scheme`` names an earlier scheme only to make a record as earlier versions did.
    """
    row = campaigns.get(conn, campaign_id, for_update=True)
    if _get(conn, campaign_id) is not None:
        return False  # a retried activity
    late = conn.execute(
        select(func.count()).where(
            log_entry.c.scope == audit.campaign_scope(campaign_id),
            log_entry.c.type.like("signature.%"),
            or_(log_entry.c.idx.is_(None), log_entry.c.idx >= covering.size),
        )
    ).scalar_one()
    if late:
        raise SignaturesNotCovered(
            f"{late} signature entr(ies) of campaign {campaign_id} are not in the checkpoint "
            f"of size {covering.size} yet"
        )
    statement = signatory_record(
        campaign_id=campaign_id,
        statements=[
            (v["version"], v["statement_hash"]) for v in campaigns.versions(conn, campaign_id)
        ],
        closes_at=iso(row["closes_at"]),
        checkpoint=covering.to_json(),
        signatories=signatures.signatories(conn, campaign_id),
        region_scheme=region_scheme,
    )
    payload = canonical_json(statement)
    digest = sha256_hex(payload)
    at = utcnow()
    signer = keyring(conn).signer_for(conn, "records", at)
    envelope = dsse.sign(signer, dsse.payload_type_for(SIGNATORIES_TYPE), payload)
    conn.execute(
        record_table.insert().values(
            campaign_id=campaign_id,
            record=payload.decode(),
            record_hash=digest,
            envelope=json.dumps(envelope.to_json()),
            created_at=at,
        )
    )
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "signatories.published",
        {
            "record_hash": digest,
            "key_id": signer.key_id,
            "total": statement["counts"]["total"],
            "checkpoint": covering.to_json(),
        },
        "workflow",
        at,
    )
    return True


def _get(conn: Connection, campaign_id: str) -> RowMapping | None:
    row = conn.execute(
        select(record_table).where(record_table.c.campaign_id == campaign_id)
    ).first()
    return None if row is None else row._mapping


def get(conn: Connection, campaign_id: str) -> RowMapping:
    row = _get(conn, campaign_id)
    if row is None:
        campaigns.get(conn, campaign_id)
        raise NotFound(
            N_(
                "campaign %(campaign_id)s has no signatory record yet; it is published when the "
                "sign-on window closes"
            ),
            campaign_id=campaign_id,
        )
    return row


def proof(conn: Connection, signature_id: str) -> dict[str, Any]:
    """Everything a signatory needs to show, offline, that it is on the signed list: the
    record, its line, and its log entries with the ``signatories.published`` entry, each with
    an inclusion proof in one checkpoint (``records.signatory_proof`` checks it)."""
    sig = signatures.get(conn, signature_id)
    cid = sig["campaign_id"]
    row = get(conn, cid)
    record = json.loads(row["record"])
    position = next(
        (i for i, s in enumerate(record["signatories"]) if s["signature_id"] == signature_id),
        None,
    )
    if position is None:
        raise NotFound(
            N_(
                "signature %(signature_id)s is not on the signatory list of campaign %(cid)s (it "
                "is %(state)s)"
            ),
            signature_id=signature_id,
            cid=cid,
            state=sig["state"],
        )
    scope = audit.campaign_scope(cid)
    mine = f'"signature_id":"{signature_id}"'
    rows = conn.execute(
        select(log_entry.c.idx, log_entry.c.envelope, log_entry.c.type)
        .where(
            log_entry.c.scope == scope,
            or_(
                log_entry.c.type == "signatories.published",
                log_entry.c.statement.contains(mine),
            ),
        )
        .order_by(log_entry.c.id)
    ).all()
    signed = log.require_checkpoint(conn)
    if any(r.idx is None or r.idx >= signed.size for r in rows):
        raise NotFound(N_("the proof's entries are not all in a checkpoint yet; ask again shortly"))
    read = log.node_reader(conn)
    return {
        "format": PROOF_FORMAT,
        "campaign_id": cid,
        "signature_id": signature_id,
        "origin": signed.origin,
        "checkpoint": signed.note,
        "key_list": key_list(conn).to_json(),
        "record": json.loads(row["envelope"]),
        "position": position,
        "entries": [
            {
                "index": r.idx,
                "envelope": r.envelope,
                "proof": [
                    base64.b64encode(h).decode()
                    for h in inclusion_proof_from(r.idx, signed.size, read)
                ],
            }
            for r in rows
        ],
    }
