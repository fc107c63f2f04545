"""Build a real round bundle of a given size through the store code, for ``bench.verify``.

A fresh SQLite database in a temporary folder, migrated; a records and a checkpoints key listed
and the key list logged; one constituency of ``voters`` member organisations (written in bulk
straight to the tables: the bundle holds only the round's and the key list's entries, not the
registry's); a round with 3 seats, 2 alternates and "at least one woman"; 10 nominations from
10 members, each with the nominee's consent; the candidate list fixed at nominations close as
the round's workflow does (``store.rounds.mirror_phase`` + ``store.nominations.fix_candidates``
in one transaction); then one approval ballot per voter through ``store.ballots.cast``, many per
transaction, with the log integrated after each batch as the integrator would; voting closed;
the count as the count activity does it; decided; integrated; exported with
``store.bundles.export``.

Times: the schedule is set a few seconds ahead, so every entry is logged at its real time and
each ballot is cast at its real time, inside the voting window.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from policies.notice import NO_MINIMUM
from policies.phases import Phase
from policies.signatories import organisation_key
from records.keylist import listed_key
from records.keys import generate_signer
from store import (
    ballots,
    bundles,
    keys,
    log,
    migrate,
    nominations,
    outcomes,
    registry,
    round_phases,
    rounds,
)
from store import rules as rules_store
from store.db import Database, utcnow
from store.ids import new_id
from store.sealing import ServerSecret, new_secret
from store.signing import KeyRing
from store.tables import membership, organisation

ORIGIN = "mandate.bench/log"
ACTOR = "bench"
CANDIDATES = 10
SEATS = 3
RULES: dict[str, Any] = {
    "alternates": 2,
    "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
}
CASTS_PER_TRANSACTION = 1000
BULK_ROWS = 5000


@dataclass(frozen=True)
class Built:
    voters: int
    entries: int
    bytes: int
    seconds: float
    round_id: str


def _wait_until(at: datetime) -> None:
    left = (at - utcnow()).total_seconds()
    if left > 0:
        time.sleep(left)


def _members(db: Database, constituency_id: str, n: int) -> list[str]:
    ids = [new_id() for _ in range(n)]
    now = utcnow()
    regions = ("africa", "asia", "europe", "americas", "oceania")  # codes of the region list
    with db.write() as conn:
        for start in range(0, n, BULK_ROWS):
            chunk = ids[start : start + BULK_ROWS]
            conn.execute(
                organisation.insert(),
                [
                    {
                        "id": oid,
                        "name": f"Bench member {start + i:06d}",
                        "country": "KE",
                        "region": regions[(start + i) % len(regions)],
                        "type": "network",
                        "migrant_led": (start + i) % 3 == 0,
                        "grassroots": True,
                        "contact_email": f"member{start + i}@example.org",
                        "public_key": None,
                        "created_at": now,
                        "name_key": organisation_key(f"Bench member {start + i:06d}", "KE"),
                    }
                    for i, oid in enumerate(chunk)
                ],
            )
            conn.execute(
                membership.insert(),
                [
                    {"constituency_id": constituency_id, "organisation_id": oid, "admitted_at": now}
                    for oid in chunk
                ],
            )
    return ids


def build(voters: int, out: Path, workdir: Path, seed: int = 1) -> Built:
    """Write the bundle of a round with ``voters`` ballots to ``out``; ``workdir`` holds the
    database (the caller removes it)."""
    started = time.perf_counter()
    records_key, checkpoints_key = generate_signer(), generate_signer()
    held = {s.key_id: s for s in (records_key, checkpoints_key)}
    db = Database(
        f"sqlite:///{workdir / 'bench.db'}",
        keyring=KeyRing(held.get),
        secret=ServerSecret(new_secret()),  # seals the round's queued notices
    )
    try:
        migrate.upgrade(db)
        with db.write() as conn:
            for signer, purpose in ((records_key, "records"), (checkpoints_key, "checkpoints")):
                keys.add(conn, listed_key(signer.public_key, purpose, "2000-01-01T00:00:00Z"))
            keys.publish(conn, ACTOR)
            cid = registry.create_constituency(conn, "Bench constituency", "", ACTOR)["id"]
        orgs = _members(db, cid, voters)

        t0 = utcnow().replace(microsecond=0) + timedelta(seconds=2)
        schedule = {
            "nominations_open_at": t0,
            "nominations_close_at": t0 + timedelta(seconds=2),
            "voting_open_at": t0 + timedelta(seconds=2),
            "voting_close_at": t0 + timedelta(days=7),
        }
        with db.write() as conn:
            draft = rounds.create_draft(
                conn,
                {
                    "title": f"Bench round, {voters} voters",
                    "segments": [{"key": "plenary", "title": "Plenary"}],
                    "participants": [{"constituency_id": cid, "seats": SEATS}],
                    "schedule": schedule,
                },
                ACTOR,
            )
            rid = draft["id"]
            rules_store.publish_rules(conn, rid, cid, RULES, ACTOR)
            rounds.publish(conn, rid, ACTOR, notice=NO_MINIMUM)
        seq = 1  # publication is the round's first phase change, as in the workflow

        def enter(phase: Phase, at: datetime) -> None:
            nonlocal seq
            seq += 1
            with db.write() as conn:
                round_phases.enter(conn, rid, phase, seq, at)

        _wait_until(schedule["nominations_open_at"])
        enter(Phase.NOMINATIONS_OPEN, schedule["nominations_open_at"])
        for i in range(CANDIDATES):
            with db.write() as conn:
                done = nominations.nominate(
                    conn,
                    rid,
                    cid,
                    {
                        "nominee_name": f"Candidate {i}",
                        "organisation_id": orgs[i],
                        "attributes": {"gender": "woman" if i % 3 == 2 else "man"},
                        "statement": {"en": f"Candidate {i} will speak"},
                    },
                    ACTOR,
                    utcnow(),
                )
                nominations.respond(conn, done.nomination["id"], done.consent_token, True, utcnow())
        _wait_until(schedule["nominations_close_at"])
        enter(Phase.NOMINATIONS_CLOSED, schedule["nominations_close_at"])
        enter(Phase.VOTING_OPEN, schedule["voting_open_at"])
        with db.read() as conn:
            standing = [c.id for c in nominations.candidates(conn, rid, cid)]
        rng = random.Random(seed)
        weights = [CANDIDATES - i for i in range(CANDIDATES)]  # a clear order of popularity
        for start in range(0, voters, CASTS_PER_TRANSACTION):
            with db.write() as conn:
                for voter in orgs[start : start + CASTS_PER_TRANSACTION]:
                    picks = set(rng.choices(standing, weights, k=rng.randint(1, 4)))
                    ballots.cast(conn, rid, cid, voter, sorted(picks), ACTOR, utcnow())
            with db.write() as conn:
                log.integrate_all(conn, ORIGIN)
        enter(Phase.VOTING_CLOSED, schedule["voting_close_at"])
        enter(Phase.COUNTING, utcnow())
        with db.write() as conn:
            log.integrate_all(conn, ORIGIN)
        with db.write() as conn:
            outcomes.publish_outcomes(conn, rid, log.require_checkpoint(conn))
        enter(Phase.DECIDED, utcnow())
        with db.write() as conn:
            log.integrate_all(conn, ORIGIN)
        with db.read() as conn:
            bundle = bundles.export(conn, rid)
    finally:
        db.dispose()
    text = json.dumps(bundle, separators=(",", ":"))
    out.write_text(text)
    return Built(
        voters=voters,
        entries=len(bundle["entries"]),
        bytes=len(text.encode()),
        seconds=round(time.perf_counter() - started, 1),
        round_id=rid,
    )


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
