"""The region list on both databases: organisations register with a code of it (or their
country's M49 region), the secretariat publishes a new list (logged; a used code cannot go),
and migration 0006 maps free-text regions onto it, logged once at bootstrap or worker start."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from mandate.bootstrap import set_up
from mandate.deferred import log_owed
from mandate.settings import Settings
from policies.campaigns import CampaignPhase
from policies.errors import InvalidRegionList, RegionInUse, UnknownCountry, UnknownRegion
from policies.regions import DEFAULT_REGIONS, M49_SCHEME, REGION_SCHEME, Region
from records.campaign_bundle import verify_campaign_bundle
from records.signatories import recount_scheme
from store import (
    audit,
    bundles,
    campaigns,
    deferred_log,
    log,
    migrate,
    regions,
    registry,
    signatory_records,
    signatures,
)
from store.db import Database
from store.tables import organisation
from tests.campaign_support import (
    MAIL,
    SIGNER,
    constituency,
    mailed_code,
    member,
    outsider,
    published_campaign,
)
from tests.keys import ORIGIN, keyed_database, keyring
from tests.store.fresh import BACKENDS, empty_url, fresh_keyed

ACTOR = "test-secretariat"


def _org(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Org {uuid.uuid4()}",
        "country": "MX",
        "type": "network",
        "migrant_led": True,
        "grassroots": True,
        "contact_email": "info@example.org",
        **overrides,
    }


def _registry(conn: Any, after: int = 0) -> list[dict[str, Any]]:
    return [json.loads(e.statement) for e in audit.entries(conn, audit.REGISTRY, after=after)]


def _head(conn: Any) -> int:
    return len(audit.entries(conn, audit.REGISTRY, limit=100_000))


def test_an_organisation_registers_with_a_listed_region_or_its_countrys(db: Database) -> None:
    with db.write() as conn:
        assert registry.register_organisation(conn, _org(), ACTOR)["region"] == "americas"
        named = registry.register_organisation(
            conn, _org(country="KE", region="sub-saharan-africa"), ACTOR
        )
        assert named["region"] == "sub-saharan-africa"
        logged = _registry(conn, _head(conn) - 1)
    assert logged[-1]["type"] == "organisation.registered"
    assert logged[-1]["data"]["region"] == "sub-saharan-africa"
    with db.write() as conn, pytest.raises(UnknownRegion) as refused:
        registry.register_organisation(conn, _org(region="latam"), ACTOR)
    assert "region 'latam' is not in the region list" in refused.value.detail
    assert "latin-america-and-the-caribbean" in refused.value.detail
    with db.write() as conn, pytest.raises(UnknownCountry, match="'ZZ'"):
        registry.register_organisation(conn, _org(country="ZZ"), ACTOR)
    with db.read() as conn:  # nothing of the refused ones was kept
        names = {r["region"] for r in registry.list_organisations(conn)}
    assert "latam" not in names


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with fresh_keyed(request.param, tmp_path) as db:
        yield db


def test_a_new_list_is_logged_and_refused_while_it_drops_a_used_code(fresh: Database) -> None:
    with fresh.read() as conn:
        assert regions.current(conn) == list(DEFAULT_REGIONS)
    with fresh.write() as conn:
        registry.register_organisation(conn, _org(country="FJ", region="melanesia"), ACTOR)
    smaller = [r for r in DEFAULT_REGIONS if r.code not in ("melanesia", "polynesia")]
    with fresh.write() as conn, pytest.raises(RegionInUse) as refused:
        regions.publish(conn, smaller, ACTOR)
    assert refused.value.code == "region_in_use"
    assert "melanesia (1 organisation(s))" in refused.value.detail
    with fresh.read() as conn:
        assert regions.current(conn) == list(DEFAULT_REGIONS)  # unchanged
        before = _head(conn)

    renamed = [
        Region(r.code, "Pacific", r.parent) if r.code == "oceania" else r
        for r in DEFAULT_REGIONS
        if r.code != "polynesia"
    ] + [Region("caribbean", "Caribbean", "latin-america-and-the-caribbean")]
    with fresh.write() as conn:
        assert regions.publish(conn, renamed, ACTOR) == renamed
    with fresh.write() as conn:
        assert regions.publish(conn, renamed, ACTOR) == renamed  # the same again: no entry
    with fresh.read() as conn:
        assert regions.current(conn) == renamed
        [entry] = _registry(conn, before)
    assert (entry["type"], entry["actor"]) == ("regions.published", ACTOR)
    assert entry["data"]["added"] == ["caribbean"]
    assert entry["data"]["removed"] == ["polynesia"]
    assert entry["data"]["regions"][-1] == {
        "code": "caribbean",
        "name": "Caribbean",
        "parent": "latin-america-and-the-caribbean",
    }
    with fresh.write() as conn:
        assert registry.register_organisation(conn, _org(region="caribbean"), ACTOR)
        with pytest.raises(UnknownRegion, match="'polynesia'"):
            registry.register_organisation(conn, _org(country="WS", region="polynesia"), ACTOR)
    with fresh.write() as conn, pytest.raises(InvalidRegionList, match="parent 'asia'"):
        regions.publish(conn, [r for r in renamed if r.code != "asia"], ACTOR)


def test_without_its_countrys_region_in_the_list_an_organisation_must_name_one(
    fresh: Database,
) -> None:
    only = [Region("global-south", "Global South"), Region("global-north", "Global North")]
    with fresh.write() as conn:
        regions.publish(conn, only, ACTOR)
    with fresh.write() as conn, pytest.raises(UnknownRegion) as refused:
        registry.register_organisation(conn, _org(), ACTOR)
    assert refused.value.detail == (
        "the region of country MX ('americas') is not in the region list; name one; "
        "expected one of: global-south, global-north"
    )
    with fresh.write() as conn:
        row = registry.register_organisation(conn, _org(region="global-south"), ACTOR)
    assert row["region"] == "global-south"


# -- migration 0006

OLD = [  # (country, region at revision 0005, region after the upgrade)
    ("MX", "latam", "americas"),
    ("KE", "africa", "africa"),  # in the list already: unchanged
    ("FJ", "Asia Pacific", "oceania"),
    ("SN", "sub-saharan-africa", "sub-saharan-africa"),
]


@contextmanager
def _at_0005(backend: str, folder: Path) -> Iterator[tuple[str, list[str]]]:
    """A database at revision 0005 with organisations registered under free-text regions."""
    with empty_url(backend, folder) as url:
        plain = Database(url)  # migrations hold no key
        migrate.upgrade(plain, "0005")
        ids = [str(uuid.uuid4()) for _ in OLD]
        with plain.engine.begin() as conn:
            for oid, (country, region, _) in zip(ids, OLD, strict=True):
                conn.execute(
                    organisation.insert().values(
                        id=oid,
                        name=f"Org {oid}",
                        country=country,
                        region=region,
                        type="network",
                        migrant_led=False,
                        grassroots=True,
                        contact_email="x@example.org",
                        public_key=None,
                        created_at=datetime.now(UTC),
                    )
                )
        plain.dispose()
        yield url, ids


def _changes(conn: Any) -> list[dict[str, Any]]:
    return [s["data"] for s in _registry(conn) if s["type"] == "organisation.region_changed"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_bootstrap_after_the_upgrade_logs_each_mapped_region(backend: str, tmp_path: Path) -> None:
    with _at_0005(backend, tmp_path) as (url, ids):
        settings = Settings(
            data_dir=tmp_path / "data", keys_dir=tmp_path / "keys", database_url=SecretStr(url)
        )
        assert set_up(settings) is not None  # migrates, lists keys, logs, issues a token
        db = Database(url)
        try:
            assert migrate.drift(db) == []
            with db.read() as conn:
                now = {r["id"]: r["region"] for r in registry.list_organisations(conn)}
                assert [now[i] for i in ids] == [after for _, _, after in OLD]
                assert deferred_log.owed(conn) == 0
                changes = _changes(conn)
                published = [s for s in _registry(conn) if s["type"] == "regions.published"]
        finally:
            db.dispose()
    assert sorted((c["organisation_id"], c["from"], c["to"]) for c in changes) == sorted(
        [(ids[0], "latam", "americas"), (ids[2], "Asia Pacific", "oceania")]
    )
    assert changes[0]["reason"].startswith("'")
    [seed] = published
    assert seed["data"]["regions"] == [r.to_json() for r in DEFAULT_REGIONS]
    assert seed["actor"] is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_owed_entries_are_logged_once_by_workers_starting_together(
    backend: str, tmp_path: Path
) -> None:
    with _at_0005(backend, tmp_path) as (url, _):
        db = keyed_database(url)  # upgrades, and lists the test keys as bootstrap would
        try:
            with db.read() as conn:
                assert deferred_log.owed(conn) == 3  # the list and two changed regions
                assert _changes(conn) == []
            with ThreadPoolExecutor(4) as pool:
                logged = list(pool.map(lambda _: log_owed(db), range(4)))
            assert sorted(logged) == [0, 0, 0, 3]
            assert log_owed(db) == 0
            with db.read() as conn:
                assert len(_changes(conn)) == 2
                assert [s["seq"] for s in _registry(conn)] == [1, 2, 3]
        finally:
            db.dispose()


def test_owed_entries_wait_while_no_records_key_is_listed(tmp_path: Path) -> None:
    with _at_0005("sqlite", tmp_path) as (url, _):
        db = Database(url, keyring=keyring())
        try:
            migrate.upgrade(db)
            assert log_owed(db) == 0  # no key listed yet: nothing logged, nothing lost
            with db.read() as conn:
                assert deferred_log.owed(conn) == 3
        finally:
            db.dispose()


# -- campaigns: a member counts under its registered region; older records still verify


def _signed_and_concluded(db: Database, scheme: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A campaign signed by a member that registered with a sub-region and by an outside
    organisation, concluded with a record of ``scheme``: (the record, the bundle)."""
    cid = constituency(db)
    now = datetime.now(UTC)
    c = published_campaign(db, now - timedelta(hours=1), now + timedelta(hours=1))
    kenyan = member(db, cid, country="KE", region="sub-saharan-africa")
    with db.write() as conn:
        signed = signatures.sign_as_member(
            conn, c["id"], kenyan, cid, c["statement_hash"], None, ACTOR
        )
        assert signed.signature["region"] == "sub-saharan-africa"
        out = signatures.sign_as_outsider(
            conn, c["id"], outsider(country="MX"), SIGNER, "r@example.org",
            c["statement_hash"], MAIL,
        )  # fmt: skip
    with db.write() as conn:
        signatures.confirm(conn, out.signature["id"], mailed_code(db, out.signature["id"]))
        campaigns.mirror_phase(conn, c["id"], CampaignPhase.CLOSED, 3, datetime.now(UTC))
    with db.write() as conn:
        covering = log.integrate_all(conn, ORIGIN)
        assert signatory_records.publish(conn, c["id"], covering, region_scheme=scheme)
        campaigns.mirror_phase(conn, c["id"], CampaignPhase.CONCLUDED, 4, datetime.now(UTC))
    with db.write() as conn:
        log.integrate_all(conn, ORIGIN)
    with db.read() as conn:
        record = json.loads(signatory_records.get(conn, c["id"])["record"])
        return record, bundles.export_campaign(conn, c["id"])


@pytest.mark.parametrize("scheme", [REGION_SCHEME, M49_SCHEME])
def test_a_member_signs_under_its_registered_region_and_the_bundle_recounts_it(
    db: Database, scheme: str
) -> None:
    record, bundle = _signed_and_concluded(db, scheme)
    assert record["region_scheme"] == scheme
    assert record["counts"]["by_region"] == {"americas": 1, "sub-saharan-africa": 1}
    logged = [
        json.loads(_payload(e["envelope"]))["data"]
        for e in bundle["entries"]
        if json.loads(_payload(e["envelope"]))["type"] == "signature.submitted"
    ]
    assert [d["region"] for d in logged if d["kind"] == "member"] == ["sub-saharan-africa"]
    # The verifier recounts with the scheme the record names, if it knows it.
    assert recount_scheme(record) == scheme
    assert recount_scheme({**record, "region_scheme": "iso-3166"}) == REGION_SCHEME
    report = verify_campaign_bundle(bundle, workers=0)
    assert report.ok, report.problems
    assert any("recount of 2 signatories" in line for line in report.checked)


def _payload(envelope: str) -> bytes:
    return base64.b64decode(json.loads(envelope)["payload"])
