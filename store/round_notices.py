"""The notices of a round: queued in the transaction of what causes them, sent when due.

A notice is one row of ``round_notice`` per recipient: a member organisation (at its contact
address, in its language) or a person (a nominee, at the address of the nomination). It is
written with the event (publication, a phase opening, an extension, the outcome, a nomination,
a consent answer), so no event goes without its notices and a retried write queues nothing more
(``dedup_key``). The mail outbox's sender (activities/notices.py) hands each due row to the mail
outbox, in words of the recipient's language (``release_due``), then sends it with retries.

Reminders ("closing soon") are queued at publication with a send time before each deadline
(the rules' ``reminders``) and a ``condition``: when their time comes, the recipients who have
acted already (nominated or endorsed, voted, consented) are skipped, and the skip is recorded.
An extension moves the waiting reminders of the deadline it moves.

The rows are the notice log: who was told what and when, which a coordinator can show and
each organisation can read for itself. Webhook events of the constituency go with the notices
to its members (store/round_webhooks.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, RowMapping, exists, or_, select, update
from sqlalchemy.exc import NoResultFound

from i18n.catalogs import Catalogs
from i18n.languages import known
from policies import round_notices as words
from policies.messages import Translator
from policies.phases import Phase
from policies.rules import SelectionRules
from policies.times import iso
from store import outbox, registry, round_webhooks
from store.db import server_secret, utcnow
from store.tables import (
    ballot,
    constituency,
    constituency_rules,
    endorsement,
    mail_outbox,
    nomination,
    organisation,
    round_,
    round_notice,
)
from store.upsert import insert_ignore

MAIL = "mail"
# Kinds of notice; each has its words in policies/round_notices.py.
PUBLISHED = "published"
PHASE_OPENED = "phase_opened"
DEADLINE_EXTENDED = "deadline_extended"
REMINDER = "reminder"
OUTCOME = "outcome"
CONSENT_REQUEST = "consent_request"
SEAT_REQUEST = "seat_acceptance"  # store/seat_notices.py
CONSENT_ANSWERED = "consent_answered"
READY = "ready"  # words given by the caller (notify_person)
# What a reminder waits for: the action, the deadline it comes before, the phase it needs.
NOMINATE, VOTE, CONSENT = "nominate", "vote", "consent"
CONDITION_PHASE = MappingProxyType({NOMINATE: Phase.NOMINATIONS_OPEN, VOTE: Phase.VOTING_OPEN})
DEADLINE_OF = MappingProxyType(
    {NOMINATE: "nominations_close", VOTE: "voting_close", CONSENT: "nominations_close"}
)
log = logging.getLogger(__name__)
SCHEDULE = ("nominations_open_at", "nominations_close_at", "voting_open_at", "voting_close_at")
SKIP_ACTED, SKIP_CLOSED, SKIP_MOVED = "acted", "phase_over", "rescheduled"
SKIP_ERASED = "erased"
SKIP_UNWRITABLE = "unwritable"
PERSON_PREFIX = "nominee:"


def _where(dedup_key: str) -> str:
    return f"round_notice.params/{dedup_key}"


def _queue(
    conn: Connection,
    *,
    dedup_key: str,
    round_id: str,
    kind: str,
    lang: str | None,
    params: Mapping[str, Any],
    to: str | None,
    constituency_id: str | None = None,
    organisation_id: str | None = None,
    person: str | None = None,
    due_at: datetime | None = None,
    condition: str | None = None,
    deadline: str | None = None,
    before_seconds: int | None = None,
    now: datetime | None = None,
) -> bool:
    now = now or utcnow()
    sealed = server_secret(conn).seal(json.dumps(dict(params), sort_keys=True), _where(dedup_key))
    made = conn.execute(
        insert_ignore(
            conn,
            round_notice,
            {
                "dedup_key": dedup_key,
                "round_id": round_id,
                "constituency_id": constituency_id,
                "kind": kind,
                "organisation_id": organisation_id,
                "person": person,
                "channel": MAIL,
                "to_address": to,
                "lang": lang or "en",
                "params": sealed,
                "condition": condition,
                "deadline": deadline,
                "before_seconds": before_seconds,
                "created_at": now,
                "due_at": due_at or now,
            },
        ).returning(round_notice.c.id)
    ).first()
    return made is not None


def notify_person(
    conn: Connection,
    *,
    round_id: str,
    kind: str,
    to: str,
    language: str,
    subject: str,
    body: str,
    dedup_key: str,
    constituency_id: str | None = None,
    organisation_id: str | None = None,
    person: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a mail whose words the caller made (in ``language``) to one person or
    organisation, and log it as a notice of the round; False when ``dedup_key`` was queued
    before. It goes out with the next batch of the mail outbox."""
    now = now or utcnow()
    made = _queue(
        conn,
        dedup_key=dedup_key,
        round_id=round_id,
        kind=kind,
        lang=language,
        params={},
        to=to,
        constituency_id=constituency_id,
        organisation_id=organisation_id,
        person=person,
        now=now,
    )
    if not made:
        return False
    outbox.enqueue(
        conn,
        dedup_key=dedup_key,
        purpose=f"round.{kind}"[:50],
        to=to,
        subject=subject[:300],
        body=body,
        now=now,
    )
    conn.execute(
        update(round_notice)
        .where(round_notice.c.dedup_key == dedup_key)
        .values(released_at=now, subject=subject[:300], params=None)
    )
    return True


