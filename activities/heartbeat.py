"""Heartbeats beside a running activity, so that a dead worker's work moves on at once.

Without them Temporal learns that a worker died only when the activity's start-to-close
timeout runs out (ten minutes for a count). With them it learns within the heartbeat timeout
the workflow sets (``workflows.options.HEARTBEAT_TIMEOUT``) and retries on another worker.

Activities are sync and run in the worker's thread pool; a count may hold its thread on CPU
work (or in the solver, which releases the GIL) for a long time, so the beat comes from a
thread of its own. It says "this process is alive", not "this work progresses": the
start-to-close timeout still bounds work that hangs.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio import activity

P = ParamSpec("P")
R = TypeVar("R")

# Beats per heartbeat timeout: one lost or late beat does not time the activity out.
BEATS_PER_TIMEOUT = 4

log = logging.getLogger(__name__)


def heartbeating(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` while a thread beside it heartbeats, when the caller set a heartbeat timeout."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        timeout = activity.info().heartbeat_timeout if activity.in_activity() else None
        if not timeout:
            return fn(*args, **kwargs)
        stop = threading.Event()
        every = timeout.total_seconds() / BEATS_PER_TIMEOUT
        # The beat reads the activity's context, which lives in this thread's context vars.
        beats = threading.Thread(
            target=contextvars.copy_context().run,
            args=(_beat, stop, every),
            name="heartbeat",
            daemon=True,
        )
        beats.start()
        try:
            return fn(*args, **kwargs)
        finally:
            stop.set()

    return wrapper


def _beat(stop: threading.Event, every: float) -> None:
    while not stop.is_set():
        try:
            activity.heartbeat()
        except Exception as exc:  # a missed beat is tried again; the activity must go on
            log.debug("heartbeat not sent: %s", exc)
        stop.wait(every)
