"""One table from error codes to HTTP statuses, and the handlers that use it.

Every failure answers ``{"error": code, "detail": message}``: the code stable, the detail in
the caller's language (api/languages.py), said in ``Content-Language``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from api.languages import catalogs_of, language
from i18n import refusals
from i18n.languages import DEFAULT
from policies import errors as e
from policies.messages import N_, NP_, Message, render

log = logging.getLogger(__name__)

STATUS_BY_CODE: dict[str, int] = {
    e.NotFound.code: 404,
    e.Unauthenticated.code: 401,
    e.Forbidden.code: 403,
    e.InvalidInput.code: 422,
    e.InvalidSchedule.code: 422,
    e.IdempotencyMismatch.code: 422,
    e.IdempotencyInProgress.code: 409,
    e.Conflict.code: 409,
    e.AlreadyExists.code: 409,
    e.WrongPhase.code: 409,
    e.PhaseClosed.code: 409,
    e.InvalidExtension.code: 409,
    e.ServiceUnavailable.code: 503,
    e.RecordError.code: 422,
    e.CanonicalizationError.code: 422,
    e.SignatureError.code: 422,
    e.ChainError.code: 422,
    e.AlreadySigned.code: 409,
    e.StatementChanged.code: 409,
    e.WrongCode.code: 422,
    e.CodeUnusable.code: 409,
    e.SignatureState.code: 409,
    e.UnknownRegion.code: 422,
    e.UnknownCountry.code: 422,
    e.InvalidRegionList.code: 422,
    e.RegionInUse.code: 409,
    e.RateLimited.code: 429,
    e.MailBudgetSpent.code: 429,
    e.DuplicateOrganisation.code: 409,
    e.AmbiguousOrganisation.code: 409,
    e.NotErasable.code: 409,
    e.AlreadyErased.code: 409,
}


def _subclasses(cls: type[e.DomainError]) -> list[type[e.DomainError]]:
    return [cls, *(d for sub in cls.__subclasses__() for d in _subclasses(sub))]


def domain_error_for(code: str, detail: str, details: Sequence[Any] = ()) -> e.DomainError:
    """Rebuild a DomainError from a code carried through Temporal (ApplicationError.type), with
    its message and parameters when its details carry them (``DomainError.carried``)."""
    # Looked up at call time, so error classes defined in any module are found.
    known = {cls.code: cls for cls in _subclasses(e.DomainError)}
    cls = known.get(code, e.Conflict)
    if issubclass(cls, e.RateLimited):
        cls = e.Conflict  # its Retry-After did not travel
    return cls.restored(detail, details)


# What FastAPI says when a body cannot be decoded at all.
UNPARSABLE_BODY = "There was an error parsing the body"


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def answer(
    scope: Scope,
    lang: str,
    code: str,
    detail: Message | str,
    status: int,
    headers: Mapping[str, str] | None = None,
    **params: object,
) -> JSONResponse:
    """The error body, its ``detail`` in ``lang`` (a marked message is translated, a plain
    sentence is said as it is), with Content-Language."""
    catalogs = catalogs_of(scope)
    if isinstance(detail, Message):
        translator = None if catalogs is None or lang == DEFAULT else catalogs[lang]
        detail = render(detail, params, translator)
    said = {**(headers or {}), "Content-Language": lang, "Vary": "Accept-Language"}
    return JSONResponse(error_body(code, detail), status_code=status, headers=said)


def status_for(exc: e.DomainError) -> int:
    """The status of the nearest class in the error's hierarchy that the table names."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 400


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.DomainError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    lang = language(request)
    catalogs = catalogs_of(request.scope)
    detail = exc.detail if catalogs is None else refusals.detail(exc, lang, catalogs)
    return answer(request.scope, lang, exc.code, detail, status, headers)


