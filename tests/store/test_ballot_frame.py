"""A ballot reads its selection's rules and candidate list once per database handle, and only
once the candidate list is fixed (store/ballots.py ``_frame``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policies.access import Role
from policies.errors import DomainError
from store import ballots, credentials, nominations, rounds
from store.db import Database
from tests import campaign_support as cs
from tests.workflows.support import published_round


def test_the_frame_is_kept_once_the_candidates_are_fixed(db: Database) -> None:
    now = datetime.now(UTC)
    row = published_round(db, now - timedelta(days=2), rules={"max_approvals": 2})
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    a, b = (cs.member(db, cid, name=f"{n} {rid[:8]}") for n in ("Alpha", "Beta"))
    key = ("ballot-frame", rid, cid)
    with db.write() as conn:
        token_a, token_b = (
            credentials.issue(conn, Role.MEMBER, "t", None, cid, org).credential["id"]
            for org in (a, b)
        )
        made = nominations.nominate(
            conn,
            rid,
            cid,
            {"nominee_name": "Rosa", "organisation_id": a, "attributes": {}, "statement": {}},
            token_a,
        )
        nid = made.nomination["id"]
        nominations.endorse(conn, nid, b, token_b)
        nominations.respond(conn, nid, made.consent_token, True)
        voting = rounds.get(conn, rid)["voting_open_at"] + timedelta(hours=1)
    # Before the list is fixed nothing stands, and nothing is kept: a later read sees the list.
    with pytest.raises(DomainError), db.write() as conn:
        ballots.cast(conn, rid, cid, b, [nid], token_b, voting)
    assert key not in db.frozen
    with db.write() as conn:
        assert nominations.fix_candidates(conn, rid, cid)
        ballots.cast(conn, rid, cid, b, [nid], token_b, voting)
    rules, standing = db.frozen[key]
    assert standing == [nid]
    assert rules.max_approvals == 2
    # The kept frame still refuses what is not a candidate.
    with pytest.raises(DomainError), db.write() as conn:
        ballots.cast(conn, rid, cid, a, ["not-a-candidate"], token_a, voting)
    with db.write() as conn:
        ballots.cast(conn, rid, cid, a, [nid], token_a, voting)
        assert len(ballots.list_cast(conn, rid, cid)) == 2
