"""The text of a joint statement as it is frozen: one document per version.

Publishing a campaign freezes version 1; a correction after that is version 2, 3... with a
reason and the hash of the version it replaces, so the versions form a chain anyone can follow.
Signatures name the version their signer saw by its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.errors import InvalidInput
from policies.messages import N_

STATEMENT_FORMAT = "mandate.statement/1"


def check_texts(texts: Mapping[str, Mapping[str, str]]) -> None:
    """A title and a text in each language, in at least one language."""
    if not texts:
        raise InvalidInput(N_("the statement needs its title and text in at least one language"))
    for language, parts in texts.items():
        if set(parts) != {"title", "text"}:
            raise InvalidInput(
                N_("statement.%(language)s: got %(parts)s, expected a title and a text"),
                language=language,
                parts=sorted(parts),
            )


def statement_document(
    *,
    campaign_id: str,
    version: int,
    texts: Mapping[str, Mapping[str, str]],
    previous_hash: str | None,
    reason: str | None,
) -> dict[str, Any]:
    """What is canonicalised (RFC 8785), hashed and signed for a version of the statement."""
    check_texts(texts)
    if (version == 1) != (previous_hash is None) or (version == 1) != (reason is None):
        raise InvalidInput(
            N_("version 1 has no previous version and no reason; every later version has both")
        )
    return {
        "format": STATEMENT_FORMAT,
        "campaign_id": campaign_id,
        "version": version,
        "texts": {lang: {"title": t["title"], "text": t["text"]} for lang, t in texts.items()},
        "previous_hash": previous_hash,
        "reason": reason,
    }
