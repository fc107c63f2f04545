"""Temporal client connection with the project's data converter."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from mandate.settings import Settings
from policies.errors import ServiceUnavailable


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime that serves the SDK's own Prometheus metrics at
    ``MANDATE_WORKER_METRICS_ADDRESS`` (workflow and activity failures, task latencies,
    poller counts), or None when it is unset."""
    if settings.worker_metrics_address is None:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=settings.worker_metrics_address)
        )
    )


async def connect(settings: Settings, attempts: int = 30, runtime: Runtime | None = None) -> Client:
    """Connect, retrying for a while: the server may still be starting."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                runtime=runtime,
            )
        except RuntimeError as exc:
            last = exc
            await asyncio.sleep(1)
    raise ServiceUnavailable(f"cannot reach Temporal at {settings.temporal_address}: {last}")
