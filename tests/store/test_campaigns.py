"""Campaigns and their signatures on both backends: the gate, one signature per organisation,
confirmation codes, withdrawal, milestones, and the signed record, bundle and proof."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from policies.campaigns import CampaignPhase
from policies.errors import (
    AlreadySigned,
    CodeUnusable,
    Forbidden,
    InvalidInput,
    InvalidSchedule,
    PhaseClosed,
    SignatureState,
    StatementChanged,
    WrongCode,
    WrongPhase,
)
from records import dsse
from records.campaign_bundle import verify_campaign_bundle
from records.canonical import sha256_hex
from records.signatory_proof import verify_signatory_proof
from store import audit, bundles, campaigns, outbox, signatory_records, signatures
from store.db import Database
from store.signatures import MAX_CODE_ATTEMPTS
from store.tables import mail_outbox
from tests.campaign_support import (
    ACTOR,
    MAIL,
    SIGNER,
    campaign_data,
    conclude,
    constituency,
    mailed_code,
    member,
    outsider,
    published_campaign,
)
from tests.keys import RECORDS

HOUR = timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _open(db: Database, **terms: Any) -> dict[str, Any]:
    now = _now()
    return dict(published_campaign(db, now - HOUR, now + 24 * HOUR, **terms))


def _types(db: Database, campaign_id: str) -> list[str]:
    with db.read() as conn:
        return [e.type for e in audit.entries(conn, audit.campaign_scope(campaign_id))]


def _sign_out(db: Database, c: dict[str, Any], **org: str) -> signatures.Signed:
    with db.write() as conn:
        return signatures.sign_as_outsider(
            conn, str(c["id"]), outsider(**org), SIGNER, "rosa@example.org",
            str(c["statement_hash"]), MAIL,
        )  # fmt: skip


def _confirm(db: Database, sid: str, code: str) -> signatures.Signed:
    """As the API does: a wrong code's transaction commits (the attempt counts)."""
    refusal: WrongCode | None = None
    with db.write() as conn:
        try:
            return signatures.confirm(conn, sid, code)
        except WrongCode as exc:
            refusal = exc
    raise refusal


def test_a_draft_is_checked_and_publishing_freezes_a_signed_first_version(db: Database) -> None:
    now = _now()
    with db.write() as conn:
        with pytest.raises(InvalidSchedule, match="close after it opens"):
            campaigns.create_draft(conn, campaign_data(now + HOUR, now), ACTOR, None)
        with pytest.raises(InvalidInput, match="at least one constituency"):
            campaigns.create_draft(
                conn, campaign_data(now, now + HOUR, signers="members"), ACTOR, None
            )
        with pytest.raises(InvalidInput, match="milestone"):
            campaigns.create_draft(
                conn, campaign_data(now, now + HOUR, milestones=[0]), ACTOR, None
            )
        draft = campaigns.create_draft(conn, campaign_data(now, now + HOUR), ACTOR, None)
    with db.write() as conn, pytest.raises(WrongPhase, match="not published"):
        signatures.sign_as_outsider(conn, draft["id"], outsider(), SIGNER, "a@b.org", "x", MAIL)
    with db.write() as conn:
        published = campaigns.publish(conn, draft["id"], ACTOR)
        with pytest.raises(WrongPhase, match="already published"):
            campaigns.publish(conn, draft["id"], ACTOR)
        v1 = campaigns.get_version(conn, draft["id"], 1)
    assert published["phase"] == CampaignPhase.PUBLISHED
    assert (
        published["statement_hash"] == v1["statement_hash"] == sha256_hex(v1["canonical"].encode())
    )
    envelope = dsse.Envelope.from_json(json.loads(v1["envelope"]))
    assert dsse.verify(envelope, {RECORDS.key_id: RECORDS.public_key}) == v1["canonical"].encode()
    document = json.loads(v1["canonical"])
    assert document["texts"]["fr"]["title"] == "Travail décent pour les migrants"
    assert (document["version"], document["previous_hash"], document["reason"]) == (1, None, None)
    assert _types(db, draft["id"])[-2:] == ["statement.published", "campaign.published"]


