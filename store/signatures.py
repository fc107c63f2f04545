"""Signatures of a campaign: written straight to the database behind the window's gate.

A member organisation signs with its token and counts at once. An organisation outside the
constituencies signs pending, and counts once it confirms with the one-time code sent to the
address it gave (by POST; the mail goes out through the outbox, in the same transaction). One
signature per organisation: by membership, and by normalised name and country.

Nobody signs as a registered organisation but that organisation: a signature without a token
under a registered organisation's name (once folded) and country is a claim whose code goes to
the contact address the registry holds for it, never to the address given. A pending claim
never stands in the way of the organisation itself: its token signature, or a new claim (whose
code goes to the same registered contact), supersedes it, and the claim lapses.

Codes are stored as HMAC-SHA256 under the server secret (store/sealing.py), and each code mail
spends the campaign's and the recipient's mail budgets (store/rate_limits.py): past either, the
request is refused and nothing is written or queued.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from limits import RateLimitItem
from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.exc import IntegrityError

from i18n.catalogs import Catalogs
from i18n.languages import known
from policies import notices
from policies.campaigns import Signers
from policies.errors import (
    AlreadySigned,
    AmbiguousOrganisation,
    CodeUnusable,
    Forbidden,
    MailBudgetSpent,
    NotFound,
    SignatureState,
    StatementChanged,
    WrongCode,
)
from policies.messages import N_, NP_
from policies.regions import region_of
from policies.signatories import Signatory, organisation_key
from policies.times import iso
from store import audit, outbox, rate_limits, registry
from store.campaigns import gate
from store.credentials import hash_token
from store.db import server_secret, utcnow
from store.ids import new_id
from store.tables import campaign_milestone, campaign_signature, campaign_tally

SIGNER_TOKEN_PREFIX = "mds_"  # noqa: S105 - a prefix, not a secret
MAX_CODE_ATTEMPTS = 5
MAX_CODES_SENT = 5
PENDING, CONFIRMED, WITHDRAWN, LAPSED = "pending", "confirmed", "withdrawn", "lapsed"


@dataclass(frozen=True)
class Signed:
    signature: Mapping[Any, Any]
    signer_token: str | None = None  # outside signers: shown once, to withdraw or resend
    milestones: list[int] = field(default_factory=list)  # reached by this write
    # A claim under a registered organisation's name: its code went to the registered contact.
    to_registered_contact: bool = False


@dataclass(frozen=True)
class Mail:
    """Where confirmation mail points, how long its code lasts, and the budgets its mails
    spend (none when empty): per campaign, and per recipient across campaigns."""

    api_url: str
    code_ttl: timedelta
    per_campaign: Sequence[RateLimitItem] = ()
    per_recipient: Sequence[RateLimitItem] = ()
    # The mail's words in every language (without them, English).
    catalogs: Catalogs = field(default_factory=Catalogs.english)


def _code_hash(conn: Connection, signature_id: str, code: str) -> str:
    # Keyed: a million possible codes are no work to try against a plain hash.
    return server_secret(conn).mac("mandate.code/2", signature_id, code)


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _current_version(row: RowMapping, statement_hash: str) -> int:
    if statement_hash != row["statement_hash"]:
        raise StatementChanged(
            N_(
                "the statement you saw (%(statement_hash)s) is not the current version "
                "%(version)s (%(statement_hash2)s); read it and sign that"
            ),
            statement_hash=statement_hash,
            version=row["version"],
            statement_hash2=row["statement_hash"],
        )
    version: int = row["version"]
    return version


def _existing(
    conn: Connection, campaign_id: str, *, key: str, org: str | None
) -> RowMapping | None:
    clause = campaign_signature.c.dedup_key == key
    if org is not None:
        clause = clause | (campaign_signature.c.organisation_id == org)
    row = conn.execute(
        select(campaign_signature).where(campaign_signature.c.campaign_id == campaign_id, clause)
    ).first()
    return None if row is None else row._mapping


def _refuse_duplicate(existing: RowMapping) -> AlreadySigned:
    return AlreadySigned(
        N_(
            "%(organisation_name)s (%(country)s) has already signed this campaign: signature "
            "%(id)s is %(state)s"
        ),
        organisation_name=existing["organisation_name"],
        country=existing["country"],
        id=existing["id"],
        state=existing["state"],
    )


def _clear_the_way(
    conn: Connection,
    campaign_id: str,
    key: str,
    org: str | None,
    now: datetime,
    *,
    supersede: bool = False,
) -> None:
    """Refuse a second signature; a pending one lapses and makes way if its code expired, or
    if ``supersede`` (the organisation itself, or a claim mailed to its registered contact)."""
    existing = _existing(conn, campaign_id, key=key, org=org)
    if existing is None:
        return
    expired = existing["code_expires_at"] is not None and existing["code_expires_at"] <= now
    if existing["state"] != PENDING or not (expired or supersede):
        raise _refuse_duplicate(existing)
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == existing["id"])
        .values(state=LAPSED, dedup_key=None, code_hash=None)
    )
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "signature.lapsed",
        {"signature_id": existing["id"]},
        None,
        now,
    )


def _registered(conn: Connection, key: str) -> RowMapping | None:
    """The registered organisation a name key belongs to, if one does."""
    found = registry.organisations_named(conn, key)
    if len(found) > 1:
        ids = ", ".join(r["id"] for r in found)
        raise AmbiguousOrganisation(
            N_(
                "%(n_found)s registered organisations (%(ids)s) have this name and country; each "
                "signs with its own member token"
            ),
            n_found=len(found),
            ids=ids,
        )
    return found[0] if found else None


_COLUMNS = tuple(c.name for c in campaign_signature.columns)
_INSERT = campaign_signature.insert()  # one statement, compiled once, for every signature


def _insert(conn: Connection, campaign_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Insert the signature and return its row. A concurrent signature by the same
    organisation is answered as a duplicate: on PostgreSQL it waits for the other to commit,
    then fails the unique index (a savepoint keeps the transaction usable); SQLite's writers
    take turns, so there it cannot happen."""
    row = dict.fromkeys(_COLUMNS) | values | {"campaign_id": campaign_id}
    if conn.dialect.name != "postgresql":
        conn.execute(_INSERT, row)
        return row
    try:
        with conn.begin_nested():
            conn.execute(_INSERT, row)
    except IntegrityError:
        existing = _existing(
            conn, campaign_id, key=values["dedup_key"], org=values.get("organisation_id")
        )
        if existing is None:
            raise
        raise _refuse_duplicate(existing) from None
    return row


