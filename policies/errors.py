"""The one error hierarchy of Mandate.

Every error carries a stable ``code``; the API maps codes to HTTP statuses in one table
(``api/errors.py``) and activities turn them into non-retryable ``ApplicationError(type=code)``.
Messages say what was got and what was expected. A message marked ``N_("... %(name)s ...")``
with its specifics as keyword arguments is said in the reader's language (policies/messages.py);
an unmarked one stays in English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

from policies.messages import Message, Phrase, Translator, render


class DomainError(Exception):
    """Base of every error a user can cause."""

    code: str = "domain_error"
    # True for a refusal whose writes still stand (a wrong code still costs an attempt): the
    # transaction commits, then the error is answered.
    keeps_writes: bool = False
    # Seconds after which the same request may succeed; the API sends it as Retry-After.
    retry_after: int | None = None

    def __init__(self, detail: str, /, **params: object) -> None:
        self.message = detail if isinstance(detail, Message) else None
        self.params: Mapping[str, object] = params
        self.detail = detail if self.message is None else render(self.message, params)
        super().__init__(self.detail)

    def detail_in(self, translator: Translator) -> str | None:
        """The detail in the translator's language; None for an unmarked, English-only one."""
        return None if self.message is None else render(self.message, self.params, translator)

    def carried(self) -> list[dict[str, Any]]:
        """The message and its parameters as JSON, for an ApplicationError's details: so that
        a refusal met in a worker is still said in the API caller's language (``restored``)."""
        return [] if self.message is None else [_to_json(self.message, self.params)]

    @classmethod
    def like(cls, other: DomainError) -> Self:
        """The same refusal, as this class."""
        return cls(other.message or other.detail, **other.params)

    @classmethod
    def restored(cls, detail: str, details: Sequence[Any] = ()) -> DomainError:
        """The error again from an ApplicationError's message and details (``carried``)."""
        found = details[0] if details and isinstance(details[0], dict) else None
        try:
            message, params = _from_json(found) if found is not None else (detail, {})
        except (KeyError, TypeError):
            message, params = detail, {}
        return cls(message, **params)


def _to_json(message: Message, params: Mapping[str, object]) -> dict[str, Any]:
    return {
        "message": str(message),
        "plural": message.plural,
        "number": message.number,
        "params": {k: _value_to_json(v) for k, v in params.items()},
    }


def _value_to_json(value: object) -> object:
    if isinstance(value, Phrase):
        return _to_json(value.message, value.params)
    if isinstance(value, Message):
        return _to_json(value, {})
    return value if isinstance(value, int | float | str) else str(value)


def _from_json(data: Mapping[str, Any]) -> tuple[Message, dict[str, object]]:
    params = {
        str(k): Phrase(*_from_json(v)) if isinstance(v, dict) else v
        for k, v in data["params"].items()
    }
    return Message(data["message"], data["plural"], data["number"]), params


class NotFound(DomainError):
    code = "not_found"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class InvalidInput(DomainError):
    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class WrongPhase(Conflict):
    """A command that the current phase of a round does not allow."""

    code = "wrong_phase"


class PhaseClosed(WrongPhase):
    """A write that arrived after its window closed."""

    code = "phase_closed"


class InvalidSchedule(InvalidInput):
    code = "invalid_schedule"


class InvalidExtension(Conflict):
    code = "invalid_extension"


class IdempotencyMismatch(InvalidInput):
    code = "idempotency_key_reused"


class IdempotencyInProgress(Conflict):
    """A request with the same Idempotency-Key is still running; its answer will be the answer."""

    code = "idempotency_in_progress"
    retry_after = 1


class ServiceUnavailable(DomainError):
    """A part of the stack (Temporal, the database) cannot be reached right now."""

    code = "service_unavailable"


class RecordError(DomainError):
    """A record, signature or log entry does not verify."""

    code = "record_invalid"


class CanonicalizationError(RecordError):
    code = "not_canonicalizable"


class SignatureError(RecordError):
    code = "bad_signature"


class ChainError(RecordError):
    code = "broken_chain"


class SolverLimit(DomainError):
    """A count that needs a solver (PAV, the maximin lottery) hit the rules' time limit."""

    code = "count_time_limit"


class AlreadySigned(AlreadyExists):
    """An organisation signs a campaign once; the detail names the signature's state."""

    code = "already_signed"


class StatementChanged(Conflict):
    """The signer saw a version of the statement that is no longer the current one."""

    code = "statement_changed"


class WrongCode(InvalidInput):
    """A confirmation code that does not match; the attempt it cost is kept."""

    code = "wrong_code"
    keeps_writes = True


class CodeUnusable(Conflict):
    """A confirmation code that has expired, was used, or has had too many wrong tries."""

    code = "code_unusable"


class SignatureState(Conflict):
    """A signature already confirmed or withdrawn, for a request that needs it otherwise."""

    code = "signature_state"


class UnknownRegion(InvalidInput):
    """A region that is not in the published region list; the detail lists the codes that are."""

    code = "unknown_region"


class UnknownCountry(InvalidInput):
    """A country code that is not an ISO 3166-1 alpha-2 code in use."""

    code = "unknown_country"


class InvalidRegionList(InvalidInput):
    """A region list with a repeated or malformed code, or a parent that is not in it."""

    code = "invalid_region_list"


class RegionInUse(Conflict):
    """A new region list would remove codes that organisations still have as their region."""

    code = "region_in_use"


class RateLimited(DomainError):
    """Too many requests from one client address or with one token; try again after
    ``retry_after`` seconds."""

    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int, /, **params: object) -> None:
        super().__init__(detail, **params)
        self.retry_after = max(1, retry_after)


class MailBudgetSpent(RateLimited):
    """A campaign, or one recipient, has had as many confirmation mails as the budget allows
    for now; nothing was written and no mail was queued."""

    code = "mail_budget_spent"


class DuplicateOrganisation(AlreadyExists):
    """An organisation with the same name (once folded) and country is registered already."""

    code = "duplicate_organisation"


class AmbiguousOrganisation(Conflict):
    """An outside signature under a name that several registered organisations share: it
    cannot say whose registered contact confirms it."""

    code = "ambiguous_organisation"


class NotErasable(Conflict):
    """Personal data their holder may not erase in this state: a nominee erases a nomination's
    data only once they have declined it (the secretariat can erase any, with a reason)."""

    code = "not_erasable"


class AlreadyErased(Conflict):
    """The personal data were erased already; there is nothing left to erase."""

    code = "already_erased"
