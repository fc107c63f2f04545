"""The signed signatory record of a campaign, published when its sign-on window closes.

Format ``mandate.signatories/1`` (canonical JSON, signed as a DSSE envelope of payload type
``application/vnd.mandate.signatories.v1+json``)::

    {
      "format": "mandate.signatories/1",
      "campaign_id": str,
      "statements": [{"version": int, "statement_hash": str}, ...],  # every version, in order
      "closes_at": str,                 # when the window closed (after any extension)
      "checkpoint": {"origin", "size", "root_hash"},  # a checkpoint holding every signature
                                        #   entry the list is made from
      "region_scheme": "registry",      # how regions were given (policies.regions): a
                                        #   member's is its organisation's registered region,
                                        #   a code of the published region list; an outside
                                        #   organisation's is the UN M49 region of its country.
                                        #   Records made before were "un-m49": all by country.
      "signatories": [                  # confirmed and not withdrawn, in policies.signatories
        {"signature_id", "organisation", "country", "type", "region",   #   order
         "signed_on": "YYYY-MM-DD", "version": int}
      ],
      "counts": {"total": int, "by_region": {...}, "by_type": {...}, "by_version": {...}}
    }

The list is exactly what the campaign's log entries say, read up to the entry that closes the
window: a member's ``signature.submitted`` (state ``confirmed``) or an outside organisation's
``signature.confirmed`` makes a signatory, on the day of that entry; a later
``signature.withdrawn`` takes it out. :class:`LogReading` reads them so; the verifier recounts
with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.regions import REGION_SCHEME, REGION_SCHEMES
from policies.signatories import Signatory, counts, in_order

SIGNATORIES_FORMAT = "mandate.signatories/1"
SIGNATORIES_TYPE = "signatories"  # the DSSE payload type of the record


def signatory_record(
    *,
    campaign_id: str,
    statements: Sequence[tuple[int, str]],
    closes_at: str,
    checkpoint: Mapping[str, Any],
    signatories: Iterable[Signatory],
    region_scheme: str = REGION_SCHEME,
) -> dict[str, Any]:
    """The record; a ``region_scheme`` other than the current one to recount an older record."""
    listed = in_order(signatories)
    return {
        "format": SIGNATORIES_FORMAT,
        "campaign_id": campaign_id,
        "statements": [{"version": v, "statement_hash": h} for v, h in statements],
        "closes_at": closes_at,
        "checkpoint": dict(checkpoint),
        "region_scheme": region_scheme,
        "signatories": [s.to_json() for s in listed],
        "counts": counts(listed),
    }


def recount_scheme(signed: Mapping[str, Any]) -> str:
    """The region scheme to recount a signed record with: the one it names, if it is one this
    code knows (a record made before organisations chose regions says ``un-m49``)."""
    named = signed.get("region_scheme")
    return named if isinstance(named, str) and named in REGION_SCHEMES else REGION_SCHEME


class LogReading:
    """Reads a campaign's signature entries in log order, as the record is made from them."""

    def __init__(self) -> None:
        self.counting: dict[str, tuple[int, Signatory]] = {}  # by signature id: (entry, line)
        self.withdrawn: set[str] = set()

    def read(self, index: int, kind: str, at: str, data: Mapping[str, Any]) -> None:
        """One verified entry; raises ValueError (or KeyError, TypeError) when malformed."""
        sid = data["signature_id"]
        if type(sid) is not str:
            raise ValueError(f"signature_id is {sid!r}, expected a string")
        counts_now = (kind == "signature.submitted" and data.get("state") == "confirmed") or (
            kind == "signature.confirmed"
        )
        if counts_now:
            if sid in self.counting or sid in self.withdrawn:
                raise ValueError(f"signature {sid} counts twice")
            self.counting[sid] = (index, _line(sid, at, data))
        elif kind == "signature.withdrawn":
            self.counting.pop(sid, None)
            self.withdrawn.add(sid)

    def signatories(self) -> list[Signatory]:
        return [line for _, line in self.counting.values()]


def _line(sid: str, at: str, data: Mapping[str, Any]) -> Signatory:
    fields = {}
    for name in ("organisation", "country", "type", "region"):
        value = data[name]
        if type(value) is not str:
            raise ValueError(f"{name} is {value!r}, expected a string")
        fields[name] = value
    version = data["version"]
    if type(version) is not int:
        raise ValueError(f"version is {version!r}, expected an integer")
    return Signatory(
        signature_id=sid,
        organisation=fields["organisation"],
        country=fields["country"],
        type=fields["type"],
        region=fields["region"],
        signed_on=at[:10],
        version=version,
    )


SIGNATURE_ENTRIES = frozenset(
    {"signature.submitted", "signature.confirmed", "signature.withdrawn", "signature.lapsed"}
)
