"""How every workflow runs its activities: timeouts, heartbeats and retries.

A worker killed mid-activity is noticed by the missed heartbeats (activities beat four times
per timeout, ``activities.heartbeat``) within ``HEARTBEAT_TIMEOUT``, and the activity is retried on
another worker after at most ``RETRY``'s longest pause: together well under 30 seconds. The
start-to-close timeouts only bound work that hangs while its worker lives. Schedule-to-start
stays unset: a backlog on the task queue must delay work, never fail it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from policies.errors import DomainError

HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# Database outages are retried for as long as they last; domain errors are final.
RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10))
# A write or two in one transaction.
ACTIVITY_TIMEOUT = timedelta(seconds=30)

M = TypeVar("M", bound=BaseModel)


async def run_activity(
    activity: str,
    arg: BaseModel,
    result_type: type[M],
    limit: timedelta = ACTIVITY_TIMEOUT,
    retry: RetryPolicy = RETRY,
) -> M:
    result: M = await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=limit,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
        retry_policy=retry,
    )
    return result


def refused(exc: DomainError) -> ApplicationError:
    """A refusal that fails an Update with the error's code, its message and parameters
    carried along, so that the API says it in the caller's language (api/commands.py)."""
    return ApplicationError(exc.detail, *exc.carried(), type=exc.code)
