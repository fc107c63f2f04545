"""Log entries a migration owes, signed and appended once the records key is at hand.

A migration changes data (e.g. maps organisations' regions onto the region list) but holds no
signing key, so it leaves the entries the change needs in ``deferred_log_entry``. ``mandate
bootstrap`` and every worker's start call :func:`log_deferred`: the first to run logs them and
deletes the rows in the same transaction; on PostgreSQL a second waits for the rows' locks and
then finds them gone, so each entry is logged exactly once.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from store import audit
from store.tables import deferred_log_entry


def log_deferred(conn: Connection) -> int:
    """Append every owed entry in the order the migrations left them; how many were logged."""
    rows = conn.execute(
        select(deferred_log_entry).order_by(deferred_log_entry.c.id).with_for_update()
    ).all()
    for row in rows:
        audit.append(conn, row.scope, row.type, row.data, row.actor)
    if rows:
        conn.execute(
            delete(deferred_log_entry).where(deferred_log_entry.c.id.in_([r.id for r in rows]))
        )
    return len(rows)


def owed(conn: Connection) -> int:
    """How many entries wait to be logged."""
    return len(conn.execute(select(deferred_log_entry.c.id)).all())