def test_a_correction_is_a_new_version_chained_to_the_one_before(db: Database) -> None:
    c = _open(db)
    texts = {"en": {"title": "Decent work for all migrant workers", "text": "We, ..."}}
    with db.write() as conn:
        with pytest.raises(WrongPhase, match="cannot make version 3"):
            campaigns.record_version(conn, c["id"], 3, texts, "typo", ACTOR)
        v2, made = campaigns.record_version(conn, c["id"], 2, texts, "a typo in the title", ACTOR)
        again, made_again = campaigns.record_version(conn, c["id"], 2, texts, "retried", ACTOR)
    assert made
    assert not made_again
    assert again["statement_hash"] == v2["statement_hash"]
    document = json.loads(v2["canonical"])
    assert document["previous_hash"] == c["statement_hash"]
    assert document["reason"] == "a typo in the title"
    with db.write() as conn:
        with pytest.raises(StatementChanged, match="not the current version 2"):
            signatures.sign_as_outsider(
                conn, c["id"], outsider(), SIGNER, "a@b.org", c["statement_hash"], MAIL
            )
        with pytest.raises(InvalidInput, match="same as the current"):
            campaigns.record_version(conn, c["id"], 3, texts, "nothing", ACTOR)


def test_the_window_is_judged_at_write_time(db: Database) -> None:
    now = _now()
    later = dict(published_campaign(db, now + HOUR, now + 2 * HOUR))
    with db.write() as conn, pytest.raises(WrongPhase, match="opens at"):
        signatures.sign_as_outsider(
            conn, later["id"], outsider(), SIGNER, "a@b.org", later["statement_hash"], MAIL
        )
    with db.write() as conn, pytest.raises(PhaseClosed, match="closed at"):
        signatures.sign_as_outsider(
            conn, later["id"], outsider(), SIGNER, "a@b.org", later["statement_hash"], MAIL,
            now=now + 3 * HOUR,
        )  # fmt: skip
    c = _open(db)
    with db.write() as conn:
        campaigns.mirror_phase(conn, c["id"], CampaignPhase.CLOSED, 3, now)
    with db.write() as conn, pytest.raises(PhaseClosed):
        signatures.sign_as_outsider(
            conn, c["id"], outsider(), SIGNER, "a@b.org", c["statement_hash"], MAIL
        )


def test_one_signature_per_organisation_by_membership_and_by_name(db: Database) -> None:
    cid = constituency(db)
    org = member(db, cid, name="Syndicat des Travailleurs Migrants", country="SN")
    c = _open(db)
    with db.write() as conn:
        first = signatures.sign_as_member(conn, c["id"], org, cid, c["statement_hash"], None, ACTOR)
    assert first.signature["state"] == "confirmed"
    with db.write() as conn, pytest.raises(AlreadySigned, match=r"signature .* is confirmed"):
        signatures.sign_as_member(conn, c["id"], org, cid, c["statement_hash"], None, ACTOR)
    # The same organisation typed differently, signing from outside: still one signatory.
    with pytest.raises(AlreadySigned, match="confirmed"):
        _sign_out(db, c, name="  syndicat des travailleurs-MIGRANTS ", country="SN")
    # Not a registered name (tests share the database: a fresh one).
    red = f"Red de Migrantes {uuid.uuid4().hex[:6]}"
    pending = _sign_out(db, c, name=red, country="MX")
    with pytest.raises(AlreadySigned, match="is pending"):
        _sign_out(db, c, name=red.upper(), country="MX")
    _sign_out(db, c, name=red, country="GT")  # another country: another org
    assert pending.signature["state"] == "pending"
    assert pending.signer_token


def test_members_only_campaigns_refuse_everyone_else(db: Database) -> None:
    cid, other = constituency(db), constituency(db)
    inside, outside_member = member(db, cid), member(db, other)
    c = _open(db, signers="members", constituencies=[cid])
    with pytest.raises(Forbidden, match="only member organisations"):
        _sign_out(db, c)
    with db.write() as conn, pytest.raises(Forbidden):
        signatures.sign_as_member(
            conn, c["id"], outside_member, other, c["statement_hash"], None, ACTOR
        )
    with db.write() as conn:
        signatures.sign_as_member(conn, c["id"], inside, cid, c["statement_hash"], None, ACTOR)


