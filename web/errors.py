"""What a refusal says to a person, by the API's error code (api/errors.py has the status).

The messages are gettext message ids, marked with ``N_`` for extraction and translated when a
page shows them.
"""

from __future__ import annotations

from policies import errors as e


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


class PageError(Exception):
    """A refusal the pages themselves make (a failed CSRF check, a page that is not there)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def csrf_failed() -> PageError:
    return PageError(
        403,
        N_("This form has expired"),
        N_(
            "For your safety, this form can only be sent from the page that showed it. "
            "Go back, reload the page and send the form again."
        ),
    )


def not_found() -> PageError:
    return PageError(404, N_("Page not found"), N_("There is nothing at this address."))


# By code, most specific first; a code not listed is explained by its nearest parent class.
_EXPLAINED: dict[str, tuple[str, str]] = {
    e.NotFound.code: (
        N_("Page not found"),
        N_("There is nothing at this address. It may have been a draft or a mistyped link."),
    ),
    e.Unauthenticated.code: (
        N_("Please sign in"),
        N_("This needs you to be signed in. Your sign-in may have expired or been revoked."),
    ),
    e.Forbidden.code: (
        N_("Not allowed"),
        N_("Your organisation or role cannot do this here."),
    ),
    e.AlreadySigned.code: (
        N_("Already signed"),
        N_("This organisation has already signed this statement."),
    ),
    e.StatementChanged.code: (
        N_("The statement has changed"),
        N_("A new version of the statement was published. Read it again, then sign."),
    ),
    e.PhaseClosed.code: (
        N_("Closed"),
        N_("The deadline has passed: this can no longer be done."),
    ),
    e.WrongPhase.code: (
        N_("Not open"),
        N_("This cannot be done at this stage."),
    ),
    e.CodeUnusable.code: (
        N_("This code can no longer be used"),
        N_("The code has expired or was tried too many times. Sign again to get a new code."),
    ),
    e.SignatureState.code: (
        N_("Nothing to change"),
        N_("This signature has already been withdrawn or has lapsed."),
    ),
    e.RateLimited.code: (
        N_("Too many requests"),
        N_("Too many requests came from here in a short time. Wait a few minutes and try again."),
    ),
    e.MailBudgetSpent.code: (
        N_("Too many e-mails"),
        N_("Too many e-mails were sent to this address recently. Try again later."),
    ),
    e.AmbiguousOrganisation.code: (
        N_("Ask your coordinator"),
        N_("More than one registered organisation has this name and country."),
    ),
    e.ServiceUnavailable.code: (
        N_("Please try again shortly"),
        N_("The service is busy or starting. Nothing was changed. Try again in a minute."),
    ),
    e.InvalidInput.code: (
        N_("Something is not right"),
        N_("Some of what was sent could not be accepted. Go back and check it."),
    ),
    e.Conflict.code: (
        N_("Something changed meanwhile"),
        N_("This conflicts with a change made at the same time. Reload the page and try again."),
    ),
}


def explain(exc: e.DomainError) -> tuple[str, str]:
    """Title and message (message ids) for a refusal."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in _EXPLAINED:
            return _EXPLAINED[code]
    return N_("Something went wrong"), N_("This could not be done. Nothing was changed.")
