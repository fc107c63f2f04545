"""One table from error codes to HTTP statuses, and the handlers that use it.

Every failure answers ``{"error": code, "detail": message}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from policies import errors as e

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


def domain_error_for(code: str, detail: str) -> e.DomainError:
    """Rebuild a DomainError from a code carried through Temporal (ApplicationError.type)."""
    # Looked up at call time, so error classes defined in any module are found.
    known = {cls.code: cls for cls in _subclasses(e.DomainError)}
    return known.get(code, e.Conflict)(detail)


# What FastAPI says when a body cannot be decoded at all.
UNPARSABLE_BODY = "There was an error parsing the body"


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def status_for(exc: e.DomainError) -> int:
    """The status of the nearest class in the error's hierarchy that the table names."""
    for cls in type(exc).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 400


def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.DomainError)
    status = status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(error_body(exc.code, exc.detail), status_code=status, headers=headers)


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            # Its location is a character offset, not a field.
            parts.append(f"body: not valid JSON (at character {err['loc'][-1]})")
            continue
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return JSONResponse(error_body("validation_error", "; ".join(parts)), status_code=422)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:
        # FastAPI's answer to a body it cannot decode (not UTF-8): an invalid body like any other.
        return JSONResponse(
            error_body("validation_error", "body: not valid JSON in UTF-8"), status_code=422
        )
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
    )


def allowed_methods(request: Request) -> str:
    """Every method the path takes: Starlette's 405 names only those of the route it tried,
    though others (GET and POST of a collection) share the path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "an unexpected error occurred; it has been logged"),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
