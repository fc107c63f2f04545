"""The notice that asks a selected person to accept their seat: queued as a notice of the round
(store/round_notices.py, through the mail outbox) in the transaction that offers the seat, in
the nominee's organisation's language, with the deadline. Sent to the nominee's address, else
to their organisation's contact.

The mail names no link with a token (tokens are stored as hashes): the nominee answers through
the link to their nomination they were given, whose page leads to the seat (web/routes/seat.py),
or by the API (``POST /v1/nominations/{id}/seat``).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Connection

from i18n.catalogs import Catalogs
from i18n.languages import known
from policies.messages import N_, render
from policies.times import iso
from store import nominations, registry, round_notices
from store.rounds import get as get_round

KIND = "seat_acceptance"


@cache
def _catalogs() -> Catalogs:
    return Catalogs.load()


def ask(conn: Connection, nomination_id: str, seat: int, deadline: datetime, now: datetime) -> bool:
    """Queue the request to accept ``seat``; False if no address is known or it was queued."""
    row = nominations.get(conn, nomination_id)
    org = registry.get_organisation(conn, row["organisation_id"])
    to = row["nominee_email"] or org["contact_email"]
    if not to:
        return False
    lang = known(org["lang"])
    t = _catalogs()[lang]
    round_row = get_round(conn, row["round_id"])
    constituency = registry.get_constituency(conn, row["constituency_id"])
    params = {
        "seat": seat,
        "constituency": constituency["name"],
        "round": round_row["title"],
        "deadline": iso(deadline),
        "nomination_id": nomination_id,
    }
    subject = render(
        N_("You are selected for %(constituency)s: please accept your seat"), params, t
    )
    body = (
        "\n\n".join(
            [
                render(
                    N_(
                        "You have been selected for seat %(seat)s of %(constituency)s in "
                        "\u201c%(round)s\u201d."
                    ),
                    params,
                    t,
                ),
                render(
                    N_(
                        "Please accept or decline the seat before %(deadline)s (UTC). Without "
                        "an answer by then, the seat passes to the next alternate."
                    ),
                    params,
                    t,
                ),
                render(
                    N_(
                        "Open the link to your nomination %(nomination_id)s that you were "
                        "given: its page now asks about the seat."
                    ),
                    params,
                    t,
                ),
            ]
        )
        + "\n"
    )
    return round_notices.notify_person(
        conn,
        round_id=row["round_id"],
        kind=KIND,
        to=to,
        language=lang,
        subject=subject,
        body=body,
        dedup_key=f"seat:{row['round_id']}:{nomination_id}:{seat}",
        constituency_id=row["constituency_id"],
        organisation_id=org["id"],
        person=f"nominee:{nomination_id}",
        now=now,
    )
