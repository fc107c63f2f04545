"""The words of a round's notices: subjects and plain-text bodies, in the reader's language.

Each function takes the ``Translator`` of the recipient's language (i18n/catalogs.py) and the
specifics, and returns ``(subject, body)``. Times are said in UTC, as ``2026-05-04 12:00 UTC``;
links and codes stand on lines of their own, indented. No mail asks to open a link to answer:
a consent is given by a POST, on the page or by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from policies.messages import N_, NP_, Message, Translator, render


def when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _said(t: Translator, message: Message, **params: object) -> str:
    return render(message, params, t)


def _body(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def published(
    t: Translator,
    *,
    title: str,
    constituency: str,
    seats: int,
    schedule: Mapping[str, datetime],
    method: str,
    endorsements: int,
    reminders: Sequence[str],
    criteria_hash: str,
    criteria_url: str,
) -> tuple[str, str]:
    subject = _said(t, N_("The round \u201c%(title)s\u201d is published"), title=title)
    labels = (
        ("nominations_open_at", N_("Nominations open:")),
        ("nominations_close_at", N_("Nominations close:")),
        ("voting_open_at", N_("Voting opens:")),
        ("voting_close_at", N_("Voting closes:")),
    )
    lines = "\n".join(f"  {_said(t, label)} {when(schedule[key])}" for key, label in labels)
    body = _body(
        [
            _said(
                t,
                NP_(
                    "The selection round \u201c%(title)s\u201d is published. Your organisation is "
                    "a member of %(constituency)s, which selects %(n)s representative in it.",
                    "The selection round \u201c%(title)s\u201d is published. Your organisation is "
                    "a member of %(constituency)s, which selects %(n)s representatives in it.",
                ),
                title=title,
                constituency=constituency,
                n=seats,
            ),
            _said(t, N_("The whole schedule:")) + "\n" + lines,
            _said(t, N_("The criteria of %(constituency)s:"), constituency=constituency)
            + "\n  "
            + _said(t, N_("Selection method: %(method)s"), method=method)
            + "\n  "
            + _said(
                t,
                NP_(
                    "A nomination needs %(n)s endorsement.",
                    "A nomination needs %(n)s endorsements.",
                ),
                n=endorsements,
            )
            + "\n  "
            + _said(
                t,
                N_("Reminders before each deadline, to those who have not acted: %(reminders)s"),
                reminders=", ".join(reminders),
            ),
            _said(t, N_("The signed criteria (SHA-256 %(hash)s):"), hash=criteria_hash)
            + f"\n  {criteria_url}",
        ]
    )
    return subject, body


def phase_opened(
    t: Translator, *, title: str, constituency: str, phase: str, closes_at: datetime, url: str
) -> tuple[str, str]:
    if phase == "nominations_open":
        subject = _said(t, N_("Nominations are open in \u201c%(title)s\u201d"), title=title)
        text = N_(
            "Nominations for %(constituency)s in the round \u201c%(title)s\u201d are open until "
            "%(closes_at)s. Your organisation may nominate a person or endorse a nomination."
        )
    else:
        subject = _said(t, N_("Voting is open in \u201c%(title)s\u201d"), title=title)
        text = N_(
            "Voting for %(constituency)s in the round \u201c%(title)s\u201d is open until "
            "%(closes_at)s. Your organisation may cast its ballot."
        )
    body = _body(
        [
            _said(t, text, constituency=constituency, title=title, closes_at=when(closes_at)),
            _said(t, N_("The round:")) + f"\n  {url}",
        ]
    )
    return subject, body


def deadline_extended(
    t: Translator, *, title: str, deadline: str, old: datetime, new: datetime, reason: str, url: str
) -> tuple[str, str]:
    subject = _said(t, N_("A deadline of \u201c%(title)s\u201d was extended"), title=title)
    text = (
        N_(
            "The close of nominations in the round \u201c%(title)s\u201d was moved from "
            "%(old)s to %(new)s."
        )
        if deadline == "nominations_close"
        else N_(
            "The close of voting in the round \u201c%(title)s\u201d was moved from %(old)s to "
            "%(new)s."
        )
    )
    body = _body(
        [
            _said(t, text, title=title, old=when(old), new=when(new)),
            _said(t, N_("The reason given: %(reason)s"), reason=reason),
            _said(t, N_("The round:")) + f"\n  {url}",
        ]
    )
    return subject, body


def reminder(
    t: Translator, *, title: str, constituency: str, action: str, closes_at: datetime, url: str
) -> tuple[str, str]:
    if action == "vote":
        subject = _said(t, N_("Reminder: voting in \u201c%(title)s\u201d closes soon"), title=title)
        text = N_(
            "Your organisation has not voted for %(constituency)s yet. Voting closes at "
            "%(closes_at)s."
        )
    else:
        subject = _said(
            t, N_("Reminder: nominations in \u201c%(title)s\u201d close soon"), title=title
        )
        text = N_(
            "Your organisation has not nominated anyone for %(constituency)s nor endorsed a "
            "nomination yet. Nominations close at %(closes_at)s."
        )
    body = _body(
        [
            _said(t, text, constituency=constituency, closes_at=when(closes_at)),
            _said(t, N_("The round:")) + f"\n  {url}",
        ]
    )
    return subject, body


def outcome(
    t: Translator, *, title: str, constituency: str, winners: Sequence[str], url: str
) -> tuple[str, str]:
    subject = _said(t, N_("The outcome of \u201c%(title)s\u201d is published"), title=title)
    chosen = (
        _said(t, N_("Selected:")) + "\n" + "\n".join(f"  {w}" for w in winners)
        if winners
        else _said(t, N_("No one was selected."))
    )
    body = _body(
        [
            _said(
                t,
                N_(
                    "The outcome for %(constituency)s in the round \u201c%(title)s\u201d is "
                    "published."
                ),
                constituency=constituency,
                title=title,
            ),
            chosen,
            _said(t, N_("The signed outcome:")) + f"\n  {url}",
        ]
    )
    return subject, body


def consent_request(
    t: Translator,
    *,
    title: str,
    constituency: str,
    nominee: str,
    organisation: str,
    closes_at: datetime,
    page_url: str,
    post_url: str,
    token: str,
    reminder: bool = False,
) -> tuple[str, str]:
    subject = (
        _said(t, N_("Reminder: your answer to a nomination in \u201c%(title)s\u201d"), title=title)
        if reminder
        else _said(t, N_("You are nominated in \u201c%(title)s\u201d"), title=title)
    )
    body = _body(
        [
            _said(
                t,
                N_(
                    "%(organisation)s has nominated you, %(nominee)s, to represent "
                    "%(constituency)s in the selection round \u201c%(title)s\u201d."
                ),
                organisation=organisation,
                nominee=nominee,
                constituency=constituency,
                title=title,
            ),
            _said(
                t,
                N_(
                    "You stand only if you consent. Answer before nominations close, at "
                    "%(closes_at)s, on this page:"
                ),
                closes_at=when(closes_at),
            )
            + f"\n  {page_url}",
            _said(t, N_("Or send your answer (accept or decline) in a POST request:"))
            + f'\n    POST {post_url}\n    {{"token": "{token}", "decision": "accept"}}',
            _said(
                t,
                N_(
                    "Opening this message or the page answers nothing. If you do not know this "
                    "organisation, decline or ignore this message."
                ),
            ),
        ]
    )
    return subject, body


def seat_request(
    t: Translator,
    *,
    title: str,
    constituency: str,
    seat: int,
    deadline: datetime,
    nomination_id: str,
) -> tuple[str, str]:
    """The selected person is asked to accept their seat. No token: it is stored as a hash, so
    the mail points to the nomination's link they were given, whose page asks about the seat."""
    subject = _said(
        t,
        N_("You are selected for %(constituency)s: please accept your seat"),
        constituency=constituency,
    )
    body = _body(
        [
            _said(
                t,
                N_(
                    "You have been selected for seat %(seat)s of %(constituency)s in "
                    "\u201c%(round)s\u201d."
                ),
                seat=seat,
                constituency=constituency,
                round=title,
            ),
            _said(
                t,
                N_(
                    "Please accept or decline the seat before %(deadline)s (UTC). Without "
                    "an answer by then, the seat passes to the next alternate."
                ),
                deadline=when(deadline).removesuffix(" UTC"),
            ),
            _said(
                t,
                N_(
                    "Open the link to your nomination %(nomination_id)s that you were "
                    "given: its page now asks about the seat."
                ),
                nomination_id=nomination_id,
            ),
        ]
    )
    return subject, body


def consent_answered(
    t: Translator, *, title: str, constituency: str, nominee: str, decision: str
) -> tuple[str, str]:
    if decision == "accepted":
        subject = _said(t, N_("%(nominee)s accepted the nomination"), nominee=nominee)
        text = N_(
            "%(nominee)s, whom your organisation nominated for %(constituency)s in the round "
            "\u201c%(title)s\u201d, accepted the nomination."
        )
    else:
        subject = _said(t, N_("%(nominee)s declined the nomination"), nominee=nominee)
        text = N_(
            "%(nominee)s, whom your organisation nominated for %(constituency)s in the round "
            "\u201c%(title)s\u201d, declined the nomination."
        )
    body = _body([_said(t, text, nominee=nominee, constituency=constituency, title=title)])
    return subject, body
