"""A round entering a phase, with what must happen in the same transaction.

Nominations closing fixes each constituency's candidate list; voting closing opens the sealed
ballots. Both happen in the phase change's own transaction, so nobody sees the phase without
them, and the gate's lock on the round row (``store.rounds.gate``) means every write admitted
before the change has committed first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from policies.phases import Phase
from store import ballots, nominations, round_notices, rounds


def enter(conn: Connection, round_id: str, phase: Phase, seq: int, at: datetime) -> bool:
    """Record the workflow's phase change; a repeated or stale call changes nothing."""
    changed = rounds.mirror_phase(conn, round_id, phase, seq, at)
    if changed and phase is Phase.NOMINATIONS_CLOSED:
        for p in rounds.get(conn, round_id)["participants"]:
            nominations.fix_candidates(conn, round_id, p["constituency_id"])
    elif changed and phase is Phase.VOTING_CLOSED:
        ballots.open_sealed(conn, round_id, rounds.WORKFLOW_ACTOR)
    if changed:
        round_notices.phase_opened(conn, round_id, phase)
    return changed
