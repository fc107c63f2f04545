"""A round bundle's sealed ballots: the commitments logged while voting was open, checked
against the openings logged at the close, give the ballots a recount counts.

Read with :mod:`records.ballot_seal` (the commitment) and :mod:`records.bundle` (the verifier
that feeds this in log order). Every problem is reported through ``fail``, naming the entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from policies.rules import ApprovalBallot, RankedBallot
from records.ballot_seal import SECRET, opening_problem, secret_ballot_names

_HEX64 = re.compile(r"[0-9a-f]{64}")

Counted = dict[str, tuple[int, ApprovalBallot | RankedBallot]]


@dataclass(frozen=True, slots=True)
class _Cast:
    index: int
    commitment: str
    voter: str | None
    replaces: str | None


@dataclass
class SealedBallots:
    """Gathers sealed ``ballot.cast`` and ``ballots.opened`` entries, in log order."""

    fail: Callable[[str, str], None]
    casts: dict[str, list[_Cast]] = field(default_factory=dict)
    openings: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    settled: dict[str, Counted | None] = field(default_factory=dict)

    def cast(self, index: int, data: dict[str, Any]) -> None:
        """A sealed ballot logged before voting closed."""
        cid, commitment = data.get("constituency_id"), data.get("commitment")
        voter, replaces = data.get("voter"), data.get("replaces")
        if not (
            type(cid) is str
            and type(commitment) is str
            and _HEX64.fullmatch(commitment)
            and (voter is None or type(voter) is str)
            and (replaces is None or (type(replaces) is str and _HEX64.fullmatch(replaces)))
        ):
            self.fail(
                f"entry {index}",
                "ballot.cast data is malformed: expected a constituency_id, a commitment of 64 "
                "hex digits, and a voter or the commitment it replaces",
            )
            return
        self.casts.setdefault(cid, []).append(_Cast(index, commitment, voter, replaces))

    def opened(self, index: int, data: dict[str, Any], before_close: bool) -> None:
        cid = data.get("constituency_id")
        where = f"entry {index}"
        if type(cid) is not str:
            self.fail(where, "ballots.opened data names no constituency_id")
        elif before_close:
            self.fail(where, "opens ballots before voting closed: their contents were public early")
        else:
            self.openings.setdefault(cid, []).append((index, data))

    def constituencies(self) -> list[str]:
        return sorted(set(self.casts) | set(self.openings))

    def counted(self, cid: str, secrecy: str) -> Counted | None:
        """The ballots the recount counts, keyed by voter (an open ballot) or by commitment (a
        secret one), each with the opening's index; None when nothing can be counted. Checked
        once per constituency."""
        if cid not in self.settled:
            self.settled[cid] = self._settle(cid, secrecy)
        return self.settled[cid]

    def _settle(self, cid: str, secrecy: str) -> Counted | None:
        secret = secrecy == SECRET
        final = self._final(cid, secret)
        found = self.openings.get(cid)
        if found is None:
            if final:
                self.fail(
                    f"constituency {cid}",
                    f"its {len(final)} sealed ballot(s) were never opened: nothing to recount",
                )
            return None
        joined = self._join(cid, found)
        if joined is None:
            return None
        index, data = joined
        where = f"entry {index}"
        if data.get("ballot_secrecy") != secrecy:
            self.fail(
                where,
                f"opens the ballots as {data.get('ballot_secrecy')!r}; the rules say {secrecy!r}",
            )
        items = data.get("ballots")
        if type(items) is not list:
            self.fail(where, "ballots.opened holds no list of ballots")
            return None
        counted: Counted = {}
        seen: list[str] = []
        seen_set: set[str] = set()
        for item in items:
            problem = opening_problem(cid, item) if isinstance(item, dict) else "is not an object"
            commitment = item.get("commitment") if isinstance(item, dict) else None
            label = f"the opening of {str(commitment)[:16]}…"
            if problem is not None:
                self.fail(where, f"{label} {problem}")
                continue
            assert isinstance(item, dict)
            assert isinstance(commitment, str)
            if commitment in seen_set:
                self.fail(where, f"{label} is listed twice")
                continue
            seen.append(commitment)
            seen_set.add(commitment)
            cast = final.get(commitment)
            if cast is None:
                self.fail(
                    where,
                    f"{label} opens no ballot counted at the close (no ballot.cast "
                    "before voting closed holds it, or it was replaced)",
                )
                continue
            if secret:
                if "voter" in item:
                    self.fail(where, f"{label} names a voter in a secret ballot")
                key = commitment  # renamed below, once every ballot is known
            else:
                key = str(cast.voter)
                if item.get("voter") != cast.voter:
                    self.fail(
                        where,
                        f"{label} names voter {item.get('voter')!r}; entry "
                        f"{cast.index} was cast by {cast.voter!r}",
                    )
            ballot: ApprovalBallot | RankedBallot = (
                ApprovalBallot(key, frozenset(item["approvals"]))
                if item.get("ranking") is None
                else RankedBallot(key, tuple(item["ranking"]))
            )
            counted[key] = (index, ballot)
        if secret:
            names = secret_ballot_names(
                {
                    c: ("approvals", tuple(sorted(b.approvals)))
                    if isinstance(b, ApprovalBallot)
                    else ("ranking", b.ranking)
                    for c, (_, b) in counted.items()
                }
            )
            counted = {names[c]: (i, replace(b, voter=names[c])) for c, (i, b) in counted.items()}
        missing = sorted(c.index for c in final.values() if c.commitment not in seen_set)
        if missing:
            self.fail(
                where,
                f"{len(missing)} counted ballot(s) are not opened: entry "
                + ", ".join(str(i) for i in missing[:5])
                + (", ..." if len(missing) > 5 else ""),
            )
        if secret and seen != sorted(seen):
            self.fail(
                where,
                "lists a secret ballot's openings out of commitment order: the "
                "order could tell when each was cast",
            )
        replaced = sorted(
            c.commitment for c in self.casts.get(cid, []) if c.commitment not in final
        )
        if data.get("replaced") != replaced:
            self.fail(
                where,
                "its list of replaced ballots differs from the ballots replaced before the close",
            )
        if secret:
            voters = data.get("voters")
            if not (
                type(voters) is list
                and all(type(v) is str for v in voters)
                and voters == sorted(set(voters))
                and len(voters) == len(final)
            ):
                self.fail(
                    where,
                    f"the list of who voted is not {len(final)} sorted, distinct "
                    "organisation ids, one per counted ballot",
                )
        return counted

    def _join(
        self, cid: str, parts: list[tuple[int, dict[str, Any]]]
    ) -> tuple[int, dict[str, Any]] | None:
        """One opening from its parts (``records.ballot_seal.opening_parts``), named by the
        index of its last part; None, with the problem reported, when the parts do not fit."""
        first = parts[0][1]
        if "part" not in first and len(parts) == 1:
            return parts[0]  # a single entry with no part numbers
        numbers = [d.get("part") for _, d in parts]
        counts = {d.get("parts") for _, d in parts}
        if numbers != list(range(1, len(parts) + 1)) or counts != {len(parts)}:
            self.fail(
                f"entry {parts[-1][0]}",
                f"the openings of {cid} are not parts 1 to {len(parts)} of {len(parts)}, once "
                f"each and in order (got parts {numbers} of {sorted(map(str, counts))})",
            )
            return None
        data: dict[str, Any] = {"ballot_secrecy": first.get("ballot_secrecy")}
        for _, part in parts:
            if part.get("ballot_secrecy") != data["ballot_secrecy"]:
                data["ballot_secrecy"] = None  # reported as not the rules' secrecy
            for key in ("ballots", "replaced", "voters"):
                if key not in part:
                    continue
                value, sofar = part[key], data.get(key, [])
                # A malformed part spoils the list: the checks on it report that.
                data[key] = [*sofar, *value] if type(value) is list and sofar is not None else None
        return parts[-1][0], data

    def _final(self, cid: str, secret: bool) -> dict[str, _Cast]:
        """The ballots standing at the close, by commitment: each voter's last (open), or
        every ballot no later one replaced (secret)."""
        final: dict[str, _Cast] = {}
        last: dict[str, _Cast] = {}
        for cast in self.casts.get(cid, []):
            where = f"entry {cast.index}"
            if not secret:
                if cast.voter is None:
                    self.fail(where, "an open ballot's entry names no voter")
                    continue
                last[cast.voter] = cast
                continue
            if cast.voter is not None:
                self.fail(where, "a secret ballot's entry names its voter")
            if cast.replaces is not None:
                if cast.replaces not in final:
                    self.fail(
                        where,
                        f"replaces {cast.replaces[:16]}…, which is not a ballot "
                        "standing at that point",
                    )
                else:
                    del final[cast.replaces]
            final[cast.commitment] = cast
        if not secret:
            final = {c.commitment: c for c in last.values()}
        return final
