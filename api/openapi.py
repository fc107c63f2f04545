"""The OpenAPI document as the API behaves: its error body, bearer tokens and idempotency keys.

FastAPI describes requests and successes from the route signatures, but it cannot know that every
failure answers ``{"error": code, "detail": message}`` (api/errors.py), which routes need a token,
or that writes take an ``Idempotency-Key``. This adds them from each route's dependencies, so the
document, and the reference page built from it, cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from starlette.routing import BaseRoute

from api import deps
from api.errors import STATUS_BY_CODE
from api.limits import LIMIT_CODES
from i18n.languages import LANGUAGES

ERROR_SCHEMA = "ErrorBody"
BEARER = "bearer"
# Statuses FastAPI and Starlette answer themselves, through the same error body.
_FRAMEWORK_CODES = {
    "validation_error": 422,
    "not_found": 404,
    "method_not_allowed": 405,
    "internal_error": 500,
}
# FastAPI's own 422 schema, replaced: our handler answers the common error body instead.
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")

# Reusable error responses, by the name an operation refers to them with.
ERROR_RESPONSES: dict[str, tuple[int, str]] = {
    "Unauthenticated": (
        401,
        "unauthenticated: this needs a bearer token, or the token given is unknown, revoked "
        "or malformed",
    ),
    "Forbidden": (403, "forbidden: the token's role or constituency may not do this"),
    "NotFound": (404, "not_found: nothing with that id, or nothing this caller may see"),
    "Conflict": (
        409,
        "conflict: the current state does not allow it (already_exists, wrong_phase, "
        "phase_closed, ...), or the same change arrived at the same moment; "
        "idempotency_in_progress: a request with the same Idempotency-Key is still running "
        "(repeat it after Retry-After seconds to get that request's answer)",
    ),
    "Invalid": (
        422,
        "validation_error, invalid_input or a narrower code: the request does not fit the "
        "schema or the published rules",
    ),
    "Unavailable": (
        503,
        "service_unavailable: a part the write needs (Temporal, the signing key) cannot be "
        "reached right now; nothing was written, try again shortly",
    ),
    "BodyTimeout": (
        408,
        "body_timeout: the body did not arrive in full in time (MANDATE_BODY_TIMEOUT, 10 s by "
        "default)",
    ),
    "BodyTooLarge": (
        413,
        "body_too_large: the body is larger than the API reads (MANDATE_MAX_BODY_BYTES, "
        "64 KiB by default)",
    ),
    "RateLimited": (
        429,
        "rate_limited: too many writes from this client address (without a token) or with "
        "this token (MANDATE_RATE_LIMIT_*); mail_budget_spent: the campaign or the recipient "
        "has had its confirmation mails for now (MANDATE_CODE_MAILS_*), nothing was written "
        "or queued. Repeat after Retry-After seconds",
    ),
}


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (and to ``app.openapi()`` callers)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI rebuilds the document when routes change; complete each new build once.
        schema = build()
        if ERROR_SCHEMA not in schema.get("components", {}).get("schemas", {}):
            complete(schema, app.routes)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = _error_schema()
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    components["responses"] = {
        name: _error_response(status, text) for name, (status, text) in ERROR_RESPONSES.items()
    }
    components["securitySchemes"] = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "a Mandate token (mdt_...), shown once when it is issued",
        }
    }
    # Routes of included routers, with their prefixes, as FastAPI itself walks them.
    for route in iter_route_contexts(routes):
        if not _documented(route):
            continue
        dependant: Dependant = route.dependant
        calls = set(_calls(dependant))
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete_operation(operation, calls, bool(dependant.path_params))


def _documented(route: RouteContext) -> bool:
    return isinstance(route.original_route, APIRoute) and bool(route.include_in_schema)


def _complete_operation(
    operation: dict[str, Any], calls: set[Callable[..., Any]], has_path_params: bool
) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    errors: list[str] = []
    if deps.principal in calls or deps.authenticating_writer in calls:
        operation["security"] = [{BEARER: []}]
        errors += ["Unauthenticated", "Forbidden"]
    elif deps.optional_principal in calls or deps.maybe_authenticating_writer in calls:
        # Anyone may call; a token, when given, must be valid and may show more.
        operation["security"] = [{}, {BEARER: []}]
        errors.append("Unauthenticated")
    if has_path_params:
        errors.append("NotFound")
    writes = bool(
        calls & {deps.writer, deps.authenticating_writer, deps.maybe_authenticating_writer}
    )
    if writes:
        errors += ["Conflict", "Invalid", "RateLimited"]
        _add_idempotency_key(operation)
        for status, response in responses.items():
            if status.startswith("2"):
                response.setdefault("headers", {})[deps.RECEIPT_HEADER] = {
                    "description": "the Merkle leaf hashes of the log entries this write made "
                    "(comma-separated): ask for their inclusion proofs by them",
                    "schema": {"type": "string"},
                }
    if "422" in responses:
        errors.append("Invalid")
    if "requestBody" in operation or writes:
        errors += ["BodyTooLarge", "BodyTimeout"]
    if writes:
        errors.append("Unavailable")
    if _is_fastapi_422(responses.get("422")):
        del responses["422"]
    for name in errors:
        code, _ = ERROR_RESPONSES[name]
        own = responses.get(str(code))
        if own is None:
            responses[str(code)] = {"$ref": f"#/components/responses/{name}"}
        else:
            # The route says what the status means there (``responses=`` on its decorator);
            # the shared headers still come with it.
            own.setdefault("headers", {}).update(_error_response(code, "").get("headers", {}))
    for status, response in responses.items():
        if status[0] in "45" and "$ref" not in response:
            # A failure a route documents itself has the one error body too.
            response["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
            }


def _is_fastapi_422(response: dict[str, Any] | None) -> bool:
    schema = (response or {}).get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith(f"/{_FASTAPI_422[0]}"))


def _add_idempotency_key(operation: dict[str, Any]) -> None:
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    if any(p.get("name") == "Idempotency-Key" for p in parameters):
        return
    parameters.append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "any string you choose: a retry with the same key and body gets "
            "the first answer back and changes nothing; a copy sent while the first is still "
            "running waits for its answer, or gets 409 idempotency_in_progress",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        }
    )


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _error_schema() -> dict[str, Any]:
    return {
        "title": ERROR_SCHEMA,
        "type": "object",
        "description": "The body of every failure, whatever the route.",
        "properties": {
            "error": {
                "type": "string",
                "description": "a stable code for programs (x-codes lists them with their "
                "statuses; a narrower code answers with the status of its family)",
            },
            "detail": {
                "type": "string",
                "description": "for people: what was got and what was expected, in the "
                "caller's language (Content-Language says which): the language the caller's "
                "organisation chose, else the request's Accept-Language (en, fr, es or ar), "
                "else English",
            },
        },
        "required": ["error", "detail"],
        "x-codes": dict(sorted({**STATUS_BY_CODE, **_FRAMEWORK_CODES, **LIMIT_CODES}.items())),
    }


def _error_response(status: int, text: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": text,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
        },
    }
    headers: dict[str, Any] = {
        "Content-Language": {
            "description": "the language of detail: en, fr, es or ar",
            "schema": {"type": "string", "enum": list(LANGUAGES)},
        }
    }
    if status == 401:
        headers["WWW-Authenticate"] = {"description": "Bearer", "schema": {"type": "string"}}
    if status == 409:
        headers["Retry-After"] = {
            "description": "with idempotency_in_progress: seconds to wait before repeating",
            "schema": {"type": "integer"},
        }
    if status == 429:
        headers["Retry-After"] = {
            "description": "seconds until the limit's window ends",
            "schema": {"type": "integer", "minimum": 1},
        }
    response["headers"] = headers
    return response
