"""Nominees' profiles sealed in the log and public on consent; erasure and retention."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select

from policies.access import Principal, Role
from policies.errors import AlreadyErased, Conflict, Forbidden, NotErasable, NotFound
from policies.phases import Phase
from records.bundle import verify_bundle
from records.profile_seal import profile_commitment
from store import audit, bundles, credentials, erasure, log, nominations, profiles, rounds
from store import signatures as signatures_store
from store.db import Database
from store.tables import mail_outbox, nomination
from tests import campaign_support as cs
from tests.keys import ORIGIN
from tests.workflows.support import published_round

RULES = {"constraints": [{"attribute": "gender", "value": "woman", "min": 1}]}
SECRETARIAT = Principal("s", Role.SECRETARIAT)


class Round:
    """A published round taking nominations, with member organisations and their tokens."""

    def __init__(self, db: Database, members: int = 3) -> None:
        self.db = db
        row = published_round(db, datetime.now(UTC) - timedelta(days=2), rules=RULES)
        self.id, self.cid = row["id"], row["participants"][0]["constituency_id"]
        self.orgs = [cs.member(db, self.cid) for _ in range(members)]
        with db.write() as conn:
            self.tokens = [
                credentials.issue(conn, Role.MEMBER, "t", None, self.cid, org).credential["id"]
                for org in self.orgs
            ]

    def nominate(self, by: int, gender: str = "woman") -> tuple[str, str, dict[str, Any]]:
        """A nomination by member ``by`` of a nominee of its own organisation: its id, consent
        token and the personal data given (each unique, to be looked for)."""
        tag = uuid.uuid4().hex[:10]
        data = {
            "nominee_name": f"Nominee {tag}",
            "organisation_id": self.orgs[by],
            "attributes": {"gender": gender, "languages": f"sw-{tag}"},
            "statement": {"en": f"Statement {tag}"},
            "nominee_email": f"nominee-{tag}@example.org",
        }
        with self.db.write() as conn:
            made = nominations.nominate(conn, self.id, self.cid, data, self.tokens[by])
        return made.nomination["id"], made.consent_token, data

    def answer(self, nid: str, token: str, accept: bool) -> None:
        with self.db.write() as conn:
            nominations.respond(conn, nid, token, accept)

    def row(self, nid: str) -> Any:
        with self.db.read() as conn:
            return nominations.get(conn, nid)

    def logged(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            return [
                json.loads(e.statement) for e in audit.entries(conn, audit.round_scope(self.id))
            ]

    def close(self) -> None:
        with self.db.write() as conn:
            assert nominations.fix_candidates(conn, self.id, self.cid)


def _texts(data: dict[str, Any]) -> list[str]:
    return [data["nominee_name"], data["nominee_email"], *data["statement"].values()]


def test_the_log_holds_a_commitment_to_the_profile_never_the_profile(db: Database) -> None:
    r = Round(db)
    nid, token, data = r.nominate(0)
    r.answer(nid, token, True)
    r.nominate(1)  # pending: not standing
    r.close()
    row = r.row(nid)
    assert row["nominee_email"] == data["nominee_email"]
    submitted = next(e for e in r.logged() if e["type"] == "nomination.submitted")
    assert set(submitted["data"]) == {
        "nomination_id",
        "constituency_id",
        "organisation_id",
        "profile_commitment",
    }
    profile = {k: row[k] for k in ("nominee_name", "statement", "attributes")}
    expected = profile_commitment(nid, profile, row["profile_salt"])
    assert submitted["data"]["profile_commitment"] == expected == row["profile_commitment"]
    fixed = next(e for e in r.logged() if e["type"] == "candidates.fixed")
    [standing] = fixed["data"]["standing"]
    assert standing == {
        "id": nid,
        "organisation_id": data["organisation_id"],
        "attributes": row["attributes"],  # the recount needs them: published for this one
        "profile_commitment": expected,
    }
    everything = json.dumps(r.logged())
    for text in _texts(data):
        assert text not in everything


def test_who_sees_a_profile_before_the_nominee_consents(db: Database) -> None:
    r = Round(db)
    nid, token, data = r.nominate(0)
    with db.read() as conn:
        row = nominations.get(conn, nid)
        seen = {
            who: profiles.viewer(conn, caller, r.cid).shown(row)
            for who, caller in {
                "anyone": None,
                "secretariat": SECRETARIAT,
                "own coordinator": Principal("c", Role.COORDINATOR, r.cid),
                "other coordinator": Principal("c2", Role.COORDINATOR, "elsewhere"),
                "nominating member": Principal("m", Role.MEMBER, r.cid, r.orgs[0]),
                "other member": Principal("m2", Role.MEMBER, r.cid, r.orgs[1]),
            }.items()
        }
    for who, shown in seen.items():
        assert shown["profile"] == profiles.PRIVATE
        assert "nominee_email" not in shown
        assert "profile_salt" not in shown
        if who in ("secretariat", "own coordinator", "nominating member"):
            assert shown["nominee_name"] == data["nominee_name"], who
        else:
            assert (shown["nominee_name"], shown["statement"], shown["attributes"]) == (
                None,
                {},
                {},
            ), who
    r.answer(nid, token, True)
    public = profiles.PUBLIC_VIEWER.shown(r.row(nid))
    assert public["profile"] == profiles.PUBLIC
    assert public["nominee_name"] == data["nominee_name"]
    assert public["statement"] == data["statement"]


def test_a_nominee_erases_a_nomination_they_declined(db: Database) -> None:
    r = Round(db)
    declined, token, data = r.nominate(0)
    accepted, accepted_token, _ = r.nominate(1)
    pending, pending_token, _ = r.nominate(2)
    r.answer(declined, token, False)
    r.answer(accepted, accepted_token, True)
    with db.write() as conn, pytest.raises(Forbidden):
        erasure.by_nominee(conn, declined, accepted_token)
    for nid, own in ((accepted, accepted_token), (pending, pending_token)):
        with db.write() as conn, pytest.raises(NotErasable, match="not declined"):
            erasure.by_nominee(conn, nid, own)
    with db.write() as conn:
        erased = erasure.by_nominee(conn, declined, token)
    assert erased["erased_at"] is not None
    assert (erased["nominee_name"], erased["statement"], erased["attributes"]) == (None, {}, {})
    assert (erased["nominee_email"], erased["profile_salt"]) == (None, None)
    assert erased["profile_commitment"] is not None  # what the log holds stays checkable
    assert profiles.state(erased) == profiles.ERASED
    last = r.logged()[-1]
    assert (last["type"], last["actor"]) == ("personal_data.erased", "nominee")
    assert last["data"] == {"subject": "nomination", "id": declined, "reason": "nominee"}
    with db.write() as conn, pytest.raises(AlreadyErased):
        erasure.by_nominee(conn, declined, token)
    with db.read() as conn:
        dump = json.dumps(
            [dict(r) for r in conn.execute(select(nomination)).mappings()], default=str
        )
    for text in _texts(data):
        assert text not in dump


def test_the_secretariat_erases_any_profile_keeping_what_the_count_reads(db: Database) -> None:
    r = Round(db)
    standing, token, _ = r.nominate(0)
    r.answer(standing, token, True)
    early, early_token, _ = r.nominate(1)
    with db.write() as conn:
        erased = erasure.nomination_by_secretariat(conn, early, "asked to be forgotten", "sec")
    # Before the close, the attributes the constraints name stay: the candidate list takes them.
    assert erased["attributes"] == {"gender": "woman"}
    with db.write() as conn, pytest.raises(Conflict, match="erased"):
        nominations.respond(conn, early, early_token, True)
    r.close()
    before = r.row(standing)["attributes"]
    with db.write() as conn:
        erased = erasure.nomination_by_secretariat(conn, standing, "a court order", "sec")
        with pytest.raises(AlreadyErased):
            erasure.nomination_by_secretariat(conn, standing, "again", "sec")
    # A standing candidate's attributes are in the log's candidate list and the count reads them.
    assert erased["attributes"] == before
    assert erased["nominee_name"] is None
    last = r.logged()[-1]
    assert (last["type"], last["actor"]) == ("personal_data.erased", "sec")
    assert last["data"] == {"subject": "nomination", "id": standing, "reason": "a court order"}
    with db.write() as conn, pytest.raises(NotFound):
        erasure.nomination_by_secretariat(conn, str(uuid.uuid4()), "x", "sec")


def _integrated_bundle(db: Database, round_id: str) -> dict[str, Any]:
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        return bundles.export(conn, round_id)


def test_the_bundle_discloses_consented_profiles_marks_erased_ones_and_verifies(
    db: Database,
) -> None:
    r = Round(db)
    shown, shown_token, data = r.nominate(0)
    gone, gone_token, _ = r.nominate(1)
    hidden, _, _ = r.nominate(2)
    r.answer(shown, shown_token, True)
    r.answer(gone, gone_token, False)
    with db.write() as conn:
        erasure.by_nominee(conn, gone, gone_token)
    bundle = _integrated_bundle(db, r.id)
    by_id = {p["nomination_id"]: p for p in bundle["profiles"]}
    assert set(by_id) == {shown, gone}  # the pending one is not disclosed
    assert by_id[gone] == {"nomination_id": gone, "erased": True}
    assert by_id[shown]["nominee_name"] == data["nominee_name"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any(f"nomination {gone}: profile erased" in c for c in report.checked)
    assert hidden not in json.dumps(bundle["profiles"])

    # Erased after the bundle's checkpoint: left out until its entry is covered.
    with db.write() as conn:
        erasure.nomination_by_secretariat(conn, shown, "withdrew from public life", "sec")
    with db.read() as conn:
        early = bundles.export(conn, r.id)
    assert shown not in {p["nomination_id"] for p in early["profiles"]}
    assert verify_bundle(early).ok
    later = _integrated_bundle(db, r.id)
    assert {"nomination_id": shown, "erased": True} in later["profiles"]
    report = verify_bundle(later)
    assert report.ok, report.problems
    assert data["nominee_name"] not in json.dumps(later)


def _signed(db: Database) -> tuple[str, str]:
    now = datetime.now(UTC)
    c = cs.published_campaign(db, now - timedelta(minutes=1), now + timedelta(days=1))
    with db.write() as conn:
        done = signatures_store.sign_as_outsider(
            conn,
            c["id"],
            cs.outsider(),
            cs.SIGNER,
            "rosa@example.org",
            c["statement_hash"],
            cs.MAIL,
        )
    return c["id"], done.signature["id"]


def _mail_to(conn: Connection, signature_id: str) -> list[tuple[str, Any]]:
    rows = conn.execute(
        select(mail_outbox.c.to_address, mail_outbox.c.failed_at).where(
            mail_outbox.c.dedup_key.like(f"signature:{signature_id}:%")
        )
    )
    return [(r.to_address, r.failed_at) for r in rows]


def test_the_secretariat_erases_a_signers_details(db: Database) -> None:
    cid, sid = _signed(db)
    with db.write() as conn:
        with pytest.raises(NotFound):
            erasure.signature_by_secretariat(conn, str(uuid.uuid4()), sid, "x", "sec")
        erased = erasure.signature_by_secretariat(conn, cid, sid, "the signer asked", "sec")
        [(to, failed)] = _mail_to(conn, sid)
        with pytest.raises(AlreadyErased):
            erasure.signature_by_secretariat(conn, cid, sid, "again", "sec")
        last = json.loads(audit.entries(conn, audit.campaign_scope(cid))[-1].statement)
    assert (erased["email"], erased["signer_name"], erased["signer_role"]) == (None, None, None)
    assert erased["state"] == "pending"  # the signature itself stands
    assert (to, failed is not None) == (erasure.ERASED_ADDRESS, True)  # the code is not sent
    assert last["type"] == "personal_data.erased"
    assert last["data"] == {"subject": "signature", "id": sid, "reason": "the signer asked"}


def test_retention_erases_contact_data_of_decided_rounds_and_concluded_campaigns(
    db: Database,
) -> None:
    r = Round(db)
    nid, _, data = r.nominate(0)
    cid, sid = _signed(db)
    with db.write() as conn:
        rounds.mirror_phase(conn, r.id, Phase.DECIDED, 99, datetime.now(UTC))
        outsider = signatures_store.get(conn, sid)
    assert outsider["email"] is not None
    cs.conclude(db, cid)
    with db.write() as conn:
        erasure.expire(conn, datetime.now(UTC) - timedelta(days=1))  # not yet
    assert r.row(nid)["nominee_email"] == data["nominee_email"]
    with db.write() as conn:
        done = erasure.expire(conn, datetime.now(UTC) + timedelta(seconds=1))
        signature = signatures_store.get(conn, sid)
        mail = _mail_to(conn, sid)
    assert done.nominations >= 1
    assert done.signatures >= 1
    assert r.row(nid)["nominee_email"] is None
    assert r.row(nid)["nominee_name"] == data["nominee_name"]  # the profile is not contact data
    assert (signature["email"], signature["signer_name"], signature["signer_role"]) == (
        None,
        None,
        None,
    )
    assert all(to == erasure.ERASED_ADDRESS for to, _ in mail)
    assert signature["erased_at"] is None  # nobody asked: nothing is logged
    assert not any(e["type"] == "personal_data.erased" for e in r.logged())


def test_an_open_campaign_keeps_its_signers_contact_data(db: Database) -> None:
    _, sid = _signed(db)
    with db.write() as conn:
        erasure.expire(conn, datetime.now(UTC) + timedelta(days=1))
        assert signatures_store.get(conn, sid)["email"] == "rosa@example.org"
