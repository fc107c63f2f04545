"""The words of the sign-in mail, in the language of the person who asked for it."""

from __future__ import annotations

import gettext


def sign_in(translations: gettext.NullTranslations, *, link: str, minutes: int) -> tuple[str, str]:
    _ = translations.gettext
    subject = _("Your sign-in link for Mandate")
    lines = [
        _("Someone asked to sign in to Mandate with this e-mail address."),
        "",
        _("To sign in, open this link and press the button on the page it shows:"),
        "",
        f"    {link}",
        "",
        _("The link works once, within %(minutes)s minutes. Opening it alone signs nobody in.")
        % {"minutes": minutes},
        "",
        _("If you did not ask for this, ignore this message: nobody can sign in without it."),
    ]
    return subject, "\n".join(lines) + "\n"