def _public(row: Mapping[Any, Any]) -> dict[str, Any]:
    """What the log says of a signature that counts."""
    return {
        "signature_id": row["id"],
        "kind": row["kind"],
        "organisation_id": row["organisation_id"],
        "organisation": row["organisation_name"],
        "country": row["country"],
        "type": row["org_type"],
        "region": row["region"],
        "version": row["version"],
    }


def sign_as_member(
    conn: Connection,
    campaign_id: str,
    organisation_id: str,
    constituency_id: str | None,
    statement_hash: str,
    signer: dict[str, str] | None,
    actor: str,
    now: datetime | None = None,
    *,
    lang: str | None = None,
) -> Signed:
    """A member organisation signs with its token: it counts at once. ``lang``: the signer's
    language, which later mail about the signature speaks when its organisation chose none."""
    now = now or utcnow()
    row = gate(conn, campaign_id, now)
    if Signers(row["signers"]) is Signers.MEMBERS and (
        constituency_id not in row["constituencies"]
        or not registry.is_member(conn, constituency_id or "", organisation_id)
    ):
        raise Forbidden(
            N_(
                "only member organisations of constituencies %(constituencies)s may sign this "
                "campaign"
            ),
            constituencies=", ".join(row["constituencies"]),
        )
    version = _current_version(row, statement_hash)
    org = registry.get_organisation(conn, organisation_id)
    key = organisation_key(org["name"], org["country"])
    # A pending claim under its name, by whoever made it, does not block the organisation.
    _clear_the_way(conn, campaign_id, key, organisation_id, now, supersede=True)
    sid = new_id()
    signature = _insert(
        conn,
        campaign_id,
        {
            "id": sid,
            "kind": "member",
            "organisation_id": organisation_id,
            "constituency_id": constituency_id,
            "organisation_name": org["name"],
            "country": org["country"],
            "org_type": org["type"],
            # The region its organisation registered with: the one a round's rules see.
            "region": org["region"],
            "name_key": key,
            "dedup_key": key,
            "signer_name": (signer or {}).get("name"),
            "signer_role": (signer or {}).get("role"),
            "email": None,
            "version": version,
            "state": CONFIRMED,
            "code_attempts": 0,
            "codes_sent": 0,
            "created_at": now,
            "confirmed_at": now,
            "lang": lang,
        },
    )
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "signature.submitted",
        {**_public(signature), "state": CONFIRMED},
        actor,
        now,
    )
    return Signed(signature, None, _tally(conn, row, 1, now))