def test_confirmation_by_code_wrong_reused_and_exhausted(db: Database) -> None:
    c = _open(db)
    signed = _sign_out(db, c)
    sid = signed.signature["id"]
    code = mailed_code(db, sid)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(WrongCode, match=f"{MAX_CODE_ATTEMPTS - 1} attempt"):
        _confirm(db, sid, wrong)
    done = _confirm(db, sid, code)
    assert done.signature["state"] == "confirmed"
    with pytest.raises(CodeUnusable, match="used up"):
        _confirm(db, sid, code)
    other = _sign_out(db, c).signature
    right = mailed_code(db, other["id"])
    for _ in range(MAX_CODE_ATTEMPTS):
        with pytest.raises(WrongCode):
            _confirm(db, other["id"], f"{(int(right) + 1) % 10**6:06d}")
    with pytest.raises(CodeUnusable, match="wrong codes were tried"):
        _confirm(db, other["id"], right)  # the right code is too late now
    with db.write() as conn:
        signatures.resend_code(
            conn, other["id"], "mds_wrong" if False else "x", MAIL
        ) if False else None
    with db.write() as conn, pytest.raises(Forbidden, match="signer token"):
        signatures.resend_code(conn, other["id"], "mds_not_it", MAIL)
    assert "signature.confirmed" in _types(db, c["id"])


def test_a_new_code_replaces_the_old_and_an_expired_pending_signature_lapses(db: Database) -> None:
    c = _open(db)
    signed = _sign_out(db, c, name="Colectivo Sin Fronteras", country="AR")
    sid = signed.signature["id"]
    old = mailed_code(db, sid)
    assert signed.signer_token is not None
    with db.write() as conn:
        signatures.resend_code(conn, sid, signed.signer_token, MAIL)
    new = mailed_code(db, sid)
    if new != old:
        with pytest.raises(WrongCode):
            _confirm(db, sid, old)
    # Past the code's life, a second attempt under the same name takes the name over.
    later = _now() + MAIL.code_ttl + timedelta(minutes=1)
    with db.write() as conn:
        again = signatures.sign_as_outsider(
            conn, c["id"], outsider(name="colectivo sin fronteras", country="AR"), SIGNER,
            "other@example.org", str(c["statement_hash"]), MAIL, now=later,
        )  # fmt: skip
        assert signatures.get(conn, sid)["state"] == "lapsed"
    assert again.signature["id"] != sid
    assert "signature.lapsed" in _types(db, c["id"])


def test_withdrawal_is_logged_and_only_by_the_signer(db: Database) -> None:
    cid = constituency(db)
    org, stranger = member(db, cid), member(db, cid)
    c = _open(db)
    with db.write() as conn:
        signed = signatures.sign_as_member(
            conn, c["id"], org, cid, c["statement_hash"], None, ACTOR
        )
    sid = signed.signature["id"]
    kwargs = {"signer_token": None, "reason": "our board decided", "actor": ACTOR}
    with db.write() as conn, pytest.raises(Forbidden, match="only its own"):
        signatures.withdraw(conn, sid, organisation_id=stranger, **kwargs)  # type: ignore[arg-type]
    with db.write() as conn:
        row = signatures.withdraw(conn, sid, organisation_id=org, **kwargs)  # type: ignore[arg-type]
    assert row["state"] == "withdrawn"
    assert row["withdrawn_at"] is not None
    with db.write() as conn, pytest.raises(SignatureState, match="already withdrawn"):
        signatures.withdraw(conn, sid, organisation_id=org, **kwargs)  # type: ignore[arg-type]
    with db.read() as conn:
        assert signatures.get(conn, sid)["organisation_id"] == org  # kept, not deleted
    assert _types(db, c["id"])[-1] == "signature.withdrawn"


def test_milestones_are_recorded_once_each(db: Database) -> None:
    cid = constituency(db)
    c = _open(db, milestones=[2, 3, 10])
    reached = []
    for _ in range(4):
        org = member(db, cid)
        with db.write() as conn:
            reached.append(
                signatures.sign_as_member(
                    conn, c["id"], org, cid, c["statement_hash"], None, ACTOR
                ).milestones
            )
    assert reached == [[], [2], [3], []]
    with db.read() as conn:
        rows = signatures.milestones_reached(conn, c["id"])
    assert [(r["threshold"], r["count"]) for r in rows] == [(2, 2), (3, 3)]
    assert _types(db, c["id"]).count("milestone.reached") == 2


