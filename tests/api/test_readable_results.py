"""Results a person can read: names beside every id in nominations, endorsements, ballots,
outcomes and count sheets, decimals beside the count's fractions, and `mandate results`
printing a decided round from a running API."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from mandate.resultscmd import render
from mandate.settings import Settings
from policies.access import Role
from records import dsse
from records.canonical import canonical_json
from records.keys import public_key_from_b64
from store import credentials
from store.db import Database
from tests.api.conftest import Api, make_world
from tests.api.test_rounds_api import at, wait_phase
from tests.api.test_selection_journey import _member
from tests.conftest import free_port
from tests.e2e.processes import ROOT, mandate_env
from tests.keys import ORIGIN
from tests.workflows.support import API_URL, running_worker

HALF_UNIT = Fraction(1, 2 * 10**6)
ORGS = {  # short key -> (organisation's name, nominee's name)
    "a": ("Kenya Domestic Workers Union", "Amina Wanjiru"),
    "b": ("Asia Pacific Migrant Forum", "Bao Nguyen"),
    "c": ("Red de Mujeres Rurales", "Carmen Quispe"),
    "d": ("Pacific Youth Network", "Daniel Tuilagi"),
}
DIASPORA = {"x": ("Diaspora Collective Lyon", "Xavier Ndiaye"), "y": ("Sahel Forum", "Yaya Ba")}
EVERYONE = {**ORGS, **DIASPORA}


@dataclass
class Decided:
    """A round decided in two constituencies: an approval vote and a designation."""

    rid: str
    vote: str  # the approval constituency
    designated: str  # the designation constituency
    orgs: dict[str, str] = field(default_factory=dict)  # key -> organisation id
    nominees: dict[str, str] = field(default_factory=dict)  # key -> nomination id
    endorsed: dict[str, str] = field(default_factory=dict)  # nomination key -> endorser key
    coordinator_id: str = ""
    # key -> organisation's name as registered: the name with a tag of this round's own, since
    # an organisation's name and country are registered once in the shared database
    org_names: dict[str, str] = field(default_factory=dict)


async def decide(api: Api, while_voting: Callable[[str], Awaitable[None]] | None = None) -> Decided:
    """Publish, nominate, endorse, vote and designate; ``while_voting`` runs with the round
    still open; returns once the round is decided."""
    w = await make_world(api)
    s = api.secretariat
    tokens: dict[str, str] = {}
    done = Decided(rid="", vote=w.constituency, designated=w.other_constituency)
    tag = uuid.uuid4().hex[:6]
    done.org_names = {key: f"{org_name} {tag}" for key, (org_name, _) in EVERYONE.items()}
    for key in ORGS:
        done.orgs[key], tokens[key] = await _member(
            api, w.constituency, w.coordinator, name=done.org_names[key]
        )
    for key in DIASPORA:
        done.orgs[key], tokens[key] = await _member(
            api, w.other_constituency, w.other_coordinator, name=done.org_names[key]
        )
    body = {
        "title": f"Regional forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [
            {"constituency_id": w.constituency, "seats": 2},
            {"constituency_id": w.other_constituency, "seats": 1},
        ],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(7),
            "voting_open_at": at(7.5),
            "voting_close_at": at(11),
        },
    }
    done.rid = rid = (await api.ok("POST", "/v1/rounds", s, body))["id"]
    vote_base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    designation_base = f"/v1/rounds/{rid}/constituencies/{w.other_constituency}"
    await api.ok(
        "PUT",
        f"{vote_base}/rules",
        w.coordinator,
        {"alternates": 1, "max_approvals": 3, "endorsements": {"required": 1}},
    )
    await api.ok(
        "PUT",
        f"{designation_base}/rules",
        w.other_coordinator,
        {"method": "designation", "quorum": 1, "alternates": 1},
    )
    await api.ok("POST", f"/v1/rounds/{rid}/publish", s)
    await wait_phase(api, rid, "nominations_open")

    for key, (_, nominee) in EVERYONE.items():
        base = vote_base if key in ORGS else designation_base
        made = await api.ok(
            "POST",
            f"{base}/nominations",
            tokens[key],
            {
                "nominee_name": nominee,
                "organisation_id": done.orgs[key],
                "statement": {"en": f"{nominee} will speak for us"},
            },
        )
        nid = made["nomination"]["id"]
        done.nominees[key] = nid
        # The answer to a nomination names the nominee and the organisation already.
        assert made["nomination"]["names"][nid] == {
            "kind": "nominee",
            "name": nominee,
            "organisation": done.org_names[key],
        }
        await api.ok(
            "POST",
            f"/v1/nominations/{nid}/consent",
            None,
            {"token": made["consent_token"], "decision": "accept"},
        )
    done.endorsed = {"a": "b", "b": "c", "c": "d", "d": "a"}
    for key, by in done.endorsed.items():
        endorsed = await api.ok(
            "POST", f"/v1/nominations/{done.nominees[key]}/endorsements", tokens[by]
        )
        assert endorsed["names"][done.orgs[by]] == {
            "kind": "organisation",
            "name": done.org_names[by],
            "organisation": None,
        }

    await wait_phase(api, rid, "voting_open")
    n = done.nominees
    # Phragmén: a is approved most widely; b and c then share the second seat's load.
    for by, picks in (
        ("a", ["a", "b"]),
        ("b", ["a", "b"]),
        ("c", ["a", "c"]),
        ("d", ["c", "d"]),
    ):
        await api.ok("PUT", f"{vote_base}/ballot", tokens[by], {"approvals": [n[p] for p in picks]})
    await api.ok(
        "POST",
        f"{designation_base}/designation",
        w.other_coordinator,
        {"winners": [n["y"]], "alternates": [n["x"]]},
    )
    done.coordinator_id = (await api.ok("GET", "/v1/me", w.other_coordinator))["coordinator_id"]
    if while_voting is not None:
        await while_voting(rid)
    await wait_phase(api, rid, "decided", within=40)
    return done


def _named(names: dict[str, Any], key: str, d: Decided) -> None:
    """``names`` says who nomination ``key`` is and which organisation it comes from."""
    org_name, nominee = d.org_names[key], EVERYONE[key][1]
    assert names[d.nominees[key]] == {"kind": "nominee", "name": nominee, "organisation": org_name}


async def test_names_and_decimals_beside_every_id(api: Api) -> None:
    d = await decide(api)
    vote_base = f"/v1/rounds/{d.rid}/constituencies/{d.vote}"
    designation_base = f"/v1/rounds/{d.rid}/constituencies/{d.designated}"
    by_id = {nid: key for key, nid in d.nominees.items()}

    # Nominations and their endorsements: the nominee, the organisation, every endorser.
    listed = await api.ok("GET", f"{vote_base}/nominations")
    assert len(listed) == 4
    for nomination in listed:
        key = by_id[nomination["id"]]
        names = nomination["names"]
        _named(names, key, d)
        assert names[nomination["organisation_id"]]["name"] == d.org_names[key]
        endorser = d.orgs[d.endorsed[key]]
        assert nomination["endorsed_by"] == [endorser]
        assert names[endorser] == {
            "kind": "organisation",
            "name": d.org_names[d.endorsed[key]],
            "organisation": None,
        }
        assert set(names) == {nomination["id"], nomination["organisation_id"], endorser}
    standing = (await api.ok("GET", f"{vote_base}/candidates"))["standing"]
    assert {by_id[x["id"]] for x in standing} == set(ORGS)
    for x in standing:
        _named(x["names"], by_id[x["id"]], d)

    # Ballots: the voter's organisation and every candidate it approved.
    ballots = await api.ok("GET", f"{vote_base}/ballots")
    assert len(ballots) == 4
    org_keys = {oid: key for key, oid in d.orgs.items()}
    for b in ballots:
        voter = b["voter_organisation_id"]
        assert b["names"][voter] == {
            "kind": "organisation",
            "name": d.org_names[org_keys[voter]],
            "organisation": None,
        }
        assert b["approvals"]
        for nid in b["approvals"]:
            _named(b["names"], by_id[nid], d)
        assert set(b["names"]) == {voter, *b["approvals"]}

    # The outcome: names beside the signed record, which is exactly as signed and verifies.
    outcome = await api.ok("GET", f"{vote_base}/outcome")
    record = outcome["record"]
    assert set(outcome["names"]) == set(record["candidates"])
    for nid in record["candidates"]:
        _named(outcome["names"], by_id[nid], d)
    assert "names" not in record
    assert "_decimal" not in outcome["canonical"]
    assert canonical_json(record).decode() == outcome["canonical"]
    published = await api.ok("GET", "/v1/keys")
    keys = {k["key_id"]: public_key_from_b64(k["public_key"]) for k in published["keys"]}
    envelope = dsse.Envelope.from_json(outcome["envelope"])
    assert dsse.verify(envelope, keys) == outcome["canonical"].encode()
    assert next(by_id[x] for x in record["result"]["winners"]) == "a"

    # The count sheet: the same names, decimals beside each fraction, each seat's score.
    count = await api.ok("GET", f"{vote_base}/count")
    assert count["names"] == outcome["names"]
    assert count["seats"] == 2
    assert count["winners"] == record["result"]["winners"]
    pairs = 0
    for step, signed in zip(count["steps"], record["result"]["steps"], strict=True):
        # The view adds keys; every key of the signed step is there, unchanged.
        assert {k: step[k] for k in signed if k != "loads"} == {
            k: v for k, v in signed.items() if k != "loads"
        }
        assert step["load_decimal"] == _decimal_of(step["load"])
        for option, signed_option in zip(step["loads"], signed["loads"], strict=True):
            assert option["load"] == signed_option["load"]
            assert option["load_decimal"] == _decimal_of(option["load"])
            pairs += 1
    assert any("/" in option["load"] for step in count["steps"] for option in step["loads"])
    assert pairs >= 4
    seated = [*count["winners"], *count["alternates"]]
    assert set(count["scores"]) == set(seated)
    picked = {step["picked"]: step["load"] for step in count["steps"]}
    for nid in seated:
        score = count["scores"][nid]
        assert score["label"] == "load"
        assert score["value"] == picked[nid]
        assert score["decimal"] == _decimal_of(score["value"])

    # A designation's count names the coordinator who decided.
    designated = await api.ok("GET", f"{designation_base}/count")
    assert designated["winners"] == [d.nominees["y"]]
    assert designated["scores"] == {}
    assert designated["names"][d.coordinator_id] == {
        "kind": "coordinator",
        "name": "Ama Mensah",
        "organisation": None,
    }
    _named(designated["names"], "y", d)
    _named(designated["names"], "x", d)


def _decimal_of(value: str | None) -> str | None:
    """The decimal of ``value`` by Decimal's own division, carried far enough to be exact."""
    if value is None:
        return None
    exact = Fraction(value)
    with localcontext() as ctx:
        ctx.prec = 80
        shown = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_EVEN
        )
    assert abs(Fraction(shown) - exact) <= HALF_UNIT
    return str(shown)


