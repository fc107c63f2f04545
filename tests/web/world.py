"""A small world for the pages, made through the real API of a running stack: a constituency
with member organisations, a decided round, an open campaign (with a confirmed outside
signature) and a concluded one. The browser tests and bench/pages.py both use it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

CodeFor = Callable[[str], Awaitable[str]]  # signature id -> the code mailed for it

STATEMENT = {
    "en": {
        "title": "Decent work for migrant domestic workers",
        "text": "We, the undersigned organisations, call on governments to ratify ILO "
        "Convention 189 and to protect the rights of migrant domestic workers.\n\n"
        "Migrant workers must be heard where their lives are decided.",
    },
    "fr": {
        "title": "Un travail décent pour les travailleuses domestiques migrantes",
        "text": "Nous, organisations soussignées, appelons les gouvernements à ratifier la "
        "Convention 189 de l'OIT et à protéger les droits des travailleuses domestiques "
        "migrantes.\n\nLes personnes migrantes doivent être entendues là où leur vie se décide.",
    },
    "es": {
        "title": "Trabajo decente para las trabajadoras domésticas migrantes",
        "text": "Nosotras, las organizaciones firmantes, pedimos a los gobiernos que ratifiquen "
        "el Convenio 189 de la OIT y protejan los derechos de las trabajadoras domésticas "
        "migrantes.\n\nLas personas migrantes deben ser escuchadas donde se decide su vida.",
    },
    "ar": {
        "title": "العمل اللائق للعاملات المنزليات المهاجرات",
        "text": "نحن المنظمات الموقّعة أدناه ندعو الحكومات إلى التصديق على اتفاقية منظمة العمل "
        "الدولية رقم 189 وحماية حقوق العاملات المنزليات المهاجرات.\n\nيجب أن يُسمع صوت "
        "المهاجرين حيث تُتخذ القرارات التي تخص حياتهم.",
    },
}
MEMBERS = [
    ("Red de Mujeres Migrantes", "MX", "network"),
    ("Kenya Domestic Workers Union", "KE", "trade_union"),
    ("Association des Travailleurs Maghrébins", "FR", "community_group"),
]


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@dataclass
class Member:
    id: str
    name: str
    email: str
    token: str


@dataclass
class World:
    constituency: str
    coordinator: str
    members: list[Member]
    open_campaign: str = ""
    statement_hash: str = ""
    closing_campaign: str = ""
    round_id: str = ""
    signature_id: str = ""  # an outside organisation's, confirmed, on the open campaign
    receipt: str = ""  # its confirmation's log entry
    waits: list[asyncio.Task[None]] = field(default_factory=list)

    async def settled(self) -> None:
        """Once the round is decided and the closing campaign concluded."""
        await asyncio.gather(*self.waits)

    def pages(self) -> dict[str, str]:
        """Every public page, by a short name."""
        return {
            "home": "/",
            "campaign": f"/campaigns/{self.open_campaign}",
            "campaign-closed": f"/campaigns/{self.closing_campaign}",
            "round": f"/rounds/{self.round_id}",
            "directory": "/directory",
            "receipt": "/receipt",
            "receipt-checked": f"/receipt?r={self.receipt}",
            "code": f"/signatures/{self.signature_id}/code",
            "signature": f"/signatures/{self.signature_id}?receipt={self.receipt}",
            "sign-in": "/sign-in",
            "sign-in-sent": "/sign-in/sent",
            "preferences": "/preferences",
            "not-found": "/rounds/no-such-round",
        }


class Client:
    def __init__(self, http: httpx.AsyncClient, secretariat: str) -> None:
        self.http, self.secretariat = http, secretariat

    async def ok(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        r = await self.http.request(method, path, json=body, headers=headers)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json()

    async def wait(self, path: str, key: str, value: str, within: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while (await self.ok("GET", path))[key] != value:
            assert asyncio.get_running_loop().time() < deadline, f"{path} never {key}={value}"
            await asyncio.sleep(0.5)


async def make_world(http: httpx.AsyncClient, secretariat: str, code_for: CodeFor) -> World:
    api = Client(http, secretariat)
    tag = uuid.uuid4().hex[:6]
    constituency = await api.ok(
        "POST",
        "/v1/constituencies",
        secretariat,
        {"name": f"Migrants and diaspora {tag}", "description": "Migrant-led organisations"},
    )
    cid = constituency["id"]
    coordinator = await api.ok(
        "POST",
        f"/v1/constituencies/{cid}/coordinators",
        secretariat,
        {"name": "Amina Diallo", "email": f"amina-{tag}@example.org"},
    )
    members = []
    for name, country, kind in MEMBERS:
        email = f"contact-{uuid.uuid4().hex[:8]}@example.org"
        org = await api.ok(
            "POST",
            "/v1/organisations",
            secretariat,
            {
                "name": f"{name} {tag}",
                "country": country,
                "type": kind,
                "migrant_led": True,
                "grassroots": True,
                "contact_email": email,
            },
        )
        await api.ok(
            "POST",
            f"/v1/constituencies/{cid}/members",
            coordinator["token"],
            {"organisation_id": org["id"]},
        )
        token = await api.ok(
            "POST", f"/v1/constituencies/{cid}/members/{org['id']}/tokens", coordinator["token"], {}
        )
        members.append(Member(org["id"], org["name"], email, token["token"]))
    world = World(cid, coordinator["token"], members)
    world.round_id = await _round(api, world)
    world.waits.append(asyncio.create_task(_decide(api, world)))
    world.closing_campaign, closing_hash = await campaign(api, seconds=15)
    await api.ok(
        "POST",
        f"/v1/campaigns/{world.closing_campaign}/signatures",
        members[0].token,
        {"statement_hash": closing_hash},
    )
    world.waits.append(
        asyncio.create_task(
            api.wait(f"/v1/campaigns/{world.closing_campaign}", "phase", "concluded")
        )
    )
    world.open_campaign, world.statement_hash = await campaign(api, seconds=7200)
    signed = await api.ok(
        "POST",
        f"/v1/campaigns/{world.open_campaign}/signatures",
        None,
        {
            "statement_hash": world.statement_hash,
            "email": f"leila-{tag}@alianza.example",
            "organisation": {"name": f"Alianza Sur {tag}", "country": "AR", "type": "ngo"},
            "signer": {"name": "Leila Haddad", "role": "Director"},
        },
    )
    world.signature_id = signed["signature"]["id"]
    r = await http.post(
        f"/v1/signatures/{world.signature_id}/confirmation",
        json={"code": await code_for(world.signature_id)},
    )
    assert r.status_code == 200, r.text
    world.receipt = r.headers["mandate-receipt"].split(",")[-1]
    return world


async def campaign(
    api: Client, seconds: float, statement: dict[str, Any] = STATEMENT
) -> tuple[str, str]:
    """A campaign open from now for ``seconds``: its id and statement hash."""
    made = await api.ok(
        "POST",
        "/v1/campaigns",
        api.secretariat,
        {
            "statement": statement,
            "signers": "any",
            "opens_at": at(-1),
            "closes_at": at(seconds),
            "contact": {"name": "Campaign desk", "email": "desk@example.org"},
        },
    )
    published = await api.ok("POST", f"/v1/campaigns/{made['id']}/publish", api.secretariat)
    await api.wait(f"/v1/campaigns/{made['id']}", "phase", "open", within=30)
    return made["id"], published["statement_hash"]


async def _round(api: Client, world: World) -> str:
    body = {
        "title": "Global Forum on Migration 2027: civil society speakers",
        "segments": [{"key": "opening", "title": "Opening plenary"}],
        "participants": [{"constituency_id": world.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(1),
            "nominations_close_at": at(8),
            "voting_open_at": at(8.5),
            "voting_close_at": at(13),
        },
    }
    made = await api.ok("POST", "/v1/rounds", api.secretariat, body)
    await api.ok(
        "PUT",
        f"/v1/rounds/{made['id']}/constituencies/{world.constituency}/rules",
        world.coordinator,
        {
            "alternates": 1,
            "max_approvals": 2,
            "constraints": [{"attribute": "gender", "value": "woman", "min": 1}],
        },
    )
    await api.ok("POST", f"/v1/rounds/{made['id']}/publish", api.secretariat)
    rid: str = made["id"]
    return rid


async def _decide(api: Client, world: World) -> None:
    """Nominate, consent and vote while the round's windows open and close."""
    rid, cid = world.round_id, world.constituency
    base = f"/v1/rounds/{rid}/constituencies/{cid}"
    await api.wait(f"/v1/rounds/{rid}/phase", "phase", "nominations_open", within=30)
    nominees = []
    for member, nominee, gender in (
        (world.members[0], "Rosa Díaz", "woman"),
        (world.members[1], "Joseph Otieno", "man"),
    ):
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            member.token,
            {
                "nominee_name": nominee,
                "organisation_id": member.id,
                "attributes": {"gender": gender},
                "statement": {
                    "en": f"{nominee} has organised domestic workers for ten years.",
                    "es": f"{nominee} organiza a trabajadoras del hogar desde hace diez años.",
                },
            },
        )
        nid = made["nomination"]["id"]
        await api.ok(
            "POST",
            f"/v1/nominations/{nid}/consent",
            None,
            {"token": made["consent_token"], "decision": "accept"},
        )
        nominees.append(nid)
    await api.wait(f"/v1/rounds/{rid}/phase", "phase", "voting_open", within=30)
    for member, approvals in zip(
        world.members, ([nominees[0]], nominees, [nominees[1]]), strict=True
    ):
        await api.ok("PUT", f"{base}/ballot", member.token, {"approvals": approvals})
    await api.wait(f"/v1/rounds/{rid}/phase", "phase", "decided", within=60)
