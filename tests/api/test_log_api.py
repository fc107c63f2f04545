"""The log over HTTP, checked as an outside auditor would: with only the published keys.

Signed checkpoints open with the verifier keys of ``/v1/keys``; entries rebuild the signed tree;
inclusion, consistency and tlog-proofs verify against signed roots; a write's
``Mandate-Receipt`` names its entry and becomes provable once integrated; hostile queries get a
clear 4xx; and no answer ever carries a private key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from policies.errors import SignatureError
from records import dsse
from records.keys import Signer, public_key_from_b64, signer_to_pem
from records.merkle import (
    EMPTY_ROOT,
    ProofError,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)
from records.note import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
)
from records.tlogproof import parse_tlog_proof, verify_tlog_proof
from store import log
from store.db import Database
from store.log import SignedCheckpoint
from tests.api.conftest import Api, World, make_world, new_round, org_body
from tests.api.test_letters import _accept_seat
from tests.api.test_rounds_api import at, wait_phase
from tests.keys import CHECKPOINTS, ORIGIN, RECORDS

RECEIPT = "Mandate-Receipt"


def _integrate_now(db: Database) -> SignedCheckpoint:
    with db.write() as conn:
        return log.integrate_all(conn, ORIGIN)


async def integrate(api: Api) -> SignedCheckpoint:
    """What the integrator workflow does on its next turn, done now."""
    return await asyncio.to_thread(_integrate_now, api.db)


async def verifiers(api: Api) -> list[NoteVerifier]:
    published = await api.ok("GET", "/v1/keys")
    assert published["origin"] == ORIGIN
    return [NoteVerifier.from_key(k) for k in published["checkpoint_verifier_keys"]]


async def record_keys(api: Api) -> dict[str, Any]:
    published = await api.ok("GET", "/v1/keys")
    return {
        k["key_id"]: public_key_from_b64(k["public_key"])
        for k in published["keys"]
        if k["purpose"] == "records"
    }


async def signed_checkpoint(api: Api, size: int | None = None) -> tuple[str, Checkpoint]:
    query = "" if size is None else f"?size={size}"
    r = await api.call("GET", f"/v1/log/checkpoint{query}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text, open_checkpoint(r.text, await verifiers(api), origin=ORIGIN)


def b64decode_all(hashes: list[str]) -> list[bytes]:
    return [base64.b64decode(h, validate=True) for h in hashes]


async def register(
    api: Api, key: str | None = None, body: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    r = await api.call("POST", "/v1/organisations", api.secretariat, body or org_body(), headers)
    assert r.status_code == 201, r.text
    return r


async def registry_entry(api: Api, leaf: str) -> dict[str, Any]:
    """The registry log's entry with leaf hash ``leaf`` (the newest entries are searched)."""
    after = 0
    found: dict[str, Any] | None = None
    while True:
        page = await api.ok("GET", f"/v1/log/registry?after={after}&limit=1000")
        for e in page["entries"]:
            if e["leaf_hash"] == leaf:
                found = e
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert found is not None, f"no registry entry has leaf hash {leaf}"
    return found


async def test_latest_checkpoint_verifies_with_the_published_keys(api: Api) -> None:
    await register(api)
    signed = await integrate(api)
    published = await api.ok("GET", "/v1/keys")
    assert published["origin"] == ORIGIN
    # The checkpoints key, and only it, is offered as a note verifier key.
    [vkey] = published["checkpoint_verifier_keys"]
    verifier = NoteVerifier.from_key(vkey)
    assert verifier.name == ORIGIN
    assert verifier.public_key == CHECKPOINTS.public_key.public_bytes_raw()
    assert vkey == NoteSigner(ORIGIN, CHECKPOINTS.seed).verifier.key()

    info = await api.ok("GET", "/v1/log")
    opened = open_checkpoint(info["checkpoint"], [verifier], origin=ORIGIN)
    assert (opened.origin, opened.size, opened.root.hex()) == (
        info["origin"],
        info["size"],
        info["root_hash"],
    )
    assert info["size"] >= signed.size
    assert info["key_id"] == CHECKPOINTS.key_id

    note, checkpoint = await signed_checkpoint(api)
    assert note == info["checkpoint"]
    assert checkpoint == opened
    again, _ = await signed_checkpoint(api, size=signed.size)
    assert again == signed.note

    # The records key does not sign checkpoints; a changed byte breaks the signature.
    records_verifier = NoteVerifier(ORIGIN, RECORDS.public_key.public_bytes_raw())
    with pytest.raises(SignatureError):
        open_checkpoint(note, [records_verifier])
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    with pytest.raises(SignatureError):
        open_checkpoint("\n".join(lines), [verifier])
    with pytest.raises(NoteError):
        open_checkpoint(note, [verifier], origin="another.example/log")


