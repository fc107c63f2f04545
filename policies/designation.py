"""Designation: the constituency's coordinators decide internally, and co-sign the decision.

A decision names the winners (in order) and the alternates (in order) from the standing
candidates. It is refused when it breaks a constraint, when it seats fewer than the seats that a
valid committee could fill, or when it names someone twice or someone not standing. Its hash is
the SHA-256 of its canonical JSON ``{"alternates": [...], "winners": [...]}``.

A coordinator proposes a decision (which counts as their approval) or approves one already
proposed, by hash; a coordinator's latest approval is the one that counts. At the count, the
decision takes effect that first reached ``rules.quorum`` approvals, reading the approvals in log
order. When none did, every seat is reported unfilled, with the tally.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.constraints import largest_feasible_size, violations
from policies.errors import InvalidInput
from policies.messages import N_
from policies.result import CountResult
from policies.rules import DESIGNATION, Candidate, InvalidRules, SelectionRules

METHOD = DESIGNATION
METHOD_VERSION = "1"


class InvalidDecision(InvalidInput):
    code = "invalid_decision"


@dataclass(frozen=True)
class Decision:
    winners: tuple[str, ...]
    alternates: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"winners": list(self.winners), "alternates": list(self.alternates)}

    @property
    def hash(self) -> str:
        # Only strings in lists: json's sorted, compact output is the RFC 8785 form here.
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Decision:
        winners, alternates = data.get("winners"), data.get("alternates", [])
        if not isinstance(winners, list) or not _strings(winners) or not _strings(alternates):
            raise InvalidDecision(
                N_(
                    "a decision is {winners: [candidate id, ...], alternates: [candidate id, "
                    "...]}, got %(got)s"
                ),
                got=repr(dict(data)),
            )
        return Decision(tuple(winners), tuple(alternates))


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check_decision(
    decision: Decision, candidates: Sequence[Candidate], rules: SelectionRules
) -> None:
    """Refuse a decision that the rules do not allow, saying why."""
    by_id = {c.id: c for c in candidates}
    named = [*decision.winners, *decision.alternates]
    twice = sorted({c for c in named if named.count(c) > 1})
    if twice:
        raise InvalidDecision(
            N_("a decision names each candidate once, got twice: %(twice)s"), twice=twice
        )
    unknown = sorted(c for c in named if c not in by_id)
    if unknown:
        raise InvalidDecision(
            N_("not standing: %(unknown)s; standing: %(standing)s"),
            unknown=", ".join(unknown),
            standing=", ".join(sorted(by_id)) or N_("nobody"),
        )
    fillable = largest_feasible_size(candidates, rules.seats, rules.constraints)
    if len(decision.winners) != fillable:
        raise InvalidDecision(
            N_(
                "the decision seats %(n_winners)s, expected %(fillable)s (%(seats)s seat(s); "
                "%(fillable)s can be filled under the constraints)"
            ),
            n_winners=len(decision.winners),
            fillable=fillable,
            seats=rules.seats,
        )
    broken = violations([by_id[c] for c in decision.winners], rules.constraints)
    if broken:
        # The violations are worded as the published outcome words them: in English.
        raise InvalidDecision(
            N_("the decision breaks the constraints: %(broken)s"), broken="; ".join(broken)
        )
    if len(decision.alternates) > rules.alternates:
        raise InvalidDecision(
            N_("the decision names %(n_alternates)s alternates, the rules allow %(alternates)s"),
            n_alternates=len(decision.alternates),
            alternates=rules.alternates,
        )


@dataclass(frozen=True)
class Approval:
    coordinator: str
    decision_hash: str


@dataclass(frozen=True)
class DesignationStep:
    number: int
    coordinator: str
    decision_hash: str
    approvals: int  # the decision's approvals after this one
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "coordinator": self.coordinator,
            "decision_hash": self.decision_hash,
            "approvals": self.approvals,
            "note": self.note,
        }


def count(
    candidates: Sequence[Candidate],
    decisions: Sequence[Decision],
    approvals: Sequence[Approval],
    rules: SelectionRules,
) -> CountResult[DesignationStep]:
    """The decision that first reached the quorum, from the approvals in log order."""
    if rules.method != METHOD:
        raise InvalidRules(
            N_("this count is for method %(method)s, got rules for %(method2)s"),
            method=repr(METHOD),
            method2=repr(rules.method),
        )
    if rules.quorum is None or rules.quorum < 1:
        raise InvalidRules(
            N_("designation needs a quorum of at least 1, got %(quorum)s"),
            quorum=repr(rules.quorum),
        )
    proposed = {d.hash: d for d in decisions}
    current: dict[str, str] = {}  # coordinator -> the decision they approve now
    steps: list[DesignationStep] = []
    chosen: Decision | None = None
    for a in approvals:
        if a.decision_hash not in proposed:
            continue  # cannot happen for logged approvals; never counts
        before = current.get(a.coordinator)
        current[a.coordinator] = a.decision_hash
        tally = sum(1 for h in current.values() if h == a.decision_hash)
        note = f"approves {a.decision_hash[:12]}"
        if before is not None and before != a.decision_hash:
            note += f" (withdrawing approval of {before[:12]})"
        if chosen is None and tally >= rules.quorum:
            decision = proposed[a.decision_hash]
            try:
                check_decision(decision, candidates, rules)
            except InvalidDecision as exc:
                note += f"; quorum reached but not valid: {exc.detail}"
            else:
                chosen = decision
                note += f"; quorum of {rules.quorum} reached: the decision takes effect"
        steps.append(DesignationStep(len(steps) + 1, a.coordinator, a.decision_hash, tally, note))
    if chosen is None:
        reason = (
            f"no decision reached the quorum of {rules.quorum} coordinator approvals "
            f"({len(proposed)} proposed, {len(current)} coordinator(s) approving)"
        )
        return CountResult(
            METHOD,
            METHOD_VERSION,
            rules.seats,
            (),
            (),
            tuple(steps),
            rules.seats,
            reason,
            {"quorum": rules.quorum, "decision_hash": None},
        )
    fillable = len(chosen.winners)
    return CountResult(
        METHOD,
        METHOD_VERSION,
        rules.seats,
        chosen.winners,
        chosen.alternates,
        tuple(steps),
        rules.seats - fillable,
        None
        if fillable == rules.seats
        else f"only {fillable} of {rules.seats} seat(s) can be filled under the constraints",
        {"quorum": rules.quorum, "decision_hash": chosen.hash, "decision": chosen.to_json()},
    )