@pytest.fixture
async def served(
    db: Database, dev_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[Api, int]]:
    """The real app on a real TCP port (uvicorn), with a real worker, for the command line."""
    async with running_worker(dev_env.client, db) as task_queue:
        settings = Settings(
            data_dir=tmp_path, log_origin=ORIGIN, task_queue=task_queue, public_url=API_URL
        )
        app = create_app(settings, db=db, temporal=dev_env.client)
        with db.write() as conn:
            token = credentials.issue(conn, Role.SECRETARIAT, "test secretariat", None).token
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), "the API did not start"
            await asyncio.sleep(0.05)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                yield Api(http, db, token, task_queue), port
        finally:
            server.should_exit = True
            await task


async def _results(port: int, *args: str, tmp_path: Path) -> tuple[int, str, str]:
    """``mandate results`` in its own process; the default address from MANDATE_API_*."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mandate.cli",
        "results",
        *args,
        cwd=ROOT,
        env=mandate_env(data_dir=str(tmp_path), api_host="127.0.0.1", api_port=str(port)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_results_command_prints_the_decided_round(
    served: tuple[Api, int], tmp_path: Path
) -> None:
    api, port = served

    async def too_early(rid: str) -> None:
        code, out, err = await _results(port, rid, tmp_path=tmp_path)
        assert code == 1, (out, err)
        assert f"round {rid} is not decided yet (it is voting_open)" in err
        assert out == ""

    d = await decide(api, too_early)
    code, out, err = await _results(port, d.rid, tmp_path=tmp_path)
    assert code == 0, (out, err)
    count = await api.ok("GET", f"/v1/rounds/{d.rid}/constituencies/{d.vote}/count")
    winners = [count["names"][nid]["name"] for nid in count["winners"]]
    [alternate] = [count["names"][nid]["name"] for nid in count["alternates"]]
    assert winners[0] == "Amina Wanjiru"
    lines = out.splitlines()
    assert f"(round {d.rid}): decided" in lines[0]
    # Winners in order, each with the organisation, the exact load and its decimal.
    rows = [line for line in lines if any(name in line for name in [*winners, alternate])]
    assert [next(n for n in [*winners, alternate] if n in row) for row in rows[:3]] == [
        *winners,
        alternate,
    ]
    for nid, row in zip([*count["winners"], *count["alternates"]], rows, strict=False):
        assert count["names"][nid]["organisation"] in row
        assert f"load {count['scores'][nid]['value']}" in row
        assert count["scores"][nid]["decimal"] in row
        assert nid in row
    assert "method approval.phragmen, 2 seats" in out
    assert "method designation, 1 seat" in out
    assert "Yaya Ba" in out
    assert "Sahel Forum" in out
    assert out.count("unfilled: none") == 2

    # Another address, given with --api; an unknown round; an address nobody answers.
    code, out_api, _ = await _results(
        free_port(), d.rid, "--api", f"http://127.0.0.1:{port}/", tmp_path=tmp_path
    )
    assert (code, out_api) == (0, out)
    code, out, err = await _results(port, "no-such-round", tmp_path=tmp_path)
    assert (code, out) == (1, "")
    assert "no round with id no-such-round" in err
    code, out, err = await _results(free_port(), d.rid, tmp_path=tmp_path)
    assert (code, out) == (1, "")
    assert "cannot read the API at http://127.0.0.1:" in err


def test_results_table_shows_unfilled_seats_and_methods_without_scores() -> None:
    found = {"id": "r1", "title": "Forum", "phase": "decided"}
    constituency = {"id": "c1", "name": "Youth"}
    count = {
        "method": "lottery.uniform",
        "seats": 3,
        "winners": ["n1"],
        "alternates": [],
        "unfilled": 2,
        "unfilled_reason": "at most 1 per region: only 1 region stands",
        "names": {"n1": {"kind": "nominee", "name": "Ana", "organisation": "Org A"}},
        "scores": {},
    }
    text = render(found, [(constituency, count)])
    assert text.splitlines() == [
        "Forum (round r1): decided",
        "",
        "Youth (c1)",
        "  method lottery.uniform, 3 seats",
        "  winners:",
        "    #  name  organisation  id",
        "    1  Ana   Org A         n1",
        "  alternates: none",
        "  unfilled: 2 seats: at most 1 per region: only 1 region stands",
    ]
