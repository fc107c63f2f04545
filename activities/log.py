"""Activities of the log integrator: index waiting entries and sign a checkpoint."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import INTEGRATE_LOG, Integrated
from activities.errors import domain_errors_are_final
from store import log
from store.db import Database


class LogActivities:
    def __init__(self, db: Database, origin: str) -> None:
        self.db = db
        self.origin = origin

    @activity.defn(name=INTEGRATE_LOG)
    @domain_errors_are_final
    def integrate_log(self) -> Integrated:
        with self.db.write() as conn:
            count, signed = log.integrate(conn, self.origin)
        return Integrated(integrated=count, size=signed.size, more_waiting=count == log.BATCH)
