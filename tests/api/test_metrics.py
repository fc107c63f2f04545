"""``/metrics``: the Prometheus text exposition, scraped from the real app and read back with
prometheus_client's own parser."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from tests.api.conftest import Api, make_world, serving


def _samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert found, f"no sample {name} {labels} in {[s for s in samples if s.name == name]}"
    return sum(found)


async def _scrape(api: Api, token: str | None = None) -> list[Sample]:
    r = await api.call("GET", "/metrics", token)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return _samples(r.text)


async def test_metrics_count_requests_by_route_and_read_the_backlogs(api: Api) -> None:
    before = await _scrape(api)
    assert not [s for s in before if s.labels.get("route") == "/v1/organisations"]
    w = await make_world(api)  # two organisations, two constituencies, members, tokens
    assert (await api.call("GET", "/no/such/page")).status_code == 404
    assert (await api.call("GET", f"/v1/organisations/{w.member_org}")).status_code == 200

    found = await _scrape(api)
    count = "mandate_http_requests_total"
    assert _value(found, count, method="POST", route="/v1/organisations", status="201") == 2
    assert _value(found, count, method="POST", route="/v1/constituencies", status="201") == 2
    # Paths with ids are counted by their route's template, and unknown paths as one.
    assert _value(found, count, route="/v1/organisations/{organisation_id}", status="200") == 1
    assert _value(found, count, route="unmatched", status="404") == 1
    assert not [s for s in found if w.member_org in s.labels.get("route", "")]
    latency = "mandate_http_request_duration_seconds"
    assert _value(found, f"{latency}_count", method="POST", route="/v1/organisations") == 2
    assert _value(found, f"{latency}_bucket", route="/v1/organisations", le="+Inf") == 2
    assert _value(found, f"{latency}_sum", route="/v1/organisations") > 0
    # The scrape itself is being answered.
    assert _value(found, "mandate_http_requests_in_progress") >= 1
    # Every write transaction waited for its turn: at least the 2 + 2 + 4 writes above.
    assert _value(found, "mandate_db_write_wait_seconds_count") >= 8
    if api.db.is_sqlite:  # the API's writes went through the group commit, one group or more
        assert 1 <= _value(found, "mandate_db_write_group_size_count") <= 8 + 4
        assert _value(found, "mandate_db_write_group_size_sum") >= 8
    # Read from the database at the scrape.
    for outbox in ("mail", "webhooks"):
        assert _value(found, "mandate_outbox_depth", outbox=outbox) >= 0
        assert _value(found, "mandate_outbox_oldest_age_seconds", outbox=outbox) >= 0
    assert _value(found, "mandate_log_unsigned_entries") >= 0
    assert _value(found, "mandate_log_unsigned_oldest_age_seconds") >= 0
    assert _value(found, "mandate_log_checkpoint_size") >= 0


async def test_the_log_lag_is_what_no_signed_checkpoint_covers_yet(api: Api) -> None:
    from sqlalchemy import func, or_, select

    from store.tables import checkpoint, log_entry

    await make_world(api)  # logs entries; the integrator signs them within seconds
    found = await _scrape(api)
    with api.db.read() as conn:
        size = conn.execute(select(func.coalesce(func.max(checkpoint.c.size), 0))).scalar_one()
        written = conn.execute(
            select(func.count()).where(
                log_entry.c.envelope.is_not(None),
                or_(log_entry.c.idx.is_(None), log_entry.c.idx >= size),
            )
        ).scalar_one()
    unsigned = _value(found, "mandate_log_unsigned_entries")
    # The integrator may sign between the scrape and the look above, never unsign.
    assert written <= unsigned
    assert _value(found, "mandate_log_checkpoint_size") <= size


async def test_a_metrics_token_when_one_is_set(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with serving(db, dev_env, tmp_path, metrics_token="scrape-7f3a9c") as api:
        assert (await api.call("GET", "/metrics")).status_code == 401
        wrong = await api.call("GET", "/metrics", "scrape-0000")
        assert wrong.status_code == 401
        assert wrong.json()["error"] == "unauthenticated"
        # A role's token is no metrics token either.
        assert (await api.call("GET", "/metrics", api.secretariat)).status_code == 401
        assert _value(await _scrape(api, "scrape-7f3a9c"), "mandate_log_checkpoint_size") >= 0


async def test_a_write_and_its_rate_limit_count_share_one_transaction(
    db_url: str, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The API's own database handle (the worker writes through another one): a write costs
    one write transaction, its rate-limit count included; a write refused before it writes
    is counted in one of its own."""
    import httpx

    from api.app import create_app
    from mandate.settings import Settings
    from policies.access import Role
    from store import credentials
    from tests.api.conftest import org_body
    from tests.keys import ORIGIN, keyed_database

    own = keyed_database(db_url)
    try:
        app = create_app(
            Settings(data_dir=tmp_path, log_origin=ORIGIN, rate_limit_per_token="3/minute"),
            db=own,
            temporal=dev_env.client,
        )
        with own.write() as conn:
            token = credentials.issue(conn, Role.SECRETARIAT, "metrics test", None).token
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            api = Api(http, own, token)
            waits = "mandate_db_write_wait_seconds_count"
            # The first write of a process also purges what has expired (two more).
            await api.ok("POST", "/v1/organisations", token, org_body())
            before = _value(await _scrape(api), waits)
            await api.ok("POST", "/v1/organisations", token, org_body())
            assert _value(await _scrape(api), waits) == before + 1
            # Refused by validation inside its write: rolled back, then counted on its own.
            bad = await api.call("POST", "/v1/organisations", token, org_body(country="XX"))
            assert bad.status_code == 422, bad.text
            assert _value(await _scrape(api), waits) == before + 3
            refused = await api.call("POST", "/v1/organisations", token, org_body())
            assert refused.status_code == 429, refused.text
    finally:
        own.dispose()


def test_a_route_is_labelled_by_its_template_never_by_its_values() -> None:
    from api.metrics import UNMATCHED, _template

    matched = object()  # what the router puts in the scope
    ballot = "/v1/rounds/r-1/constituencies/c-2/ballot"
    params = {"round_id": "r-1", "constituency_id": "c-2"}
    assert (
        _template({"route": matched, "path": ballot, "path_params": params})
        == "/v1/rounds/{round_id}/constituencies/{constituency_id}/ballot"
    )
    # A parameter that takes the rest of the path, slashes and all.
    rest = {"route": matched, "path": "/files/a/b.txt", "path_params": {"rest": "a/b.txt"}}
    assert _template(rest) == "/files/{rest}"
    assert _template({"path": "/no/such/thing"}) == UNMATCHED
