"""A constituency's published selection rules, inside the round's frame.

Plain dataclasses (no pydantic): an auditor's verifier loads them with only the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.errors import InvalidInput

APPROVAL_PHRAGMEN = "approval.phragmen"
METHODS = frozenset({APPROVAL_PHRAGMEN})


class InvalidRules(InvalidInput):
    code = "invalid_rules"


class InfeasibleRules(InvalidRules):
    """Rules that no committee could ever meet, whoever stands."""

    code = "infeasible_rules"


@dataclass(frozen=True)
class Constraint:
    """At least ``min`` and at most ``max`` winners whose ``attribute`` equals ``value``.

    With ``value`` None the bounds apply to each value separately: ``Constraint("region",
    None, max=1)`` is "at most one per region" (only ``max`` is allowed then).
    A candidate without the attribute matches no value.
    """

    attribute: str
    value: str | None = None
    min: int = 0
    max: int | None = None

    def matches(self, attributes: Mapping[str, str]) -> bool:
        return self.value is not None and attributes.get(self.attribute) == self.value

    def describe(self) -> str:
        target = f"{self.attribute}={self.value}" if self.value is not None else None
        parts = []
        if self.min:
            parts.append(f"at least {self.min} with {target}")
        if self.max is not None:
            parts.append(
                f"at most {self.max} with {target}"
                if target
                else f"at most {self.max} per {self.attribute}"
            )
        return " and ".join(parts) or f"no bound on {self.attribute}"


@dataclass(frozen=True)
class Endorsements:
    required: int = 0  # endorsements by this many distinct member organisations
    distinct_regions: int = 0  # ... from at least this many distinct regions


@dataclass(frozen=True)
class SelectionRules:
    seats: int
    alternates: int = 0
    method: str = APPROVAL_PHRAGMEN
    max_approvals: int | None = None  # most candidates one approval ballot may name
    endorsements: Endorsements = field(default_factory=Endorsements)
    one_nominee_per_organisation: bool = True
    constraints: tuple[Constraint, ...] = ()
    consent_required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "seats": self.seats,
            "alternates": self.alternates,
            "method": self.method,
            "max_approvals": self.max_approvals,
            "endorsements": {
                "required": self.endorsements.required,
                "distinct_regions": self.endorsements.distinct_regions,
            },
            "one_nominee_per_organisation": self.one_nominee_per_organisation,
            "constraints": [
                {"attribute": c.attribute, "value": c.value, "min": c.min, "max": c.max}
                for c in self.constraints
            ],
            "consent_required": self.consent_required,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> SelectionRules:
        try:
            e = data.get("endorsements") or {}
            return SelectionRules(
                seats=_int(data["seats"]),
                alternates=_int(data.get("alternates", 0)),
                method=str(data.get("method", APPROVAL_PHRAGMEN)),
                max_approvals=None
                if data.get("max_approvals") is None
                else _int(data["max_approvals"]),
                endorsements=Endorsements(
                    required=_int(e.get("required", 0)),
                    distinct_regions=_int(e.get("distinct_regions", 0)),
                ),
                one_nominee_per_organisation=bool(data.get("one_nominee_per_organisation", True)),
                constraints=tuple(
                    Constraint(
                        attribute=str(c["attribute"]),
                        value=None if c.get("value") is None else str(c["value"]),
                        min=_int(c.get("min", 0)),
                        max=None if c.get("max") is None else _int(c["max"]),
                    )
                    for c in data.get("constraints", ())
                ),
                consent_required=bool(data.get("consent_required", True)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidRules(f"rules are malformed: {exc!r}") from exc


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


@dataclass(frozen=True)
class Candidate:
    """A standing nominee: an id and the attributes the constraints look at."""

    id: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class ApprovalBallot:
    voter: str
    approvals: frozenset[str]
