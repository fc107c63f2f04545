"""The words of the mail Mandate sends: subjects and plain-text bodies, nothing else.

Each is said in its recipient's language by the ``Translator`` given (i18n/catalogs.py), one
paragraph per message; codes, addresses and links stand on lines of their own, indented.

No mail ever asks to open a link to confirm: mail scanners open links. Confirmation is a POST
of the one-time code, by the signer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from policies.messages import N_, NP_, Message, Phrase, Translator, phrase, render


def campaign_title(texts: Mapping[str, Mapping[str, str]], lang: str = "en") -> str:
    """The title in the reader's language if there is one, else in English, else in the first
    language by tag."""
    for language in (lang, "en"):
        if language in texts:
            return texts[language]["title"]
    return texts[min(texts)]["title"]


def duration(length: timedelta) -> Phrase:
    """How long, in whole hours, else whole minutes, else seconds."""
    seconds = int(length.total_seconds())
    if seconds >= 3600 and seconds % 3600 == 0:
        return phrase(NP_("%(n)s hour", "%(n)s hours"), n=seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return phrase(NP_("%(n)s minute", "%(n)s minutes"), n=seconds // 60)
    return phrase(NP_("%(n)s second", "%(n)s seconds"), n=seconds)


def _said(t: Translator, message: Message, **params: object) -> str:
    return render(message, params, t)


def _body(paragraphs: Sequence[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def confirmation(
    t: Translator,
    *,
    title: str,
    signature_id: str,
    organisation: str,
    code: str,
    api_url: str,
    valid_for: timedelta,
    registered: bool = False,
) -> tuple[str, str]:
    # Not in the subject: the delivery log keeps subjects, and shows them to the managers.
    subject = _said(t, N_("Your confirmation code for \u201c%(title)s\u201d"), title=title)
    asked = (
        N_(
            "Someone asked to sign the joint statement \u201c%(title)s\u201d on behalf of "
            "%(organisation)s; this is the contact address registered for it."
        )
        if registered
        else N_(
            "Someone asked to sign the joint statement \u201c%(title)s\u201d on behalf of "
            "%(organisation)s; this is the address given."
        )
    )
    body = _body(
        [
            _said(t, asked, title=title, organisation=organisation),
            _said(t, N_("Your confirmation code is:")),
            f"    {code}",
            _said(
                t,
                N_(
                    "Enter it where you signed. The signature is pending until it is confirmed; "
                    "it counts only if it is confirmed before the campaign closes. The code is "
                    "valid for %(valid_for)s."
                ),
                valid_for=duration(valid_for),
            ),
            _said(
                t,
                N_(
                    "Opening this message or any link does not confirm anything. To confirm by "
                    "hand, send the code in a POST request:"
                ),
            ),
            f"    POST {api_url}/v1/signatures/{signature_id}/confirmation\n"
            f'    {{"code": "{code}"}}',
            _said(
                t,
                N_(
                    "If you did not ask for this, ignore this message: nothing is signed "
                    "without the code."
                ),
            ),
        ]
    )
    return subject, body


def milestone(
    t: Translator, *, title: str, threshold: int, count: int, api_url: str, campaign_id: str
) -> tuple[str, str]:
    subject = _said(
        t,
        NP_(
            "\u201c%(title)s\u201d has %(n)s signatory",
            "\u201c%(title)s\u201d has %(n)s signatories",
        ),
        title=title,
        n=threshold,
    )
    body = _body(
        [
            _said(
                t,
                NP_(
                    "The joint statement \u201c%(title)s\u201d has reached %(n)s confirmed "
                    "signatory (%(count)s when it was counted).",
                    "The joint statement \u201c%(title)s\u201d has reached %(n)s confirmed "
                    "signatories (%(count)s when it was counted).",
                ),
                title=title,
                n=threshold,
                count=count,
            ),
            _said(t, N_("The campaign: %(url)s"), url=f"{api_url}/v1/campaigns/{campaign_id}"),
        ]
    )
    return subject, body


def closed(
    t: Translator,
    *,
    title: str,
    counts: Mapping[str, Any],
    record_hash: str,
    api_url: str,
    campaign_id: str,
) -> tuple[str, str]:
    total = counts["total"]
    lines = [f"  {region}: {n}" for region, n in counts["by_region"].items()]
    subject = _said(
        t,
        NP_(
            "\u201c%(title)s\u201d closed with %(n)s signatory",
            "\u201c%(title)s\u201d closed with %(n)s signatories",
        ),
        title=title,
        n=total,
    )
    signatories = f"{api_url}/v1/campaigns/{campaign_id}/signatories"
    body = _body(
        [
            _said(t, N_("The sign-on window of \u201c%(title)s\u201d has closed."), title=title),
            _said(
                t,
                NP_(
                    "%(n)s organisation signed. By region:",
                    "%(n)s organisations signed. By region:",
                ),
                n=total,
            )
            + "\n"
            + ("\n".join(lines) or "  " + _said(t, N_("(none)"))),
            _said(t, N_("The signed signatory list (SHA-256 %(hash)s):"), hash=record_hash)
            + f"\n  {signatories}\n  {signatories}.csv",
        ]
    )
    return subject, body


def new_version(
    t: Translator,
    *,
    title: str,
    organisation: str,
    signed_version: int,
    version: int,
    reason: str,
    api_url: str,
    campaign_id: str,
    signature_id: str,
) -> tuple[str, str]:
    subject = _said(
        t,
        N_("\u201c%(title)s\u201d was corrected (version %(version)s)"),
        title=title,
        version=version,
    )
    body = _body(
        [
            _said(
                t,
                N_(
                    "%(organisation)s signed version %(signed_version)s of the joint statement "
                    "\u201c%(title)s\u201d. The statement has been corrected; version %(version)s "
                    "is now the current text."
                ),
                organisation=organisation,
                signed_version=signed_version,
                title=title,
                version=version,
            ),
            _said(t, N_("The reason given: %(reason)s"), reason=reason),
            _said(
                t,
                N_("Read every version: %(url)s"),
                url=f"{api_url}/v1/campaigns/{campaign_id}/versions",
            ),
            _said(
                t,
                N_(
                    "Your signature stands, under the version you signed, unless you withdraw "
                    "it before the campaign closes (POST %(url)s)."
                ),
                url=f"{api_url}/v1/signatures/{signature_id}/withdrawal",
            ),
        ]
    )
    return subject, body
