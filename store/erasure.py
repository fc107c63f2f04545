"""Erasing personal data: nominees' profiles and signers' contact details.

The log never held them (only salted commitments to profiles, and nothing of a signer's
contact details), so erasing is deleting them from the database, and logging that it was
done, and why: ``personal_data.erased`` {subject, id, reason}. A nominee erases a nomination
they declined, with its consent token (the reason logged is ``nominee``); the secretariat
erases any nomination's or signature's personal data with a published reason. After erasure
a round's bundle marks the profile erased, and still verifies.

What the count needs stays: a standing candidate's attributes are in the log's candidate list
already, and the count (and the lot seed of a method without ballots) reads them again.

Contact addresses are also erased without anyone asking, once a round is decided (or
cancelled) or a campaign concluded and the retention period has passed (:func:`expire`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, and_, select, update

from policies.campaigns import CampaignPhase
from policies.errors import AlreadyErased, Forbidden, NotErasable, NotFound
from policies.messages import N_
from policies.phases import Phase
from store import audit, nominations, round_notices, signatures
from store import rules as rules_store
from store.credentials import hash_token
from store.db import utcnow
from store.tables import (
    campaign,
    campaign_signature,
    mail_outbox,
    nomination,
    round_,
    round_notice,
)

NOMINEE = "nominee"  # the reason, and the actor, of a nominee's own erasure
ERASED_ADDRESS = "(erased)"  # what the delivery log shows instead of an erased address
_TYPE = "personal_data.erased"


def by_nominee(
    conn: Connection, nomination_id: str, token: str, now: datetime | None = None
) -> RowMapping:
    """The nominee erases a nomination they declined, with its consent token."""
    row = nominations.get(conn, nomination_id, for_update=True)
    if not hmac.compare_digest(row["consent_token_hash"], hash_token(token)):
        raise Forbidden(N_("the consent token does not belong to this nomination"))
    if row["erased_at"] is not None:
        raise AlreadyErased(
            N_("the personal data of nomination %(nomination_id)s were erased already"),
            nomination_id=nomination_id,
        )
    if row["consent"] not in ("declined", "withdrawn") and row["withdrawn_at"] is None:
        raise NotErasable(
            N_(
                "nomination %(nomination_id)s is %(consent)s, not declined: a nominee erases a "
                "nomination once they have declined it (decline it first, while nominations are "
                "open); the secretariat can erase an accepted one, with a reason"
            ),
            nomination_id=nomination_id,
            consent=row["consent"],
        )
    return _erase_nomination(conn, row, NOMINEE, NOMINEE, now)


def nomination_by_secretariat(
    conn: Connection, nomination_id: str, reason: str, actor: str, now: datetime | None = None
) -> RowMapping:
    row = nominations.get(conn, nomination_id, for_update=True)
    if row["erased_at"] is not None:
        raise AlreadyErased(
            N_("the personal data of nomination %(nomination_id)s were erased already"),
            nomination_id=nomination_id,
        )
    return _erase_nomination(conn, row, reason, actor, now)


def _erase_nomination(
    conn: Connection, row: RowMapping, reason: str, actor: str, now: datetime | None
) -> RowMapping:
    now = now or utcnow()
    conn.execute(
        update(nomination)
        .where(nomination.c.id == row["id"])
        .values(
            nominee_name=None,
            statement={},
            attributes=_counted_attributes(conn, row),
            nominee_email=None,
            profile_salt=None,
            erased_at=now,
        )
    )
    _forget_nominee_mail(conn, [row["id"]], now)
    audit.append(
        conn,
        audit.round_scope(row["round_id"]),
        _TYPE,
        {"subject": "nomination", "id": row["id"], "reason": reason},
        actor,
        now,
    )
    return nominations.get(conn, row["id"])


def _counted_attributes(conn: Connection, row: RowMapping) -> dict[str, str]:
    """The attributes a count will read: all of a standing candidate's (the candidate list
    published them, and the lot seed of a method without ballots hashes them), those the
    constraints name while the nomination may still stand, none once it cannot."""
    if row["standing"]:
        return dict(row["attributes"])
    if (
        row["standing"] is False
        or row["rejected_at"] is not None
        or row["withdrawn_at"] is not None
        or row["consent"] in ("declined", "withdrawn")
    ):
        return {}
    rules = rules_store.rules_for(conn, row["round_id"], row["constituency_id"])
    named = {c.attribute for c in rules.constraints}
    return {k: v for k, v in row["attributes"].items() if k in named}


def signature_by_secretariat(
    conn: Connection,
    campaign_id: str,
    signature_id: str,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> RowMapping:
    """Erase a signer's name, role and e-mail address; the organisation's signature stands."""
    now = now or utcnow()
    row = signatures.get(conn, signature_id, for_update=True)
    if row["campaign_id"] != campaign_id:
        raise NotFound(
            N_("campaign %(campaign_id)s has no signature %(signature_id)s"),
            campaign_id=campaign_id,
            signature_id=signature_id,
        )
    if row["erased_at"] is not None:
        raise AlreadyErased(
            N_("the signer's details of signature %(signature_id)s were erased already"),
            signature_id=signature_id,
        )
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == signature_id)
        .values(signer_name=None, signer_role=None, email=None, erased_at=now)
    )
    _forget_mail(conn, signature_id, now)
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        _TYPE,
        {"subject": "signature", "id": signature_id, "reason": reason},
        actor,
        now,
    )
    return signatures.get(conn, signature_id)


def _forget_mail(conn: Connection, signature_id: str, now: datetime) -> None:
    """The signature's mail no longer names the address; mail still waiting is not sent."""
    mine = mail_outbox.c.dedup_key.like(f"signature:{signature_id}:%")
    _stop_waiting(conn, mine, now)
    conn.execute(update(mail_outbox).where(mine).values(to_address=ERASED_ADDRESS))


