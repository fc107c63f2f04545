"""A constituency's published selection rules, inside the round's frame.

Plain dataclasses (no pydantic): an auditor's verifier loads them with only the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policies.errors import InvalidInput
from policies.messages import N_

APPROVAL_PHRAGMEN = "approval.phragmen"
APPROVAL_EQUAL_SHARES = "approval.equal_shares"
APPROVAL_PAV = "approval.pav"
RANKED_STV = "ranked.stv"
LOTTERY_UNIFORM = "lottery.uniform"
LOTTERY_MAXIMIN = "lottery.maximin"
DESIGNATION = "designation"

APPROVAL_METHODS = frozenset({APPROVAL_PHRAGMEN, APPROVAL_EQUAL_SHARES, APPROVAL_PAV})
RANKED_METHODS = frozenset({RANKED_STV})
LOTTERY_METHODS = frozenset({LOTTERY_UNIFORM, LOTTERY_MAXIMIN})
METHODS = APPROVAL_METHODS | RANKED_METHODS | LOTTERY_METHODS | {DESIGNATION}

# What a ballot looks like under each method: a set of approvals, a ranking, or no ballot at all
# (lotteries draw from the nominees; designation is decided by the coordinators).
APPROVAL = "approval"
RANKING = "ranking"
NO_BALLOT = "none"


def ballot_shape(method: str) -> str:
    if method in APPROVAL_METHODS:
        return APPROVAL
    if method in RANKED_METHODS:
        return RANKING
    return NO_BALLOT


# "Closing soon" reminders: ISO 8601 durations before each deadline (nominations, voting), sent
# to the members who have not acted yet (store/round_notices.py). Rules that name none get these.
DEFAULT_REMINDERS = ("P2D", "PT6H")
_DURATION = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


def duration_seconds(text: str) -> int:
    """Seconds of an ISO 8601 duration in days, hours, minutes and seconds ("P2D", "PT6H")."""
    found = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if found is None or not any(found.groups()) or text.endswith("T"):
        raise InvalidRules(
            N_("a reminder must be an ISO 8601 duration such as P2D or PT6H; got %(value)s"),
            value=repr(text),
        )
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise InvalidRules(
            N_("a reminder must come some time before the deadline; got %(value)s"),
            value=repr(text),
        )
    return total


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
class Beacon:
    """A public drand beacon whose value joins the lot seed.

    Rules published now name the network and pin its key; the round is derived from the
    schedule (``policies.beacon``). Rules published before named the round themselves
    (``round``), and the key was optional: those still load, so old bundles still verify.
    """

    chain_hash: str  # hex: names the drand network
    round: int | None = None  # older rules only: the round they named
    # hex BLS key of an unchained G1 network (drand quicknet's scheme, bls-unchained-g1-rfc9380)
    public_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.round is not None:  # the shape older rules were published in, byte for byte
            return {
                "chain_hash": self.chain_hash,
                "round": self.round,
                "public_key": self.public_key,
            }
        return {"chain_hash": self.chain_hash, "public_key": self.public_key}


DEFAULT_REVEAL_WINDOW = 600


@dataclass(frozen=True)
class CommitReveal:
    """The secretariat and the constituency's coordinators commit to secrets before nominations
    close and reveal them in the ``reveal_window`` seconds after voting closes."""

    reveal_window: int = DEFAULT_REVEAL_WINDOW

    def to_json(self) -> dict[str, Any]:
        return {"reveal_window": self.reveal_window}


@dataclass(frozen=True)
class SelectionRules:
    seats: int
    alternates: int = 0
    method: str = APPROVAL_PHRAGMEN
    max_approvals: int | None = None  # most candidates one approval ballot may name
    max_ranks: int | None = None  # most candidates one ranking may list (ranked methods)
    quorum: int | None = None  # designation: coordinators who must approve the same decision
    time_limit: int = 20  # seconds a solver (PAV, maximin) may take before the count fails
    panels: int = 1000  # lottery.maximin: the published list holds this many panels
    beacon: Beacon | None = None
    commit_reveal: CommitReveal | None = None
    endorsements: Endorsements = field(default_factory=Endorsements)
    one_nominee_per_organisation: bool = True
    constraints: tuple[Constraint, ...] = ()
    consent_required: bool = True
    # "open": the published ballots name their voters; "secret": they do not (records.ballot_seal)
    ballot_secrecy: str = "open"
    reminders: tuple[str, ...] | None = None  # None: DEFAULT_REMINDERS

    @property
    def reminder_seconds(self) -> tuple[int, ...]:
        """Seconds before each deadline that a reminder goes, latest first."""
        chosen = DEFAULT_REMINDERS if self.reminders is None else self.reminders
        return tuple(sorted({duration_seconds(r) for r in chosen}, reverse=True))

    @property
    def reminders_in_force(self) -> list[str]:
        return list(DEFAULT_REMINDERS if self.reminders is None else self.reminders)

    def to_json(self) -> dict[str, Any]:
        return {
            "seats": self.seats,
            "alternates": self.alternates,
            "method": self.method,
            "max_approvals": self.max_approvals,
            **self._method_json(),
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

    def _method_json(self) -> dict[str, Any]:
        # Only what differs from the defaults, so the rules of older rounds keep their bytes.
        out: dict[str, Any] = {}
        if self.max_ranks is not None:
            out["max_ranks"] = self.max_ranks
        if self.quorum is not None:
            out["quorum"] = self.quorum
        if self.time_limit != 20:
            out["time_limit"] = self.time_limit
        if self.panels != 1000:
            out["panels"] = self.panels
        if self.beacon is not None:
            out["beacon"] = self.beacon.to_json()
        if self.commit_reveal is not None:
            out["commit_reveal"] = self.commit_reveal.to_json()
        if self.ballot_secrecy != "open":
            out["ballot_secrecy"] = self.ballot_secrecy
        if self.reminders is not None:
            out["reminders"] = list(self.reminders)
        return out

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
                max_ranks=_opt_int(data.get("max_ranks")),
                quorum=_opt_int(data.get("quorum")),
                time_limit=_int(data.get("time_limit", 20)),
                panels=_int(data.get("panels", 1000)),
                beacon=None if data.get("beacon") is None else _beacon(data["beacon"]),
                commit_reveal=None
                if data.get("commit_reveal") is None
                else CommitReveal(
                    _int(data["commit_reveal"].get("reveal_window", DEFAULT_REVEAL_WINDOW))
                ),
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
                ballot_secrecy=str(data.get("ballot_secrecy", "open")),
                reminders=_reminders(data.get("reminders")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise InvalidRules(N_("rules are malformed: %(exc)s"), exc=repr(exc)) from exc


def _reminders(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) > 10:
        raise InvalidRules(
            N_("reminders must be a list of at most 10 durations; got %(value)s"),
            value=repr(value)[:200],
        )
    for text in value:
        duration_seconds(text)
    return tuple(str(v) for v in value)


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _beacon(data: Mapping[str, Any]) -> Beacon:
    key = data.get("public_key")
    return Beacon(
        chain_hash=str(data["chain_hash"]),
        round=_opt_int(data.get("round")),
        public_key=None if key is None else str(key),
    )


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


@dataclass(frozen=True)
class RankedBallot:
    """A ranking: the first candidate is the voter's first preference. No ties, no repeats."""

    voter: str
    ranking: tuple[str, ...]
