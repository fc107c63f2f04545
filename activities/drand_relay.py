"""Asking a drand HTTP relay for one beacon round: ``GET <relay>/<chain hash>/public/<round>``.

The answer is only read here; whether it is the network's signature is for
``store.randomness.verify_beacon_value`` to say. Every failure raises ``RelayUnavailable``,
which the activity lets Temporal retry: a round not published yet (drand answers 425 Too
Early, some relays 404), a relay that is down, or an answer that cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

TIMEOUT = 10.0  # seconds for one request


class RelayUnavailable(Exception):
    """The relay gave no usable answer this time; ask again later."""


@dataclass(frozen=True)
class RelayAnswer:
    round: int
    randomness: str
    signature: str


def fetch_round(relay: str, chain_hash: str, round: int) -> RelayAnswer:
    url = f"{relay.rstrip('/')}/{chain_hash}/public/{round}"
    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise RelayUnavailable(f"drand relay {url} did not answer: {exc!r}") from exc
    if response.status_code != 200:
        raise RelayUnavailable(
            f"drand relay {url} answered {response.status_code}: {response.text[:200]!r}"
        )
    try:
        body = response.json()
        answer = RelayAnswer(int(body["round"]), str(body["randomness"]), str(body["signature"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise RelayUnavailable(
            f"drand relay {url} answered something that is not a beacon: {response.text[:200]!r}"
        ) from exc
    if answer.round != round:
        raise RelayUnavailable(f"drand relay {url} answered round {answer.round}, not {round}")
    return answer
