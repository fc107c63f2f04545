"""How a count reads for a person: decimals beside its fractions, and each seat's score.

The signed record keeps exact fractions ("19/27"); these views add, beside each of them, the
same value as a decimal with ``PLACES`` places, rounded once from the exact fraction. Nothing
here changes a record: it reads the JSON of a count (``CountResult.to_json()``) and returns new
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.equal_shares import PHASE_EQUAL_SHARES
from policies.rules import (
    APPROVAL_EQUAL_SHARES,
    APPROVAL_PAV,
    APPROVAL_PHRAGMEN,
    LOTTERY_MAXIMIN,
    RANKED_STV,
)

PLACES = 6
SUFFIX = "_decimal"

# Where each method's count holds fractions: a key of the step (or of the details), or
# "list.key" for a key of every object in a list. STV holds fixed decimals already, the uniform
# lottery whole numbers, a designation none.
_STEP_FRACTIONS: Mapping[str, tuple[str, ...]] = {
    APPROVAL_PHRAGMEN: ("load", "loads.load"),
    APPROVAL_EQUAL_SHARES: ("value", "considered.value"),
    APPROVAL_PAV: ("contribution",),
    LOTTERY_MAXIMIN: ("probabilities.probability",),
}
_DETAIL_FRACTIONS: Mapping[str, tuple[str, ...]] = {
    APPROVAL_EQUAL_SHARES: ("budget_per_voter",),
    APPROVAL_PAV: ("score",),
    LOTTERY_MAXIMIN: ("smallest", "bound", "lottery.probability"),
}


def decimal(value: str, places: int = PLACES) -> str:
    """A fraction ("19/27", "3", "0.5") as a fixed decimal: "0.703704".

    Exact: the fraction is scaled and rounded once (half to even, as ``decimal`` rounds by
    default), then written from the integer, so no binary float ever holds the value.
    """
    scaled = round(Fraction(value) * 10**places)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10**places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def steps_with_decimals(method: str, steps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The count's steps, each fraction ``key`` with ``key_decimal`` beside it."""
    paths = _STEP_FRACTIONS.get(method, ())
    return [_annotated(step, paths) for step in steps]


def details_with_decimals(method: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The count's summary, each fraction ``key`` with ``key_decimal`` beside it."""
    return _annotated(details, _DETAIL_FRACTIONS.get(method, ()))


def _annotated(obj: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    out = dict(obj)
    for path in paths:
        key, _, inner = path.partition(".")
        if key not in out:
            continue
        if inner:
            out[key] = [
                _annotated(item, (inner,)) if isinstance(item, Mapping) else item
                for item in out[key]
            ]
        else:
            value = out[key]
            # A missing value (no approvers, say) has no decimal either.
            out[key + SUFFIX] = decimal(value) if isinstance(value, str) else None
    return out


@dataclass(frozen=True)
class Score:
    """What a method says of one winner or alternate, exactly and as a decimal."""

    label: str
    value: str
    decimal: str


def scores(result: Mapping[str, Any]) -> dict[str, Score]:
    """Each winner's and alternate's score, by candidate id, where the method gives one.

    ``result`` is a count as its record holds it. Phragmén: the load its approvers carry once
    it is elected; Equal Shares: its price per voter (or, in the completion, the load); PAV: the
    score it adds; STV: its votes at the stage it was elected; the maximin lottery: its chance
    of being drawn. The uniform lottery and a designation have none.
    """
    method = result.get("method")
    steps: Sequence[Mapping[str, Any]] = result.get("steps", [])
    seated = set(result.get("winners", [])) | set(result.get("alternates", []))
    found: dict[str, tuple[str, str]] = {}
    if method == APPROVAL_PHRAGMEN:
        found = _by_pick(steps, lambda step: ("load", step.get("load")))
    elif method == APPROVAL_EQUAL_SHARES:
        found = _by_pick(
            steps,
            lambda step: (
                "price per voter" if step.get("phase") == PHASE_EQUAL_SHARES else "load",
                step.get("value"),
            ),
        )
    elif method == APPROVAL_PAV:
        found = _by_pick(steps, lambda step: ("PAV score added", step.get("contribution")))
    elif method == RANKED_STV:
        for step in steps:
            votes = {v["candidate"]: v["votes"] for v in step.get("votes", [])}
            for cid in step.get("elected", []):
                if cid not in found and cid in votes:
                    found[cid] = ("votes when elected", votes[cid])
    elif method == LOTTERY_MAXIMIN:
        for step in steps:
            for p in step.get("probabilities", []):
                found.setdefault(p["candidate"], ("chance of selection", p["probability"]))
    return {
        cid: Score(label, value, decimal(value))
        for cid, (label, value) in found.items()
        if cid in seated
    }


def _by_pick(
    steps: Sequence[Mapping[str, Any]], read: Callable[[Mapping[str, Any]], tuple[str, Any]]
) -> dict[str, tuple[str, str]]:
    """The value each step gives its pick (the first step that picks it), where it has one."""
    found: dict[str, tuple[str, str]] = {}
    for step in steps:
        label, value = read(step)
        picked = step.get("picked")
        if isinstance(picked, str) and isinstance(value, str) and picked not in found:
            found[picked] = (label, value)
    return found
