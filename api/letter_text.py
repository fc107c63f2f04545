"""What a designation letter says, in the reader's language: the same words on the printable
page (web/) and in the PDF (api/letter_pdf.py), from the API's catalog (i18n/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from policies import rules as r
from policies.messages import N_, Message, Translator, render
from store.letters import Letter
from store.profiles import ERASED

TITLE = N_("Designation letter")
METHODS: Mapping[str, Message] = {
    r.APPROVAL_PHRAGMEN: N_("an approval vote of its member organisations (sequential Phragmén)"),
    r.APPROVAL_EQUAL_SHARES: N_(
        "an approval vote of its member organisations (Method of Equal Shares)"
    ),
    r.APPROVAL_PAV: N_("an approval vote of its member organisations (Proportional Approval)"),
    r.RANKED_STV: N_("a ranked vote of its member organisations (single transferable vote)"),
    r.LOTTERY_UNIFORM: N_("a public lottery among its eligible nominees"),
    r.LOTTERY_MAXIMIN: N_("a public lottery among its eligible nominees (fair maximin)"),
    r.DESIGNATION: N_("a decision of its coordinators, approved by their quorum"),
}
OTHER_METHOD = N_("its published method %(method)s")
SPEAKER_ERASED = N_("the speaker named in the signed record (personal data erased)")
SPEAKER_PRIVATE = N_("the speaker named in the signed record")
SELECTED = N_(
    "%(constituency)s, a constituency of civil-society organisations, has selected "
    "%(speaker)s as its speaker for %(forum)s: seat %(seat)s of %(seats)s."
)
SEGMENTS = N_("Segments of the forum: %(segments)s.")
HOW = N_(
    "The constituency chose by %(method)s, under the round's criteria (version %(version)s), "
    "which were published and signed before nominations opened."
)
RECORD = N_(
    "The selection is a signed outcome record, signed on %(date)s (UTC). This letter states "
    "what that record says, and nothing else."
)
CHECK = N_(
    "To check this letter, enter its code at %(url)s. Anyone can also recompute the code from "
    "the round's signed records, offline."
)
ERASED_NOTE = N_(
    "The speaker's personal data were erased after the selection; the letter still verifies "
    "against the signed record."
)
CODE = N_("Letter code")
SPEAKER = N_("Speaker")
CONSTITUENCY = N_("Selected by")
FORUM = N_("Forum")
ROUND = N_("Round")
CRITERIA = N_("Criteria (SHA-256)")
OUTCOME = N_("Signed outcome record (SHA-256)")
CHECK_AT = N_("Check at")


@dataclass(frozen=True)
class Said:
    """A letter as one language says it."""

    title: str
    paragraphs: list[str]
    details: list[tuple[str, str, str]]  # label, value, kind: code | text | hash (code, hash:
    # left to right)
    check_url: str


def check_url(base_url: str, code: str) -> str:
    """The public page where the code is checked."""
    return f"{base_url.rstrip('/')}/letters?code={quote(code)}"


def said(letter: Letter, base_url: str, translator: Translator | None = None) -> Said:
    def say(message: Message, **params: object) -> str:
        return render(message, params, translator)

    s = letter.statement
    if letter.speaker_name is not None:
        speaker = letter.speaker_name
    else:
        speaker = say(SPEAKER_ERASED if letter.profile == ERASED else SPEAKER_PRIVATE)
    method = METHODS.get(s["method"])
    url = check_url(base_url, letter.code)
    paragraphs = [
        say(
            SELECTED,
            constituency=letter.constituency_name,
            speaker=speaker,
            forum=s["forum"],
            seat=s["seat"],
            seats=s["seats"],
        ),
        say(SEGMENTS, segments="; ".join(seg["title"] for seg in s["segments"])),
        say(
            HOW,
            method=say(method) if method is not None else say(OTHER_METHOD, method=s["method"]),
            version=s["criteria_version"],
        ),
        say(RECORD, date=letter.decided_at.strftime("%Y-%m-%d")),
    ]
    if letter.profile == ERASED:
        paragraphs.append(say(ERASED_NOTE))
    paragraphs.append(say(CHECK, url=url))
    details = [
        (say(CODE), letter.code, "code"),
        (say(SPEAKER), speaker, "text"),
        (say(CONSTITUENCY), letter.constituency_name, "text"),
        (say(FORUM), s["forum"], "text"),
        (say(ROUND), s["round_id"], "hash"),
        (say(CRITERIA), s["criteria_hash"], "hash"),
        (say(OUTCOME), s["outcome_hash"], "hash"),
        (say(CHECK_AT), url, "hash"),
    ]
    return Said(say(TITLE), paragraphs, details, url)
