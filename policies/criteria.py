"""The published criteria of a round: the frame every constituency selects within."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from policies.errors import InvalidInput
from policies.lot import LOT_DOMAIN, LOT_DOMAIN_V1, LOT_DOMAINS
from policies.messages import N_
from policies.schedule import Schedule
from policies.times import iso

CRITERIA_FORMAT = "mandate.criteria/2"


def round_criteria(
    *,
    round_id: str,
    version: int,
    title: str,
    segments: Sequence[Mapping[str, Any]],
    participants: Sequence[Mapping[str, Any]],
    schedule: Schedule,
    rules: Mapping[str, Mapping[str, Any]],
    minimum_notice: Mapping[str, int] | None = None,
    ratification: Mapping[str, Mapping[str, Any]] | None = None,
    reminders: Mapping[str, Sequence[str]] | None = None,
    substitution: str | None = None,
) -> dict[str, Any]:
    """The document that is canonicalised, hashed and signed when a round is published:
    the round's frame and every participating constituency's own rules, frozen together.

    Only strings, integers, booleans, lists and objects: it must canonicalise under RFC 8785
    without floats, and an auditor must get the same bytes back from it.

    ``substitution`` names how a seat declined or left unanswered after the count passes on
    (``policies.seats``: ``seats.next_alternate/1``); each selected person has the
    ``minimum_notice``'s ``acceptance`` seconds to accept.
    """
    criteria: dict[str, Any] = {
        "format": CRITERIA_FORMAT,
        # The rules the lot's inputs are gathered under (policies.lot); older criteria lack it.
        "lot": LOT_DOMAIN,
        "round_id": round_id,
        "version": version,
        "title": title,
        "segments": [dict(s) for s in segments],
        "participants": sorted(
            (
                {
                    "constituency_id": p["constituency_id"],
                    "seats": p["seats"],
                    "rules": dict(rules[p["constituency_id"]]),
                    # How the members agreed the rules, where the round asked them to.
                    **(
                        {"ratification": dict(ratification[p["constituency_id"]])}
                        if ratification and p["constituency_id"] in ratification
                        else {}
                    ),
                }
                for p in participants
            ),
            key=lambda p: str(p["constituency_id"]),
        ),
        "schedule": {
            "nominations_open_at": iso(schedule.nominations_open_at),
            "nominations_close_at": iso(schedule.nominations_close_at),
            "voting_open_at": iso(schedule.voting_open_at),
            "voting_close_at": iso(schedule.voting_close_at),
        },
    }
    if minimum_notice is not None:  # older criteria have none: their bytes stay as signed
        criteria["minimum_notice"] = dict(minimum_notice)
    if substitution is not None:  # likewise
        criteria["substitution"] = substitution
    if reminders is not None:  # closing-soon reminders in force, before each deadline
        criteria["reminders"] = {cid: list(r) for cid, r in sorted(reminders.items())}
    return criteria


def lot_of(criteria: Mapping[str, Any]) -> str:
    """The lot domain published criteria name: ``mandate.lot/1`` when they name none (they were
    published before the key existed)."""
    lot = criteria.get("lot", LOT_DOMAIN_V1)
    if lot not in LOT_DOMAINS:
        raise InvalidInput(
            N_("the criteria name lot %(lot)s; known: %(lot_domains)s"),
            lot=repr(lot),
            lot_domains=", ".join(sorted(LOT_DOMAINS)),
        )
    return str(lot)
