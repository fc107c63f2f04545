"""Campaigns put straight into the database, for store, record and workflow tests."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, select

from policies.campaigns import CampaignPhase
from store import campaigns, log, outbox, registry, signatory_records
from store.db import Database
from store.signatures import Mail
from store.tables import mail_outbox
from tests.keys import ORIGIN

ACTOR = "test-secretariat"
MAIL = Mail(api_url="http://mandate.test", code_ttl=timedelta(hours=1))
TEXTS = {
    "en": {"title": "Decent work for migrant workers", "text": "We, the undersigned, ..."},
    "fr": {"title": "Travail décent pour les migrants", "text": "Nous, soussignés, ..."},
}
_CODE = re.compile(r"^ {4}(\d{6})$", re.MULTILINE)


def campaign_data(
    opens_at: datetime,
    closes_at: datetime,
    *,
    signers: str = "any",
    constituencies: list[str] | None = None,
    milestones: list[int] | None = None,
) -> dict[str, Any]:
    return {
        "statement": TEXTS,
        "signers": signers,
        "constituencies": constituencies or [],
        "opens_at": opens_at,
        "closes_at": closes_at,
        "milestones": milestones or [],
        "contact": {"name": "Campaign desk", "email": "desk@example.org"},
    }


def published_campaign(
    db: Database, opens_at: datetime, closes_at: datetime, **terms: Any
) -> RowMapping:
    with db.write() as conn:
        draft = campaigns.create_draft(
            conn, campaign_data(opens_at, closes_at, **terms), ACTOR, None
        )
        return campaigns.publish(conn, draft["id"], ACTOR)


def constituency(db: Database) -> str:
    with db.write() as conn:
        return str(registry.create_constituency(conn, f"C {uuid.uuid4()}", "", ACTOR)["id"])


def member(
    db: Database,
    constituency_id: str,
    name: str | None = None,
    country: str = "KE",
    region: str | None = None,  # None: its country's M49 region
) -> str:
    with db.write() as conn:
        org = registry.register_organisation(
            conn,
            {
                "name": name or f"Union {uuid.uuid4().hex[:8]}",
                "country": country,
                "region": region,
                "type": "trade_union",
                "migrant_led": False,
                "grassroots": True,
                "contact_email": "union@example.org",
            },
            ACTOR,
        )
        registry.admit_member(conn, constituency_id, org["id"], ACTOR)
        return str(org["id"])


def outsider(name: str | None = None, country: str = "MX", type_: str = "ngo") -> dict[str, str]:
    return {"name": name or f"Red {uuid.uuid4().hex[:8]}", "country": country, "type": type_}


SIGNER = {"name": "Rosa Díaz", "role": "coordinator"}


def mailed_code(db: Database, signature_id: str) -> str:
    """The code in the latest confirmation mail of the signature (still in the outbox)."""
    with db.read() as conn:
        rows = conn.execute(
            select(mail_outbox.c.dedup_key, mail_outbox.c.body)
            .where(mail_outbox.c.dedup_key.like(f"signature:{signature_id}:code:%"))
            .order_by(mail_outbox.c.id.desc())
        ).all()
        assert rows, "no confirmation mail"
        body = outbox.body_of(conn, rows[0]._mapping)  # stored sealed
    assert body, "the confirmation mail was sent already"
    found = _CODE.search(body)
    assert found, body
    return found.group(1)


def conclude(db: Database, campaign_id: str) -> None:
    """Close the campaign and publish its signed signatory record, as the workflow does, with
    every entry integrated (as the deployment's integrator would)."""
    with db.write() as conn:
        campaigns.mirror_phase(conn, campaign_id, CampaignPhase.CLOSED, 3, datetime.now(UTC))
    with db.write() as conn:
        covering = log.integrate_all(conn, ORIGIN)
        assert signatory_records.publish(conn, campaign_id, covering)
        assert not signatory_records.publish(conn, campaign_id, covering)
        campaigns.mirror_phase(conn, campaign_id, CampaignPhase.CONCLUDED, 4, datetime.now(UTC))
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