def sign_as_outsider(
    conn: Connection,
    campaign_id: str,
    organisation: dict[str, str],
    signer: dict[str, str],
    email: str,
    statement_hash: str,
    mail: Mail,
    now: datetime | None = None,
    *,
    lang: str | None = None,
) -> Signed:
    """An organisation outside the constituencies signs pending; the code goes out by mail:
    to ``email``, or, under a registered organisation's name, to that one's registered contact.
    ``lang`` is the signer's language: the mail speaks it (the registered organisation's own
    choice first)."""
    now = now or utcnow()
    row = gate(conn, campaign_id, now)
    if Signers(row["signers"]) is Signers.MEMBERS:
        raise Forbidden(
            N_(
                "only member organisations of constituencies %(constituencies)s may sign this "
                "campaign, each with its member token"
            ),
            constituencies=", ".join(row["constituencies"]),
        )
    version = _current_version(row, statement_hash)
    key = organisation_key(organisation["name"], organisation["country"])
    registered = _registered(conn, key)
    _clear_the_way(conn, campaign_id, key, None, now, supersede=registered is not None)
    if registered is not None:
        # Signed for as registered, confirmed only from the registered contact's mailbox.
        name, type_, region = registered["name"], registered["type"], registered["region"]
        email = registered["contact_email"]
    else:
        # Not in the registry: the M49 region of the country it gives.
        name, type_ = organisation["name"], organisation["type"]
        region = region_of(organisation["country"])
    sid = new_id()
    code = _new_code()
    token = SIGNER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    signature = _insert(
        conn,
        campaign_id,
        {
            "id": sid,
            "kind": "outside",
            "organisation_id": None,  # a registered organisation's once it confirms
            "constituency_id": None,
            "organisation_name": name,
            "country": organisation["country"],
            "org_type": type_,
            "region": region,
            "name_key": key,
            "dedup_key": key,
            "signer_name": signer["name"],
            "signer_role": signer["role"],
            "email": email,
            "version": version,
            "state": PENDING,
            "code_hash": _code_hash(conn, sid, code),
            "code_expires_at": now + mail.code_ttl,
            "code_attempts": 0,
            "codes_sent": 1,
            "signer_token_hash": hash_token(token),
            "created_at": now,
            "lang": lang,
        },
    )
    # The pending entry names nobody: an organisation appears in the log once it confirms.
    audit.append(
        conn,
        audit.campaign_scope(campaign_id),
        "signature.submitted",
        {"signature_id": sid, "kind": "outside", "version": version, "state": PENDING},
        None,
        now,
    )
    _mail_code(conn, row, signature, code, mail, 1, now, registered=registered)
    return Signed(signature, token, to_registered_contact=registered is not None)


def _mail_code(
    conn: Connection,
    campaign_row: RowMapping,
    signature: Mapping[Any, Any],
    code: str,
    mail: Mail,
    n: int,
    now: datetime,
    *,
    registered: RowMapping | None,
) -> None:
    """The code, in the language its reader chose: the registered organisation's, for its
    registered contact; else the signer's when they signed."""
    chosen = None if registered is None else registered["lang"]
    lang = known(chosen or signature["lang"])
    subject, body = notices.confirmation(
        mail.catalogs[lang],
        title=notices.campaign_title(campaign_row["texts"], lang),
        signature_id=signature["id"],
        organisation=signature["organisation_name"],
        code=code,
        api_url=mail.api_url,
        valid_for=mail.code_ttl,
        registered=registered is not None,
    )
    outbox.enqueue(
        conn,
        dedup_key=f"signature:{signature['id']}:code:{n}",
        purpose="confirmation_code",
        to=signature["email"],
        subject=subject,
        body=body,
        campaign_id=campaign_row["id"],
        now=now,
    )
    _spend_mail_budget(conn, campaign_row["id"], signature["email"], mail, now)


