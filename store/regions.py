"""The region list in force, its publication, and the region an organisation registers with.

Concurrency: an organisation's registration reads its region's row ``FOR SHARE`` and a new
list takes every row ``FOR UPDATE`` before it looks for organisations that use a code it
removes, so on PostgreSQL a list never removes a code an organisation registered with at the
same moment (SQLite's writers take turns anyway).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, func, select, update

from policies.errors import RegionInUse
from policies.messages import N_
from policies.regions import Region, changes, check_region_list, region_of, require_region
from store import audit
from store.tables import organisation, region


def current(conn: Connection, *, for_update: bool = False) -> list[Region]:
    """The list in force, in the order it was published."""
    query = select(region).order_by(region.c.position)
    if for_update:
        query = query.with_for_update()
    return [Region(r.code, r.name, r.parent) for r in conn.execute(query)]


def codes(conn: Connection) -> list[str]:
    return [r.code for r in current(conn)]


def region_for(conn: Connection, country: str, named: str | None) -> str:
    """The region an organisation of ``country`` registers with: the one it names, or else its
    country's M49 region; either must be in the list in force."""
    code = named if named is not None else region_of(country)
    held = conn.execute(
        select(region.c.code).where(region.c.code == code).with_for_update(read=True)
    ).first()
    if held is None:
        require_region(code, codes(conn), country=None if named is not None else country)
    return code


def publish(conn: Connection, regions: Sequence[Region], actor: str) -> list[Region]:
    """Put a new list in force and log it; refused if it drops a code an organisation uses.

    Publishing the list in force again changes and logs nothing.
    """
    check_region_list(regions)
    before = current(conn, for_update=True)
    if list(regions) == before:
        return before
    added, removed = changes((r.code for r in before), (r.code for r in regions))
    _refuse_removing_used(conn, removed)
    if removed:
        conn.execute(delete(region).where(region.c.code.in_(removed)))
    kept = {r.code for r in before}
    for position, r in enumerate(regions):
        values = {"name": r.name, "parent": r.parent, "position": position}
        if r.code in kept:
            conn.execute(update(region).where(region.c.code == r.code).values(values))
        else:
            conn.execute(region.insert().values(code=r.code, **values))
    audit.append(
        conn,
        audit.REGISTRY,
        "regions.published",
        {"regions": [r.to_json() for r in regions], "added": added, "removed": removed},
        actor,
    )
    return current(conn)


def _refuse_removing_used(conn: Connection, removed: list[str]) -> None:
    if not removed:
        return
    used = conn.execute(
        select(organisation.c.region, func.count())
        .where(organisation.c.region.in_(removed))
        .group_by(organisation.c.region)
        .order_by(organisation.c.region)
    ).all()
    if used:
        listed = ", ".join(f"{r.region} ({r[1]} organisation(s))" for r in used)
        raise RegionInUse(
            N_(
                "the new list removes region codes that organisations still have: %(listed)s; "
                "keep those codes in the list"
            ),
            listed=listed,
        )
