"""What every selection method returns: winners, ordered alternates and the count step by step.

Each method defines its own step type (what an observer would read on that method's results
sheet); all of them serialise to JSON without floats, so a count canonicalises under RFC 8785 and
an auditor's recount gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar


class Step(Protocol):
    def to_json(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Step, covariant=True)


@dataclass(frozen=True)
class CountResult(Generic[S]):
    method: str
    method_version: str
    seats: int
    winners: tuple[str, ...]  # in the order elected
    alternates: tuple[str, ...]  # in the order they step in
    steps: tuple[S, ...]
    unfilled: int
    unfilled_reason: str | None
    # A method's own summary (a quota, a score, a lottery's panels); strings, integers, lists
    # and objects only. Left out of the JSON when empty, so older records keep their bytes.
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "method_version": self.method_version,
            "seats": self.seats,
            "winners": list(self.winners),
            "alternates": list(self.alternates),
            "steps": [s.to_json() for s in self.steps],
            "unfilled": self.unfilled,
            "unfilled_reason": self.unfilled_reason,
        }
        if self.details:
            out["details"] = dict(self.details)
        return out
