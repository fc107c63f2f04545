"""Where a cancelled activity may stop: outside its database transactions.

Activities are sync and run in the worker's thread pool. When one is cancelled (the worker
shuts down, or its heartbeat learns the server gave up on it), Temporal raises an exception
into its thread at whatever bytecode it is running. Inside a transaction that could land
between taking a lock and the ``try`` that releases it: the writers' lock stayed taken and the
worker hung at its next write, or at shutdown. Every transaction of the worker's database
handle runs shielded instead; the cancellation is raised as soon as the transaction is over.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity


@contextmanager
def transaction_shield() -> Iterator[None]:
    """Hold back an activity's cancellation until the block ends (outside an activity: nothing)."""
    if not activity.in_activity():
        yield
        return
    with activity.shield_thread_cancel_exception():
        yield
