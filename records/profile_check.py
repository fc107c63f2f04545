"""Nominees' profiles in a round bundle, checked against what the log commits to.

A ``nomination.submitted`` entry logs a salted commitment to the nominee's profile (name,
statement, attributes: :mod:`records.profile_seal`), never the profile itself. A round bundle
may carry a ``"profiles"`` list beside its entries, one item per nomination it speaks of::

    {"nomination_id": str, "nominee_name": str, "statement": {lang: text},
     "attributes": {name: value}, "salt": base64}      # disclosed: the nominee consented
    {"nomination_id": str, "erased": true}              # its personal data were erased

What is checked:

- a disclosed profile hashes, with its salt, to the commitment its ``nomination.submitted``
  entry logs; a nomination.accepted entry logs the nominee's consent; no personal_data.erased
  entry logs its erasure; and its attributes are those ``candidates.fixed`` published for it,
  if it stands;
- an erased profile has its ``personal_data.erased`` entry (reported as "erased", with the
  reason the log gives);
- a consented profile the bundle neither discloses nor marks erased is noted, not a problem:
  withholding publishes nothing false.

Entries logged before profiles were sealed carry the profile in clear and no commitment: they
are left as they are, and old bundles verify as before.

Imports only the standard library, ``records`` and ``policies``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.errors import DomainError
from policies.rules import Candidate
from records.log_bundle import Report
from records.profile_seal import PROFILE_FIELDS, profile_commitment

# The entries of a round's scope that this module reads.
PROFILE_ENTRIES = frozenset(
    {
        "nomination.submitted",
        "nomination.accepted",
        "nomination.consent_withdrawn",
        "personal_data.erased",
    }
)
NOMINATION = "nomination"  # the personal_data.erased subject of a nomination's profile
_HEX = frozenset("0123456789abcdef")


@dataclass
class ProfileLog:
    """What the verified entries say of each nomination's profile, by nomination id."""

    commitments: dict[str, tuple[int, str]] = field(default_factory=dict)  # entry, commitment
    consented: dict[str, int] = field(default_factory=dict)  # the nomination.accepted entry
    erased: dict[str, tuple[int, str]] = field(default_factory=dict)  # entry, published reason

    def read(self, index: int, kind: str, data: Mapping[str, Any]) -> str | None:
        """Take in a verified entry (one of :data:`PROFILE_ENTRIES`); a problem, if any."""
        if kind == "personal_data.erased":
            subject, nid, reason = data.get("subject"), data.get("id"), data.get("reason")
            if type(subject) is not str or type(nid) is not str or type(reason) is not str:
                return (
                    "personal_data.erased data is malformed: expected a subject, an id and a "
                    "reason, all strings"
                )
            if subject == NOMINATION:
                self.erased[nid] = (index, reason)
            return None
        nid = data.get("nomination_id")
        if type(nid) is not str:
            return f"{kind} data names no nomination_id"
        if kind == "nomination.accepted":
            self.consented[nid] = index
            return None
        if kind == "nomination.consent_withdrawn":  # no longer public: not disclosed
            self.consented.pop(nid, None)
            return None
        commitment = data.get("profile_commitment")
        if commitment is None:
            return None  # logged before profiles were sealed: the profile is in the entry
        if type(commitment) is not str or len(commitment) != 64 or not set(commitment) <= _HEX:
            return f"profile_commitment is {commitment!r}, expected 64 lowercase hex digits"
        self.commitments[nid] = (index, commitment)
        return None

    def check(
        self,
        report: Report,
        raw: object,
        candidates: Mapping[str, tuple[int, Sequence[Candidate]]],
    ) -> None:
        """Check the bundle's ``profiles`` (``raw``) against the log; add to ``report``."""
        if raw is None:
            if self.commitments:
                report.checked.append(
                    f"{len(self.commitments)} nominee profile commitment(s) logged; the bundle "
                    "discloses no profile"
                )
            return
        if not isinstance(raw, list):
            report.fail("profiles", f"got {type(raw).__name__}, expected a list")
            return
        standing = {c.id: (i, c) for i, listed in candidates.values() for c in listed}
        seen: set[str] = set()
        matched = 0
        for position, item in enumerate(raw):
            nid = item.get("nomination_id") if isinstance(item, dict) else None
            where = f"profiles[{position}] (nomination {nid})"
            if not isinstance(item, dict) or type(nid) is not str:
                report.fail(where, "expected an object with a nomination_id")
                continue
            if nid in seen:
                report.fail(where, "listed more than once")
                continue
            seen.add(nid)
            logged = self.commitments.get(nid)
            if logged is None:
                report.fail(
                    where,
                    "no nomination.submitted entry in the bundle logs a profile_commitment for it",
                )
                continue
            if item.get("erased") is True:
                self._erased(report, where, nid, item)
            elif self._disclosed(report, where, nid, item, logged, standing.get(nid)):
                matched += 1
        if matched:
            report.checked.append(
                f"{matched} nominee profile(s) disclosed, each matching its logged commitment"
            )
        withheld = sorted(n for n in self.consented if n in self.commitments and n not in seen)
        for nid in withheld:
            report.checked.append(
                f"nomination {nid}: consented (entry {self.consented[nid]}), its profile not "
                "in this bundle"
            )

    def _erased(self, report: Report, where: str, nid: str, item: dict[str, Any]) -> None:
        extra = sorted(set(item) - {"nomination_id", "erased"})
        if extra:
            report.fail(where, f"is marked erased but carries {', '.join(extra)}")
            return
        erased = self.erased.get(nid)
        if erased is None:
            report.fail(where, "is marked erased, but no personal_data.erased entry logs it")
            return
        report.checked.append(
            f"nomination {nid}: profile erased (entry {erased[0]}, reason: {erased[1]})"
        )

    def _disclosed(
        self,
        report: Report,
        where: str,
        nid: str,
        item: dict[str, Any],
        logged: tuple[int, str],
        candidate: tuple[int, Candidate] | None,
    ) -> bool:
        index, commitment = logged
        missing = [f for f in (*PROFILE_FIELDS, "salt") if f not in item]
        if missing:
            report.fail(where, f"discloses no {', '.join(missing)}")
            return False
        good = True
        erased = self.erased.get(nid)
        if erased is not None:
            report.fail(where, f"is disclosed, but entry {erased[0]} logs its erasure")
            good = False
        if nid not in self.consented:
            report.fail(
                where,
                "is disclosed, but no nomination.accepted entry logs the nominee's consent",
            )
            good = False
        try:
            found = profile_commitment(nid, item, item["salt"])
        except DomainError as exc:
            report.fail(where, f"cannot be checked against entry {index}: {exc.detail}")
            return False
        if found != commitment:
            report.fail(
                where,
                f"does not match the profile_commitment logged at entry {index}: the disclosed "
                "name, statement, attributes or salt differ from those committed to",
            )
            return False
        if candidate is not None and dict(candidate[1].attributes) != item["attributes"]:
            report.fail(
                where,
                f"its attributes are not those candidates.fixed published at entry {candidate[0]}",
            )
            good = False
        return good
