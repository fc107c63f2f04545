"""Nominees' profiles: salted commitments in the log, disclosed or erased in the bundle."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.criteria import round_criteria
from policies.errors import InvalidInput
from policies.schedule import Schedule
from records import dsse
from records.bundle import bundle_entry, bundle_scopes, make_bundle, verify_bundle
from records.canonical import canonical_hash, canonical_json, sha256_hex
from records.logentry import KEYS_SCOPE, round_scope
from records.profile_seal import (
    PROFILE_DOMAIN,
    check_salt,
    profile_commitment,
    profile_document,
    salt_of,
)
from tests.records.bundle_factory import ORIGIN, ROUND, SEATS, T0, Log, at, make_keys

SALT = salt_of(bytes(range(32)))
PROFILE = {
    "nominee_name": "Amani Wanjiru",
    "statement": {"en": "I organise domestic workers.", "sw": "Ninaandaa wafanyakazi."},
    "attributes": {"gender": "woman", "region": "africa"},
}


def test_the_commitment_is_the_hash_of_the_documented_object() -> None:
    document = profile_document("n1", PROFILE, SALT)
    assert document == {"domain": PROFILE_DOMAIN, "nomination_id": "n1", **PROFILE, "salt": SALT}
    assert profile_commitment("n1", PROFILE, SALT) == sha256_hex(canonical_json(document))
    # Extra keys in what is given are not committed to.
    assert profile_commitment("n1", {**PROFILE, "salt": "x"}, SALT) == profile_commitment(
        "n1", PROFILE, SALT
    )


@given(field=st.sampled_from(["nominee_name", "statement", "attributes", "salt", "nomination_id"]))
def test_every_part_changes_the_commitment(field: str) -> None:
    nid, profile, salt = "n1", dict(PROFILE), SALT
    if field == "nomination_id":
        nid = "n2"
    elif field == "salt":
        salt = salt_of(bytes(32))
    elif field == "nominee_name":
        profile["nominee_name"] = "Amani W."
    else:
        profile[field] = {**PROFILE[field], "fr": "autre"}  # type: ignore[dict-item]
    assert profile_commitment(nid, profile, salt) != profile_commitment("n1", PROFILE, SALT)


@pytest.mark.parametrize(
    "salt", ["", "short", SALT[:-1], SALT + "=", salt_of(bytes(32)).replace("A", "-"), 5]
)
def test_a_salt_is_base64_of_32_bytes(salt: Any) -> None:
    with pytest.raises(InvalidInput):
        check_salt(salt)
    with pytest.raises(InvalidInput):
        profile_commitment("n1", PROFILE, salt)


@pytest.mark.parametrize(
    "broken",
    [
        {"nominee_name": None},
        {"statement": "text"},
        {"attributes": {"gender": 1}},
        {"statement": {"en": ["a"]}},
    ],
)
def test_a_malformed_profile_is_refused(broken: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        profile_commitment("n1", {**PROFILE, **broken}, SALT)


# -- a round's bundle with profiles


@dataclass
class Nominee:
    id: str
    profile: dict[str, Any]
    salt: str
    consent: str | None = None  # accepted | declined | None (pending)
    erased_by: str | None = None  # the published reason
    sealed: bool = True  # False: logged in clear, as before profiles were sealed
    counted: dict[str, str] | None = None  # attributes candidates.fixed gives, if not its own


def _nominees() -> list[Nominee]:
    def profile(name: str, gender: str) -> dict[str, Any]:
        return {
            "nominee_name": name,
            "statement": {"en": f"{name} speaks for us."},
            "attributes": {"gender": gender, "region": "north"},
        }

    return [
        Nominee("a1", profile("Ada", "man"), salt_of(os.urandom(32)), "accepted"),
        Nominee("a3", profile("Cleo", "woman"), salt_of(os.urandom(32)), "accepted"),
        Nominee("a4", profile("Dina", "woman"), salt_of(os.urandom(32)), "accepted", "asked"),
        Nominee("x1", profile("Eli", "man"), salt_of(os.urandom(32)), "declined", "nominee"),
        Nominee("x2", profile("Fay", "woman"), salt_of(os.urandom(32))),  # never answered
        Nominee("x3", profile("Gus", "man"), salt_of(os.urandom(32)), "accepted", sealed=False),
    ]


def _round_with_profiles(
    nominees: list[Nominee], profiles: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], dict[str, int]]:
    """A round whose nominations closed: its bundle (with ``profiles``, or the ones an exporter
    makes) and the index of each nomination's submitted entry."""
    keys = make_keys()
    log = Log(keys)
    scope = round_scope(ROUND)
    body = keys.key_list.to_json()
    log.append(
        KEYS_SCOPE,
        "keys.published",
        {"key_list": body, "key_list_hash": canonical_hash(body)},
        at(0),
    )
    schedule = Schedule(
        nominations_open_at=T0 + timedelta(days=5),
        nominations_close_at=T0 + timedelta(days=30),
        voting_open_at=T0 + timedelta(days=40),
        voting_close_at=T0 + timedelta(days=68),
    )
    criteria = canonical_json(
        round_criteria(
            round_id=ROUND,
            version=1,
            title="Speakers",
            segments=[{"id": "opening", "title": "Opening"}],
            participants=[{"constituency_id": s.constituency_id, "seats": 1} for s in SEATS],
            schedule=schedule,
            rules={s.constituency_id: s.rules.to_json() for s in SEATS},
        )
    )
    signer = keys.records_at(at(4))
    envelope = dsse.sign(signer, dsse.payload_type_for("criteria"), criteria)
    log.append(
        scope,
        "criteria.published",
        {"criteria_hash": sha256_hex(criteria), "version": 1, "key_id": signer.key_id},
        at(4),
    )
    submitted = {}
    for i, n in enumerate(nominees):
        data: dict[str, Any] = {
            "nomination_id": n.id,
            "constituency_id": "c-africa",
            "organisation_id": f"o{i}",
        }
        if n.sealed:
            data["profile_commitment"] = profile_commitment(n.id, n.profile, n.salt)
        else:
            data.update(n.profile)
        submitted[n.id] = log.append(scope, "nomination.submitted", data, at(6, i))
        if n.consent is not None:
            log.append(scope, f"nomination.{n.consent}", {"nomination_id": n.id}, at(7, i))
    log.append(scope, "phase.changed", {"phase": "nominations_closed"}, at(30))
    standing = [n for n in nominees if n.consent == "accepted"]
    log.append(
        scope,
        "candidates.fixed",
        {
            "constituency_id": "c-africa",
            "standing": [
                {"id": n.id, "attributes": n.counted or n.profile["attributes"]}
                | ({"profile_commitment": profile_commitment(n.id, n.profile, n.salt)})
                for n in standing
            ],
            "not_standing": [],
        },
        at(30, 1),
    )
    for i, n in enumerate(nominees):
        if n.erased_by is not None:
            log.append(
                scope,
                "personal_data.erased",
                {"subject": "nomination", "id": n.id, "reason": n.erased_by},
                at(31, i),
                actor="sec",
            )
    if profiles is None:
        profiles = []
        for n in nominees:
            if not n.sealed:
                continue
            if n.erased_by is not None:
                profiles.append({"nomination_id": n.id, "erased": True})
            elif n.consent == "accepted":
                profiles.append({"nomination_id": n.id, **n.profile, "salt": n.salt})
    size = log.size
    wanted = set(bundle_scopes(ROUND))
    bundle = make_bundle(
        round_id=ROUND,
        origin=ORIGIN,
        checkpoint=log.signed_checkpoint(size),
        key_list=keys.key_list,
        criteria=criteria,
        criteria_envelope=envelope,
        entries=[
            bundle_entry(i, log.entries[i], log.inclusion(i, size))
            for i in range(size)
            if log.scopes[i] in wanted
        ],
        outcomes=[],
    )
    bundle["profiles"] = profiles
    return bundle, submitted


