"""Criteria ratified by the members: a constituency's draft rules put to its member
organisations, who comment and approve, before the round can be published.

The secretariat sets the threshold for a round: the share of each constituency's member
organisations (in percent) that must approve the rules as they stand; 0 asks for none. The
count, the threshold and any override by the secretariat (with its reason) go into the signed
criteria, so anyone can see how the rules were agreed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ratification:
    threshold: int  # percent of member organisations
    members: int
    approvals: int  # of the rules as they stand (their current version)
    rules_version: int | None  # the version put to the members; None: never put
    override: str | None = None  # the secretariat's reason for publishing without it

    @property
    def met(self) -> bool:
        return self.approvals * 100 >= self.threshold * self.members

    @property
    def needed(self) -> int:
        """How many approvals the threshold asks for."""
        return -(-self.threshold * self.members // 100)

    def to_json(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "members": self.members,
            "approvals": self.approvals,
            "rules_version": self.rules_version,
            "override": self.override,
        }