def notify_nominee(
    conn: Connection,
    *,
    round_id: str,
    kind: str,
    nomination_id: str,
    to: str,
    language: str,
    params: Mapping[str, Any],
    dedup_key: str,
    constituency_id: str,
    organisation_id: str,
    now: datetime | None = None,
) -> bool:
    """Queue a notice of ``kind`` to a nominee (words in policies/round_notices.py, in
    ``language``, put together when it is sent); False when ``dedup_key`` was queued before."""
    return _queue(
        conn,
        dedup_key=dedup_key,
        round_id=round_id,
        kind=kind,
        lang=language,
        params={**params, "nomination_id": nomination_id},
        to=to,
        constituency_id=constituency_id,
        organisation_id=organisation_id,
        person=f"nominee:{nomination_id}",
        now=now,
    )


def notify_members(
    conn: Connection,
    *,
    round_id: str,
    kind: str,
    params: Mapping[str, Any],
    dedup_key: str,
    constituency_ids: Sequence[str] | None = None,
    due_at: datetime | None = None,
    condition: str | None = None,
    before_seconds: int | None = None,
    webhook: bool = True,
    now: datetime | None = None,
) -> int:
    """Queue a notice of ``kind`` (words in policies/round_notices.py, in each member's language)
    to every member organisation of the constituencies (all the round's by default), and the
    matching webhook event; returns how many notices were new."""
    now = now or utcnow()
    if constituency_ids is None:
        constituency_ids = _participants(conn, round_id)
    made = 0
    for cid in constituency_ids:
        for org in registry.list_members(conn, cid):
            made += _queue(
                conn,
                dedup_key=f"{dedup_key}:{cid}:{org['id']}",
                round_id=round_id,
                kind=kind,
                lang=org["lang"],
                params=params,
                to=org["contact_email"],
                constituency_id=cid,
                organisation_id=org["id"],
                due_at=due_at,
                condition=condition,
                deadline=None if condition is None else DEADLINE_OF[condition],
                before_seconds=before_seconds,
                now=now,
            )
        if webhook:
            round_webhooks.queue_event(
                conn,
                round_id=round_id,
                constituency_id=cid,
                event_type=f"round.{kind}",
                data=_public(params),
                message_id=f"{dedup_key}:{cid}",
                now=now,
            )
    return made


def _public(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if not k.startswith("_")}


def _participants(conn: Connection, round_id: str) -> list[str]:
    row = conn.execute(select(round_.c.participants).where(round_.c.id == round_id)).one()
    return [str(p["constituency_id"]) for p in row.participants]


# -- the events


def published(conn: Connection, row: RowMapping, reminders: Mapping[str, Sequence[int]]) -> None:
    """The round is published: tell every member, and plan the reminders before each deadline
    (``reminders``: seconds before, per constituency)."""
    notify_members(conn, round_id=row["id"], kind=PUBLISHED, params={}, dedup_key=_key(row, "pub"))
    for cid, befores in reminders.items():
        for action, column, opens in (
            (NOMINATE, "nominations_close_at", "nominations_open_at"),
            (VOTE, "voting_close_at", "voting_open_at"),
        ):
            _plan(conn, row, cid, action, row[column], row[opens], befores)