async def test_entries_rebuild_the_signed_tree(api: Api) -> None:
    for _ in range(3):
        await register(api)
    await integrate(api)
    note, checkpoint = await signed_checkpoint(api)
    keys = await record_keys(api)

    leaves: list[bytes] = []
    start: int | None = 0
    while start is not None:
        page = await api.ok("GET", f"/v1/log/entries?start={start}")
        assert len(page["entries"]) <= 1000
        for e in page["entries"]:
            assert e["index"] == len(leaves), "indexes run 0, 1, 2... without a gap"
            envelope = e["envelope"].encode()
            assert e["leaf_hash"] == leaf_hash(envelope).hex()
            # Each entry is a DSSE envelope signed by a published records key.
            statement = json.loads(dsse.verify(dsse.Envelope.from_bytes(envelope), keys))
            assert set(statement) == {"type", "scope", "seq", "at", "actor", "data"}
            leaves.append(bytes.fromhex(e["leaf_hash"]))
        start = page["next_start"]
        if len(leaves) >= checkpoint.size:
            break
    assert len(leaves) >= checkpoint.size
    assert root(leaves[: checkpoint.size]) == checkpoint.root

    # A range is [start, end): exactly those entries; past the end, nothing.
    page = await api.ok("GET", "/v1/log/entries?start=1&end=3")
    assert [e["index"] for e in page["entries"]] == [1, 2]
    assert page["next_start"] == 3
    assert [bytes.fromhex(e["leaf_hash"]) for e in page["entries"]] == leaves[1:3]
    page = await api.ok("GET", "/v1/log/entries?start=2&end=2")
    assert page == {"entries": [], "next_start": None}
    page = await api.ok("GET", f"/v1/log/entries?start={len(leaves) + 10**6}")
    assert page == {"entries": [], "next_start": None}
    page = await api.ok("GET", "/v1/log/entries?start=0&end=1000")
    assert len(page["entries"]) == min(1000, len(leaves))
    assert note.startswith(f"{ORIGIN}\n")


