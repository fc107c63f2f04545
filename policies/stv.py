"""Scottish STV for ranked ballots, with the balance constraints built in by exclusion.

The count follows the Scottish Local Government Elections Order 2007 (SSI 2007/42), schedule 1,
rules 45–52:

- First stage (45): each valid ballot (one naming at least one standing candidate; ids that do
  not stand are skipped, as are repeats) counts one vote for its first preference. The quota
  (46) is ``floor(valid ballots / (vacancies + 1)) + 1``.
- A candidate whose votes equal or exceed the quota at the end of any stage is deemed elected
  (47); several at once are taken in order of votes, highest first (equal votes as for equal
  surpluses below).
- Surpluses (48, 49): while vacancies remain, the largest surplus of an elected candidate is
  transferred, one per stage. *All* the ballot papers the candidate holds are sorted by their
  next available preference (the next continuing candidate on the paper); each transferable
  paper passes on at the transfer value ``surplus × (the paper's value when received) ÷ (the
  candidate's total votes)``, to five decimal places with any remainder ignored (a first
  preference paper has value 1). This is the weighted inclusive Gregory method that rule 48(3)
  states: every paper the candidate holds, not only the last parcel received (as under the
  Northern Irish and Irish rules). The elected candidate keeps the quota. What the
  non-transferable papers would have carried is recorded as non-transferable, and the rest of
  the surplus that truncation drops is recorded as the loss.
- Exclusion (50): when no surplus remains to transfer, the continuing candidate with the fewest
  votes is excluded and all their papers pass, in one stage, to their next available
  preference at the value at which the candidate received them; papers with no next available
  preference are non-transferable.
- Ties (49(2)–(3), 51): equal surpluses, or equal lowest votes, are decided by the votes at the
  end of the most recent earlier stage at which the tied candidates had unequal votes (highest
  surplus first; lowest excluded), narrowing step by step when three or more are tied; when
  they were equal at every stage, by the lot order: the candidate earlier in ``order``
  transfers first, or survives. The stage says how each tie was broken.
- Last vacancies (52): when the continuing candidates are no more than the vacancies left,
  they are all elected and nothing more is transferred.

All values are fixed decimals with five places held as integers scaled by 100000; no float
and no fraction is ever formed. Ballots that rank the same candidates in the same order travel
together as one parcel, so the count is independent of the order of ballots and candidates.

Constraints: the count keeps the invariant that some committee of the vacancies' size that
contains every elected candidate, drawn from the elected and continuing candidates, meets every
constraint. A candidate who reaches the quota but whose election would break it is not elected
but excluded, in the next stage before anything else (their papers pass as in an exclusion).
When excluding the lowest candidate would break it, they are protected and the next lowest who
can go is excluded instead. Filling the last vacancies with every continuing candidate is then
always a committee that meets the constraints. When no committee of ``rules.seats`` can meet
the constraints, the largest size that can is filled (the quota is computed for that many
vacancies) and the rest are reported unfilled, with the reason, as every method does.

Alternates are the candidates not elected, last excluded first: candidates still continuing
when the count ends come first, in the order in which continuing to exclude them (without
transfers) would have left them, last one first; then candidates who reached the quota but
could not be elected and were never excluded; then the excluded, most recently excluded first.
Alternates are not checked against the constraints.

Where this differs from ``pref_voting`` 1.18.2's ``stv_scottish`` (the test oracle): it
transfers a surplus at each paper's current value and lets an elected candidate whose total
stays above the quota after truncation transfer again; here the candidate keeps exactly the
quota and the truncated remainder is recorded as loss, as the rules' arithmetic implies. It
applies rule 52 only once no surplus is left; here before every stage (same winners). It
counts a ballot that names no standing candidate towards the quota; here only valid ballots
count (rule 45(3)). It computes with floats; here with exact scaled integers. Its ties that
reach the lot are drawn from its own random generator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from policies.constraints import ProfileSpace, diagnose, largest_feasible_size
from policies.count_inputs import lot_positions
from policies.result import CountResult
from policies.rules import (
    RANKED_STV,
    Candidate,
    RankedBallot,
    SelectionRules,
)

METHOD = RANKED_STV
METHOD_VERSION = "1"

DECIMALS = 5
SCALE = 100_000  # 10 ** DECIMALS: values are held as integers in units of 0.00001

ACTION_FIRST = "first preferences"
ACTION_FILL = "elected to fill remaining seats"

_CONTINUING, _ELECTED, _EXCLUDED, _BLOCKED = 0, 1, 2, 3


def fixed(value: int) -> str:
    """A scaled integer as a fixed decimal with five places: 1234500000 → "12345.00000"."""
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(value), SCALE)
    return f"{sign}{whole}.{part:0{DECIMALS}d}"


@dataclass(frozen=True)
class StvStage:
    """One stage of the count, as a results sheet shows it.

    ``votes`` holds every candidate not excluded (continuing, elected, or awaiting exclusion)
    with their votes at the end of the stage, by id. ``non_transferable`` and ``loss`` are
    running totals. ``transfer_values`` lists, for a surplus, each value at which the
    candidate had received papers with the value those papers pass on at.
    """

    number: int
    action: str
    votes: tuple[tuple[str, str], ...]
    elected: tuple[str, ...]
    excluded: tuple[str, ...]
    non_transferable: str
    loss: str
    transfer_values: tuple[tuple[str, str], ...]
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "action": self.action,
            "votes": [{"candidate": c, "votes": v} for c, v in self.votes],
            "elected": list(self.elected),
            "excluded": list(self.excluded),
            "non_transferable": self.non_transferable,
            "loss": self.loss,
            "transfer_values": [{"value": v, "transfer_value": t} for v, t in self.transfer_values],
            "note": self.note,
        }


def count(
    candidates: Sequence[Candidate],
    ballots: Sequence[RankedBallot],
    rules: SelectionRules,
    order: Sequence[str],
) -> CountResult[StvStage]:
    """Count ranked ballots by Scottish STV under ``rules``.

    ``order`` is the lot order of the candidate ids (``policies.lot.lot_order``) and breaks
    every tie the earlier stages leave. Rankings may be partial; ids that do not stand are
    skipped.
    """
    position = lot_positions(METHOD, candidates, rules, order)
    return _Count(candidates, ballots, rules, position).run()


class _Count:
    """The count's state. Candidates are numbered in lot order, so a lower number wins a lot."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        ballots: Sequence[RankedBallot],
        rules: SelectionRules,
        position: dict[str, int],
    ) -> None:
        self.rules = rules
        self.cands = sorted(candidates, key=lambda c: position[c.id])
        self.ids = [c.id for c in self.cands]
        m = len(self.cands)
        number = {cid: i for i, cid in enumerate(self.ids)}
        # Ballots with the same ranking of standing candidates always move together, at the same
        # value: one parcel per distinct ranking, weighed by how many ballots share it.
        parcels: Counter[tuple[int, ...]] = Counter()
        for ballot in ballots:
            ranking = [number[cid] for cid in ballot.ranking if cid in number]
            if len(set(ranking)) != len(ranking):
                ranking = list(dict.fromkeys(ranking))
            if ranking:
                parcels[tuple(ranking)] += 1
        self.rankings = sorted(parcels)
        self.weight = [parcels[r] for r in self.rankings]
        self.valid = sum(self.weight)
        self.at = [0] * len(self.rankings)  # per parcel: the position of its current candidate
        self.value = [SCALE] * len(self.rankings)  # per parcel: the value of each of its papers
        self.pile: list[list[int]] = [[] for _ in range(m)]  # per candidate: parcels it holds
        self.votes = [0] * m
        self.status = [_CONTINUING] * m
        self.non_transferable = 0
        self.loss = 0
        self.quota = 0
        self.size = 0
        self.history: list[list[int]] = []  # votes at the end of each stage
        self.elected: list[int] = []
        self.excluded: list[int] = []  # in the order excluded
        self.blocked: list[int] = []  # reached the quota, cannot be elected, not yet excluded
        self.blocked_at: dict[int, int] = {}  # the stage at which each reached the quota
        self.surplus_due: set[int] = set()  # elected, surplus not yet transferred
        self.steps: list[StvStage] = []
        # this stage, until recorded
        self.stage_elected: list[int] = []
        self.stage_notes: list[str] = []
        # the constraints
        self.space = ProfileSpace(self.cands, rules.constraints)
        self.profile = [self.space.index(c) for c in self.cands]
        self.chosen = [0] * len(self.space.profiles)
        self.available = list(self.space.counts(self.cands))
        self.cache: dict[tuple[tuple[int, ...], tuple[int, ...], int], tuple[int, ...] | None] = {}
        self.witness: list[int] | None = None

    def run(self) -> CountResult[StvStage]:
        seats = self.rules.seats
        constraints = self.rules.constraints
        self.size = seats
        found = self._completion(self.chosen, self.available)
        reason: str | None = None
        if found is None:
            self.size = largest_feasible_size(self.cands, seats, constraints)
            reason = diagnose(self.cands, seats, constraints)
            if self.size == 0:
                reason += "; no smaller committee meets every constraint either"
            found = self._completion(self.chosen, self.available)
        self.witness = None if found is None else list(found)
        self.quota = self.valid // (self.size + 1) + 1
        self._first_stage()
        while len(self.elected) < self.size:
            self._next_stage()
        alternates = self._alternates()[: self.rules.alternates]
        return CountResult(
            method=METHOD,
            method_version=METHOD_VERSION,
            seats=seats,
            winners=tuple(self.ids[c] for c in self.elected),
            alternates=tuple(self.ids[c] for c in alternates),
            steps=tuple(self.steps),
            unfilled=seats - self.size,
            unfilled_reason=reason,
            details={"quota": str(self.quota), "valid_votes": self.valid, "decimals": DECIMALS},
        )

    # -- stages

    def _first_stage(self) -> None:
        for g, ranking in enumerate(self.rankings):
            first = ranking[0]
            self.pile[first].append(g)
            self.votes[first] += self.weight[g] * SCALE
        self._end_stage(ACTION_FIRST, excluded=[], transfer_values=[])

    def _next_stage(self) -> None:
        continuing = self._continuing()
        if self.blocked:
            c = self.blocked.pop(0)
            self.stage_notes.append(
                f"{self.ids[c]} reached the quota at stage {self.blocked_at[c]} but cannot be "
                "elected under the constraints, so is excluded"
            )
            self._exclude(c)
        elif len(continuing) <= self.size - len(self.elected):
            self._fill(continuing)
        elif self.surplus_due:
            self._surplus()
        else:
            self._exclude(self._lowest())

    def _fill(self, continuing: list[int]) -> None:
        if len(continuing) < self.size - len(self.elected):
            # Unreachable: the invariant keeps at least as many continuing as vacancies.
            raise RuntimeError(  # pragma: no cover
                f"{len(continuing)} continuing for {self.size - len(self.elected)} vacancies"
            )
        ordered = self._ranked(continuing, highest=True, note=True)
        for c in ordered:
            self._elect(c)
        vacancies = self.size - len(self.elected) + len(ordered)
        self.stage_notes.append(
            f"{_count_of(len(ordered), 'continuing candidate')} for "
            f"{_count_of(vacancies, 'remaining seat')}: deemed elected (rule 52)"
        )
        self._end_stage(ACTION_FILL, excluded=[], transfer_values=[], check_quota=False)

    def _surplus(self) -> None:
        due = sorted(self.surplus_due)
        top = max(self.votes[c] for c in due)
        tied = [c for c in due if self.votes[c] == top]
        c = tied[0]
        if len(tied) > 1:
            c, how = self._pick(tied, highest=True)
            self.stage_notes.append(
                f"{self._names(tied)} have equal surpluses, broken by {how}: "
                f"{self.ids[c]}'s is transferred first"
            )
        self.surplus_due.discard(c)
        total = self.votes[c]
        surplus = total - self.quota * SCALE
        values = sorted({self.value[g] for g in self.pile[c]}, reverse=True)
        # rule 48(3): surplus × value when received ÷ total votes, remainder ignored
        passes = {v: surplus * v // total for v in values}
        moved, lost = self._move(c, passes)
        self.votes[c] = self.quota * SCALE
        self.non_transferable += lost
        self.loss += surplus - moved - lost
        self.stage_notes.insert(0, f"surplus {fixed(surplus)} of {fixed(total)} votes")
        self._end_stage(
            f"surplus of {self.ids[c]}",
            excluded=[],
            transfer_values=[(fixed(v), fixed(passes[v])) for v in values],
        )

    def _exclude(self, c: int) -> None:
        if self.status[c] == _CONTINUING:
            self._take_out(c)
        self.status[c] = _EXCLUDED
        self.excluded.append(c)
        _, lost = self._move(c, None)  # every paper keeps its value: nothing is truncated
        self.votes[c] = 0
        self.non_transferable += lost
        self._end_stage(f"exclusion of {self.ids[c]}", excluded=[c], transfer_values=[])

    def _move(self, c: int, passes: dict[int, int] | None) -> tuple[int, int]:
        """Pass every parcel ``c`` holds to its next available preference, at the value
        ``passes`` gives for its current value (unchanged when None). Returns the value moved
        and the value left non-transferable."""
        status, rankings, at, value = self.status, self.rankings, self.at, self.value
        weight, pile, votes = self.weight, self.pile, self.votes
        moved = lost = 0
        for g in pile[c]:
            v = value[g] if passes is None else passes[value[g]]
            if v == 0:
                continue  # a paper of value 0 carries nothing from here on
            ranking = rankings[g]
            end = len(ranking)
            p = at[g] + 1
            while p < end and status[ranking[p]] != _CONTINUING:
                p += 1
            worth = weight[g] * v
            if p == end:
                lost += worth
                continue
            to = ranking[p]
            at[g] = p
            value[g] = v
            pile[to].append(g)
            votes[to] += worth
            moved += worth
        pile[c] = []
        return moved, lost

    def _end_stage(
        self,
        action: str,
        excluded: list[int],
        transfer_values: list[tuple[str, str]],
        *,
        check_quota: bool = True,
    ) -> None:
        self.history.append(list(self.votes))
        number = len(self.history)
        if check_quota:
            self._deem_elected(number)
        shown = sorted(
            (self.ids[c], fixed(self.votes[c]))
            for c in range(len(self.cands))
            if self.status[c] != _EXCLUDED
        )
        self.steps.append(
            StvStage(
                number=number,
                action=action,
                votes=tuple(shown),
                elected=tuple(self.ids[c] for c in self.stage_elected),
                excluded=tuple(self.ids[c] for c in excluded),
                non_transferable=fixed(self.non_transferable),
                loss=fixed(self.loss),
                transfer_values=tuple(transfer_values),
                note="; ".join(self.stage_notes),
            )
        )
        self.stage_elected = []
        self.stage_notes = []

    def _deem_elected(self, number: int) -> None:
        """Rule 47, with the constraints: elect who reached the quota, highest first, unless
        electing them would leave the constraints unsatisfiable; those wait for exclusion."""
        if len(self.elected) >= self.size:
            return
        quota = self.quota * SCALE
        reached = [c for c in self._continuing() if self.votes[c] >= quota]
        for c in self._ranked(reached, highest=True, note=True):
            if len(self.elected) >= self.size:
                break
            if self._can_elect(c):
                self._elect(c)
                continue
            self.status[c] = _BLOCKED
            self._take_out(c)
            self.blocked.append(c)
            self.blocked_at[c] = number
            self.stage_notes.append(
                f"{self.ids[c]} reached the quota but is not elected: electing "
                f"{self.ids[c]} would leave no {self.size} of the elected and continuing "
                f"candidates meeting every constraint{self._bounds(c, upper=True)}"
            )

    def _lowest(self) -> int:
        """Rules 50 and 51, with the constraints: the continuing candidate to exclude."""
        continuing = self._continuing()
        for v in sorted({self.votes[c] for c in continuing}):
            group = [c for c in continuing if self.votes[c] == v]
            while group:
                c = group[0]
                if len(group) > 1:
                    c, how = self._pick(group, highest=False)
                    self.stage_notes.append(
                        f"{self._names(group)} tied at {fixed(v)} for exclusion, broken by "
                        f"{how}: {self.ids[c]} lowest"
                    )
                group.remove(c)
                if self._can_exclude(c):
                    return c
                self.stage_notes.append(
                    f"{self.ids[c]} is protected: excluding {self.ids[c]} would leave no "
                    f"{self.size} of the elected and continuing candidates meeting every "
                    f"constraint{self._bounds(c, upper=False)}"
                )
        # Unreachable: more continuing candidates than vacancies means some continuing
        # candidate is outside a committee that meets the constraints, and can go.
        raise RuntimeError(  # pragma: no cover
            f"no candidate can be excluded at stage {len(self.history) + 1}"
        )

    # -- ties

    def _pick(self, tied: list[int], *, highest: bool) -> tuple[int, str]:
        """Of candidates with equal votes, the one with the most (``highest``) or fewest votes
        at the end of the most recent stage at which they differed, narrowing stage by stage;
        when they never differed, the lot decides: the earliest in the lot order has the most.
        Returns the candidate and how the tie was broken."""
        group = sorted(tied)
        used: list[int] = []
        for k in range(len(self.history) - 1, -1, -1):
            snap = self.history[k]
            values = [snap[c] for c in group]
            extreme = max(values) if highest else min(values)
            narrowed = [c for c in group if snap[c] == extreme]
            if len(narrowed) < len(group):
                group = narrowed
                used.append(k + 1)
                if len(group) == 1:
                    break
        stages = ", ".join(str(k) for k in used)
        by_votes = f"the votes at stage{'s' if len(used) > 1 else ''} {stages}"
        if len(group) == 1:
            return group[0], by_votes
        chosen = group[0] if highest else group[-1]
        return chosen, f"{by_votes}, then lot" if used else "lot"

    def _ranked(self, cands: list[int], *, highest: bool, note: bool = False) -> list[int]:
        """``cands`` by votes (most first when ``highest``), ties broken as rule 51 does."""
        out: list[int] = []
        for v in sorted({self.votes[c] for c in cands}, reverse=highest):
            group = [c for c in cands if self.votes[c] == v]
            tied = list(group)
            hows: list[str] = []
            while len(group) > 1:
                c, how = self._pick(group, highest=highest)
                if how not in hows:
                    hows.append(how)
                out.append(c)
                group.remove(c)
            out.extend(group)
            if hows and note:
                self.stage_notes.append(
                    f"{self._names(tied)} tied at {fixed(v)}, ordered by {'; '.join(hows)}"
                )
        return out

    # -- the constraints

    def _completion(self, chosen: list[int], available: list[int]) -> tuple[int, ...] | None:
        key = (tuple(chosen), tuple(available), self.size)
        if key not in self.cache:
            self.cache[key] = self.space.completion(chosen, available, self.size)
        return self.cache[key]

    def _can_elect(self, c: int) -> bool:
        p = self.profile[c]
        if self.witness is None:
            return False
        if self.witness[p] > 0:
            return True
        chosen, available = list(self.chosen), list(self.available)
        chosen[p] += 1
        available[p] -= 1
        return self._completion(chosen, available) is not None

    def _elect(self, c: int) -> None:
        p = self.profile[c]
        self.status[c] = _ELECTED
        self.elected.append(c)
        self.stage_elected.append(c)
        if self.votes[c] > self.quota * SCALE:
            self.surplus_due.add(c)
        self.chosen[p] += 1
        self.available[p] -= 1
        if self.witness is not None and self.witness[p] > 0:
            self.witness[p] -= 1
        else:
            self._rewitness()

    def _can_exclude(self, c: int) -> bool:
        p = self.profile[c]
        if self.witness is not None and self.witness[p] < self.available[p]:
            return True
        available = list(self.available)
        available[p] -= 1
        return self._completion(self.chosen, available) is not None

    def _take_out(self, c: int) -> None:
        """``c`` stops continuing (excluded, or waiting to be)."""
        p = self.profile[c]
        self.available[p] -= 1
        if self.witness is not None and self.witness[p] > self.available[p]:
            self._rewitness()

    def _rewitness(self) -> None:
        found = self._completion(self.chosen, self.available)
        self.witness = None if found is None else list(found)

    def _bounds(self, c: int, *, upper: bool) -> str:
        """The constraints a candidate counts towards: caps (``upper``) or minimums."""
        attributes = self.cands[c].attributes
        found = []
        for k in self.rules.constraints:
            if upper and k.max is not None:
                applies = k.matches(attributes) or (
                    k.value is None and attributes.get(k.attribute) is not None
                )
            else:
                applies = not upper and k.min > 0 and k.matches(attributes)
            if applies:
                found.append(k.describe())
        return f" ({self.ids[c]} counts towards {'; '.join(found)})" if found else ""

    # -- the end

    def _alternates(self) -> list[int]:
        """Not elected, last excluded first: as if the count went on excluding, without
        transfers, those waiting for exclusion and then the continuing, lowest first."""
        rest = self._ranked(self._continuing(), highest=False)
        return list(reversed([*self.excluded, *self.blocked, *rest]))

    def _continuing(self) -> list[int]:
        return [c for c, s in enumerate(self.status) if s == _CONTINUING]

    def _names(self, cands: list[int]) -> str:
        return ", ".join(sorted(self.ids[c] for c in cands))


def _count_of(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