def _plan(
    conn: Connection,
    row: RowMapping,
    cid: str,
    action: str,
    closes_at: datetime,
    opens_at: datetime,
    befores: Iterable[int],
) -> None:
    for before in befores:
        at = closes_at - timedelta(seconds=before)
        if at <= opens_at:
            continue  # before the window opens: nothing to remind of yet
        notify_members(
            conn,
            round_id=row["id"],
            kind=REMINDER,
            params={"action": action},
            dedup_key=_key(row, f"remind:{action}:{iso(at)}"),
            constituency_ids=[cid],
            due_at=at,
            condition=action,
            before_seconds=before,
            webhook=False,
        )


def _key(row: RowMapping, what: str) -> str:
    return f"round:{row['id']}:{what}"


def phase_opened(conn: Connection, round_id: str, phase: Phase) -> None:
    if phase in (Phase.NOMINATIONS_OPEN, Phase.VOTING_OPEN):
        notify_members(
            conn,
            round_id=round_id,
            kind=PHASE_OPENED,
            params={"phase": phase.value},
            dedup_key=f"round:{round_id}:phase:{phase.value}",
        )


def extended(
    conn: Connection, row: RowMapping, deadline: str, old: datetime, new: datetime, reason: str
) -> None:
    """A deadline moved: tell the members, and move the reminders that wait for it."""
    notify_members(
        conn,
        round_id=row["id"],
        kind=DEADLINE_EXTENDED,
        params={"deadline": deadline, "from": iso(old), "to": iso(new), "reason": reason},
        dedup_key=_key(row, f"extended:{deadline}:{iso(new)}"),
    )
    now = utcnow()
    waiting = conn.execute(
        select(round_notice).where(
            round_notice.c.round_id == row["id"],
            round_notice.c.deadline == deadline,
            round_notice.c.released_at.is_(None),
            round_notice.c.skipped_at.is_(None),
        )
    ).all()
    for r in waiting:
        m = r._mapping
        at = new - timedelta(seconds=m["before_seconds"] or 0)
        conn.execute(
            update(round_notice)
            .where(round_notice.c.id == m["id"])
            .values(skipped_at=now, skip_reason=SKIP_MOVED)
        )
        _queue(
            conn,
            dedup_key=f"{m['dedup_key']}>{iso(at)}"[-200:],
            round_id=m["round_id"],
            kind=m["kind"],
            lang=m["lang"],
            params=_params(conn, m),
            to=m["to_address"],
            constituency_id=m["constituency_id"],
            organisation_id=m["organisation_id"],
            person=m["person"],
            due_at=at,
            condition=m["condition"],
            deadline=m["deadline"],
            before_seconds=m["before_seconds"],
            now=now,
        )


def outcome(conn: Connection, round_id: str, constituency_id: str, data: Mapping[str, Any]) -> None:
    notify_members(
        conn,
        round_id=round_id,
        kind=OUTCOME,
        params=data,
        dedup_key=f"round:{round_id}:outcome",
        constituency_ids=[constituency_id],
    )


def nominated(
    conn: Connection,
    row: RowMapping,
    token: str,
    lang: str | None,
    befores: Sequence[int],
) -> None:
    """Ask the nominee for consent by mail, when the nomination gives their address, and
    remind them before nominations close if they have not answered."""
    to = row["nominee_email"]
    if not to:
        return
    org = registry.get_organisation(conn, row["organisation_id"])
    language = lang or org["lang"]
    nid = row["id"]
    common = {
        "round_id": row["round_id"],
        "kind": CONSENT_REQUEST,
        "lang": language,
        "to": to,
        "constituency_id": row["constituency_id"],
        "organisation_id": None,
        "person": PERSON_PREFIX + nid,
    }
    params = {"nomination_id": nid, "_token": token}
    _queue(conn, dedup_key=f"nomination:{nid}:consent", params=params, **common)
    closes_at = conn.execute(
        select(round_.c.nominations_close_at).where(round_.c.id == row["round_id"])
    ).scalar_one()
    now = utcnow()
    for before in befores:
        at = closes_at - timedelta(seconds=before)
        if at <= now:
            continue
        _queue(
            conn,
            dedup_key=f"nomination:{nid}:consent:remind:{iso(at)}",
            params={**params, "reminder": True},
            due_at=at,
            condition=CONSENT,
            deadline=DEADLINE_OF[CONSENT],
            before_seconds=before,
            **common,
        )


def consent_answered(conn: Connection, row: RowMapping) -> None:
    """Tell the nominating organisation the nominee's answer."""
    org = registry.get_organisation(conn, row["organisation_id"])
    _queue(
        conn,
        dedup_key=f"nomination:{row['id']}:answer:{row['consent']}",
        round_id=row["round_id"],
        kind=CONSENT_ANSWERED,
        lang=org["lang"],
        params={"nomination_id": row["id"], "decision": row["consent"]},
        to=org["contact_email"],
        constituency_id=row["constituency_id"],
        organisation_id=org["id"],
    )