async def test_inclusion_by_index_and_by_leaf_hash(api: Api) -> None:
    receipt = (await register(api)).headers[RECEIPT]
    first = await integrate(api)
    later = (await register(api)).headers[RECEIPT]
    await integrate(api)
    _, checkpoint = await signed_checkpoint(api)

    by_hash = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={receipt}")
    index = by_hash["index"]
    assert by_hash["leaf_hash"] == receipt
    assert by_hash["size"] == checkpoint.size
    proven = open_checkpoint(by_hash["checkpoint"], await verifiers(api), origin=ORIGIN)
    assert proven == checkpoint
    proof = b64decode_all(by_hash["proof"])
    verify_inclusion(index, checkpoint.size, bytes.fromhex(receipt), proof, checkpoint.root)

    by_index = await api.ok("GET", f"/v1/log/proof/inclusion?index={index}")
    assert by_index == by_hash
    upper = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={receipt.upper()}")
    assert upper == by_hash

    # The same entry in the older checkpoint, which did not yet hold the later write.
    old = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={receipt}&size={first.size}")
    old_checkpoint = open_checkpoint(old["checkpoint"], await verifiers(api), origin=ORIGIN)
    assert (old["size"], old_checkpoint.size) == (first.size, first.size)
    verify_inclusion(
        index, first.size, bytes.fromhex(receipt), b64decode_all(old["proof"]), old_checkpoint.root
    )
    later_index = (await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={later}"))["index"]
    assert later_index >= first.size
    r = await api.call("GET", f"/v1/log/proof/inclusion?leaf_hash={later}&size={first.size}")
    assert (r.status_code, r.json()["error"]) == (404, "not_found")

    # The proof holds for this leaf only.
    with pytest.raises(ProofError):
        verify_inclusion(index, checkpoint.size, bytes.fromhex(later), proof, checkpoint.root)


async def test_consistency_between_checkpoints(api: Api) -> None:
    await register(api)
    old = await integrate(api)
    await register(api)
    await register(api)
    new = await integrate(api)
    assert new.size == old.size + 2
    _, old_checkpoint = await signed_checkpoint(api, old.size)
    _, new_checkpoint = await signed_checkpoint(api, new.size)

    answer = await api.ok("GET", f"/v1/log/proof/consistency?old={old.size}&new={new.size}")
    assert (answer["old_size"], answer["new_size"]) == (old.size, new.size)
    assert open_checkpoint(answer["checkpoint"], await verifiers(api)) == new_checkpoint
    proof = b64decode_all(answer["proof"])
    verify_consistency(old.size, new.size, old_checkpoint.root, new_checkpoint.root, proof)
    # A forked old root does not pass.
    with pytest.raises(ProofError):
        verify_consistency(
            old.size, new.size, hashlib.sha256(b"fork").digest(), new_checkpoint.root, proof
        )

    # Without ``new``: to the latest checkpoint.
    latest = await api.ok("GET", f"/v1/log/proof/consistency?old={old.size}")
    _, checkpoint = await signed_checkpoint(api)
    assert latest["new_size"] == checkpoint.size
    verify_consistency(
        old.size,
        checkpoint.size,
        old_checkpoint.root,
        checkpoint.root,
        b64decode_all(latest["proof"]),
    )
    # From the empty tree, and from a tree to itself: empty proofs.
    empty = await api.ok("GET", f"/v1/log/proof/consistency?old=0&new={new.size}")
    assert empty["proof"] == []
    verify_consistency(0, new.size, EMPTY_ROOT, new_checkpoint.root, [])
    same = await api.ok("GET", f"/v1/log/proof/consistency?old={new.size}&new={new.size}")
    assert same["proof"] == []


async def test_tlog_proof_verifies_with_the_published_keys(api: Api) -> None:
    receipt = (await register(api)).headers[RECEIPT]
    await integrate(api)
    index = (await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={receipt}"))["index"]
    [entry] = (await api.ok("GET", f"/v1/log/entries?start={index}&end={index + 1}"))["entries"]

    r = await api.call("GET", f"/v1/log/entries/{index}/tlog-proof")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    keys = await verifiers(api)
    checkpoint = verify_tlog_proof(r.text, keys, leaf=entry["envelope"].encode(), origin=ORIGIN)
    assert checkpoint == (await signed_checkpoint(api))[1]
    assert verify_tlog_proof(r.text, keys, leaf_hash=bytes.fromhex(receipt)) == checkpoint
    assert parse_tlog_proof(r.text).index == index
    # Another entry's bytes do not verify with this proof.
    with pytest.raises(ProofError):
        verify_tlog_proof(r.text, keys, leaf=entry["envelope"].encode() + b" ")


async def test_receipt_names_the_entry_and_becomes_provable(api: Api) -> None:
    await integrate(api)  # so that "not yet in a checkpoint" is about this write only
    key, body = f"register-{uuid.uuid4()}", org_body()
    first = await register(api, key, body)
    receipt = first.headers[RECEIPT]
    [leaf] = receipt.split(",")
    entry = await registry_entry(api, leaf)
    assert entry["type"] == "organisation.registered"
    assert json.loads(entry["statement"])["data"]["id"] == first.json()["id"]
    assert leaf_hash(entry["envelope"].encode()).hex() == leaf
    assert entry["index"] is None

    r = await api.call("GET", f"/v1/log/proof/inclusion?leaf_hash={leaf}")
    assert (r.status_code, r.json()["error"]) == (404, "not_found"), r.text
    assert "not yet in a checkpoint" in r.json()["detail"]

    # A retry changes nothing and names the same entry.
    retry = await register(api, key, body)
    assert retry.json() == first.json()
    assert retry.headers[RECEIPT] == receipt

    await integrate(api)
    proof = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={leaf}")
    checkpoint = open_checkpoint(proof["checkpoint"], await verifiers(api), origin=ORIGIN)
    verify_inclusion(
        proof["index"],
        checkpoint.size,
        bytes.fromhex(leaf),
        b64decode_all(proof["proof"]),
        checkpoint.root,
    )
    assert (await registry_entry(api, leaf))["index"] == proof["index"]
    # Reads make no entries, so they carry no receipt.
    assert RECEIPT not in (await api.call("GET", "/v1/organisations")).headers


async def test_a_write_with_several_entries_names_each(api: Api) -> None:
    w = await make_world(api)
    r = await api.call(
        "POST",
        f"/v1/constituencies/{w.constituency}/coordinators",
        api.secretariat,
        {"name": "Kofi", "email": "kofi@example.org"},
    )
    assert r.status_code < 300, r.text
    # The coordinator is named and their token issued: two entries, in that order.
    receipts = r.headers[RECEIPT].split(",")
    assert [(await registry_entry(api, leaf))["type"] for leaf in receipts] == [
        "coordinator.named",
        "credential.issued",
    ]
    await integrate(api)
    _, checkpoint = await signed_checkpoint(api)
    for leaf in receipts:
        proof = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={leaf}")
        verify_inclusion(
            proof["index"],
            checkpoint.size,
            bytes.fromhex(leaf),
            b64decode_all(proof["proof"]),
            checkpoint.root,
        )


HEX64 = "ab" * 32
BIG = str(10**30)
MAX = 2**53 - 1

# (path, expected status): each must answer {"error", "detail"} with that status.
HOSTILE: list[tuple[str, int]] = [
    ("/v1/log/checkpoint?size=-1", 422),
    ("/v1/log/checkpoint?size=abc", 422),
    ("/v1/log/checkpoint?size=1e3", 422),
    ("/v1/log/checkpoint?size=", 422),
    (f"/v1/log/checkpoint?size={BIG}", 422),
    (f"/v1/log/checkpoint?size={MAX}", 404),
    ("/v1/log/entries?start=-1", 422),
    ("/v1/log/entries?start=x", 422),
    ("/v1/log/entries?end=-5", 422),
    ("/v1/log/entries?start=10&end=5", 422),
    ("/v1/log/entries?start=0&end=1001", 422),
    ("/v1/log/entries?start=5&end=1006", 422),
    (f"/v1/log/entries?start=0&end={BIG}", 422),
    (f"/v1/log/entries?start={BIG}", 422),
    (f"/v1/log/entries?start=0&end={MAX}", 422),
    ("/v1/log/entries?start=1.5", 422),
    ("/v1/log/proof/inclusion", 422),
    (f"/v1/log/proof/inclusion?index=0&leaf_hash={HEX64}", 422),
    ("/v1/log/proof/inclusion?index=-1", 422),
    ("/v1/log/proof/inclusion?index=abc", 422),
    (f"/v1/log/proof/inclusion?index={BIG}", 422),
    (f"/v1/log/proof/inclusion?index={MAX}", 404),
    ("/v1/log/proof/inclusion?leaf_hash=zz", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={HEX64[:-1]}", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={HEX64}00", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={'g' * 64}", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={HEX64[:-2]}%00%00", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={HEX64[:-1]}%C3%A9", 422),
    (f"/v1/log/proof/inclusion?leaf_hash={HEX64}", 404),
    ("/v1/log/proof/inclusion?index=0&size=-1", 422),
    (f"/v1/log/proof/inclusion?index=0&size={BIG}", 422),
    (f"/v1/log/proof/inclusion?index=0&size={MAX}", 404),
    ("/v1/log/proof/consistency", 422),
    ("/v1/log/proof/consistency?old=-1", 422),
    ("/v1/log/proof/consistency?old=abc", 422),
    (f"/v1/log/proof/consistency?old={BIG}", 422),
    (f"/v1/log/proof/consistency?old={MAX}", 422),
    ("/v1/log/proof/consistency?old=0&new=-1", 422),
    (f"/v1/log/proof/consistency?old=0&new={MAX}", 404),
    ("/v1/log/entries/-1/tlog-proof", 422),
    ("/v1/log/entries/abc/tlog-proof", 422),
    (f"/v1/log/entries/{BIG}/tlog-proof", 422),
    (f"/v1/log/entries/{MAX}/tlog-proof", 404),
    ("/v1/log/entries/1e3/tlog-proof", 422),
]


@pytest.mark.parametrize(("path", "status"), HOSTILE, ids=[p for p, _ in HOSTILE])
async def test_hostile_log_queries_get_a_clear_4xx(api: Api, path: str, status: int) -> None:
    await register(api)
    await integrate(api)  # so the answers are about the query, not a missing checkpoint
    r = await api.call("GET", path)
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error", "detail"}, body
    assert body["detail"], body


async def test_old_larger_than_new_is_refused(api: Api) -> None:
    await register(api)
    old = await integrate(api)
    await register(api)
    new = await integrate(api)
    r = await api.call("GET", f"/v1/log/proof/consistency?old={new.size}&new={old.size}")
    assert (r.status_code, r.json()["error"]) == (422, "invalid_input"), r.text
    r = await api.call("GET", f"/v1/log/proof/inclusion?index={new.size - 1}&size={old.size}")
    assert (r.status_code, r.json()["error"]) == (404, "not_found"), r.text
    r = await api.call("GET", f"/v1/log/entries/{new.size + 5}/tlog-proof")
    assert (r.status_code, r.json()["error"]) == (404, "not_found"), r.text


# -- private keys never leave the key folder


def _secret_forms(signer: Signer) -> list[str]:
    """Every text form a private key could leak in: PEM lines, the raw seed in any encoding."""
    seed = signer.seed
    pem_lines = [
        line for line in signer_to_pem(signer).decode().splitlines() if not line.startswith("---")
    ]
    note_key = NoteSigner(ORIGIN, seed).key()
    return [
        *pem_lines,
        base64.b64encode(seed).decode(),
        base64.urlsafe_b64encode(seed).decode().rstrip("="),
        base64.b64encode(b"\x01" + seed).decode(),
        seed.hex(),
        seed.hex().upper(),
        note_key,
        # PRIVATE+KEY+<origin>+<hash>+<base64>: the base64 itself may hold a "+".
        note_key.split("+", 4)[4],
    ]


async def _decided_round(api: Api, w: World) -> tuple[str, str, str, str]:
    """A round of one constituency run to its outcome; returns its id, the ballot's receipt,
    and the winner's nomination and consent token."""
    body = {
        "title": f"Forum {uuid.uuid4().hex[:6]}",
        "segments": [{"key": "plenary", "title": "Plenary"}],
        "participants": [{"constituency_id": w.constituency, "seats": 1}],
        "schedule": {
            "nominations_open_at": at(0.5),
            "nominations_close_at": at(3),
            "voting_open_at": at(3.5),
            "voting_close_at": at(5.5),
        },
    }
    rid = (await new_round(api, w, body))["id"]
    await api.ok("POST", f"/v1/rounds/{rid}/publish", api.secretariat)
    await wait_phase(api, rid, "nominations_open")
    base = f"/v1/rounds/{rid}/constituencies/{w.constituency}"
    made = await api.ok(
        "POST",
        f"{base}/nominations",
        w.member,
        {"nominee_name": "Nia", "organisation_id": w.member_org, "statement": {"en": "Hello"}},
    )
    nid = made["nomination"]["id"]
    await api.ok(
        "POST",
        f"/v1/nominations/{nid}/consent",
        None,
        {"token": made["consent_token"], "decision": "accept"},
    )
    await wait_phase(api, rid, "voting_open")
    key = {"Idempotency-Key": f"ballot-{uuid.uuid4()}"}
    cast = await api.call("PUT", f"{base}/ballot", w.member, {"approvals": [nid]}, key)
    assert cast.status_code == 200, cast.text
    receipt = cast.json()["receipt"]
    # The ballot's receipt is its log entry's leaf hash, also named in the header.
    assert cast.headers[RECEIPT] == receipt
    again = await api.call("PUT", f"{base}/ballot", w.member, {"approvals": [nid]}, key)
    assert (again.json(), again.headers[RECEIPT]) == (cast.json(), receipt)
    entries = (await api.ok("GET", f"/v1/rounds/{rid}/log"))["entries"]
    [ballot] = [e for e in entries if e["type"] == "ballot.cast"]
    assert ballot["leaf_hash"] == receipt
    await wait_phase(api, rid, "decided", within=30)
    return rid, receipt, nid, made["consent_token"]


async def _concluded_campaign(api: Api, w: World) -> tuple[str, str, str]:
    """A campaign signed by the member and run to its list; its, the signature's and a
    webhook's ids."""
    body = {
        "statement": {"en": {"title": "A statement", "text": "We..."}},
        "opens_at": at(0.3),
        "closes_at": at(3),
        "contact": {"name": "Desk", "email": "desk@example.org"},
    }
    cid = (await api.ok("POST", "/v1/campaigns", api.secretariat, body))["id"]
    hook = await api.ok(
        "POST", f"/v1/campaigns/{cid}/webhooks", api.secretariat, {"url": "http://127.0.0.1:9/"}
    )
    published = await api.ok("POST", f"/v1/campaigns/{cid}/publish", api.secretariat)
    await asyncio.sleep(0.5)
    signed = await api.ok(
        "POST",
        f"/v1/campaigns/{cid}/signatures",
        w.member,
        {"statement_hash": published["statement_hash"]},
    )
    for _ in range(150):
        if (await api.ok("GET", f"/v1/campaigns/{cid}"))["phase"] == "concluded":
            break
        await asyncio.sleep(0.2)
    return cid, signed["signature"]["id"], hook["webhook"]["id"]


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no value for a parameter of {path}"
    return path


async def test_no_answer_carries_a_private_key(api: Api) -> None:
    w = await make_world(api)
    rid, receipt, nid, consent_token = await _decided_round(api, w)
    # The winner accepts the seat: the round's designation letter exists.
    await asyncio.to_thread(_accept_seat, api, rid, nid, consent_token)
    letters = f"/v1/rounds/{rid}/constituencies/{w.constituency}/letters"
    [letter] = await api.ok("GET", letters)
    campaign_id, signature_id, webhook_id = await _concluded_campaign(api, w)
    await integrate(api)
    proof = await api.ok("GET", f"/v1/log/proof/inclusion?leaf_hash={receipt}")
    checkpoint = open_checkpoint(proof["checkpoint"], await verifiers(api), origin=ORIGIN)
    verify_inclusion(
        proof["index"],
        checkpoint.size,
        bytes.fromhex(receipt),
        b64decode_all(proof["proof"]),
        checkpoint.root,
    )

    values = {
        "organisation_id": w.member_org,
        "constituency_id": w.constituency,
        "round_id": rid,
        "index": str(proof["index"]),
        "campaign_id": campaign_id,
        "signature_id": signature_id,
        "webhook_id": webhook_id,
        "nomination_id": nid,
        "code": letter["code"],
    }
    queries = {
        "/v1/log/proof/inclusion": f"?index={proof['index']}",
        "/v1/log/proof/consistency": "?old=1",
        "/v1/rounds/{round_id}/bundle": "?since=1",
    }
    openapi = (await api.call("GET", "/openapi.json")).json()
    # One file of each export listing: a round's nominations, a campaign's signatories.
    file = {"rounds": "nominations.csv", "campaigns": "signatories.csv"}
    paths = [
        _fill(path.replace("{name}", file.get([*path.split("/"), "", "", ""][2], "")), values)
        + queries.get(path, "")
        for path, operations in openapi["paths"].items()
        if "get" in operations
    ]
    paths += ["/openapi.json", "/docs", "/v1/log/entries?start=0&end=1000"]

    secrets = _secret_forms(RECORDS) + _secret_forms(CHECKPOINTS)
    for path in paths:
        for token in (None, api.secretariat):
            r = await api.call("GET", path, token)
            # Every read answers with content here, except who-am-I, tokens, and a campaign's
            # webhooks and delivery log, to the public.
            managers_only = (
                f"/v1/campaigns/{campaign_id}/webhooks",
                f"/v1/campaigns/{campaign_id}/deliveries",
                f"/v1/rounds/{rid}/participation",
                f"/v1/rounds/{rid}/constituencies/{w.constituency}/ratification",
                f"/v1/rounds/{rid}/notices",
                f"/v1/constituencies/{w.constituency}/webhooks",
                f"/v1/rounds/{rid}/constituencies/{w.constituency}/seats",
            )
            if token is None and path in ("/v1/me", "/v1/credentials", *managers_only):
                assert r.status_code == 401, (path, r.text)
            else:
                assert r.status_code == 200, (path, r.status_code, r.text)
            text = r.text + json.dumps(dict(r.headers))
            assert "PRIVATE" not in text, path
            for secret in secrets:
                assert secret not in text, (path, "a private key is in the answer")
