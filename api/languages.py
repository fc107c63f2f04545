"""The language the API answers a caller in (i18n/languages.py): the language the caller's
organisation chose, for a member token; then the request's Accept-Language; then English.

It says error details (api/errors.py, api/limits.py), answered with ``Content-Language``, and
it is stored with what a caller starts that mail will follow (a signature's confirmation code,
a campaign's notices).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers
from starlette.types import Scope

from i18n.catalogs import Catalogs
from i18n.languages import negotiate

# On request.state: the language the authenticated caller's organisation chose (api/deps.py).
CHOSEN = "chosen_lang"


def language(request: Request) -> str:
    chosen = getattr(request.state, CHOSEN, None)
    return negotiate(chosen, request.headers.get("accept-language"))


def scope_language(scope: Scope) -> str:
    """For a refusal before any route runs (the body limits): Accept-Language alone."""
    return negotiate(None, Headers(scope=scope).get("accept-language"))


def catalogs_of(scope: Scope) -> Catalogs | None:
    """The app's catalogs (api/deps.py's Services holds them); None in a bare app."""
    app = scope.get("app")
    svc = getattr(getattr(app, "state", None), "services", None)
    found = getattr(svc, "catalogs", None)
    return found if isinstance(found, Catalogs) else None


Language = Annotated[str, Depends(language)]