def test_the_signed_record_bundle_and_proof_verify_and_catch_tampering(db: Database) -> None:
    cid = constituency(db)
    c = _open(db, milestones=[2])
    brazil, leaving = member(db, cid, country="BR"), member(db, cid)
    with db.write() as conn:
        m1 = signatures.sign_as_member(conn, c["id"], brazil, cid, c["statement_hash"], None, ACTOR)
        gone = signatures.sign_as_member(
            conn, c["id"], leaving, cid, c["statement_hash"], None, ACTOR
        )
    out = _sign_out(db, c, name="Asociación Raíces", country="ES")
    _confirm(db, out.signature["id"], mailed_code(db, out.signature["id"]))
    never = _sign_out(db, c)  # pending at close: does not count
    texts = {"en": {"title": "Decent work, corrected", "text": "We, the undersigned ..."}}
    with db.write() as conn:
        v2, _ = campaigns.record_version(conn, c["id"], 2, texts, "a correction", ACTOR)
        signatures.withdraw(
            conn, gone.signature["id"], organisation_id=gone.signature["organisation_id"],
            signer_token=None, reason=None, actor=ACTOR,
        )  # fmt: skip
    conclude(db, c["id"])
    with db.read() as conn:
        record = json.loads(signatory_records.get(conn, c["id"])["record"])
        bundle = bundles.export_campaign(conn, c["id"])
        proof = signatory_records.proof(conn, out.signature["id"])
    ids = [s["signature_id"] for s in record["signatories"]]
    assert sorted(ids) == sorted([m1.signature["id"], out.signature["id"]])
    assert never.signature["id"] not in ids
    assert gone.signature["id"] not in ids
    assert record["counts"]["total"] == 2
    assert record["counts"]["by_region"] == {"americas": 1, "europe": 1}
    assert [s["statement_hash"] for s in record["statements"]] == [
        c["statement_hash"], v2["statement_hash"]
    ]  # fmt: skip
    report = verify_campaign_bundle(bundle, workers=0)
    assert report.ok, report.problems
    assert any("recount of 2 signatories" in line for line in report.checked)
    proved = verify_signatory_proof(proof)
    assert proved.ok, proved.problems

    # A signatory removed from the log: the recount no longer matches the signed list.
    dropped = copy.deepcopy(bundle)
    dropped["entries"] = [
        e for e in dropped["entries"] if out.signature["id"] not in _payload(e["envelope"])
    ]
    problems = verify_campaign_bundle(dropped, workers=0).problems
    assert any("missing" in p for p in problems), problems
    assert any("recount" in p for p in problems), problems
    # An altered statement text.
    altered = copy.deepcopy(bundle)
    altered["statements"][1]["canonical"] = altered["statements"][1]["canonical"].replace(
        "corrected", "c0rrected"
    )
    assert any("statement 2" in p for p in verify_campaign_bundle(altered, workers=0).problems)
    # A proof for a line that is another signature's.
    wrong = copy.deepcopy(proof)
    wrong["position"] = 1 - proof["position"]
    assert not verify_signatory_proof(wrong).ok
    with db.read() as conn, pytest.raises(Exception, match="not on the signatory list"):
        signatory_records.proof(conn, never.signature["id"])


def _payload(envelope: str) -> str:
    import base64

    return base64.b64decode(json.loads(envelope)["payload"]).decode()


def test_outbox_sends_once_and_backs_off(db: Database) -> None:
    c = _open(db)
    signed = _sign_out(db, c)
    key = f"signature:{signed.signature['id']}:code:1"
    with db.write() as conn:
        assert not outbox.enqueue(
            conn, dedup_key=key, purpose="x", to="a@b.org", subject="s", body="b"
        )
        row = conn.execute(select(mail_outbox).where(mail_outbox.c.dedup_key == key)).one()._mapping
        assert not outbox.mark_failed(conn, row, "refused", _now())
        assert row["id"] not in [r["id"] for r in outbox.due(conn, _now(), 10_000)]
        outbox.mark_sent(conn, row["id"], _now())
        sent = conn.execute(select(mail_outbox).where(mail_outbox.c.id == row["id"])).one()
    assert sent.body is None
    assert sent.sent_at is not None
    assert sent.attempts == 2


def test_a_claim_made_before_its_name_was_registered_cannot_be_confirmed(db: Database) -> None:
    c = _open(db)
    name = f"Colectivo {uuid.uuid4().hex[:6]}"
    claim = _sign_out(db, c, name=name, country="PE")  # not registered yet: code to the signer
    sid = claim.signature["id"]
    code = mailed_code(db, sid)
    member(db, constituency(db), name=name.upper(), country="PE")  # now it is
    with pytest.raises(CodeUnusable, match="registered organisation"):
        _confirm(db, sid, code)
    with db.write() as conn, pytest.raises(CodeUnusable, match="registered organisation"):
        signatures.resend_code(conn, sid, str(claim.signer_token), MAIL)