def _spend_mail_budget(
    conn: Connection, campaign_id: str, email: str, mail: Mail, now: datetime
) -> None:
    """Count a code mail against the campaign's and the recipient's budgets; past either,
    refuse (the transaction, and the mail it queued, roll back). Last in the transaction, as
    the budget's row is one that concurrent sign-ons take turns on."""
    over = rate_limits.hit(conn, mail.per_campaign, "code-mail", "campaign", campaign_id, now=now)
    if over is not None:
        item, retry = over
        raise MailBudgetSpent(
            N_(
                "campaign %(campaign_id)s has sent its confirmation mails for now (%(item)s); try "
                "again in %(retry)s s"
            ),
            retry,
            campaign_id=campaign_id,
            item=item,
            retry=retry,
        )
    recipient = _recipient_key(conn, email)
    over = rate_limits.hit(conn, mail.per_recipient, "code-mail", "recipient", recipient, now=now)
    if over is not None:
        item, retry = over
        raise MailBudgetSpent(
            N_(
                "the address this code goes to has been sent its confirmation mails for now "
                "(%(item)s); try again in %(retry)s s"
            ),
            retry,
            item=item,
            retry=retry,
        )


def _recipient_key(conn: Connection, email: str) -> str:
    """One mailbox, however the address is written: case, and a +tag in the local part (which
    most providers deliver to the same box). Keyed, so the counters name no address."""
    local, _, domain = email.strip().rpartition("@")
    return server_secret(conn).mac(
        "mandate.recipient/1", f"{local.split('+', 1)[0]}@{domain}".casefold()
    )


def get(conn: Connection, signature_id: str, *, for_update: bool = False) -> RowMapping:
    query = select(campaign_signature).where(campaign_signature.c.id == signature_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(N_("no signature with id %(signature_id)s"), signature_id=signature_id)
    return row._mapping


def confirm(conn: Connection, signature_id: str, code: str, now: datetime | None = None) -> Signed:
    """The one-time code, by POST: the pending signature counts from now.

    Every attempt counts against the limit, a wrong one too: :class:`WrongCode` keeps the
    transaction's writes (the caller commits, then answers the error). The signature's row is
    locked meanwhile, so concurrent guesses cannot exceed the limit.
    """
    now = now or utcnow()
    found = get(conn, signature_id)
    row = gate(conn, found["campaign_id"], now)
    sig = get(conn, signature_id, for_update=True)
    if sig["state"] != PENDING:
        raise CodeUnusable(
            N_("signature %(signature_id)s is %(state)s; its code is used up"),
            signature_id=signature_id,
            state=sig["state"],
        )
    if sig["code_expires_at"] is None or sig["code_expires_at"] <= now:
        raise CodeUnusable(
            N_("the code expired at %(expired)s; ask for a new one"),
            expired=iso(sig["code_expires_at"] or now),
        )
    if sig["code_attempts"] >= MAX_CODE_ATTEMPTS:
        raise CodeUnusable(
            N_("%(max_code_attempts)s wrong codes were tried; ask for a new one"),
            max_code_attempts=MAX_CODE_ATTEMPTS,
        )
    if sig["code_hash"] is None:  # a code from before codes were keyed: it cannot be checked
        raise CodeUnusable(
            N_("signature %(signature_id)s has no usable code; ask for a new one"),
            signature_id=signature_id,
        )
    registered = _registered_for(conn, sig)
    attempts = sig["code_attempts"] + 1
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == signature_id)
        .values(code_attempts=attempts)
    )
    if not hmac.compare_digest(sig["code_hash"], _code_hash(conn, signature_id, code)):
        raise WrongCode(
            NP_(
                "the code does not match; %(n)s attempt left",
                "the code does not match; %(n)s attempts left",
            ),
            n=MAX_CODE_ATTEMPTS - attempts,
        )
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == signature_id)
        .values(
            state=CONFIRMED,
            confirmed_at=now,
            code_hash=None,
            organisation_id=None if registered is None else registered["id"],
        )
    )
    signature = get(conn, signature_id)
    audit.append(
        conn,
        audit.campaign_scope(row["id"]),
        "signature.confirmed",
        _public(signature),
        None,
        now,
    )
    return Signed(signature, None, _tally(conn, row, 1, now))


