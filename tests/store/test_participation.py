"""Who has taken part in a round so far: nominated, endorsed, voted, per member organisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policies.access import Role
from store import ballots, credentials, nominations, participation, rounds
from store.db import Database
from tests import campaign_support as cs
from tests.workflows.support import published_round


def test_each_member_and_what_it_has_done(db: Database) -> None:
    now = datetime.now(UTC)
    row = published_round(db, now - timedelta(days=2), rules={"max_approvals": 2})
    rid, cid = row["id"], row["participants"][0]["constituency_id"]
    a, b, c = (cs.member(db, cid, name=f"{n} {rid[:8]}") for n in ("Alpha", "Beta", "Gamma"))
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
    with db.write() as conn:
        assert nominations.fix_candidates(conn, rid, cid)
        voting = rounds.get(conn, rid)["voting_open_at"] + timedelta(hours=1)
        ballots.cast(conn, rid, cid, b, [nid], token_b, voting)
        ballots.cast(conn, rid, cid, b, [nid], token_b, voting)  # again: one voter
    with db.read() as conn:
        [found] = participation.of_round(conn, rid)
    assert found.constituency_id == cid
    assert found.seats == 2
    assert found.method == "approval.phragmen"
    assert found.ballots
    by_id = {m.organisation_id: m for m in found.members}
    assert [m.name for m in found.members] == sorted(m.name for m in found.members)
    assert (by_id[a].nominated, by_id[a].endorsed, by_id[a].voted) == (1, 0, False)
    assert (by_id[b].nominated, by_id[b].endorsed, by_id[b].voted) == (0, 1, True)
    assert (by_id[c].nominated, by_id[c].endorsed, by_id[c].voted) == (0, 0, False)
    assert {m.organisation_id for m in found.not_nominated} == {b, c}
    assert {m.organisation_id for m in found.not_endorsed} == {a, c}
    assert {m.organisation_id for m in found.not_voted} == {a, c}


def test_a_draft_without_rules_and_a_lottery_without_ballots(db: Database) -> None:
    now = datetime.now(UTC)
    lottery = published_round(db, now - timedelta(days=2), rules={"method": "lottery.uniform"})
    with db.read() as conn:
        [found] = participation.of_round(conn, lottery["id"])
    assert found.method == "lottery.uniform"
    assert not found.ballots
    assert found.members == ()
    cid = cs.constituency(db)
    with db.write() as conn:
        draft = rounds.create_draft(
            conn,
            {
                "title": "Draft",
                "segments": [{"key": "opening", "title": "Opening"}],
                "participants": [{"constituency_id": cid, "seats": 1}],
                "schedule": {
                    "nominations_open_at": now + timedelta(days=1),
                    "nominations_close_at": now + timedelta(days=2),
                    "voting_open_at": now + timedelta(days=3),
                    "voting_close_at": now + timedelta(days=4),
                },
            },
            cs.ACTOR,
        )
    member = cs.member(db, cid)
    with db.read() as conn:
        [found] = participation.of_round(conn, draft["id"])
    assert found.method is None
    assert found.ballots  # unknown yet: shown as a vote to come
    assert [(m.organisation_id, m.nominated, m.voted) for m in found.members] == [
        (member, 0, False)
    ]
