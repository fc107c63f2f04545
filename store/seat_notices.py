"""The notice that asks a selected person to accept their seat: queued as a notice of the round
(store/round_notices.py, through the mail outbox) in the transaction that offers the seat, put
into words when it is sent (policies/round_notices.py), in the nominee's organisation's
language, with the deadline. Sent to the nominee's address, else
to their organisation's contact.

The mail names no link with a token (tokens are stored as hashes): the nominee answers through
the link to their nomination they were given, whose page leads to the seat (web/routes/seat.py),
or by the API (``POST /v1/nominations/{id}/seat``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from i18n.languages import known
from store import nominations, registry, round_notices


def ask(conn: Connection, nomination_id: str, seat: int, deadline: datetime, now: datetime) -> bool:
    """Queue the request to accept ``seat``; False if no address is known or it was queued."""
    row = nominations.get(conn, nomination_id)
    org = registry.get_organisation(conn, row["organisation_id"])
    to = row["nominee_email"] or org["contact_email"]
    if not to:
        return False
    return round_notices.notify_nominee(
        conn,
        round_id=row["round_id"],
        kind=round_notices.SEAT_REQUEST,
        nomination_id=nomination_id,
        to=to,
        language=known(org["lang"]),
        params={"seat": seat, "deadline": deadline.isoformat()},
        dedup_key=f"seat:{row['round_id']}:{nomination_id}:{seat}",
        constituency_id=row["constituency_id"],
        organisation_id=org["id"],
        now=now,
    )
