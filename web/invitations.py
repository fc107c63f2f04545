"""Invitations to sign in: a one-time sign-in link (store/web_sessions.py) mailed to a member
organisation's registered contact, or to a newly appointed coordinator, in the language the
sender chose.

The link is the sign-in flow's own: it lasts ``MANDATE_WEB_SIGN_IN_TTL`` seconds, works once,
and only a POST on the page it opens signs in; the mail says how to ask for a new one. The
mails count against the same per-recipient budget as sign-in mails, so that nobody can flood
an address through invitations.
"""

from __future__ import annotations

import gettext
import hashlib
from datetime import timedelta

from limits import parse_many
from sqlalchemy import Connection

from policies.errors import MailBudgetSpent
from store import outbox, rate_limits, web_sessions
from web.pages import Web

PURPOSE = "invitation"


def words(
    translations: gettext.NullTranslations,
    *,
    inviter: str,
    constituency: str,
    link: str,
    sign_in: str,
    minutes: int,
) -> tuple[str, str]:
    """Subject and body of an invitation mail."""
    _ = translations.gettext
    subject = _("Invitation to %(constituency)s on Mandate") % {"constituency": constituency}
    lines = [
        _("%(inviter)s invites you to take part in %(constituency)s on Mandate.")
        % {"inviter": inviter, "constituency": constituency},
        "",
        _("To sign in, open this link and press the button on the page it shows:"),
        "",
        f"    {link}",
        "",
        _("The link works once, within %(minutes)s minutes. Opening it alone signs nobody in.")
        % {"minutes": minutes},
        _(
            "If it has expired, ask for a new link at %(address)s with this e-mail address: "
            "it is the one registered for you."
        )
        % {"address": sign_in},
        "",
        _("If you did not expect this, ignore this message: nobody can sign in without it."),
    ]
    return subject, "\n".join(lines) + "\n"


def send(
    conn: Connection,
    web: Web,
    *,
    email: str,
    lang: str,
    inviter: str,
    constituency: str,
) -> bool:
    """Queue the invitation; False when the address may sign in as nobody (nothing is sent)."""
    settings = web.svc.settings
    budget = parse_many(settings.code_mails_per_recipient) if settings.rate_limits_enabled else []
    recipient = web.svc.db.server_secret.mac("mandate.sign-in/1", email.casefold())
    over = rate_limits.hit(conn, budget, "sign-in-mail", "recipient", recipient)
    if over is not None:
        raise MailBudgetSpent(f"sign-in mails to this address: {over[0]}", over[1])
    ttl = timedelta(seconds=settings.web_sign_in_ttl)
    token = web_sessions.request_link(conn, email, lang, ttl)
    if token is None:
        return False
    subject, body = words(
        web.translations[lang],
        inviter=inviter,
        constituency=constituency,
        link=f"{settings.api_url}/sign-in/{token}",
        sign_in=f"{settings.api_url}/sign-in",
        minutes=max(1, settings.web_sign_in_ttl // 60),
    )
    outbox.enqueue(
        conn,
        dedup_key=f"invitation:{hashlib.sha256(token.encode()).hexdigest()}",
        purpose=PURPOSE,
        to=email,
        subject=subject,
        body=body,
    )
    return True
