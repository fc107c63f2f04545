"""How records write instants: UTC, ISO 8601, with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime) -> str:
    # Converting first makes one instant give one string, whatever zone it was given in.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
