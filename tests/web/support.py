"""What the page tests share: the app in process on a real database, reading forms out of
pages, and campaigns and rounds put in the database as the workflows would leave them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import RowMapping, select

from mandate.settings import Settings
from policies.campaigns import CampaignPhase
from store import campaigns, outbox, registry
from store.db import Database
from store.tables import mail_outbox
from tests import campaign_support as cs
from tests.keys import ORIGIN
from web.app import create_app

_HIDDEN = r'name="{}" value="([^"]*)"'


def hidden(page: str, name: str) -> str:
    found = re.search(_HIDDEN.format(name), page)
    assert found, f"no hidden field {name} on the page"
    return found.group(1)


@asynccontextmanager
async def pages(db: Database, tmp_path: Path, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The whole app (API and pages) in process, without Temporal: page reads and signature
    writes need none."""
    app = create_app(Settings(data_dir=tmp_path, log_origin=ORIGIN, **settings), db=db)
    transport = httpx.ASGITransport(app=app)
    # Over HTTPS the cookies are Secure: a client keeps them for https addresses only.
    scheme = "https" if str(settings.get("public_url", "")).startswith("https") else "http"
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://test") as client:
        yield client


def open_campaign(db: Database, days: int = 3, **terms: Any) -> RowMapping:
    """A published campaign whose window is open, as the workflow leaves it."""
    now = datetime.now(UTC)
    row = cs.published_campaign(db, now - timedelta(minutes=1), now + timedelta(days=days), **terms)
    with db.write() as conn:
        campaigns.mirror_phase(conn, row["id"], CampaignPhase.OPEN, 2, now)
    return row


def last_mail(db: Database, purpose: str, to: str) -> str:
    """The body of the latest mail queued for ``to`` (still in the outbox)."""
    with db.read() as conn:
        rows = conn.execute(
            select(mail_outbox.c.dedup_key, mail_outbox.c.body)
            .where(mail_outbox.c.purpose == purpose, mail_outbox.c.to_address == to)
            .order_by(mail_outbox.c.id.desc())
        ).all()
        assert rows, f"no {purpose} mail to {to}"
        body = outbox.body_of(conn, rows[0]._mapping)
    assert body is not None
    return body


SIGN_IN_LINK = re.compile(r"/sign-in/(mwl_[A-Za-z0-9_-]+)")


async def sign_in_by_mail(http: httpx.AsyncClient, db: Database, email: str) -> None:
    """The whole mailed-link sign-in, as a browser without JavaScript does it."""
    page = (await http.get("/sign-in")).text
    r = await http.post("/sign-in", data={"csrf": hidden(page, "csrf"), "email": email})
    assert r.status_code == 303
    assert r.headers["location"] == "/sign-in/sent", r.text
    found = SIGN_IN_LINK.search(last_mail(db, "sign_in", email))
    assert found, "no sign-in link in the mail"
    link = (await http.get(f"/sign-in/{found.group(1)}")).text
    r = await http.post(
        f"/sign-in/{found.group(1)}",
        data={"csrf": hidden(link, "csrf"), "identity": hidden(link, "identity")},
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/account", r.text


def member_with_address(db: Database, constituency_id: str, name: str, email: str) -> str:
    """A member organisation whose registered contact is ``email``; its id."""
    with db.write() as conn:
        org = registry.register_organisation(
            conn,
            {
                "name": name,
                "country": "KE",
                "region": None,
                "type": "trade_union",
                "migrant_led": True,
                "grassroots": True,
                "contact_email": email,
            },
            cs.ACTOR,
        )
        registry.admit_member(conn, constituency_id, org["id"], cs.ACTOR)
        return str(org["id"])
