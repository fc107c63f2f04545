"""A whole round's notices over real SMTP and a real webhook receiver: every member organisation
is told of the publication, each phase opening, an extension and the outcome in its own
language; 'closing soon' reminders go only to those who have not acted; the nominee is asked
for consent by mail and the nominator told the answer; the notice log shows it all; webhooks
verify with the standardwebhooks library."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from email.message import EmailMessage
from typing import Any

from standardwebhooks import Webhook

from i18n.catalogs import Catalogs
from policies.messages import N_, Message, render
from tests.api.conftest import Notices, make_world, org_body
from tests.api.test_rounds_api import at, wait_phase
from tests.receivers import SmtpServer

LANGS = ("en", "fr", "es", "ar")
CATALOGS = Catalogs.load()
TOKEN = re.compile(r'"token": "([^"]+)"')


def said(lang: str, message: Message, **params: object) -> str:
    return render(message, params, CATALOGS[lang])


async def mail(smtp: SmtpServer, to: str, subject: str, within: float = 20) -> EmailMessage:
    return await asyncio.to_thread(smtp.wait_for, within, to=to, subject=subject)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


async def test_a_round_tells_every_member_in_its_language(notices: Notices) -> None:
    api, smtp, hooks = notices.api, notices.smtp, notices.hooks
    s = api.secretariat
    w = await make_world(api)
    c, k = w.constituency, w.coordinator
    members: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        address = f"{lang}-{uuid.uuid4().hex[:8]}@example.org"
        org = await api.ok(
            "POST", "/v1/organisations", s, org_body(contact_email=address, lang=lang)
        )
        await api.ok("POST", f"/v1/constituencies/{c}/members", k, {"organisation_id": org["id"]})
        token = await api.ok("POST", f"/v1/constituencies/{c}/members/{org['id']}/tokens", k, {})
        members[lang] = {"id": org["id"], "to": address, "token": token["token"]}
    # The first member of the world has no language and shares an address: leave it out.
    await api.ok("DELETE", f"/v1/constituencies/{c}/members/{w.member_org}", k)

    hook = await api.ok("POST", f"/v1/constituencies/{c}/webhooks", k, {"url": hooks.url})
    secret = hook["secret"]

    title = f"Forum {uuid.uuid4().hex[:6]}"
    body = {
        "title": title,
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": c, "seats": 1}],
        # Windows long enough that, on a busy machine, the nomination, consent and endorsement
        # land before the closing-soon reminder (5 s before the close) is decided.
        "schedule": {
            "nominations_open_at": at(1.5),
            "nominations_close_at": at(30),
            "voting_open_at": at(30.5),
            "voting_close_at": at(40),
        },
    }
    rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    base = f"/v1/rounds/{rid}/constituencies/{c}"
    await api.ok("PUT", f"{base}/rules", k, {"reminders": ["PT5S"]})
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    criteria = (await api.ok("GET", f"/v1/rounds/{rid}/criteria"))["criteria"]
    assert criteria["reminders"] == {c: ["PT5S"]}
    assert criteria["participants"][0]["rules"]["reminders"] == ["PT5S"]

    # Publication: each member, in its language, with the whole schedule.
    for lang, m in members.items():
        subject = said(lang, N_("The round \u201c%(title)s\u201d is published"), title=title)
        if lang != "en":
            assert subject != said("en", N_("The round \u201c%(title)s\u201d is published"))
        got = await mail(smtp, m["to"], subject)
        text = text_of(got)
        assert said(lang, N_("Voting closes:")) in text
        assert "PT5S" in text

    await wait_phase(api, rid, "nominations_open")
    for lang, m in members.items():
        await mail(
            smtp,
            m["to"],
            said(lang, N_("Nominations are open in \u201c%(title)s\u201d"), title=title),
        )

    # The nominee is asked by mail, in the language given, and answers with the mailed token.
    nominee = f"nominee-{uuid.uuid4().hex[:8]}@example.org"
    made = await api.ok(
        "POST",
        f"{base}/nominations",
        members["en"]["token"],
        {
            "nominee_name": "Amina Diallo",
            "organisation_id": members["en"]["id"],
            "statement": {"en": "I speak for us"},
            "nominee_email": nominee,
            "nominee_lang": "es",
        },
    )
    nid = made["nomination"]["id"]
    asked = await mail(
        smtp, nominee, said("es", N_("You are nominated in \u201c%(title)s\u201d"), title=title)
    )
    found = TOKEN.search(text_of(asked))
    assert found is not None
    assert found.group(1) == made["consent_token"]
    await api.ok(
        "POST",
        f"/v1/nominations/{nid}/consent",
        None,
        {"token": found.group(1), "decision": "accept"},
    )
    await mail(
        smtp,
        members["en"]["to"],
        said("en", N_("%(nominee)s accepted the nomination"), nominee="Amina Diallo"),
    )
    await api.ok("POST", f"/v1/nominations/{nid}/endorsements", members["fr"]["token"])

    # Closing soon: only those who neither nominated nor endorsed.
    remind = N_("Reminder: nominations in \u201c%(title)s\u201d close soon")
    for lang in ("es", "ar"):
        await mail(smtp, members[lang]["to"], said(lang, remind, title=title), within=45)

    await wait_phase(api, rid, "voting_open", within=45)
    for lang in ("en", "fr"):
        assert not smtp.messages(to=members[lang]["to"], subject=said(lang, remind, title=title))
    for lang, m in members.items():
        await mail(
            smtp, m["to"], said(lang, N_("Voting is open in \u201c%(title)s\u201d"), title=title)
        )

    # An extension, with its reason; the voting reminder moves with the deadline.
    await api.ok(
        "POST",
        f"/v1/rounds/{rid}/extend",
        s,
        {"deadline": "voting_close", "new_at": at(25), "reason": "a holiday"},
    )
    for lang, m in members.items():
        got = await mail(
            smtp,
            m["to"],
            said(lang, N_("A deadline of \u201c%(title)s\u201d was extended"), title=title),
        )
        assert "a holiday" in text_of(got)
    for lang in ("en", "fr"):
        await api.ok("PUT", f"{base}/ballot", members[lang]["token"], {"approvals": [nid]})

    vote = N_("Reminder: voting in \u201c%(title)s\u201d closes soon")
    for lang in ("es", "ar"):
        await mail(smtp, members[lang]["to"], said(lang, vote, title=title), within=45)
    await wait_phase(api, rid, "decided", within=60)
    for lang, m in members.items():
        got = await mail(
            smtp,
            m["to"],
            said(lang, N_("The outcome of \u201c%(title)s\u201d is published"), title=title),
        )
        assert "Amina Diallo" in text_of(got)
    for lang in ("en", "fr"):
        assert not smtp.messages(to=members[lang]["to"], subject=said(lang, vote, title=title))
    # Each notice once: publication, two openings, the extension, the outcome; a reminder of
    # each deadline to those who had not acted; the nominator's answer.
    counts = {lang: len(smtp.messages(to=m["to"])) for lang, m in members.items()}
    assert counts == {"en": 6, "fr": 5, "es": 7, "ar": 7}

    # The notice log: the coordinator sees every member's; each member only its own.
    log = (await api.ok("GET", f"/v1/rounds/{rid}/notices", k))["notices"]
    kinds = {(n["kind"], n["organisation_id"], n["status"]) for n in log}
    for m in members.values():
        for kind in ("published", "phase_opened", "deadline_extended", "outcome"):
            assert (kind, m["id"], "sent") in kinds, kind
    skipped = {n["organisation_id"] or n["person"] for n in log if n["skip_reason"] == "acted"}
    assert skipped == {members["en"]["id"], members["fr"]["id"], f"nominee:{nid}"}
    assert all("to_address" not in n for n in log)
    own = (await api.ok("GET", f"/v1/rounds/{rid}/notices", members["ar"]["token"]))["notices"]
    assert own
    assert {n["organisation_id"] for n in own} == {members["ar"]["id"]}
    assert {n["lang"] for n in own} == {"ar"}
    r = await api.call("GET", f"/v1/rounds/{rid}/notices", w.other_coordinator)
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    r = await api.call("GET", f"/v1/rounds/{rid}/notices")
    assert r.status_code == 401

    # Open data: the notices sent, by organisation, kind and time; no address.
    exported = await api.call("GET", f"/v1/rounds/{rid}/exports/notices.csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert "@" not in exported.text
    told = {(r["organisation_id"], r["kind"], r["status"]) for r in rows}
    for m in members.values():
        assert (m["id"], "published", "sent") in told
        assert (m["id"], "outcome", "sent") in told
    # Skipped: reminders to those who had acted, and the voting reminders the extension moved.
    assert {r["skip_reason"] for r in rows if r["status"] == "skipped"} == {"acted", "rescheduled"}

    # Webhooks: Standard Webhooks, verified with the library a receiver would use.
    delivered = await asyncio.to_thread(
        hooks.wait_for,
        lambda ds: {"round.published", "round.outcome"} <= {d.event["type"] for d in ds},
        20,
    )
    receiver = Webhook(secret)
    for d in delivered:
        event: dict[str, Any] = receiver.verify(d.body, d.headers)
        assert event["data"]["round_id"] == rid
    types = [d.event["type"] for d in delivered]
    [listed] = await api.ok("GET", f"/v1/constituencies/{c}/webhooks", k)
    assert listed["id"] == hook["webhook"]["id"]
    assert listed["deliveries"]["sent"] >= 1
    assert listed["deliveries"]["failed"] == 0
    assert types.count("round.phase_opened") == 2
    assert "round.deadline_extended" in types
