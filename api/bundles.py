"""Bundles that the log integrator has caught up with."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from api.deps import Services, read

POLL = 0.2  # seconds; the integrator runs about every second


async def settled(svc: Services, export: Callable[[Connection], dict[str, Any]]) -> dict[str, Any]:
    """The bundle ``export`` makes, once its signed record's entry is in a checkpoint.

    A record (an outcome, a signatory list) is published by an entry the integrator covers a
    moment later; a bundle made in between would hold the record without the entry that logs
    it, and fail to verify. While the bundle holds a record and entries of its scope wait for
    the integrator, ask again, for at most ``bundle_wait`` seconds; then answer what there is
    (``pending_entries`` says what a later bundle will hold).
    """
    deadline = time.monotonic() + svc.settings.bundle_wait
    while True:
        bundle = await read(svc, export)
        if not (_has_record(bundle) and bundle.get("pending_entries")):
            return bundle
        if time.monotonic() >= deadline:
            return bundle
        await asyncio.sleep(POLL)


def _has_record(bundle: dict[str, Any]) -> bool:
    return bool(bundle.get("outcomes") or bundle.get("record"))
