"""Who has signed: one signature per organisation, and the counts a signatory list publishes.

An organisation is one signatory however its name is typed: names are compared by a key that
ignores case, accents, punctuation and spacing, together with the country. A member
organisation is also one signatory by its membership (its registry id).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from policies.errors import InvalidInput
from policies.messages import N_

_WORD = re.compile(r"[^\W_]+")


def normalise_name(name: str) -> str:
    """Lower case, no accents or other marks, words of letters and digits joined by a space."""
    text = name
    for _ in range(3):  # case folding can bring out marks that decomposing then strips
        # Dotless i folds to itself, but its capital is I: "KIRIKKALE" is "Kırıkkale".
        folded = unicodedata.normalize(
            "NFKD", unicodedata.normalize("NFKC", text).casefold().replace("\u0131", "i")
        )
        stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
        words = " ".join(_WORD.findall(stripped))
        if words == text:
            break
        text = words
    return text


def organisation_key(name: str, country: str) -> str:
    """The key one organisation signs under: its country and its normalised name."""
    normalised = normalise_name(name)
    if not normalised:
        raise InvalidInput(
            N_("organisation name %(name)s has no letters or digits"), name=repr(name)
        )
    return f"{country.upper()}:{normalised}"


@dataclass(frozen=True, slots=True)
class Signatory:
    """One line of a published signatory list."""

    signature_id: str
    organisation: str
    country: str
    type: str
    region: str
    signed_on: str  # YYYY-MM-DD (UTC): the day the signature counted
    version: int  # the statement version its signer saw

    @property
    def sort_key(self) -> tuple[str, str]:
        return (organisation_key(self.organisation, self.country), self.signature_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "signature_id": self.signature_id,
            "organisation": self.organisation,
            "country": self.country,
            "type": self.type,
            "region": self.region,
            "signed_on": self.signed_on,
            "version": self.version,
        }


def in_order(signatories: Iterable[Signatory]) -> list[Signatory]:
    """Alphabetical by normalised name, then country; the signature id settles the rest."""
    return sorted(signatories, key=lambda s: s.sort_key)


def counts(signatories: Sequence[Signatory]) -> dict[str, Any]:
    """Totals by region, by organisation type and by the statement version signed."""
    return {
        "total": len(signatories),
        "by_region": dict(sorted(Counter(s.region for s in signatories).items())),
        "by_type": dict(sorted(Counter(s.type for s in signatories).items())),
        "by_version": {
            str(v): n for v, n in sorted(Counter(s.version for s in signatories).items())
        },
    }
