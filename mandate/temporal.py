"""Temporal client connection with the project's data converter."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from mandate.settings import Settings
from policies.errors import ServiceUnavailable


async def connect(settings: Settings, attempts: int = 30) -> Client:
    """Connect, retrying for a while: the server may still be starting."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
            )
        except RuntimeError as exc:
            last = exc
            await asyncio.sleep(1)
    raise ServiceUnavailable(f"cannot reach Temporal at {settings.temporal_address}: {last}")