# Pydantic's refusals by type, said in the reader's language; in English the API answers
# pydantic's own words. Each names the field; ``ctx`` fills in the limits.
VALIDATION: Mapping[str, Message] = MappingProxyType(
    {
        "missing": N_("%(field)s: this field is required"),
        "extra_forbidden": N_("%(field)s: this field is not expected here"),
        "string_type": N_("%(field)s: expected a string"),
        "string_too_short": NP_(
            "%(field)s: expected at least %(min_length)s character",
            "%(field)s: expected at least %(min_length)s characters",
            "min_length",
        ),
        "string_too_long": NP_(
            "%(field)s: expected at most %(max_length)s character",
            "%(field)s: expected at most %(max_length)s characters",
            "max_length",
        ),
        "string_pattern_mismatch": N_(
            "%(field)s: this value does not have the expected form (%(pattern)s)"
        ),
        "too_short": NP_(
            "%(field)s: expected at least %(min_length)s item",
            "%(field)s: expected at least %(min_length)s items",
            "min_length",
        ),
        "too_long": NP_(
            "%(field)s: expected at most %(max_length)s item",
            "%(field)s: expected at most %(max_length)s items",
            "max_length",
        ),
        "int_type": N_("%(field)s: expected a whole number"),
        "int_parsing": N_("%(field)s: expected a whole number"),
        "int_from_float": N_("%(field)s: expected a whole number"),
        "float_type": N_("%(field)s: expected a number"),
        "float_parsing": N_("%(field)s: expected a number"),
        "bool_type": N_("%(field)s: expected true or false"),
        "bool_parsing": N_("%(field)s: expected true or false"),
        "greater_than": N_("%(field)s: expected a value greater than %(gt)s"),
        "greater_than_equal": N_("%(field)s: expected a value of at least %(ge)s"),
        "less_than": N_("%(field)s: expected a value less than %(lt)s"),
        "less_than_equal": N_("%(field)s: expected a value of at most %(le)s"),
        "literal_error": N_("%(field)s: expected %(expected)s"),
        "enum": N_("%(field)s: expected %(expected)s"),
        "dict_type": N_("%(field)s: expected a JSON object"),
        "model_type": N_("%(field)s: expected a JSON object"),
        "model_attributes_type": N_("%(field)s: expected a JSON object"),
        "list_type": N_("%(field)s: expected a list"),
        "datetime_type": N_("%(field)s: expected a date and time (ISO 8601)"),
        "datetime_parsing": N_("%(field)s: expected a date and time (ISO 8601)"),
        "datetime_from_date_parsing": N_("%(field)s: expected a date and time (ISO 8601)"),
        "timezone_aware": N_("%(field)s: expected a date and time with its time zone"),
        "value_error": N_("%(field)s: this value is not valid. In English: %(english)s"),
    }
)
NOT_VALID = VALIDATION["value_error"]
NOT_JSON = N_("body: not valid JSON (at character %(position)s)")
NOT_UTF8 = N_("body: not valid JSON in UTF-8")


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = language(request)
    catalogs = catalogs_of(request.scope)
    translator = None if catalogs is None or lang == DEFAULT else catalogs[lang]
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            # Its location is a character offset, not a field.
            parts.append(render(NOT_JSON, {"position": err["loc"][-1]}, translator))
            continue
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        english = f"{loc}: {err.get('msg', 'invalid')}"
        if translator is None:
            parts.append(english)
            continue
        message = VALIDATION.get(err.get("type", ""), NOT_VALID)
        params = {**_context(err.get("ctx")), "field": loc, "english": err.get("msg", "")}
        parts.append(render(message, params, translator))
    return answer(request.scope, lang, "validation_error", "; ".join(parts), 422)


def _context(ctx: Any) -> dict[str, object]:
    if not isinstance(ctx, dict):
        return {}
    return {str(k): v if isinstance(v, int | float) else str(v) for k, v in ctx.items()}


# Starlette's own refusals, by status, when it says them in its own words.
HTTP_PHRASES: Mapping[int, Message] = MappingProxyType(
    {404: N_("Not Found"), 405: N_("Method Not Allowed")}
)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = language(request)
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        # FastAPI's answer to a body it cannot decode (not UTF-8): an invalid body like any other.
        return answer(request.scope, lang, "validation_error", NOT_UTF8, 422)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    phrase = HTTP_PHRASES.get(exc.status_code)
    detail: Message | str = (
        phrase if phrase is not None and exc.detail == phrase else str(exc.detail)
    )
    return answer(request.scope, lang, code, detail, exc.status_code, headers)


def allowed_methods(request: Request) -> str:
    """Every method the path takes: Starlette's 405 names only those of the route it tried,
    though others (GET and POST of a collection) share the path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return answer(request.scope, language(request), "internal_error", UNEXPECTED, 500)


UNEXPECTED = N_("an unexpected error occurred; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