# -- sending


def _params(conn: Connection, row: Mapping[Any, Any]) -> dict[str, Any]:
    if row["params"] is None:
        return {}
    opened: dict[str, Any] = json.loads(
        server_secret(conn).open(row["params"], _where(row["dedup_key"]))
    )
    return opened


def _acted(conn: Connection, row: Mapping[Any, Any], params: Mapping[str, Any]) -> bool:
    condition, rid, cid, org = (
        row["condition"],
        row["round_id"],
        row["constituency_id"],
        row["organisation_id"],
    )
    if condition == NOMINATE:
        nominated_ = select(nomination.c.id).where(
            nomination.c.round_id == rid,
            nomination.c.constituency_id == cid,
            nomination.c.organisation_id == org,
        )
        endorsed = (
            select(endorsement.c.nomination_id)
            .join(nomination, nomination.c.id == endorsement.c.nomination_id)
            .where(
                nomination.c.round_id == rid,
                nomination.c.constituency_id == cid,
                endorsement.c.organisation_id == org,
            )
        )
        return bool(conn.execute(select(or_(exists(nominated_), exists(endorsed)))).scalar())
    if condition == VOTE:
        voted = select(ballot.c.id).where(
            ballot.c.round_id == rid,
            ballot.c.constituency_id == cid,
            ballot.c.voter_organisation_id == org,
        )
        return bool(conn.execute(select(exists(voted))).scalar())
    if condition == CONSENT:
        answer = conn.execute(
            select(nomination.c.consent, nomination.c.erased_at, nomination.c.withdrawn_at).where(
                nomination.c.id == params["nomination_id"]
            )
        ).one()
        return bool(
            answer.consent != "pending"
            or answer.erased_at is not None
            or answer.withdrawn_at is not None
        )
    return False


def _open_for(condition: str, phase: str) -> bool:
    needed = CONDITION_PHASE.get(condition, Phase.NOMINATIONS_OPEN)
    return phase == needed.value


def any_due(conn: Connection, now: datetime) -> bool:
    found = conn.execute(
        select(round_notice.c.id)
        .where(
            round_notice.c.released_at.is_(None),
            round_notice.c.skipped_at.is_(None),
            round_notice.c.due_at <= now,
        )
        .limit(1)
    ).first()
    return found is not None


def release_due(
    conn: Connection, catalogs: Catalogs, api_url: str, now: datetime, limit: int = 200
) -> int:
    """Hand the notices due by ``now`` to the mail outbox, in their recipients' words (from
    ``catalogs``, with links to ``api_url``); reminders to those who have acted, or whose
    window has closed, are skipped and recorded. Returns how many were handed."""
    rows = conn.execute(
        select(round_notice)
        .where(
            round_notice.c.released_at.is_(None),
            round_notice.c.skipped_at.is_(None),
            round_notice.c.due_at <= now,
        )
        .order_by(round_notice.c.due_at, round_notice.c.id)
        .limit(limit)
    ).all()
    handed = 0
    rounds_seen: dict[str, RowMapping] = {}
    for r in rows:
        row = r._mapping
        rid = row["round_id"]
        if rid not in rounds_seen:
            rounds_seen[rid] = conn.execute(select(round_).where(round_.c.id == rid)).one()._mapping
        round_row = rounds_seen[rid]
        params = _params(conn, row)
        skip = None
        if row["to_address"] is None:
            skip = SKIP_ERASED
        elif row["condition"] is not None:
            if not _open_for(row["condition"], round_row["phase"]):
                skip = SKIP_CLOSED
            elif _acted(conn, row, params):
                skip = SKIP_ACTED
        if skip is not None:
            conn.execute(
                update(round_notice)
                .where(round_notice.c.id == row["id"])
                .values(skipped_at=now, skip_reason=skip, params=None)
            )
            continue
        try:
            subject, body = _words(
                conn, row, round_row, params, catalogs[known(row["lang"])], api_url
            )
        except (LookupError, ValueError, NoResultFound) as exc:
            # A kind without words here, or what it names is gone: recorded, and the rest goes.
            log.error("round notice %s cannot be written: %r", row["dedup_key"], exc)
            conn.execute(
                update(round_notice)
                .where(round_notice.c.id == row["id"])
                .values(skipped_at=now, skip_reason=SKIP_UNWRITABLE, params=None)
            )
            continue
        outbox.enqueue(
            conn,
            dedup_key=row["dedup_key"],
            purpose=f"round.{row['kind']}"[:50],
            to=row["to_address"],
            subject=subject[:300],
            body=body,
            now=now,
        )
        conn.execute(
            update(round_notice)
            .where(round_notice.c.id == row["id"])
            .values(released_at=now, subject=subject[:300], params=None)
        )
        handed += 1
    return handed


