"""Turn domain errors into non-retryable activity failures."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from policies.errors import DomainError, ServiceUnavailable

P = ParamSpec("P")
R = TypeVar("R")


def domain_errors_are_final(fn: Callable[P, R]) -> Callable[P, R]:
    """A DomainError will not go away on retry; an unavailable database may."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ServiceUnavailable:
            raise
        except DomainError as exc:
            raise ApplicationError(
                exc.detail, *exc.carried(), type=exc.code, non_retryable=True
            ) from exc

    return wrapper
