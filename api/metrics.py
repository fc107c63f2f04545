"""The API's Prometheus metrics (served at ``/metrics``, api/routes/metrics.py).

Each app keeps its instruments in a registry of its own. When several API processes serve one
port (``MANDATE_API_PROCESSES``), ``mandate api`` points ``PROMETHEUS_MULTIPROC_DIR`` at a
folder under the data folder before anything imports prometheus_client, so each process writes
its values to files there and a scrape of any one of them adds up all of them
(prometheus_client's multiprocess mode). The backlogs (outboxes, the log's unsigned entries)
are read from the database at each scrape, so every process reports the same.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.metrics import Backlogs

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: a write answers in milliseconds on an idle machine; the target is p99 under 0.25 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
UNMATCHED = "unmatched"  # any path no route has: one series, not one per path tried
_LIVE_FILE = re.compile(r"^gauge_live\w*?_(\d+)\.db$")


class Metrics:
    """One app's instruments."""

    def __init__(self) -> None:
        folder = os.environ.get(MULTIPROCESS_ENV)
        self.multiprocess_dir = Path(folder) if folder else None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mandate_http_requests",
            "Requests answered, by method, route (its template) and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "mandate_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its answer, by method and route.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "mandate_http_requests_in_progress",
            "Requests being answered now: the API's queue.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.write_wait = Histogram(
            "mandate_db_write_wait_seconds",
            "Seconds a write transaction waited for its turn (SQLite's one writer) and its BEGIN.",
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.write_group = Histogram(
            "mandate_db_write_group_size",
            "Writes committed together in one transaction and one sync (the group commit).",
            buckets=GROUP_BUCKETS,
            registry=self.registry,
        )
        # Each (method, route, status)'s counter and histogram, looked up once.
        self._by_request: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._by_request.get(key)
        if children is None:  # labels() takes a lock and builds its key on every call
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._by_request[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def observe_write_wait(self, seconds: float) -> None:
        self.write_wait.observe(seconds)

    def observe_write_group(self, size: int) -> None:
        self.write_group.observe(size)

    def exposition(self, backlogs: Backlogs) -> bytes:
        """The text exposition: every process's instruments, then the backlogs."""
        if self.multiprocess_dir is None:
            own = generate_latest(self.registry)
        else:
            _forget_dead_processes(self.multiprocess_dir)
            everyone = CollectorRegistry()
            MultiProcessCollector(everyone, str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
            own = generate_latest(everyone)
        read = CollectorRegistry()
        read.register(_BacklogCollector(backlogs))
        return own + generate_latest(read)


def _forget_dead_processes(folder: Path) -> None:
    """A killed process's in-progress count would stay in the sum; drop the files of the
    processes that are gone (counters and histograms keep theirs: what they counted happened)."""
    for file in folder.iterdir():
        found = _LIVE_FILE.match(file.name)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            # Another process's scrape may be removing the same files.
            with contextlib.suppress(FileNotFoundError):
                mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, someone else's


class _BacklogCollector(Collector):
    def __init__(self, backlogs: Backlogs) -> None:
        self.backlogs = backlogs

    def collect(self) -> list[Metric]:
        b = self.backlogs
        depth = GaugeMetricFamily(
            "mandate_outbox_depth",
            "Messages waiting in an outbox (mail, webhooks): not yet sent nor given up.",
            labels=("outbox",),
        )
        age = GaugeMetricFamily(
            "mandate_outbox_oldest_age_seconds",
            "Age of the oldest message waiting in an outbox; 0 when none waits.",
            labels=("outbox",),
        )
        for name, backlog in sorted(b.outboxes.items()):
            depth.add_metric((name,), backlog.count)
            age.add_metric((name,), backlog.oldest_seconds)
        return [
            depth,
            age,
            GaugeMetricFamily(
                "mandate_log_unsigned_entries",
                "Log entries written but not yet in a signed checkpoint: the integrator's lag.",
                value=b.log_unsigned.count,
            ),
            GaugeMetricFamily(
                "mandate_log_unsigned_oldest_age_seconds",
                "Age of the oldest log entry not yet in a signed checkpoint; 0 when none.",
                value=b.log_unsigned.oldest_seconds,
            ),
            GaugeMetricFamily(
                "mandate_log_checkpoint_size",
                "Entries the latest signed checkpoint covers.",
                value=b.checkpoint_size,
            ),
        ]


def _template(scope: Scope) -> str:
    """The matched route's path with its parameters named, not valued: the labels stay few.
    (The route object in the scope does not know the prefix it was included under.)"""
    if scope.get("route") is None:
        return UNMATCHED
    path: str = scope["path"]
    names = {}
    for name, value in (scope.get("path_params") or {}).items():
        text = str(value)
        if "/" in text and path.endswith(text):  # a {name:path} parameter: the rest of it
            path = path[: -len(text)] + f"{{{name}}}"
        else:
            names[text] = name
    return "/".join(f"{{{names[p]}}}" if p in names else p for p in path.split("/"))


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by its route's template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        m = self.metrics
        m.in_progress.inc()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            m.in_progress.dec()
            m.observe_request(
                scope["method"], _template(scope), status, time.perf_counter() - started
            )