def _words(
    conn: Connection,
    row: Mapping[Any, Any],
    round_row: Mapping[Any, Any],
    params: Mapping[str, Any],
    t: Translator,
    api_url: str,
) -> tuple[str, str]:
    kind, rid, cid = row["kind"], round_row["id"], row["constituency_id"]
    title = round_row["title"]
    place = ""
    if cid is not None:
        place = conn.execute(
            select(constituency.c.name).where(constituency.c.id == cid)
        ).scalar_one()
    round_url = f"{api_url}/v1/rounds/{rid}"
    if kind == PUBLISHED:
        rules_json = conn.execute(
            select(constituency_rules.c.rules).where(
                constituency_rules.c.round_id == rid, constituency_rules.c.constituency_id == cid
            )
        ).scalar_one()
        seats = next(
            int(p["seats"]) for p in round_row["participants"] if p["constituency_id"] == cid
        )
        rules = SelectionRules.from_json({**rules_json, "seats": seats})
        return words.published(
            t,
            title=title,
            constituency=place,
            seats=seats,
            schedule={k: round_row[k] for k in SCHEDULE},
            method=rules.method,
            endorsements=rules.endorsements.required,
            reminders=rules.reminders_in_force,
            criteria_hash=round_row["criteria_hash"] or "",
            criteria_url=f"{round_url}/criteria",
        )
    if kind == PHASE_OPENED:
        closes = (
            "nominations_close_at" if params["phase"] == "nominations_open" else "voting_close_at"
        )
        return words.phase_opened(
            t,
            title=title,
            constituency=place,
            phase=params["phase"],
            closes_at=round_row[closes],
            url=round_url,
        )
    if kind == DEADLINE_EXTENDED:
        return words.deadline_extended(
            t,
            title=title,
            deadline=params["deadline"],
            old=datetime.fromisoformat(params["from"]),
            new=datetime.fromisoformat(params["to"]),
            reason=params["reason"],
            url=round_url,
        )
    if kind == REMINDER:
        closes = "voting_close_at" if params["action"] == VOTE else "nominations_close_at"
        return words.reminder(
            t,
            title=title,
            constituency=place,
            action=params["action"],
            closes_at=round_row[closes],
            url=round_url,
        )
    if kind == OUTCOME:
        names = [_nominee(conn, w) for w in params.get("winners", [])]
        return words.outcome(
            t,
            title=title,
            constituency=place,
            winners=[n for n in names if n],
            url=f"{round_url}/constituencies/{cid}/outcome",
        )
    if kind not in (CONSENT_REQUEST, CONSENT_ANSWERED, SEAT_REQUEST):
        raise LookupError(f"no words for notices of kind {kind}")
    nid = params["nomination_id"]
    if kind == SEAT_REQUEST:
        return words.seat_request(
            t,
            title=title,
            constituency=place,
            seat=int(params["seat"]),
            deadline=datetime.fromisoformat(params["deadline"]),
            nomination_id=nid,
        )
    if kind == CONSENT_REQUEST:
        nom = conn.execute(select(nomination).where(nomination.c.id == nid)).one()._mapping
        org = registry.get_organisation(conn, nom["organisation_id"])
        token = params["_token"]
        return words.consent_request(
            t,
            title=title,
            constituency=place,
            nominee=nom["nominee_name"] or "",
            organisation=org["name"],
            closes_at=round_row["nominations_close_at"],
            page_url=f"{api_url}/consent/{nid}?token={quote(token, safe='')}",
            post_url=f"{api_url}/v1/nominations/{nid}/consent",
            token=token,
            reminder=bool(params.get("reminder")),
        )
    return words.consent_answered(
        t,
        title=title,
        constituency=place,
        nominee=_nominee(conn, nid) or "",
        decision=params["decision"],
    )


def _nominee(conn: Connection, nomination_id: str) -> str | None:
    name: str | None = conn.execute(
        select(nomination.c.nominee_name).where(nomination.c.id == nomination_id)
    ).scalar()
    return name


