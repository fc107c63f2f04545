"""Who may do what: the role rules every route checks."""

from __future__ import annotations

import pytest

from policies.access import (
    Principal,
    Role,
    require_coordinator_of,
    require_credential_manager,
    require_member,
    require_secretariat,
)
from policies.errors import Forbidden

HERE = "c-here"
THERE = "c-there"

SECRETARIAT = Principal(credential_id="k-s", role=Role.SECRETARIAT)
COORDINATOR = Principal(
    credential_id="k-c", role=Role.COORDINATOR, constituency_id=HERE, coordinator_id="co-1"
)
MEMBER = Principal(
    credential_id="k-m", role=Role.MEMBER, constituency_id=HERE, organisation_id="o-1"
)


def test_require_secretariat() -> None:
    require_secretariat(SECRETARIAT)
    for p in (COORDINATOR, MEMBER):
        with pytest.raises(Forbidden) as info:
            require_secretariat(p)
        assert info.value.detail == (
            f"this needs the secretariat role; the token given is a {p.role.value}'s"
        )
        assert info.value.code == "forbidden"


def test_require_coordinator_of_own_constituency() -> None:
    require_coordinator_of(COORDINATOR, HERE)


def test_coordinator_of_another_constituency_is_forbidden() -> None:
    with pytest.raises(Forbidden) as info:
        require_coordinator_of(COORDINATOR, THERE)
    assert info.value.detail == (
        f"a coordinator acts only for their own constituency ({HERE}), not for {THERE}"
    )


def test_coordinator_without_constituency_is_forbidden() -> None:
    stray = Principal(credential_id="k-x", role=Role.COORDINATOR)
    with pytest.raises(Forbidden):
        require_coordinator_of(stray, HERE)


@pytest.mark.parametrize("p", [SECRETARIAT, MEMBER], ids=["secretariat", "member"])
def test_others_are_not_coordinators(p: Principal) -> None:
    # Not even the secretariat acts for a constituency, nor a member of that very constituency.
    with pytest.raises(Forbidden) as info:
        require_coordinator_of(p, HERE)
    assert info.value.detail == (
        f"this needs a coordinator of constituency {HERE}; the token given is a {p.role.value}'s"
    )


def test_require_member() -> None:
    require_member(MEMBER)


@pytest.mark.parametrize("p", [SECRETARIAT, COORDINATOR], ids=["secretariat", "coordinator"])
def test_only_members_act_as_members(p: Principal) -> None:
    with pytest.raises(Forbidden) as info:
        require_member(p)
    assert info.value.detail == (
        f"this needs a member organisation's token; got a {p.role.value}'s"
    )


@pytest.mark.parametrize("target", list(Role))
@pytest.mark.parametrize("constituency_id", [HERE, THERE, None])
def test_secretariat_manages_every_credential(target: Role, constituency_id: str | None) -> None:
    require_credential_manager(SECRETARIAT, target, constituency_id)


def test_coordinator_manages_members_of_own_constituency() -> None:
    require_credential_manager(COORDINATOR, Role.MEMBER, HERE)


@pytest.mark.parametrize("constituency_id", [THERE, None])
def test_coordinator_cannot_manage_members_elsewhere(constituency_id: str | None) -> None:
    with pytest.raises(Forbidden, match="acts only for their own constituency"):
        require_credential_manager(COORDINATOR, Role.MEMBER, constituency_id)


@pytest.mark.parametrize("target", [Role.SECRETARIAT, Role.COORDINATOR])
def test_coordinator_cannot_manage_other_roles(target: Role) -> None:
    with pytest.raises(Forbidden) as info:
        require_credential_manager(COORDINATOR, target, HERE)
    assert info.value.detail == f"a coordinator cannot manage a {target.value}'s credential"


@pytest.mark.parametrize("target", list(Role))
def test_member_manages_no_credential(target: Role) -> None:
    with pytest.raises(Forbidden) as info:
        require_credential_manager(MEMBER, target, HERE)
    assert info.value.detail == f"a member cannot manage a {target.value}'s credential"