def resend_code(
    conn: Connection, signature_id: str, signer_token: str, mail: Mail, now: datetime | None = None
) -> RowMapping:
    now = now or utcnow()
    found = get(conn, signature_id)
    row = gate(conn, found["campaign_id"], now)
    sig = get(conn, signature_id, for_update=True)
    if sig["state"] != PENDING:  # its state is public (GET /v1/signatures/{id}) anyway
        raise SignatureState(
            N_("signature %(signature_id)s is %(state)s; it needs no code"),
            signature_id=signature_id,
            state=sig["state"],
        )
    _check_signer(sig, signer_token)
    if sig["codes_sent"] >= MAX_CODES_SENT:
        raise CodeUnusable(
            N_("%(max_codes_sent)s codes were sent already; no more are sent"),
            max_codes_sent=MAX_CODES_SENT,
        )
    registered = _registered_for(conn, sig)
    code = _new_code()
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == signature_id)
        .values(
            code_hash=_code_hash(conn, signature_id, code),
            code_expires_at=now + mail.code_ttl,
            code_attempts=0,
            codes_sent=sig["codes_sent"] + 1,
        )
    )
    _mail_code(conn, row, sig, code, mail, sig["codes_sent"] + 1, now, registered=registered)
    return get(conn, signature_id)


def _registered_for(conn: Connection, sig: RowMapping) -> RowMapping | None:
    """The registered organisation a pending signature claims to be, if its name is one's;
    refused when its codes do not go to that organisation's registered contact (the name was
    registered after the claim was made)."""
    registered = _registered(conn, sig["name_key"])
    if registered is None:
        return None
    if (sig["email"] or "").casefold() != registered["contact_email"].casefold():
        raise CodeUnusable(
            N_(
                "%(name)s (%(country)s) is a registered organisation (%(id)s): it signs with its "
                "member token, or without one with its code sent to its registered contact; this "
                "signature cannot be confirmed"
            ),
            name=registered["name"],
            country=registered["country"],
            id=registered["id"],
        )
    return registered


def _check_signer(sig: RowMapping, signer_token: str) -> None:
    if sig["signer_token_hash"] is None or not hmac.compare_digest(
        sig["signer_token_hash"], hash_token(signer_token)
    ):
        raise Forbidden(N_("the signer token does not belong to this signature"))


def withdraw(
    conn: Connection,
    signature_id: str,
    *,
    organisation_id: str | None,
    signer_token: str | None,
    reason: str | None,
    actor: str | None,
    now: datetime | None = None,
) -> RowMapping:
    """Until the close, a signature may be withdrawn: logged, never deleted."""
    now = now or utcnow()
    found = get(conn, signature_id)
    row = gate(conn, found["campaign_id"], now)
    sig = get(conn, signature_id, for_update=True)
    if organisation_id is not None:
        if sig["organisation_id"] != organisation_id:
            raise Forbidden(N_("a member organisation withdraws only its own signature"))
    elif signer_token is not None:
        _check_signer(sig, signer_token)
    else:
        raise Forbidden(
            N_("withdrawing needs the member token or the signer token of the signature")
        )
    if sig["state"] in (WITHDRAWN, LAPSED):
        raise SignatureState(
            N_("signature %(signature_id)s is already %(state)s"),
            signature_id=signature_id,
            state=sig["state"],
        )
    if sig["state"] == CONFIRMED:
        _tally(conn, row, -1, now)  # a milestone once reached stays reached
    conn.execute(
        update(campaign_signature)
        .where(campaign_signature.c.id == signature_id)
        .values(state=WITHDRAWN, withdrawn_at=now, withdraw_reason=reason, code_hash=None)
    )
    audit.append(
        conn,
        audit.campaign_scope(row["id"]),
        "signature.withdrawn",
        {"signature_id": signature_id, "reason": reason},
        actor,
        now,
    )
    return get(conn, signature_id)


