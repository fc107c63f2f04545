"""What a nominee reads with the consent token of their nomination: the nomination itself,
profile included, which before consent only its nominee, the nominating organisation, the
constituency's coordinators and the secretariat may see (store/profiles.py)."""

from __future__ import annotations

import hmac

from sqlalchemy import Connection, RowMapping

from policies.errors import Forbidden
from policies.messages import N_
from store import nominations
from store.credentials import hash_token


def nomination_for_nominee(conn: Connection, nomination_id: str, token: str) -> RowMapping:
    """The nomination, once ``token`` is its consent token; Forbidden otherwise (as
    ``nominations.respond`` refuses a token that is not the nomination's)."""
    row = nominations.get(conn, nomination_id)
    if not hmac.compare_digest(row["consent_token_hash"], hash_token(token)):
        raise Forbidden(N_("the consent token does not belong to this nomination"))
    return row
