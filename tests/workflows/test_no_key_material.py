"""Private keys never enter workflow history: workflows see ids and hashes, activities sign."""

from __future__ import annotations

import base64

from temporalio.testing import WorkflowEnvironment

from policies.phases import Phase
from records.keys import signer_to_pem
from store.db import Database
from tests.keys import CHECKPOINTS, RECORDS
from tests.workflows.log_support import integrator
from tests.workflows.support import published_round, running_worker, start
from workflows.log_integrator import IntegratorInput


def _forms_of_private_keys() -> list[str]:
    forms = []
    for signer in (RECORDS, CHECKPOINTS):
        seed = signer.seed
        forms += [
            seed.hex(),
            base64.b64encode(seed).decode(),
            base64.b64encode(b"\x01" + seed).decode(),  # the signed-note key form
            signer_to_pem(signer).decode().splitlines()[1],
        ]
    return forms


async def test_no_private_key_in_round_or_integrator_history(
    time_env: WorkflowEnvironment, wf_db: Database
) -> None:
    row = published_round(wf_db, await time_env.get_current_time())
    # A day between integrations: the round's 14 days pass in a few turns of skipped time.
    daily = IntegratorInput(interval_seconds=86_400, turns=3)
    async with (
        running_worker(time_env.client, wf_db) as tq,
        integrator(time_env.client, tq, daily) as log_handle,
    ):
        handle = await start(time_env.client, row, tq)
        assert (await handle.result()).phase is Phase.DECIDED
        histories = [await handle.fetch_history(), await log_handle.fetch_history()]
    texts = [h.to_json() for h in histories]
    # The round signed criteria, checkpoints and an outcome while these histories were made.
    assert any("count_round" in t for t in texts)
    assert any("integrate_log" in t for t in texts)
    for form in _forms_of_private_keys():
        for text in texts:
            assert form not in text
