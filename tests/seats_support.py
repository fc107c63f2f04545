"""A decided round driven by hand, whose seats a test then offers, answers and lapses: two
seats, "at least one woman", three alternates (two men before a woman)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from policies.notice import NO_MINIMUM
from policies.phases import Phase
from store import ballots, log, nominations, outcomes, registry, round_phases, rounds
from store import rules as rules_store
from store.db import Database
from tests.keys import ORIGIN
from tests.lot_rounds import SEQ
from tests.workflows.support import members as member_organisations

HOUR = timedelta(hours=1)
ACTOR = "test"
RULES = {
    "alternates": 3,
    "one_nominee_per_organisation": False,
    "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
}
# (name, gender, approvals it gets): Phragmén seats Amir, then the constraint seats Bea; the
# alternates step in as Cyril, Emil, Dora.
NOMINEES = (("Amir", "man", 6), ("Bea", "woman", 2), ("Cyril", "man", 5), ("Dora", "woman", 1))
EXTRA = ("Emil", "man", 3)


@dataclass
class DecidedRound:
    db: Database
    rid: str
    cid: str
    close: datetime
    ids: dict[str, str]  # name -> nomination id
    tokens: dict[str, str]  # name -> consent token
    winners: list[str]
    alternates: list[str]

    def name(self, nomination_id: str | None) -> str | None:
        return next((n for n, i in self.ids.items() if i == nomination_id), None)


def decided_round(db: Database, close: datetime | None = None) -> DecidedRound:
    close = close or datetime(2026, 1, 10, 12, tzinfo=UTC)
    with db.write() as conn:
        c = registry.create_constituency(conn, f"Seats {uuid.uuid4()}", "", ACTOR)
    orgs = member_organisations(db, c["id"], 6)
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": "Seats round",
                "segments": [{"key": "plenary", "title": "Plenary"}],
                "participants": [{"constituency_id": c["id"], "seats": 2}],
                "schedule": {
                    "nominations_open_at": close - 4 * HOUR,
                    "nominations_close_at": close - 3 * HOUR,
                    "voting_open_at": close - 2 * HOUR,
                    "voting_close_at": close,
                },
            },
            ACTOR,
        )
        rules_store.publish_rules(conn, draft["id"], c["id"], RULES, ACTOR)
        rounds.publish(conn, draft["id"], ACTOR, now=close - 5 * HOUR, notice=NO_MINIMUM)
    rid, cid = draft["id"], c["id"]

    def to(phase: Phase) -> None:
        with db.write() as conn:
            round_phases.enter(conn, rid, phase, SEQ[phase], close)

    to(Phase.NOMINATIONS_OPEN)
    ids, tokens = {}, {}
    at = close - 3.5 * HOUR
    with db.write() as conn:
        for name, gender, _ in (*NOMINEES, EXTRA):
            done = nominations.nominate(
                conn,
                rid,
                cid,
                {
                    "nominee_name": name,
                    "organisation_id": orgs[0],
                    "attributes": {"gender": gender},
                    "statement": {"en": "I will speak"},
                },
                ACTOR,
                at,
            )
            nominations.respond(conn, done.nomination["id"], done.consent_token, True, at)
            ids[name], tokens[name] = done.nomination["id"], done.consent_token
    to(Phase.NOMINATIONS_CLOSED)
    to(Phase.VOTING_OPEN)
    with db.write() as conn:
        for n, org in enumerate(orgs):
            approvals = [ids[name] for name, _, v in (*NOMINEES, EXTRA) if v > n]
            ballots.cast(conn, rid, cid, org, approvals, ACTOR, close - HOUR)
    to(Phase.VOTING_CLOSED)
    to(Phase.COUNTING)
    with db.write() as conn:
        covering = log.integrate_all(conn, ORIGIN)
    with db.write() as conn:
        outcomes.publish_outcomes(conn, rid, log.require_checkpoint(conn))
    del covering
    to(Phase.DECIDED)
    with db.read() as conn:
        result = json.loads(outcomes.get(conn, rid, cid)["record"])["result"]
    return DecidedRound(db, rid, cid, close, ids, tokens, result["winners"], result["alternates"])
