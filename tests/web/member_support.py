"""What the member and nominee page tests share: rounds driven by hand through their phases
(tests/lot_rounds.py) whose member organisations hold tokens, nominations made as the API
makes them, and reading a page's consent link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from policies.access import Role
from policies.phases import Phase
from store import credentials, nominations
from store.db import Database
from tests.lot_rounds import HandRound, hand_round

HOUR = timedelta(hours=1)
CONSENT_LINK = re.compile(r"(/consent/[0-9a-f-]{36}\?token=mdc_[A-Za-z0-9_-]+)")


@dataclass
class MemberRound:
    round: HandRound
    tokens: list[str]  # each member organisation's token, in the order of round.members

    @property
    def id(self) -> str:
        return self.round.rid

    @property
    def cid(self) -> str:
        return self.round.cid

    def nominate(
        self, member: int, name: str, gender: str = "woman", statement: str | None = None
    ) -> tuple[str, str]:
        """A nomination by member ``member`` of someone of its organisation: id and token."""
        with self.round.db.write() as conn:
            done = nominations.nominate(
                conn,
                self.id,
                self.cid,
                {
                    "nominee_name": name,
                    "organisation_id": self.round.members[member],
                    "attributes": {"gender": gender},
                    "statement": {"en": statement or f"{name} will speak for us."},
                },
                "test",
            )
        return str(done.nomination["id"]), done.consent_token


def member_round(
    db: Database,
    phase: Phase,
    rules: dict[str, Any] | None = None,
    members: int = 3,
    genders: tuple[str, ...] = (),
) -> MemberRound:
    """A round of one constituency, with ``members`` member organisations holding tokens,
    driven to ``phase``: nominations open for an hour yet, or voting open for an hour yet with
    consented nominees of the given genders standing."""
    now = datetime.now(UTC)
    # hand_round: nominations 4 h to 3 h before the voting close, voting from 2 h before.
    close = now + (3.5 * HOUR if phase is Phase.NOMINATIONS_OPEN else HOUR)
    made = hand_round(db, close, rules or {}, members=members)
    with db.write() as conn:
        tokens = [
            credentials.issue(
                conn, Role.MEMBER, "m", None, constituency_id=made.cid, organisation_id=org
            ).token
            for org in made.members
        ]
    if phase is Phase.NOMINATIONS_OPEN:
        made.to(Phase.NOMINATIONS_OPEN)
    else:
        made.nominate(list(genders))
        made.to(phase)
    return MemberRound(made, tokens)


def consent_link(page: str) -> str:
    found = CONSENT_LINK.search(page.replace("&amp;", "&"))
    assert found, "no consent link on the page"
    return found.group(1)