def test_disclosed_and_erased_profiles_verify_and_erasures_are_reported() -> None:
    bundle, _ = _round_with_profiles(_nominees())
    assert [p["nomination_id"] for p in bundle["profiles"]] == ["a1", "a3", "a4", "x1"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert "2 nominee profile(s) disclosed, each matching its logged commitment" in report.checked
    erased = [c for c in report.checked if "erased" in c]
    assert len(erased) == 2, report.checked
    assert any("nomination a4: profile erased" in c and "reason: asked" in c for c in erased)
    assert any("nomination x1: profile erased" in c and "reason: nominee" in c for c in erased)


def test_a_bundle_without_profiles_still_verifies() -> None:
    bundle, _ = _round_with_profiles(_nominees())
    del bundle["profiles"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any("5 nominee profile commitment(s) logged" in c for c in report.checked)


def _problems(bundle: dict[str, Any]) -> list[str]:
    report = verify_bundle(bundle)
    assert not report.ok
    return report.problems


@pytest.mark.parametrize("field", ["nominee_name", "statement", "salt"])
def test_a_tampered_profile_is_caught_naming_the_nomination_and_its_entry(field: str) -> None:
    bundle, submitted = _round_with_profiles(_nominees())
    tampered = copy.deepcopy(bundle)
    item = next(p for p in tampered["profiles"] if p["nomination_id"] == "a3")
    item[field] = (
        salt_of(bytes(32))
        if field == "salt"
        else ("Cleo X" if field == "nominee_name" else {"en": "Vote for me."})
    )
    [problem] = _problems(tampered)
    assert "nomination a3" in problem
    assert f"entry {submitted['a3']}" in problem
    assert "does not match the profile_commitment" in problem


def test_attributes_other_than_those_the_candidate_list_published_are_caught() -> None:
    nominees = _nominees()
    # The count's attributes are not those the nominee gave and the profile commits to.
    nominees[0].counted = {"gender": "woman", "region": "north"}
    bundle, _ = _round_with_profiles(nominees)
    problems = _problems(bundle)
    assert any("nomination a1" in p and "candidates.fixed" in p for p in problems), problems


def test_a_profile_disclosed_without_consent_is_a_problem() -> None:
    nominees = _nominees()
    pending = nominees[4]
    bundle, _ = _round_with_profiles(nominees)
    bundle["profiles"].append(
        {"nomination_id": pending.id, **pending.profile, "salt": pending.salt}
    )
    [problem] = _problems(bundle)
    assert "nomination x2" in problem
    assert "consent" in problem


def test_a_profile_disclosed_after_its_erasure_is_a_problem() -> None:
    nominees = _nominees()
    erased = nominees[2]
    bundle, _ = _round_with_profiles(nominees)
    bundle["profiles"] = [p for p in bundle["profiles"] if p["nomination_id"] != erased.id] + [
        {"nomination_id": erased.id, **erased.profile, "salt": erased.salt}
    ]
    [problem] = _problems(bundle)
    assert "nomination a4" in problem
    assert "logs its erasure" in problem


def test_an_erasure_the_log_does_not_hold_is_a_problem() -> None:
    nominees = _nominees()
    bundle, _ = _round_with_profiles(nominees)
    bundle["profiles"] = [
        {"nomination_id": "a1", "erased": True} if p["nomination_id"] == "a1" else p
        for p in bundle["profiles"]
    ]
    [problem] = _problems(bundle)
    assert "nomination a1" in problem
    assert "no personal_data.erased entry" in problem


@pytest.mark.parametrize(
    ("profiles", "expected"),
    [
        ({"a1": 1}, "expected a list"),
        ([{"nominee_name": "Ada"}], "expected an object with a nomination_id"),
        ([{"nomination_id": "zz", "erased": True}], "logs a profile_commitment"),
        ([{"nomination_id": "a4", "erased": True, "nominee_name": "Dina"}], "carries"),
        ([{"nomination_id": "a1", "nominee_name": "Ada"}], "discloses no"),
        ([{"nomination_id": "x1", "erased": True}] * 2, "more than once"),
    ],
)
def test_malformed_profiles_are_reported_not_raised(profiles: Any, expected: str) -> None:
    bundle, _ = _round_with_profiles(_nominees(), profiles)
    problems = _problems(bundle)
    assert any(expected in p for p in problems), problems


def test_a_consented_profile_left_out_is_noted_not_failed() -> None:
    bundle, _ = _round_with_profiles(_nominees())
    bundle["profiles"] = [p for p in bundle["profiles"] if p["nomination_id"] != "a3"]
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert any("nomination a3: consented" in c for c in report.checked)
