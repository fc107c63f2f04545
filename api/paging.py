"""Query parameters shared by the routes that page through a scope's log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

# A scope's sequence numbers are 32-bit integer columns (store/tables.py): a larger value is
# refused as invalid input rather than reaching the database, which would fail on it.
MAX_SEQ = 2**31 - 1

After = Annotated[
    int,
    Query(
        ge=0, le=MAX_SEQ, description="the last sequence number already read (0: from the start)"
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many entries")]