def _forget_nominee_mail(conn: Connection, nomination_ids: Any, now: datetime) -> None:
    """The nominees' consent requests no longer name their addresses; those waiting are not
    sent (store/round_notices.py)."""
    round_notices.forget_nominees(conn, nomination_ids, now)
    theirs = mail_outbox.c.dedup_key.in_(
        select(round_notice.c.dedup_key).where(
            round_notice.c.person.in_(
                select(round_notices.PERSON_PREFIX + nomination.c.id).where(
                    nomination.c.id.in_(nomination_ids)
                )
            )
        )
    )
    _stop_waiting(conn, theirs, now)
    conn.execute(
        update(mail_outbox)
        .where(theirs, mail_outbox.c.to_address != ERASED_ADDRESS)
        .values(to_address=ERASED_ADDRESS)
    )


def _stop_waiting(conn: Connection, which: ColumnElement[bool], now: datetime) -> None:
    conn.execute(
        update(mail_outbox)
        .where(which, mail_outbox.c.sent_at.is_(None), mail_outbox.c.failed_at.is_(None))
        .values(body=None, failed_at=now, last_error="the address was erased")
    )


@dataclass(frozen=True)
class Expired:
    nominations: int  # nominee addresses erased
    signatures: int  # signers' details erased


def expire(conn: Connection, before: datetime) -> Expired:
    """Erase the contact data of rounds decided (or cancelled) and campaigns concluded before
    ``before``: nominees' addresses, signers' names, roles and addresses, and the addresses
    the campaign's confirmation mail went to. Never logged or published, so nothing is logged."""
    over = select(round_.c.id).where(
        round_.c.phase.in_((Phase.DECIDED.value, Phase.CANCELLED.value)),
        round_.c.updated_at < before,
    )
    nominees = conn.execute(
        update(nomination)
        .where(nomination.c.round_id.in_(over), nomination.c.nominee_email.is_not(None))
        .values(nominee_email=None)
    ).rowcount
    _forget_nominee_mail(
        conn, select(nomination.c.id).where(nomination.c.round_id.in_(over)), utcnow()
    )
    concluded = select(campaign.c.id).where(
        campaign.c.phase == CampaignPhase.CONCLUDED.value, campaign.c.updated_at < before
    )
    signers = conn.execute(
        update(campaign_signature)
        .where(
            campaign_signature.c.campaign_id.in_(concluded),
            campaign_signature.c.email.is_not(None)
            | campaign_signature.c.signer_name.is_not(None)
            | campaign_signature.c.signer_role.is_not(None),
        )
        .values(email=None, signer_name=None, signer_role=None)
    ).rowcount
    signers_mail = and_(
        mail_outbox.c.campaign_id.in_(concluded), mail_outbox.c.dedup_key.like("signature:%")
    )
    _stop_waiting(conn, signers_mail, utcnow())
    conn.execute(
        update(mail_outbox)
        .where(signers_mail, mail_outbox.c.to_address != ERASED_ADDRESS)
        .values(to_address=ERASED_ADDRESS)
    )
    return Expired(nominees, signers)
