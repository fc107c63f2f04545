"""Selections by ranked ballots, by lot and by designation, end to end over HTTP, each with the
commit-reveal randomness of the secretariat and the coordinators (reveals only after voting
closes, the count after the reveal window), the published count and an offline recount of the
bundle; and a beacon pinned in the rules, whose round the schedule gives, refusing every value
that is not that round's signature."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from policies.beacon import MARGIN, QUICKNET
from policies.randomness import commitment_for
from records.bundle import verify_bundle
from store import log
from tests.api.conftest import Api, World, make_world, org_body
from tests.api.test_rounds_api import at, round_body, wait_phase
from tests.keys import ORIGIN
from tests.lot_rounds import BEACON, beacon_value

# Seconds after voting closes in which the parties reveal: short, so the test is too.
WINDOW = 10
COMMIT_REVEAL = {"commit_reveal": {"reveal_window": WINDOW}}


def _expect(r: Any, status: int, error: str) -> None:
    assert (r.status_code, r.json().get("error")) == (status, error), r.text


async def _member(api: Api, w: World, **org: Any) -> tuple[str, str]:
    made = await api.ok("POST", "/v1/organisations", api.secretariat, org_body(**org))
    await api.ok(
        "POST",
        f"/v1/constituencies/{w.constituency}/members",
        w.coordinator,
        {"organisation_id": made["id"]},
    )
    token = await api.ok(
        "POST",
        f"/v1/constituencies/{w.constituency}/members/{made['id']}/tokens",
        w.coordinator,
        {},
    )
    return made["id"], token["token"]


class Selection:
    """One round with one constituency, driven through its schedule."""

    def __init__(self, api: Api, w: World, second: dict[str, Any], rules: dict[str, Any]) -> None:
        self.api, self.w, self.second, self.rules = api, w, second, rules
        self.rid = ""
        self.base = ""
        self.secrets: dict[str, str] = {}

    async def publish(self) -> None:
        api, w = self.api, self.w
        body = {
            "title": f"Forum {uuid.uuid4().hex[:6]}",
            "segments": [{"key": "plenary", "title": "Plenary"}],
            "participants": [{"constituency_id": w.constituency, "seats": 2}],
            "schedule": {
                "nominations_open_at": at(0.5),
                "nominations_close_at": at(14),
                "voting_open_at": at(14.5),
                "voting_close_at": at(20),
            },
        }
        self.rid = (await api.ok("POST", "/v1/rounds", api.secretariat, body))["id"]
        self.base = f"/v1/rounds/{self.rid}/constituencies/{w.constituency}"
        await api.ok("PUT", f"{self.base}/rules", w.coordinator, self.rules)
        await api.ok("POST", f"/v1/rounds/{self.rid}/publish", api.secretariat)

    async def commit(self) -> None:
        """The secretariat and both coordinators commit; the second will never reveal."""
        api = self.api
        for who, token, party in (
            ("secretariat", api.secretariat, "secretariat"),
            ("first", self.w.coordinator, None),
            ("second", self.second["token"], self.second["id"]),
        ):
            secret = secrets.token_hex(32)
            me = party or (await api.ok("GET", "/v1/me", token))["coordinator_id"]
            done = await api.ok(
                "POST",
                f"{self.base}/randomness/commitments",
                token,
                {"commitment": commitment_for(me, secret)},
            )
            assert done["party"] == me
            self.secrets[who] = secret
        # A reveal before nominations close is refused: nobody sees a secret early.
        _expect(
            await api.call(
                "POST",
                f"{self.base}/randomness/reveals",
                api.secretariat,
                {"secret": self.secrets["secretariat"]},
            ),
            409,
            "wrong_phase",
        )

    async def nominate(self, orgs: list[tuple[str, str]], genders: list[str]) -> list[str]:
        ids = []
        for (org, token), gender in zip(orgs, genders, strict=True):
            made = await self.api.ok(
                "POST",
                f"{self.base}/nominations",
                token,
                {
                    "nominee_name": f"Nominee {gender} {org[:4]}",
                    "organisation_id": org,
                    "attributes": {"gender": gender},
                    "statement": {"en": "I will speak for us"},
                },
            )
            nid = made["nomination"]["id"]
            await self.api.ok(
                "POST",
                f"/v1/nominations/{nid}/consent",
                None,
                {"token": made["consent_token"], "decision": "accept"},
            )
            ids.append(nid)
        return ids

    async def close_commitments(self) -> None:
        api = self.api
        await wait_phase(api, self.rid, "nominations_closed")
        late = await api.call(
            "POST",
            f"{self.base}/randomness/commitments",
            api.secretariat,
            {"commitment": "0" * 64},
        )
        _expect(late, 409, "phase_closed")  # commitments close with nominations

    async def reveal(self, voter: str) -> None:
        """While voting is open a reveal is refused; once it has closed, a ballot is."""
        api = self.api
        reveals = f"{self.base}/randomness/reveals"
        secret = {"secret": self.secrets["secretariat"]}
        _expect(await api.call("POST", reveals, api.secretariat, secret), 409, "wrong_phase")
        await wait_phase(api, self.rid, "voting_closed")
        late = await api.call("PUT", f"{self.base}/ballot", voter, {"approvals": []})
        _expect(late, 409, "phase_closed")
        wrong = await api.call("POST", reveals, self.second["token"], {"secret": "1" * 64})
        _expect(wrong, 422, "reveal_mismatch")
        for who, token in (("secretariat", api.secretariat), ("first", self.w.coordinator)):
            await api.ok("POST", reveals, token, {"secret": self.secrets[who]})
        terms = await api.ok("GET", f"{self.base}/randomness")
        assert terms["lot"] == "mandate.lot/2"
        closes = datetime.fromisoformat(terms["reveals_open_at"]) + timedelta(seconds=WINDOW)
        assert datetime.fromisoformat(terms["reveals_close_at"]) == closes
        assert terms["beacon_due"] is None

    async def finish(self) -> dict[str, Any]:
        """The count, as published, once the round is decided; and the bundle verifies."""
        await wait_phase(self.api, self.rid, "decided", within=40)
        count: dict[str, Any] = await self.api.ok("GET", f"{self.base}/count")
        randomness = count["randomness"]
        statuses = {p["party"]: p["status"] for p in randomness["parties"]}
        assert statuses.pop(self.second["id"]) == "not_revealed"
        assert set(statuses.values()) == {"revealed"}
        assert randomness["left_out"] == [self.second["id"]]
        assert len(randomness["contributions"]) == 2
        await asyncio.to_thread(_integrate, self.api)
        bundle = await self.api.ok("GET", f"/v1/rounds/{self.rid}/bundle")
        report = verify_bundle(bundle)
        assert report.ok, report.problems
        assert any("recount" in line and "matches" in line for line in report.checked)
        # A revealed secret changed in its logged entry is caught.
        for entry in bundle["entries"]:
            envelope = json.loads(entry["envelope"])
            statement = json.loads(base64.b64decode(envelope["payload"]))
            if statement["type"] == "randomness.revealed":
                statement["data"]["secret"] = "2" * 64
                envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
                entry["envelope"] = json.dumps(envelope)
                break
        else:
            raise AssertionError("no reveal in the bundle")
        assert not verify_bundle(bundle).ok
        return count


def _integrate(api: Api) -> None:
    with api.db.write() as conn:
        log.integrate_all(conn, ORIGIN)


async def _second_coordinator(api: Api, w: World) -> dict[str, Any]:
    made = await api.ok(
        "POST",
        f"/v1/constituencies/{w.constituency}/coordinators",
        api.secretariat,
        {"name": "Second Coordinator", "email": "second@example.org"},
    )
    me = await api.ok("GET", "/v1/me", made["token"])
    return {"token": made["token"], "id": me["coordinator_id"]}


async def test_stv_lottery_and_designation_journeys(api: Api) -> None:
    w = await make_world(api)
    second = await _second_coordinator(api, w)
    orgs = [await _member(api, w) for _ in range(4)]
    women_min = [{"attribute": "gender", "value": "woman", "min": 1}]
    stv = Selection(
        api,
        w,
        second,
        {
            "method": "ranked.stv",
            "alternates": 1,
            "max_ranks": 4,
            "constraints": women_min,
            "one_nominee_per_organisation": False,
            **COMMIT_REVEAL,
        },
    )
    lottery = Selection(
        api,
        w,
        second,
        {
            "method": "lottery.uniform",
            "constraints": women_min,
            "one_nominee_per_organisation": False,
            **COMMIT_REVEAL,
        },
    )
    designation = Selection(
        api,
        w,
        second,
        {
            "method": "designation",
            "quorum": 2,
            "alternates": 1,
            "constraints": women_min,
            "one_nominee_per_organisation": False,
            **COMMIT_REVEAL,
        },
    )
    rounds = (stv, lottery, designation)
    # A quorum larger than the coordinators is refused when the rules are published.
    draft = await api.ok(
        "POST",
        "/v1/rounds",
        api.secretariat,
        {
            "title": "Too many",
            "segments": [{"key": "plenary", "title": "Plenary"}],
            "participants": [{"constituency_id": w.constituency, "seats": 2}],
            "schedule": {
                "nominations_open_at": at(100),
                "nominations_close_at": at(200),
                "voting_open_at": at(300),
                "voting_close_at": at(400),
            },
        },
    )
    _expect(
        await api.call(
            "PUT",
            f"/v1/rounds/{draft['id']}/constituencies/{w.constituency}/rules",
            w.coordinator,
            {"method": "designation", "quorum": 3},
        ),
        422,
        "infeasible_rules",
    )
    _expect(
        await api.call(
            "PUT",
            f"/v1/rounds/{draft['id']}/constituencies/{w.constituency}/rules",
            w.coordinator,
            {"method": "lottery.uniform", "max_approvals": 2},
        ),
        422,
        "invalid_rules",
    )

    await asyncio.gather(*(s.publish() for s in rounds))
    await asyncio.gather(*(s.commit() for s in rounds))
    for s in rounds:
        await wait_phase(api, s.rid, "nominations_open")
    genders = ["man", "man", "woman", "woman"]
    nominees = [await s.nominate(orgs, genders) for s in rounds]
    await asyncio.gather(*(s.close_commitments() for s in rounds))
    for s in rounds:
        await wait_phase(api, s.rid, "voting_open")

    # STV: rankings only, validated against the candidate list.
    a, b, c, d = nominees[0]
    vote = f"{stv.base}/ballot"
    _expect(await api.call("PUT", vote, orgs[0][1], {"approvals": [a]}), 422, "invalid_ballot")
    _expect(await api.call("PUT", vote, orgs[0][1], {"ranking": [a, a]}), 422, "invalid_ballot")
    _expect(await api.call("PUT", vote, orgs[0][1], {"ranking": []}), 422, "invalid_ballot")
    # Two men lead on first preferences; "at least one woman" seats a woman instead of the
    # second man.
    for (_, token), ranking in zip(orgs, ([a, b, c], [a, b, d], [b, a, c], [d, c, a]), strict=True):
        cast = await api.ok("PUT", vote, token, {"ranking": ranking})
        assert cast["ranking"] == ranking

    # Lottery: nobody casts a ballot.
    _expect(
        await api.call("PUT", f"{lottery.base}/ballot", orgs[0][1], {"approvals": []}),
        422,
        "invalid_ballot",
    )

    # Designation: a decision that breaks a constraint is refused; the quorum of two decides.
    da, db, dc, dd = nominees[2]
    where = f"{designation.base}/designation"
    _expect(
        await api.call("POST", where, w.coordinator, {"winners": [da, db]}), 422, "invalid_decision"
    )
    _expect(await api.call("POST", where, orgs[0][1], {"winners": [da, dc]}), 403, "forbidden")
    proposed = await api.ok("POST", where, w.coordinator, {"winners": [dc, da], "alternates": [dd]})
    _expect(
        await api.call("POST", f"{where}/{'f' * 64}/approval", second["token"]), 404, "not_found"
    )
    await api.ok("POST", f"{where}/{proposed['decision_hash']}/approval", second["token"])

    await asyncio.gather(*(s.reveal(orgs[0][1]) for s in rounds))
    counts = await asyncio.gather(*(s.finish() for s in rounds))
    stv_count, lottery_count, designation_count = counts

    assert stv_count["method"] == "ranked.stv"
    assert a in stv_count["winners"]
    assert {c, d} & set(stv_count["winners"])
    assert stv_count["steps"]
    assert "quota" in stv_count["details"]

    assert lottery_count["method"] == "lottery.uniform"
    assert len(lottery_count["winners"]) == 2
    women = {nominees[1][2], nominees[1][3]}
    assert women & set(lottery_count["winners"])

    assert designation_count["winners"] == [dc, da]
    assert designation_count["alternates"] == [dd]
    assert designation_count["details"]["decision_hash"] == proposed["decision_hash"]
    # The seed is recomputable from the record: criteria hash, set hash, contributions.
    record = (await api.ok("GET", f"{designation.base}/outcome"))["record"]
    assert record["lot"] == "mandate.lot/2"
    text = "\n".join(
        [
            "mandate.lot/2",
            record["criteria_hash"],
            record["nominee_set_hash"],
            *record["randomness"]["contributions"],
        ]
    )
    assert hashlib.sha256(text.encode()).hexdigest() == record["seed"]


async def test_a_beacon_is_pinned_its_round_derived_and_every_other_value_refused(
    api: Api,
) -> None:
    w = await make_world(api)
    rid = (await api.ok("POST", "/v1/rounds", api.secretariat, round_body(w, 100, 200)))["id"]
    rules = f"/v1/rounds/{rid}/constituencies/{w.constituency}/rules"
    # Rules that name no key, choose their round, or another network are refused.
    for beacon in (
        {"chain_hash": QUICKNET.chain_hash},
        {**BEACON, "round": 40_000_000},
        {**BEACON, "chain_hash": "ab" * 32},
    ):
        refused = await api.call(
            "PUT", rules, w.coordinator, {"method": "lottery.uniform", "beacon": beacon}
        )
        _expect(refused, 422, "validation_error")
    await api.ok(
        "PUT",
        rules,
        w.coordinator,
        {"method": "lottery.uniform", "beacon": BEACON, **COMMIT_REVEAL},
    )
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    terms = await api.ok("GET", f"{base}/randomness")
    due = terms["beacon_due"]
    last_reveal = datetime.fromisoformat(terms["reveals_close_at"])
    assert due["round"] == QUICKNET.first_round_at_or_after(last_reveal + MARGIN)
    assert datetime.fromisoformat(due["at"]) == QUICKNET.round_time(due["round"])

    put = f"{base}/randomness/beacon"
    real = beacon_value(1000)  # a real quicknet value, long published: too early a round
    _expect(await api.call("PUT", put, w.coordinator, real), 403, "forbidden")
    _expect(await api.call("PUT", put, api.secretariat, real), 422, "beacon_wrong_round")
    # Round 1000's signature offered as the derived round's: it does not verify.
    forged = {**real, "round": due["round"]}
    _expect(await api.call("PUT", put, api.secretariat, forged), 422, "beacon_invalid")
    assert (await api.ok("GET", f"{base}/randomness"))["beacon"] is None
    await api.ok(
        "POST", f"/v1/rounds/{rid}/cancel", api.secretariat, {"reason": "tested what it refuses"}
    )
