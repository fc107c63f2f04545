"""`mandate verify --keys`: the operator's published key list, from a file or its address.

Only an ``http(s)://`` source goes on the network (httpx, imported then and only then); a file
keeps the verifier offline. What is read must be the answer of ``GET /v1/keys``.
"""

from __future__ import annotations

import json
from pathlib import Path

from policies.errors import DomainError
from records.keylist import PublishedKeys

TIMEOUT_SECONDS = 30.0


class KeySourceError(Exception):
    """The key list could not be read, or is not a key list; the message says which and why."""


def load(source: str) -> PublishedKeys:
    """The published key list at ``source``: a file path, or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        text = _fetch(source)
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise KeySourceError(f"cannot read the key list {source}: {exc}") from exc
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise KeySourceError(
            f"the key list {source} is not JSON ({exc}); expected the answer of GET /v1/keys"
        ) from exc
    try:
        return PublishedKeys.from_json(parsed)
    except DomainError as exc:
        raise KeySourceError(f"the key list {source} is malformed: {exc.detail}") from exc


def _fetch(url: str) -> str:
    import httpx  # only here: verifying with a key list file stays offline

    try:
        answer = httpx.get(
            url,
            timeout=TIMEOUT_SECONDS,
            follow_redirects=True,
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise KeySourceError(f"cannot fetch the key list from {url}: {exc}") from exc
    if answer.status_code != 200:
        raise KeySourceError(
            f"fetching the key list from {url} answered HTTP {answer.status_code}, expected 200"
        )
    return answer.text