def _tally(conn: Connection, campaign_row: RowMapping, delta: int, now: datetime) -> list[int]:
    """Count this write's change of confirmed signatures; record the milestones it reaches,
    once each, and return them. Called last in the write's transaction (see the tally)."""
    milestones: list[int] = campaign_row["milestones"]
    if not milestones:
        return []
    cid = campaign_row["id"]
    count, reached = conn.execute(
        update(campaign_tally)
        .where(campaign_tally.c.campaign_id == cid)
        .values(confirmed=campaign_tally.c.confirmed + delta)
        .returning(campaign_tally.c.confirmed, campaign_tally.c.reached)
    ).one()
    made = [m for m in milestones[reached:] if m <= count]
    if not made:
        return []
    for threshold in made:
        conn.execute(
            campaign_milestone.insert().values(
                campaign_id=cid, threshold=threshold, count=count, reached_at=now
            )
        )
        audit.append(
            conn,
            audit.campaign_scope(cid),
            "milestone.reached",
            {"threshold": threshold, "count": count},
            None,
            now,
        )
    conn.execute(
        update(campaign_tally)
        .where(campaign_tally.c.campaign_id == cid)
        .values(reached=reached + len(made))
    )
    return made


def counts(conn: Connection, campaign_id: str) -> dict[str, int]:
    rows = conn.execute(
        select(campaign_signature.c.state, func.count())
        .where(campaign_signature.c.campaign_id == campaign_id)
        .group_by(campaign_signature.c.state)
    )
    found = {PENDING: 0, CONFIRMED: 0, WITHDRAWN: 0, LAPSED: 0}
    found.update({state: n for state, n in rows})
    return found


def milestones_reached(conn: Connection, campaign_id: str) -> list[RowMapping]:
    rows = conn.execute(
        select(campaign_milestone)
        .where(campaign_milestone.c.campaign_id == campaign_id)
        .order_by(campaign_milestone.c.threshold)
    )
    return [r._mapping for r in rows]


def signatories(conn: Connection, campaign_id: str) -> list[Signatory]:
    """Every confirmed signature that was not withdrawn: the list published at close."""
    rows = conn.execute(
        select(campaign_signature).where(
            campaign_signature.c.campaign_id == campaign_id,
            campaign_signature.c.state == CONFIRMED,
        )
    )
    return [
        Signatory(
            signature_id=r.id,
            organisation=r.organisation_name,
            country=r.country,
            type=r.org_type,
            region=r.region,
            signed_on=iso(r.confirmed_at)[:10],
            version=r.version,
        )
        for r in rows
    ]


def mail_language(conn: Connection, signature: RowMapping) -> str:
    """The language mail about a signature speaks: its organisation's choice, for a member
    organisation's; else the signer's language when they signed; else English."""
    chosen = None
    if signature["organisation_id"] is not None:
        chosen = registry.get_organisation(conn, signature["organisation_id"])["lang"]
    return known(chosen or signature["lang"])


def member_contact(conn: Connection, signature: RowMapping) -> str:
    """Where a member organisation's signature is written to: its registered contact."""
    org = registry.get_organisation(conn, signature["organisation_id"])
    email: str = org["contact_email"]
    return email


def signed_before(conn: Connection, campaign_id: str, version: int) -> list[RowMapping]:
    """Signatures that still stand under an older version of the statement."""
    rows = conn.execute(
        select(campaign_signature)
        .where(
            campaign_signature.c.campaign_id == campaign_id,
            campaign_signature.c.state.in_((PENDING, CONFIRMED)),
            campaign_signature.c.version < version,
        )
        .order_by(campaign_signature.c.created_at, campaign_signature.c.id)
    )
    return [r._mapping for r in rows]


def of_organisation(conn: Connection, campaign_id: str, organisation_id: str) -> RowMapping | None:
    """The signature an organisation holds in a campaign, in whatever state, if it has one."""
    row = conn.execute(
        select(campaign_signature).where(
            campaign_signature.c.campaign_id == campaign_id,
            campaign_signature.c.organisation_id == organisation_id,
        )
    ).first()
    return None if row is None else row._mapping
