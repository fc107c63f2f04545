"""Offline checks of seat acceptance and substitution (store/seats.py writes these entries).

For each constituency whose seats were offered, in log order:

- ``seats.offered`` names the logged outcome's hash and offers its winners, seat by seat, under
  the substitution the criteria name (criteria published before they named one: the first,
  ``seats.next_alternate/1``);
- ``seat.accepted`` / ``seat.declined`` name the seat's current holder, before their deadline;
- each ``outcome.amended`` names the outcome and, as ``previous``, the outcome's hash (the
  first) or the SHA-256 of the previous amendment's canonical data; it vacates the seat's
  current holder, who had not accepted (a decline logged, or a lapse at or after the deadline);
  its successor and skipped alternates are recomputed with ``policies.seats.substitute`` from
  the published alternate order, the candidates' logged attributes and the criteria's
  constraints; ``seats`` is the panel after it;
- ``seats.confirmed`` states the final panel (None: empty), every filled seat accepted, the
  chain's head, and a panel that keeps every constraint the outcome's winners met (a minimum
  may fall short only by the seats left empty).

Imports only ``policies`` and ``records``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from policies.rules import Candidate, SelectionRules
from policies.seats import DECLINED, LAPSED, REASONS, SUBSTITUTIONS, keeps, meets, substitute
from records.canonical import canonical_hash

SEAT_ENTRIES = frozenset(
    {"seats.offered", "seat.accepted", "seat.declined", "outcome.amended", "seats.confirmed"}
)

Fail = Callable[[str, str], None]


def _at(text: str) -> datetime:
    """An instant as logged (``policies.times.iso``): compared as times, never as strings,
    since a whole second is written without its fraction."""
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class _Event:
    index: int
    kind: str
    at: str
    data: dict[str, Any]


@dataclass
class _Seats:
    panel: list[str | None]
    deadlines: dict[str, str] = field(default_factory=dict)  # nomination id -> its deadline
    asked: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    declined: set[str] = field(default_factory=set)
    head: str = ""
    amendments: int = 0


class SeatLog:
    """The seat entries of a round's log, by constituency, in log order."""

    def __init__(self) -> None:
        self.events: dict[str, list[_Event]] = {}

    def read(self, index: int, kind: str, at: str, data: dict[str, Any]) -> str | None:
        """Keep one entry; a problem to report if it is malformed."""
        cid = data.get("constituency_id")
        if type(cid) is not str:
            return f"{kind} data names no constituency_id"
        self.events.setdefault(cid, []).append(_Event(index, kind, at, data))
        return None

    def check(
        self,
        fail: Fail,
        checked: list[str],
        outcomes: Sequence[tuple[int, Mapping[str, Any]]],
        candidates: Mapping[str, tuple[int, list[Candidate]]],
        criteria: Mapping[str, Any] | None,
    ) -> None:
        """``outcomes``: the verified ``outcome.published`` entries (index, data)."""
        for cid in sorted(self.events):
            try:
                self._check(fail, checked, cid, outcomes, candidates, criteria)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                fail(f"seats of {cid}", f"malformed seat entries ({exc!r})")

    def _check(
        self,
        fail: Fail,
        checked: list[str],
        cid: str,
        outcomes: Sequence[tuple[int, Mapping[str, Any]]],
        candidates: Mapping[str, tuple[int, list[Candidate]]],
        criteria: Mapping[str, Any] | None,
    ) -> None:
        events = self.events[cid]
        where = f"seats of {cid}"
        published = [d for _, d in outcomes if d.get("constituency_id") == cid]
        if not published:
            fail(f"entry {events[0].index}", f"{events[0].kind} for {cid}, which has no outcome")
            return
        outcome = published[-1]
        participant = next(
            (
                p
                for p in (criteria or {}).get("participants", [])
                if isinstance(p, dict) and p.get("constituency_id") == cid
            ),
            None,
        )
        if participant is None:
            fail(where, "not checked: the criteria do not verify or do not name the constituency")
            return
        rules = SelectionRules.from_json(participant.get("rules") or {})
        # Criteria published since name their method; older ones are held to the first.
        named = (criteria or {}).get("substitution")
        methods = SUBSTITUTIONS if named is None else frozenset({named}) & SUBSTITUTIONS
        seats_given = int(participant.get("seats", rules.seats))
        attributes = {c.id: c.attributes for c in candidates.get(cid, (0, []))[1]}
        winners = [str(w) for w in outcome["winners"]]
        alternates = [str(a) for a in outcome["alternates"]]
        state = _Seats(panel=list(winners), asked=set(winners), head=str(outcome["outcome_hash"]))
        confirmed: _Event | None = None
        for e in events:
            here = f"entry {e.index}"
            d = e.data
            if confirmed is not None:
                fail(here, f"{e.kind} after the seats of {cid} were confirmed")
            answer = e.kind in ("seat.accepted", "seat.declined")
            if not answer and d.get("outcome_hash") != outcome["outcome_hash"]:
                fail(here, f"names outcome {d.get('outcome_hash')}, not the logged outcome")
            if e.kind == "seats.offered":
                offered = [s["nomination_id"] for s in d["seats"]]
                if offered != winners:
                    fail(here, "offers the seats to others than the outcome's winners, in order")
                if d.get("substitution") not in methods:
                    fail(here, f"names substitution {d.get('substitution')!r}, not the criteria's")
                for s in d["seats"]:
                    state.deadlines[str(s["nomination_id"])] = str(s["deadline"])
            elif e.kind in ("seat.accepted", "seat.declined"):
                nid, seat = d["nomination_id"], int(d["seat"])
                if not 1 <= seat <= len(state.panel) or state.panel[seat - 1] != nid:
                    fail(here, f"{nid} answers for seat {seat}, which is not theirs")
                elif nid in state.accepted or nid in state.declined:
                    fail(here, f"{nid} answered for seat {seat} before")
                elif nid not in state.deadlines or _at(e.at) >= _at(state.deadlines[nid]):
                    fail(here, f"{nid} answered at {e.at}, after the deadline")
                (state.accepted if e.kind == "seat.accepted" else state.declined).add(nid)
            elif e.kind == "outcome.amended":
                self._amended(fail, here, e, state, alternates, attributes, rules, methods)
            else:  # seats.confirmed
                confirmed = e
                final = list(state.panel) + [None] * (seats_given - len(state.panel))
                if d["seats"] != final:
                    fail(here, f"states seats {d['seats']}; the amendments give {final}")
                if d.get("head") != state.head:
                    fail(here, "does not name the last amendment (or the outcome) as its head")
                if int(d.get("empty", -1)) != sum(1 for s in final if s is None):
                    fail(here, "miscounts its empty seats")
                waiting = [s for s in final if s is not None and s not in state.accepted]
                if waiting:
                    fail(here, f"confirms seats not accepted: {', '.join(waiting)}")
                filled = [s for s in final if s is not None]
                empty = len(final) - len(filled)
                if not keeps(winners, filled, attributes, rules.constraints, empty):
                    fail(here, "the final seats break a balance constraint the outcome met")
                short = meets(filled, attributes, rules.constraints)
                checked.append(
                    f"{where}: {state.amendments} amendment(s) recomputed from the published "
                    f"alternate order; confirmed with {len(filled)} seat(s) accepted and "
                    f"{len(final) - len(filled)} empty"
                    + (f" (short of: {'; '.join(short)})" if short else "; constraints met")
                )
        if confirmed is None:
            checked.append(
                f"{where}: {state.amendments} amendment(s) recomputed from the published "
                "alternate order; not confirmed yet"
            )

    @staticmethod
    def _amended(
        fail: Fail,
        here: str,
        e: _Event,
        state: _Seats,
        alternates: list[str],
        attributes: Mapping[str, Mapping[str, str]],
        rules: SelectionRules,
        methods: frozenset[str],
    ) -> None:
        d = e.data
        seat, vacated, reason = int(d["seat"]), d["vacated"], d["reason"]
        if d.get("previous") != state.head:
            fail(here, "does not chain to the outcome or the previous amendment (previous)")
        if d.get("substitution") not in methods:
            fail(here, f"names substitution {d.get('substitution')!r}, not the criteria's")
        if reason not in REASONS:
            fail(here, f"gives reason {reason!r}, expected declined or lapsed")
        if not 1 <= seat <= len(state.panel) or state.panel[seat - 1] != vacated:
            fail(here, f"vacates seat {seat}, which {vacated} does not hold")
            return
        if vacated in state.accepted:
            fail(here, f"vacates seat {seat}, which {vacated} accepted")
        if reason == DECLINED and vacated not in state.declined:
            fail(here, f"says {vacated} declined, and no decline is logged")
        deadline = state.deadlines.get(vacated)
        if reason == LAPSED and (
            vacated in state.declined or deadline is None or _at(e.at) < _at(deadline)
        ):
            fail(here, f"lapses {vacated}'s seat before their deadline")
        again = substitute(
            panel=state.panel,
            seat=seat,
            reason=reason,
            alternates=alternates,
            asked=state.asked,
            attributes=attributes,
            constraints=rules.constraints,
        )
        if d.get("successor") != again.successor or d.get("skipped") != list(again.skipped):
            fail(
                here,
                f"passes seat {seat} to {d.get('successor')} skipping {d.get('skipped')}; the "
                f"published alternates and constraints give {again.successor} skipping "
                f"{list(again.skipped)}",
            )
        state.panel[seat - 1] = again.successor
        if d.get("seats") != state.panel:
            fail(here, f"states seats {d.get('seats')}; the substitution gives {state.panel}")
        if again.successor is not None:
            state.asked.add(again.successor)
            state.deadlines[again.successor] = str(d.get("deadline"))
        state.head = canonical_hash(d)
        state.amendments += 1
