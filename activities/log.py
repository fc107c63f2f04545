"""Activities of the log integrator: index waiting entries and sign a checkpoint."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import INTEGRATE_LOG, Integrated
from activities.errors import domain_errors_are_final
from activities.heartbeat import heartbeating
from store import log
from store.db import Database


def integrate_everything(db: Database, origin: str) -> None:
    """Integrate every committed entry, so that the next checkpoint holds them all: a record
    that names a checkpoint (an outcome, a signatory list) is made after this."""
    try:
        with db.write() as conn:
            log.integrate_all(conn, origin)
    except log.LogInconsistent as exc:
        # Not final for the record: it waits, retrying, until the log is sound again.
        raise ApplicationError(exc.detail, type=exc.code) from exc


class LogActivities:
    def __init__(self, db: Database, origin: str) -> None:
        self.db = db
        self.origin = origin

    @activity.defn(name=INTEGRATE_LOG)
    @heartbeating
    @domain_errors_are_final
    def integrate_log(self) -> Integrated:
        with self.db.write() as conn:
            count, signed = log.integrate(conn, self.origin)
        return Integrated(integrated=count, size=signed.size, more_waiting=count == log.BATCH)
