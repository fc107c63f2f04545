"""Rounds driven by hand through their phases, at times the test chooses: a voting close in
2023 makes the beacon round a selection waits for one of the real quicknet rounds recorded in
tests/records/test_drand.py. The phases are mirrored as the workflow mirrors them (same seqs),
so a workflow started later on the same round carries on from where the test left it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

from policies.beacon import MARGIN, QUICKNET
from policies.notice import NO_MINIMUM
from policies.phases import Phase
from policies.randomness import commitment_for
from records.drand import beacon_randomness
from store import ballots, nominations, randomness, registry, round_phases, rounds
from store import rules as rules_store
from store.db import Database
from store.randomness import SECRETARIAT_PARTY
from tests.conftest import free_port
from tests.receivers import serving
from tests.records.test_drand import QUICKNET_ROUNDS
from tests.workflows.support import members as member_organisations

HOUR = timedelta(hours=1)
ACTOR = "test"
# quicknet's pinned description, as rules name it now
BEACON = {"chain_hash": QUICKNET.chain_hash, "public_key": QUICKNET.public_key}
# The mirror's seq of each phase: the workflow's publication is change 1.
SEQ = {
    Phase.NOMINATIONS_OPEN: 2,
    Phase.NOMINATIONS_CLOSED: 3,
    Phase.VOTING_OPEN: 4,
    Phase.VOTING_CLOSED: 5,
    Phase.COUNTING: 6,
    Phase.DECIDED: 7,
}


def close_for_round(beacon_round: int, reveal_window: int = 0) -> datetime:
    """The voting close whose beacon round (under mandate.lot/2) is ``beacon_round``."""
    return QUICKNET.round_time(beacon_round) - MARGIN - timedelta(seconds=reveal_window)


def beacon_value(round_: int) -> dict[str, Any]:
    """A real quicknet round, as a relay publishes it."""
    signature = QUICKNET_ROUNDS[round_]
    return {"round": round_, "randomness": beacon_randomness(signature), "signature": signature}


@dataclass
class HandRound:
    db: Database
    rid: str
    cid: str
    close: datetime  # voting close
    coordinators: list[str]
    members: list[str]
    secrets: dict[str, str] = field(default_factory=dict)
    phase: Phase = Phase.PUBLISHED

    @property
    def parties(self) -> list[str]:
        return [SECRETARIAT_PARTY, *self.coordinators]

    def to(self, phase: Phase) -> None:
        """Mirror every phase up to ``phase`` that the round has not reached."""
        for step, seq in SEQ.items():
            if seq <= SEQ.get(self.phase, 1) or seq > SEQ[phase]:
                continue
            with self.db.write() as conn:
                round_phases.enter(conn, self.rid, step, seq, self.close)
            self.phase = step

    def commit_all(self) -> None:
        """Every party commits to a fresh secret, before nominations close."""
        with self.db.write() as conn:
            for party in self.parties:
                secret = uuid.uuid4().hex * 2
                self.secrets[party] = secret
                randomness.commit(
                    conn,
                    self.rid,
                    self.cid,
                    party,
                    commitment_for(party, secret),
                    ACTOR,
                    self.close - 4 * HOUR,
                )

    def nominate(self, genders: list[str]) -> list[str]:
        """Consented nominees, one from each member organisation in turn."""
        self.to(Phase.NOMINATIONS_OPEN)
        at = self.close - 3.5 * HOUR
        ids: list[str] = []
        with self.db.write() as conn:
            for org, gender in zip(self.members, genders, strict=False):
                done = nominations.nominate(
                    conn,
                    self.rid,
                    self.cid,
                    {
                        "nominee_name": f"Nominee {len(ids)}",
                        "organisation_id": org,
                        "attributes": {"gender": gender},
                        "statement": {"en": "I will speak"},
                    },
                    ACTOR,
                    at,
                )
                nominations.respond(conn, done.nomination["id"], done.consent_token, True, at)
                ids.append(done.nomination["id"])
        return ids

    def vote(self, voter: str, approvals: list[str], at: datetime | None = None) -> None:
        with self.db.write() as conn:
            ballots.cast(conn, self.rid, self.cid, voter, approvals, ACTOR, at or self.close - HOUR)

    def reveal(self, party: str, at: datetime | None = None) -> None:
        with self.db.write() as conn:
            randomness.reveal(
                conn,
                self.rid,
                self.cid,
                party,
                self.secrets[party],
                ACTOR,
                at or self.close + timedelta(seconds=1),
            )


def hand_round(
    db: Database,
    close: datetime,
    rules: dict[str, Any],
    *,
    coordinators: int = 1,
    members: int = 4,
    publish: bool = True,
) -> HandRound:
    """A published round (a draft, without ``publish``) of one constituency whose voting
    closes at ``close``: nominations from 4 h before to 3 h before, voting from 2 h before."""
    with db.write() as conn:
        c = registry.create_constituency(conn, f"Lot {uuid.uuid4()}", "", ACTOR)
        coords = [
            registry.add_coordinator(
                conn, c["id"], f"Coordinator {i}", "c@example.org", None, ACTOR
            )
            for i in range(coordinators)
        ]
    orgs = member_organisations(db, c["id"], members)
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": "Round",
                "segments": [{"key": "plenary", "title": "Plenary"}],
                "participants": [{"constituency_id": c["id"], "seats": 1}],
                "schedule": {
                    "nominations_open_at": close - 4 * HOUR,
                    "nominations_close_at": close - 3 * HOUR,
                    "voting_open_at": close - 2 * HOUR,
                    "voting_close_at": close,
                },
            },
            ACTOR,
        )
        rules_store.publish_rules(
            conn, draft["id"], c["id"], {"one_nominee_per_organisation": False, **rules}, ACTOR
        )
        if publish:
            rounds.publish(conn, draft["id"], ACTOR, now=close - 5 * HOUR, notice=NO_MINIMUM)
    return HandRound(db, draft["id"], c["id"], close, [k["id"] for k in coords], orgs)


@dataclass
class Relay:
    """A drand HTTP relay on 127.0.0.1 serving the recorded quicknet rounds. ``script`` says how
    to answer the next requests, in turn: "too early" (425, as drand answers before a round's
    time), "forged" (another round's signature and randomness under this round's number: it
    fails only the pairing check), "down" (503); then the real round. Unknown rounds and
    chains are 404."""

    url: str
    script: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> tuple[int, dict[str, Any] | None]:
        with self.lock:
            self.asked.append(path)
            how = self.script.pop(0) if self.script else "real"
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != QUICKNET.chain_hash or parts[1] != "public":
            return 404, None
        try:
            value = beacon_value(int(parts[2]))
        except (ValueError, KeyError):
            return 404, None
        if how == "too early":
            return 425, None
        if how == "down":
            return 503, None
        if how == "forged":  # another round's signature, consistent with its randomness
            other = beacon_value(min(r for r in QUICKNET_ROUNDS if r != value["round"]))
            value = {**other, "round": value["round"]}
        return 200, value


@contextmanager
def drand_relay(script: list[str] | None = None) -> Iterator[Relay]:
    port = free_port()
    relay = Relay(f"http://127.0.0.1:{port}", list(script or []))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = relay.answer(self.path)
            data = json.dumps(body).encode() if body is not None else b"{}"
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(port, Handler):
        yield relay
