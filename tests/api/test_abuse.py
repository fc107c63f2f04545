"""Limits on abuse, over HTTP on the real stack (SQLite and PostgreSQL): rate limits on writes,
confirmation mail budgets, no secret in a database dump, nobody signing or registering as
another organisation."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import MetaData, func, select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from mandate.settings import Settings
from policies.access import Role
from store import credentials
from store.db import Database
from store.tables import campaign_signature, log_entry, mail_outbox
from tests.api.conftest import Api, make_world, org_body
from tests.api.test_campaign_journey import expect, outside, wait_campaign
from tests.api.test_role_matrix import campaign_body, prepared
from tests.campaign_support import mailed_code
from tests.keys import ORIGIN
from tests.workflows.support import API_URL, running_worker


@asynccontextmanager
async def limited(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path, **limits: Any
) -> AsyncIterator[tuple[Api, FastAPI]]:
    """The app with these limit settings, a worker, and a fresh secretariat token."""
    async with running_worker(dev_env.client, db) as task_queue:
        settings = Settings(
            data_dir=tmp_path,
            log_origin=ORIGIN,
            task_queue=task_queue,
            public_url=API_URL,
            **limits,
        )
        app = create_app(settings, db=db, temporal=dev_env.client)
        with db.write() as conn:
            token = credentials.issue(conn, Role.SECRETARIAT, "test secretariat", None).token
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{_octet()}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Api(http, db, token, task_queue), app


def _octet() -> int:
    # Tests share a database, and so the counters: each test writes from its own address.
    return uuid.uuid4().int % 250 + 1


async def open_campaign(api: Api, manager: str) -> tuple[str, str]:
    made = await api.ok("POST", "/v1/campaigns", manager, campaign_body(opens=1))
    await api.ok("POST", f"/v1/campaigns/{made['id']}/publish", manager)
    found = await wait_campaign(api, made["id"], "open")
    return made["id"], found["statement_hash"]


def limited_answer(r: httpx.Response, error: str, within: int) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["error"] == error, r.text
    assert 1 <= int(r.headers["Retry-After"]) <= within, r.headers


async def test_writes_past_a_limit_answer_429_with_retry_after(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(
        db, dev_env, tmp_path, rate_limit_per_address="3/minute", rate_limit_per_token="4/minute"
    ) as (api, app):
        # Without a token: three writes from this address, then 429 (any write route counts,
        # even one answered 404).
        confirm = f"/v1/signatures/{uuid.uuid4()}/confirmation"
        for _ in range(3):
            expect(await api.call("POST", confirm, json={"code": "123456"}), 404, "not_found")
        refused = await api.call("POST", confirm, json={"code": "123456"})
        limited_answer(refused, "rate_limited", 60)
        assert "3 per 1 minute" in refused.json()["detail"]
        # Another address has its own count.
        elsewhere = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.7", 1)),
            base_url="http://test",
        )
        async with elsewhere:
            r = await elsewhere.post(confirm, json={"code": "123456"})
            assert r.status_code == 404, r.text

        # With a token: counted per token, whatever the address; a refused write writes nothing.
        before = len(await api.ok("GET", "/v1/organisations"))
        for _ in range(4):
            await api.ok("POST", "/v1/organisations", api.secretariat, org_body())
        refused = await api.call("POST", "/v1/organisations", api.secretariat, org_body())
        limited_answer(refused, "rate_limited", 60)
        assert "with this token" in refused.json()["detail"]
        assert len(await api.ok("GET", "/v1/organisations")) == before + 4
        # Reads are not limited.
        assert (await api.call("GET", "/v1/organisations")).status_code == 200


async def test_limits_can_be_turned_off(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(
        db, dev_env, tmp_path, rate_limits_enabled=False, rate_limit_per_address="1/minute"
    ) as (api, _):
        confirm = f"/v1/signatures/{uuid.uuid4()}/confirmation"
        for _ in range(3):
            expect(await api.call("POST", confirm, json={"code": "123456"}), 404, "not_found")


def test_429_is_in_the_openapi_document(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), db=Database("sqlite://"))
    doc = app.openapi()
    codes = doc["components"]["schemas"]["ErrorBody"]["x-codes"]
    assert codes["rate_limited"] == 429
    assert codes["mail_budget_spent"] == 429
    assert codes["duplicate_organisation"] == 409
    limited_response = doc["components"]["responses"]["RateLimited"]
    assert "Retry-After" in limited_response["headers"]
    sign = doc["paths"]["/v1/campaigns/{campaign_id}/signatures"]["post"]
    assert sign["responses"]["429"] == {"$ref": "#/components/responses/RateLimited"}
    assert "429" not in doc["paths"]["/v1/organisations"]["get"]["responses"]


def _queued(db: Database, campaign_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).where(mail_outbox.c.campaign_id == campaign_id)
            ).scalar_one()
        )


def _signatures(db: Database, campaign_id: str) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).where(campaign_signature.c.campaign_id == campaign_id)
            ).scalar_one()
        )


async def test_code_mails_past_the_budget_are_refused_and_not_queued(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(
        db,
        dev_env,
        tmp_path,
        code_mails_per_campaign="3/hour",
        code_mails_per_recipient="2/day",
    ) as (api, _):
        w = await make_world(api)
        cid, h = await open_campaign(api, w.coordinator)
        path = f"/v1/campaigns/{cid}/signatures"
        rosa = f"rosa-{uuid.uuid4().hex[:8]}@example.org"

        first = await api.ok("POST", path, json=outside(f"Red {uuid.uuid4()}", "MX", h, rosa))
        sid = first["signature"]["id"]
        await api.ok(  # a new code is a second mail to the same address
            "POST", f"/v1/signatures/{sid}/code", json={"signer_token": first["signer_token"]}
        )
        # The same mailbox, however written: its budget (2 a day) is spent.
        local, domain = rosa.split("@")
        again = await api.call(
            "POST",
            path,
            json=outside(f"Red {uuid.uuid4()}", "MX", h, f"{local}+b@{domain.upper()}"),
        )
        limited_answer(again, "mail_budget_spent", 86_400)
        assert "address" in again.json()["detail"]
        resend = await api.call(
            "POST", f"/v1/signatures/{sid}/code", json={"signer_token": first["signer_token"]}
        )
        limited_answer(resend, "mail_budget_spent", 86_400)
        assert (_queued(db, cid), _signatures(db, cid)) == (2, 1)

        # Another address gets the campaign's third mail; the fourth is past its budget.
        await api.ok("POST", path, json=outside(f"Red {uuid.uuid4()}", "MX", h, "ana@example.org"))
        past = await api.call(
            "POST", path, json=outside(f"Red {uuid.uuid4()}", "MX", h, "joao@example.org")
        )
        limited_answer(past, "mail_budget_spent", 3600)
        assert cid in past.json()["detail"]
        assert (_queued(db, cid), _signatures(db, cid)) == (3, 2)
        # A member signs with its token: no mail, no budget.
        await api.ok("POST", path, w.member, {"statement_hash": h})


def _dump(db: Database) -> str:
    """Every value of every text, binary and JSON column of every table, as text."""
    parts: list[str] = []
    with db.read() as conn:
        tables = MetaData()
        tables.reflect(conn)
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        parts += [value.decode("latin-1"), value.hex()]
                    elif value is not None:
                        parts.append(str(value))
    return "\n".join(parts)


async def test_a_database_dump_shows_no_token_code_or_secret(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(db, dev_env, tmp_path) as (api, _):
        ids = await prepared(api)  # a member token, a consent token, a webhook
        w = ids.w
        keyed = {"Idempotency-Key": str(uuid.uuid4())}

        async def kept(method: str, path: str, token: str | None, body: Any) -> Any:
            """A write whose answer the idempotency store keeps."""
            r = await api.call(method, path, token, body, {"Idempotency-Key": str(uuid.uuid4())})
            assert r.status_code < 300, r.text
            return r.json()

        coordinator = await kept(
            "POST",
            f"/v1/constituencies/{w.constituency}/coordinators",
            api.secretariat,
            {"name": "Ama", "email": "ama@example.org"},
        )
        member = await kept(
            "POST",
            f"/v1/constituencies/{w.constituency}/members/{w.member_org}/tokens",
            w.coordinator,
            {},
        )
        hook = await kept(
            "POST",
            f"/v1/campaigns/{ids.g}/webhooks",
            w.coordinator,
            {"url": "http://127.0.0.1:9/x"},
        )
        nominated = await kept(
            "POST",
            f"/v1/rounds/{ids.r}/constituencies/{w.constituency}/nominations",
            w.member,
            {"nominee_name": "Ines", "organisation_id": w.member_org, "statement": {"en": "Hi"}},
        )
        signed = await kept(
            "POST",
            f"/v1/campaigns/{ids.g}/signatures",
            None,
            outside(f"Red {uuid.uuid4()}", "MX", ids.statement_hash, "rosa@example.org"),
        )
        code = mailed_code(db, signed["signature"]["id"])
        r = await api.call(
            "POST",
            f"/v1/signatures/{signed['signature']['id']}/code",
            None,
            {"signer_token": signed["signer_token"]},
            keyed,
        )
        assert r.status_code == 200, r.text
        new_code = mailed_code(db, signed["signature"]["id"])

        dump = _dump(db)
        secrets = {
            "secretariat token": api.secretariat,
            "coordinator token": coordinator["token"],
            "member token": member["token"],
            "earlier member token": w.member,
            "webhook secret": hook["secret"],
            "consent token": nominated["consent_token"],
            "earlier consent token": ids.consent_token,
            "signer token": signed["signer_token"],
        }
        for what, value in secrets.items():
            assert value, what
            assert value not in dump, what
        for value in (code, new_code):  # six digits: looked for as the mail and as a body
            assert f"    {value}\n" not in dump
            assert f'"code": "{value}"' not in dump
            assert f": {value}" not in dump


async def test_an_outsider_cannot_sign_for_a_registered_member_nor_block_it(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(db, dev_env, tmp_path) as (api, _):
        w = await make_world(api)
        name = f"Red de Migrantes {uuid.uuid4().hex[:6]}"
        contact = f"office-{uuid.uuid4().hex[:6]}@example.org"
        org = await api.ok(
            "POST",
            "/v1/organisations",
            api.secretariat,
            org_body(name=name, country="MX", contact_email=contact),
        )
        await api.ok(
            "POST",
            f"/v1/constituencies/{w.constituency}/members",
            w.coordinator,
            {"organisation_id": org["id"]},
        )
        token = (
            await api.ok(
                "POST",
                f"/v1/constituencies/{w.constituency}/members/{org['id']}/tokens",
                w.coordinator,
                {},
            )
        )["token"]
        cid, h = await open_campaign(api, w.coordinator)
        path = f"/v1/campaigns/{cid}/signatures"
        thief = f"thief-{uuid.uuid4().hex[:6]}@example.org"

        # Other case, spacing, accents and punctuation: the same organisation.
        claims = []
        for spelling in (name.upper(), "  red  DE  migrántes " + name.split()[-1] + "!"):
            r = await api.call("POST", path, json=outside(spelling, "MX", h, thief))
            assert r.status_code == 202, r.text
            assert r.json()["code_sent_to"] == "registered_contact"
            assert r.json()["signature"]["organisation"] == name  # as registered
            claims.append(r.json()["signature"]["id"])
        with db.read() as conn:
            to = {
                row.to_address
                for row in conn.execute(
                    select(mail_outbox.c.to_address).where(mail_outbox.c.campaign_id == cid)
                )
            }
        assert to == {contact}  # nothing went to the address the outsider gave
        # The newer claim superseded the older one.
        first = await api.ok("GET", f"/v1/signatures/{claims[0]}")
        assert first["state"] == "lapsed"

        # The member signs with its token: the pending claim does not block it; it lapses.
        signed = await api.call("POST", path, token, {"statement_hash": h})
        assert signed.status_code == 201, signed.text
        assert (await api.ok("GET", f"/v1/signatures/{claims[1]}"))["state"] == "lapsed"
        # The code the registered contact got no longer confirms anything.
        code = mailed_code(db, claims[1])
        expect(
            await api.call("POST", f"/v1/signatures/{claims[1]}/confirmation", json={"code": code}),
            409,
            "code_unusable",
        )
        # And a new claim under its name now finds it signed.
        expect(
            await api.call("POST", path, json=outside(name.lower(), "MX", h, thief)),
            409,
            "already_signed",
        )
        counts = (await api.ok("GET", f"/v1/campaigns/{cid}"))["signatures"]
        assert (counts["confirmed"], counts["pending"]) == (1, 0)


async def test_a_registered_organisation_without_a_token_confirms_from_its_contact(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(db, dev_env, tmp_path) as (api, _):
        w = await make_world(api)
        spare = await api.ok("GET", f"/v1/organisations/{w.spare_org}", api.secretariat)
        cid, h = await open_campaign(api, w.coordinator)
        r = await api.call(
            "POST",
            f"/v1/campaigns/{cid}/signatures",
            json=outside(spare["name"].lower(), spare["country"], h, "someone@example.org"),
        )
        assert r.status_code == 202, r.text
        sid = r.json()["signature"]["id"]
        with db.read() as conn:
            (to,) = conn.execute(
                select(mail_outbox.c.to_address).where(mail_outbox.c.campaign_id == cid)
            ).one()
        assert to == spare["contact_email"]
        code = mailed_code(db, sid)
        confirmed = await api.ok("POST", f"/v1/signatures/{sid}/confirmation", json={"code": code})
        assert (confirmed["state"], confirmed["organisation"]) == ("confirmed", spare["name"])
        with db.read() as conn:
            bound = conn.execute(
                select(campaign_signature.c.organisation_id).where(campaign_signature.c.id == sid)
            ).scalar_one()
        assert bound == w.spare_org


async def test_an_organisation_is_registered_once_unless_the_secretariat_says_namesake(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with limited(db, dev_env, tmp_path) as (api, _):
        s = api.secretariat
        name = f"Unión Obrera {uuid.uuid4().hex[:6]}"
        first = await api.ok("POST", "/v1/organisations", s, org_body(name=name, country="AR"))
        for spelling in (name, name.upper(), name.replace("Unión", "union").replace(" ", "  ")):
            again = await api.call(
                "POST", "/v1/organisations", s, org_body(name=spelling, country="AR")
            )
            expect(again, 409, "duplicate_organisation", first["id"])
        # Another country: another organisation.
        await api.ok("POST", "/v1/organisations", s, org_body(name=name, country="UY"))
        # A true namesake, said so with a reason.
        expect(
            await api.call(
                "POST",
                "/v1/organisations",
                s,
                org_body(name=name, country="AR", namesake_of=first["id"]),
            ),
            422,
            "invalid_input",
            "reason",
        )
        expect(
            await api.call(
                "POST",
                "/v1/organisations",
                s,
                org_body(name=name, country="AR", namesake_of=w_id(), reason="another one"),
            ),
            422,
            "invalid_input",
            first["id"],
        )
        reason = "A different union in Rosario with the same name; see its statutes."
        namesake = await api.ok(
            "POST",
            "/v1/organisations",
            s,
            org_body(name=name, country="AR", namesake_of=first["id"], reason=reason),
        )
        assert namesake["id"] != first["id"]
        with db.read() as conn:
            statements = conn.execute(
                select(log_entry.c.statement).where(
                    log_entry.c.type == "organisation.registered",
                    log_entry.c.statement.contains(namesake["id"]),
                )
            ).scalars()
            registered = [json.loads(x)["data"] for x in statements]
        assert registered
        assert registered[0]["namesake_of"] == first["id"]
        assert registered[0]["reason"] == reason


def w_id() -> str:
    return str(uuid.uuid4())
