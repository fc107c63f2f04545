"""The API answers as its OpenAPI document says, checked by schemathesis against the real stack.

Schemathesis reads ``/openapi.json`` from the app served by uvicorn on a free port (a real
database, the Temporal dev server and a worker), makes requests from it (the document's examples,
boundary values of every parameter and body field, random valid and invalid ones) and checks each
answer against the document: no 5xx, a documented status, content type, headers and body, invalid
input refused, valid input not refused for a reason the document does not give. It calls as
each kind of caller: without a token, and as a member, a coordinator and the secretariat, in a
world where every path parameter names something that exists (a round with nominations open, an
open campaign, a signature...), so requests get past 404 to the code behind.

Bounded and repeatable: three random requests per operation beside its boundary values (about
35 of them), a fixed seed, no example database, no shrinking; each request has a timeout.
A run takes well under a minute per caller. A finding names the check, the operation, the
status and the request that shows it (as curl).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import load_all_checks
from schemathesis.engine import StopReason, events, from_schema
from temporalio.testing import WorkflowEnvironment

from store.db import Database
from tests.api.conftest import Api, serving
from tests.api.test_role_matrix import Ids, prepared

CALLERS = ("anonymous", "member", "coordinator", "secretariat")
# Random examples per operation (the fuzzing phase); the coverage phase adds the boundary values
# of every parameter and body field, valid and not: about 35 requests an operation.
MAX_EXAMPLES = 3
SEED = 20261206
# The statuses schemathesis takes as refusals of invalid input, and 413: a body over
# MANDATE_MAX_BODY_BYTES is refused before it is read (invalid or not).
NEGATIVE_REFUSALS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
# What a request the document allows may get. 422 too: the rules a JSON schema cannot state
# are checked by the API and refused as invalid input (an Idempotency-Key reused with another
# body, a checkpoint size the log has not reached, "exactly one of index and leaf_hash", an
# e-mail domain that cannot receive mail, a date already past, an outside signature without
# the organisation's name). The check still finds 400, 405, 406, 413 or 415 for a valid
# request, and 5xx is not_a_server_error's.
POSITIVE_ANSWERS = ["2xx", "3xx", 401, 403, 404, 409, 422, 429, "5xx"]


@dataclass(frozen=True)
class Finding:
    check: str
    operation: str
    status: int | None
    title: str
    message: str
    repeat: str

    @property
    def kind(self) -> tuple[str, str, int | None]:
        return (self.check, self.operation, self.status)

    def __str__(self) -> str:
        status = f" → {self.status}" if self.status is not None else ""
        return (
            f"{self.check}: {self.operation}{status}: {self.title}\n"
            f"  {self.message.strip().replace(chr(10), chr(10) + '  ')}\n"
            f"  {self.repeat.strip().replace(chr(10), chr(10) + '  ')}"
        )


@pytest.fixture
async def served(db: Database, dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Api]:
    # Without rate limits (test_abuse.py has them): an anonymous run would be 429s after the
    # first few hundred writes.
    async with serving(db, dev_env, tmp_path, on_port=True, rate_limits_enabled=False) as api:
        yield api


def _token(api: Api, ids: Ids, caller: str) -> str | None:
    return {
        "anonymous": None,
        "member": ids.w.member,
        "coordinator": ids.w.coordinator,
        "secretariat": api.secretariat,
    }[caller]


def _config(token: str | None, ids: Ids, *, fuzzing: bool) -> schemathesis.Config:
    w = ids.w
    # Path parameters name what exists; the draft round and campaign for what only drafts take.
    drafts = [
        ("PATCH", "/v1/rounds/{round_id}", {"round_id": ids.d}),
        ("POST", "/v1/rounds/{round_id}/publish", {"round_id": ids.d}),
        (
            "PUT",
            "/v1/rounds/{round_id}/constituencies/{constituency_id}/rules",
            {"round_id": ids.d},
        ),
        ("PATCH", "/v1/campaigns/{campaign_id}", {"campaign_id": ids.q}),
        ("POST", "/v1/campaigns/{campaign_id}/publish", {"campaign_id": ids.q}),
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "request-timeout": 30,
            "cache": {"enabled": False},
            "headers": {} if token is None else {"Authorization": f"Bearer {token}"},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # A failing example is reported as found: shrinking it could take minutes.
                "no-shrink": True,
            },
            # Every check schemathesis has (not_a_server_error, status_code, content_type,
            # response_headers and response_schema conformance, negative_data_rejection and
            # positive_data_acceptance with the expectations above, missing_required_header,
            # unsupported_method, allow_header_conformance, ignored_auth, use_after_free,
            # ensure_resource_availability...), but max_response_time, which wants a limit that
            # a busy machine would break (bench/ measures speed). Stateful testing is off: the
            # world is made by hand, and random walks of writes would take minutes.
            "checks": {
                "enabled": True,
                "negative_data_rejection": {"expected-statuses": NEGATIVE_REFUSALS},
                "positive_data_acceptance": {"expected-statuses": POSITIVE_ANSWERS},
            },
            "phases": {"fuzzing": {"enabled": fuzzing}, "stateful": {"enabled": False}},
            "parameters": {
                "round_id": ids.r,
                "constituency_id": w.constituency,
                "organisation_id": w.member_org,
                "credential_id": w.member_credential,
                "nomination_id": ids.n,
                "campaign_id": ids.g,
                "signature_id": ids.sig,
                "webhook_id": ids.hook,
            },
            "operations": [
                {"include-method": method, "include-path": path, "parameters": params}
                for method, path, params in drafts
            ],
        }
    )


def _findings(event: events.ScenarioFinished) -> Iterator[Finding]:
    recorder = event.recorder
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            info = node.failure_info
            if info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction is not None else None
            yield Finding(
                check=node.name,
                operation=recorder.label,
                status=response.status_code if response is not None else None,
                title=info.failure.title,
                message=info.failure.message,
                repeat=info.code_sample,
            )


def _run(url: str, config: schemathesis.Config) -> list[Finding | str]:
    """Every phase over every operation; what failed, and anything that kept a phase from
    running in full."""
    load_all_checks()
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)
    found: list[Finding | str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            found += _findings(event)
        elif isinstance(event, events.NonFatalError):
            found.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            found.append(f"schemathesis failed: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            found += [f"{f.operation}: {f.title}: {f.message}" for f in event.failures]
            if event.stop_reason is not StopReason.COMPLETED:
                found.append(f"the run stopped early: {event.stop_reason.value}")
    return found


@pytest.mark.parametrize("caller", CALLERS)
async def test_the_api_answers_as_its_openapi_document_says(served: Api, caller: str) -> None:
    ids = await prepared(served)
    url = str(served.http.base_url).rstrip("/")
    # On PostgreSQL the examples and boundary values only: what differs there is how the
    # database takes extreme values (NUL, large numbers, long text), which the boundaries cover;
    # random examples would add minutes, not findings.
    fuzzing = served.db.engine.dialect.name == "sqlite"
    config = _config(_token(served, ids, caller), ids, fuzzing=fuzzing)
    # The engine's requests are blocking: off the loop that serves them.
    found = await asyncio.to_thread(_run, url, config)
    # One of each kind: the same check failing on the same operation with the same status.
    first: dict[object, Finding | str] = {}
    for f in found:
        first.setdefault(f.kind if isinstance(f, Finding) else f, f)
    report = "\n\n".join(str(f) for f in first.values())
    assert not found, f"{len(found)} findings as {caller}, {len(first)} kinds:\n\n{report}"
