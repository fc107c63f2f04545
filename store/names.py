"""Who the ids of a selection stand for, by their public names, in a few queries each.

Only what is already public: a nominee's name (public once the nominee consented, and until
it is erased: store/profiles.py), organisations' names (the public registry) and coordinators'
names (the constituency's page). Contact details and attributes stay where they are; an id
whose name is not public is left out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, select

from store import ballots
from store.tables import coordinator, endorsement, nomination, organisation

NOMINEE = "nominee"
ORGANISATION = "organisation"
COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Named:
    """``name`` is the nominee's, the organisation's or the coordinator's; ``organisation`` the
    name of the organisation a nominee or coordinator belongs to (None for an organisation)."""

    kind: str
    name: str
    organisation: str | None


def nominees(
    conn: Connection, round_id: str, constituency_id: str, only: Collection[str] | None = None
) -> dict[str, Named]:
    """The constituency's nominations in the round, by nomination id (``only`` those ids)."""
    rows = conn.execute(
        select(nomination.c.id, nomination.c.nominee_name, organisation.c.name)
        .join(organisation, organisation.c.id == nomination.c.organisation_id)
        .where(_of(round_id, constituency_id), _public())
    )
    return {
        r.id: Named(NOMINEE, r.nominee_name, r.name) for r in rows if only is None or r.id in only
    }


def nominee(name: str, organisation: Named | None) -> Named:
    """A nominee by name, beside their organisation's (as read for the nomination)."""
    return Named(NOMINEE, name, organisation.name if organisation else None)


def voters(conn: Connection, round_id: str, constituency_id: str) -> dict[str, Named]:
    """The organisations that cast a ballot in the constituency's selection."""
    return organisations(conn, ballots.voters(conn, round_id, constituency_id))


def organisations(conn: Connection, ids: Iterable[str]) -> dict[str, Named]:
    wanted = sorted(set(ids))
    found: dict[str, Named] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(organisation.c.id, organisation.c.name).where(
                organisation.c.id.in_(wanted[start : start + 500])
            )
        )
        found.update({r.id: Named(ORGANISATION, r.name, None) for r in rows})
    return dict(sorted(found.items()))


def coordinators(conn: Connection, constituency_id: str, only: Iterable[str]) -> dict[str, Named]:
    """Coordinators of the constituency by id, removed ones too: a count may name them."""
    wanted = set(only)
    if not wanted:
        return {}
    rows = conn.execute(
        select(coordinator.c.id, coordinator.c.name, organisation.c.name.label("org"))
        .outerjoin(organisation, organisation.c.id == coordinator.c.organisation_id)
        .where(coordinator.c.constituency_id == constituency_id)
    )
    return {r.id: Named(COORDINATOR, r.name, r.org) for r in rows if r.id in wanted}


def of_nominations(
    conn: Connection, round_id: str, constituency_id: str
) -> dict[str, dict[str, Named]]:
    """For each nomination of the constituency: its nominee, organisation and endorsers."""
    return _per_nomination(conn, _of(round_id, constituency_id))


def of_nomination(conn: Connection, nomination_id: str) -> dict[str, Named]:
    return _per_nomination(conn, nomination.c.id == nomination_id).get(nomination_id, {})


def _of(round_id: str, constituency_id: str) -> ColumnElement[bool]:
    return and_(nomination.c.round_id == round_id, nomination.c.constituency_id == constituency_id)


def _public() -> ColumnElement[bool]:
    """The nominee's name is public: consented to, not erased."""
    return and_(nomination.c.consent == "accepted", nomination.c.erased_at.is_(None))


def _per_nomination(conn: Connection, where: ColumnElement[bool]) -> dict[str, dict[str, Named]]:
    out: dict[str, dict[str, Named]] = {}
    own = conn.execute(
        select(
            nomination.c.id,
            nomination.c.nominee_name,
            _public().label("public"),
            organisation.c.id.label("org_id"),
            organisation.c.name,
        )
        .join(organisation, organisation.c.id == nomination.c.organisation_id)
        .where(where)
    )
    for r in own:
        out[r.id] = {r.org_id: Named(ORGANISATION, r.name, None)}
        if r.public:
            out[r.id][r.id] = Named(NOMINEE, r.nominee_name, r.name)
    endorsing = conn.execute(
        select(endorsement.c.nomination_id, organisation.c.id, organisation.c.name)
        .join(organisation, organisation.c.id == endorsement.c.organisation_id)
        .join(nomination, nomination.c.id == endorsement.c.nomination_id)
        .where(where)
    )
    for e in endorsing:
        out[e.nomination_id][e.id] = Named(ORGANISATION, e.name, None)
    return out
