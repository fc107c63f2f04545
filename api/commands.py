"""Commands a workflow carries out: a Temporal Update, its refusals as domain errors."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.deps import Services, temporal_client
from api.errors import domain_error_for
from policies.errors import ServiceUnavailable, WrongPhase
from policies.messages import N_


async def run_update(
    svc: Services, workflow_id: str, update: Any, arg: Any, op_id: str | None
) -> Any:
    """``op_id`` (from the Idempotency-Key) makes a retried command one Update."""
    handle = temporal_client(svc).get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, id=op_id)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type:
            raise domain_error_for(cause.type, cause.message, cause.details) from exc
        raise WrongPhase(N_("the command was refused: %(cause)s"), cause=str(cause)) from exc
    except RPCError as exc:
        raise ServiceUnavailable(
            N_("Temporal did not take the command: %(cause)s"), cause=exc.message
        ) from exc
