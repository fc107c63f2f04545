"""The words of the mail Mandate sends: subjects and plain-text bodies, nothing else.

No mail ever asks to open a link to confirm: mail scanners open links. Confirmation is a POST
of the one-time code, by the signer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def campaign_title(texts: Mapping[str, Mapping[str, str]]) -> str:
    """The title in English if there is one, else in the first language by tag."""
    language = "en" if "en" in texts else min(texts)
    return texts[language]["title"]


def confirmation(
    *,
    title: str,
    signature_id: str,
    organisation: str,
    code: str,
    api_url: str,
    valid_for: str,
    registered: bool = False,
) -> tuple[str, str]:
    # Not in the subject: the delivery log keeps subjects, and shows them to the managers.
    subject = f"Your confirmation code for \u201c{title}\u201d"
    whose = "the contact address registered for it" if registered else "the address given"
    body = f"""\
Someone asked to sign the joint statement \u201c{title}\u201d
on behalf of {organisation}; this is {whose}.

Your confirmation code is:

    {code}

Enter it where you signed. The signature is pending until it is confirmed; it counts
only if it is confirmed before the campaign closes. The code is valid for {valid_for}.

Opening this message or any link does not confirm anything. To confirm by hand, send the
code in a POST request:

    POST {api_url}/v1/signatures/{signature_id}/confirmation
    {{"code": "{code}"}}

If you did not ask for this, ignore this message: nothing is signed without the code.
"""
    return subject, body


def milestone(
    *, title: str, threshold: int, count: int, api_url: str, campaign_id: str
) -> tuple[str, str]:
    subject = f"\u201c{title}\u201d has {threshold} signatories"
    body = f"""\
The joint statement \u201c{title}\u201d has reached {threshold} confirmed signatories
({count} when it was counted).

The campaign: {api_url}/v1/campaigns/{campaign_id}
"""
    return subject, body


def closed(
    *, title: str, counts: Mapping[str, Any], record_hash: str, api_url: str, campaign_id: str
) -> tuple[str, str]:
    total = counts["total"]
    lines = [f"  {region}: {n}" for region, n in counts["by_region"].items()]
    subject = f"\u201c{title}\u201d closed with {total} signatories"
    body = (
        f"The sign-on window of \u201c{title}\u201d has closed.\n\n"
        f"{total} organisations signed. By region:\n" + ("\n".join(lines) or "  (none)") + "\n\n"
        f"The signed signatory list (SHA-256 {record_hash}):\n"
        f"  {api_url}/v1/campaigns/{campaign_id}/signatories\n"
        f"  {api_url}/v1/campaigns/{campaign_id}/signatories.csv\n"
    )
    return subject, body


def new_version(
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
    subject = f"\u201c{title}\u201d was corrected (version {version})"
    body = f"""\
{organisation} signed version {signed_version} of the joint statement \u201c{title}\u201d.
The statement has been corrected; version {version} is now the current text.

The reason given: {reason}

Read every version: {api_url}/v1/campaigns/{campaign_id}/versions

Your signature stands, under the version you signed, unless you withdraw it before the
campaign closes (POST {api_url}/v1/signatures/{signature_id}/withdrawal).
"""
    return subject, body
