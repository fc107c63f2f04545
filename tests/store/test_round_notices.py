"""Round notices in the store: a nominee's consent request is queued with the nomination, put
into words when due, and forgotten with the nominee's data when they are erased."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from i18n.catalogs import Catalogs
from store import erasure, outbox, round_notices
from store.db import Database, utcnow
from store.tables import mail_outbox, round_notice
from tests.store.test_erasure import Round


def _notices(db: Database, nid: str) -> list[dict[str, object]]:
    with db.read() as conn:
        rows = conn.execute(
            select(round_notice).where(round_notice.c.person == f"nominee:{nid}")
        ).mappings()
        return [dict(r) for r in rows]


def test_the_consent_request_is_mailed_in_words_and_forgotten_on_erasure(db: Database) -> None:
    r = Round(db)
    nid, token, data = r.nominate(0)
    [asked, *reminders] = _notices(db, nid)
    assert (asked["kind"], asked["to_address"]) == ("consent_request", data["nominee_email"])
    assert token not in str(asked["params"])  # sealed while it waits
    assert all(n["condition"] == "consent" for n in reminders)
    with db.write() as conn:
        round_notices.release_due(conn, Catalogs.load(), "https://mandate.test", utcnow())
        mail = conn.execute(
            select(mail_outbox).where(mail_outbox.c.dedup_key == asked["dedup_key"])
        ).one()
        body = outbox.body_of(conn, mail._mapping)
    assert body is not None
    assert token in body
    assert f"https://mandate.test/consent/{nid}?token=" in body

    with db.write() as conn:
        erasure.nomination_by_secretariat(conn, nid, "asked by letter", "s")
    after = _notices(db, nid)
    assert {n["to_address"] for n in after} == {None}
    with db.read() as conn:
        sent_to = conn.execute(
            select(mail_outbox.c.to_address).where(mail_outbox.c.dedup_key == asked["dedup_key"])
        ).scalar_one()
    assert sent_to != data["nominee_email"]
    # A reminder that comes due after the erasure is not sent.
    with db.write() as conn:
        handed = round_notices.release_due(
            conn, Catalogs.load(), "https://mandate.test", utcnow() + timedelta(days=30)
        )
    assert handed == 0


def test_a_notice_without_words_is_recorded_and_does_not_hold_up_the_rest(db: Database) -> None:
    r = Round(db)
    nid, _, _ = r.nominate(0)
    with db.write() as conn:
        round_notices.notify_members(
            conn, round_id=r.id, kind="unheard_of", params={}, dedup_key=f"round:{r.id}:x"
        )
        round_notices.release_due(conn, Catalogs.load(), "https://mandate.test", utcnow())
        log = round_notices.for_round(conn, r.id)
    odd = [n for n in log if n["kind"] == "unheard_of"]
    assert len(odd) == len(r.orgs)
    assert {n["skip_reason"] for n in odd} == {"unwritable"}
    [asked] = [n for n in log if n["kind"] == "consent_request" and n["due_at"] <= utcnow()]
    assert asked["released_at"] is not None
    assert nid in (asked["person"] or "")
