"""``/metrics``: the Prometheus text exposition (api/metrics.py).

Public by default, like /healthz: it names route templates, statuses, counts and backlogs,
nothing about a round's content nor anyone's data. Set ``MANDATE_METRICS_TOKEN`` and a scrape
must send it as its bearer token.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from api.deps import ServicesDep, read
from api.metrics import CONTENT_TYPE, Metrics
from policies.errors import Unauthenticated
from policies.messages import N_
from store.metrics import Backlogs, backlogs

router = APIRouter(tags=["meta"])


class MetricsResponse(Response):
    media_type = CONTENT_TYPE


@router.get(
    "/metrics",
    response_class=MetricsResponse,
    responses={
        200: {"description": "the metrics, in Prometheus' text format 0.0.4"},
        401: {
            "description": "unauthenticated: MANDATE_METRICS_TOKEN is set and the request's "
            "bearer token is not it"
        },
    },
)
async def metrics(request: Request, svc: ServicesDep) -> MetricsResponse:
    """Requests and their latency by route, the write transactions' wait, the outboxes'
    backlog and the log integrator's lag (README.md, "Operating it": what to alert on)."""
    wanted = svc.settings.metrics_token
    if wanted is not None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {wanted.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthenticated(N_("this needs a bearer token (Authorization: Bearer <token>)"))
    instruments: Metrics = request.app.state.metrics

    def scrape(conn: Connection) -> Backlogs:
        return backlogs(conn, datetime.now(UTC))

    found = await read(svc, scrape)
    return MetricsResponse(instruments.exposition(found))
