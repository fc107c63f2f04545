"""Who may do what: the role rules every route checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from policies.errors import Forbidden
from policies.messages import N_


class Role(StrEnum):
    SECRETARIAT = "secretariat"
    COORDINATOR = "coordinator"
    MEMBER = "member"


@dataclass(frozen=True)
class Principal:
    """The holder of a valid credential."""

    credential_id: str
    role: Role
    constituency_id: str | None = None
    organisation_id: str | None = None
    coordinator_id: str | None = None
    lang: str | None = None  # the language its organisation chose, if any


def require_secretariat(p: Principal) -> None:
    if p.role is not Role.SECRETARIAT:
        raise Forbidden(
            N_("this needs the secretariat role; the token given is a %(role)s's"),
            role=p.role.value,
        )


def require_coordinator_of(p: Principal, constituency_id: str) -> None:
    """Constituencies organise themselves: only their own coordinators act for them."""
    if p.role is not Role.COORDINATOR:
        raise Forbidden(
            N_(
                "this needs a coordinator of constituency %(constituency_id)s; the token given is "
                "a %(role)s's"
            ),
            constituency_id=constituency_id,
            role=p.role.value,
        )
    if p.constituency_id != constituency_id:
        raise Forbidden(
            N_(
                "a coordinator acts only for their own constituency (%(constituency_id)s), not "
                "for %(constituency_id2)s"
            ),
            constituency_id=p.constituency_id,
            constituency_id2=constituency_id,
        )


def require_member(p: Principal) -> None:
    # The secretariat organises rounds but never takes part in a constituency's choice.
    if p.role is not Role.MEMBER:
        raise Forbidden(
            N_("this needs a member organisation's token; got a %(role)s's"), role=p.role.value
        )


def require_credential_manager(
    p: Principal, target_role: Role, constituency_id: str | None
) -> None:
    """The secretariat revokes any credential; a coordinator, members of their constituency."""
    if p.role is Role.SECRETARIAT:
        return
    if p.role is Role.COORDINATOR and target_role is Role.MEMBER:
        require_coordinator_of(p, constituency_id or "")
        return
    raise Forbidden(
        N_("a %(role)s cannot manage a %(target_role)s's credential"),
        role=p.role.value,
        target_role=target_role.value,
    )


def campaign_owner(p: Principal, constituencies: list[str]) -> str | None:
    """Who owns a new campaign: the secretariat (None), or a coordinator's own constituency,
    whose coordinators then run it; a coordinator's campaign names no other constituency."""
    if p.role is Role.SECRETARIAT:
        return None
    if p.role is not Role.COORDINATOR or p.constituency_id is None:
        raise Forbidden(
            N_(
                "campaigns are launched by the secretariat or a constituency's coordinators; the "
                "token given is a %(role)s's"
            ),
            role=p.role.value,
        )
    others = sorted(set(constituencies) - {p.constituency_id})
    if others:
        raise Forbidden(
            N_(
                "a coordinator launches campaigns for their own constituency "
                "(%(constituency_id)s) only, not for %(others)s"
            ),
            constituency_id=p.constituency_id,
            others=", ".join(others),
        )
    return p.constituency_id


def require_campaign_manager(p: Principal, owner_constituency_id: str | None) -> None:
    """The secretariat manages every campaign; coordinators, their constituency's."""
    if p.role is Role.SECRETARIAT:
        return
    if p.role is Role.COORDINATOR and owner_constituency_id is not None:
        require_coordinator_of(p, owner_constituency_id)
        return
    if owner_constituency_id is None:
        raise Forbidden(
            N_("this campaign is managed by the secretariat; the token given is a %(role)s's"),
            role=p.role.value,
        )
    raise Forbidden(
        N_(
            "this campaign is managed by the secretariat and its constituency's coordinators; "
            "the token given is a %(role)s's"
        ),
        role=p.role.value,
    )