# -- the log


def _log_query(round_id: str | None = None) -> Any:
    query = select(
        round_notice.c.id,
        round_notice.c.round_id,
        round_notice.c.constituency_id,
        round_notice.c.kind,
        round_notice.c.organisation_id,
        organisation.c.name.label("organisation_name"),
        round_notice.c.person,
        round_notice.c.channel,
        round_notice.c.lang,
        round_notice.c.subject,
        round_notice.c.condition,
        round_notice.c.created_at,
        round_notice.c.due_at,
        round_notice.c.released_at,
        round_notice.c.skipped_at,
        round_notice.c.skip_reason,
        mail_outbox.c.sent_at,
        mail_outbox.c.failed_at,
    ).select_from(
        round_notice.outerjoin(
            organisation, organisation.c.id == round_notice.c.organisation_id
        ).outerjoin(mail_outbox, mail_outbox.c.dedup_key == round_notice.c.dedup_key)
    )
    if round_id is not None:
        query = query.where(round_notice.c.round_id == round_id)
    return query.order_by(round_notice.c.id)


def for_round(
    conn: Connection, round_id: str, constituency_id: str | None = None
) -> list[RowMapping]:
    """The round's notices (one constituency's, when given), oldest first."""
    query = _log_query(round_id)
    if constituency_id is not None:
        query = query.where(round_notice.c.constituency_id == constituency_id)
    return [r._mapping for r in conn.execute(query)]


def for_organisation(
    conn: Connection, organisation_id: str, round_id: str | None = None
) -> list[RowMapping]:
    """The notices an organisation was sent or is due to be sent."""
    query = _log_query(round_id).where(round_notice.c.organisation_id == organisation_id)
    return [r._mapping for r in conn.execute(query)]


def status_of(row: Mapping[Any, Any]) -> str:
    """waiting (not due yet), queued (handed to the mail outbox), sent, skipped or failed."""
    if row["sent_at"] is not None:
        return "sent"
    if row["skipped_at"] is not None:
        return "skipped"
    if row["failed_at"] is not None:
        return "failed"
    return "queued" if row["released_at"] is not None else "waiting"


def public_log(conn: Connection, round_id: str, as_of: datetime) -> list[dict[str, Any]]:
    """The open-data log of the notices to member organisations as it stood at ``as_of``: no
    address, no subject, and nothing of the notices to persons. The same ``as_of`` gives the
    same log later, so a file listed in a signed manifest can be fetched again byte for byte."""

    def by(at: datetime | None) -> datetime | None:
        return at if at is not None and at <= as_of else None

    out = []
    for r in for_round(conn, round_id):
        if r["organisation_id"] is None or r["created_at"] > as_of:
            continue
        then = {
            **r,
            "sent_at": by(r["sent_at"]),
            "skipped_at": by(r["skipped_at"]),
            "failed_at": by(r["failed_at"]),
            "released_at": by(r["released_at"]),
        }
        out.append(
            {
                "constituency_id": r["constituency_id"],
                "kind": r["kind"],
                "organisation_id": r["organisation_id"],
                "organisation": r["organisation_name"],
                "channel": r["channel"],
                "lang": r["lang"],
                "condition": r["condition"],
                "status": status_of(then),
                "queued_at": iso(r["created_at"]),
                "due_at": iso(r["due_at"]),
                "sent_at": None if then["sent_at"] is None else iso(then["sent_at"]),
                "skipped_at": None if then["skipped_at"] is None else iso(then["skipped_at"]),
                "skip_reason": r["skip_reason"] if then["skipped_at"] is not None else None,
            }
        )
    return out


def forget_nominees(conn: Connection, nomination_ids: Any, now: datetime) -> None:
    """The nominees' addresses leave the notice log (``nomination_ids``: a list or a select);
    what was still to be sent to them is not sent."""
    persons = select(PERSON_PREFIX + nomination.c.id).where(nomination.c.id.in_(nomination_ids))
    mine = round_notice.c.person.in_(persons)
    conn.execute(
        update(round_notice)
        .where(mine, round_notice.c.released_at.is_(None), round_notice.c.skipped_at.is_(None))
        .values(skipped_at=now, skip_reason=SKIP_ERASED, params=None)
    )
    conn.execute(
        update(round_notice)
        .where(mine, round_notice.c.to_address.is_not(None))
        .values(to_address=None, params=None)
    )
