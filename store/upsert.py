"""Dialect-aware ``INSERT ... ON CONFLICT DO NOTHING``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    return sqlite.insert(table).values(values).on_conflict_do_nothing()
