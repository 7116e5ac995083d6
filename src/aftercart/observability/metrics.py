"""Prometheus metrics of one process, or of all ``aftercart serve --workers N`` processes.

With several workers, prometheus_client keeps each process's figures in memory-mapped files of
the folder named by ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes one), and a scrape, answered by
any worker, adds them up. That mode is chosen when prometheus_client is first imported, so the
variable must be set before a worker starts. Without it the process's own registry is served.

Figures that only the database knows (the webhook queue) are read when scraped; the request
metric is recorded by :class:`aftercart.middleware.RequestLogMiddleware` with children looked up
once per route, method and status.
"""

import asyncio
import contextlib
import glob
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
#: The route label of requests that matched no route, so that unknown paths make one series.
UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: Hot reads take well under a millisecond; a stream's request lasts its whole life (+Inf).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
WEBHOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
#: With several workers, how often each one writes its pool figures for the others' scrapes.
POOL_SAMPLE_SECONDS = 5.0

REQUESTS = Counter(
    "aftercart_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "aftercart_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=REQUEST_BUCKETS,
)
WEBHOOK_ATTEMPTS = Counter(
    "aftercart_webhook_attempts",
    "Webhook POSTs made (as in the delivery log), by subscription id.",
    ["subscription_id"],
)
WEBHOOK_FAILURES = Counter(
    "aftercart_webhook_failures",
    "Webhook POSTs that got no 2xx answer (error, timeout, other status), by subscription id.",
    ["subscription_id"],
)
WEBHOOK_SECONDS = Histogram(
    "aftercart_webhook_delivery_duration_seconds",
    "Time one delivery took to send (its POSTs and any token request), by subscription id.",
    ["subscription_id"],
    buckets=WEBHOOK_BUCKETS,
)
# Gauges of live processes are added up across workers; a stopped worker's are forgotten.
OPEN_STREAMS = Gauge(
    "aftercart_open_streams", "Server-Sent Event streams open now.", multiprocess_mode="livesum"
)
POOL_SIZE = Gauge(
    "aftercart_db_pool_size",
    "Connections the database pool keeps (pool_size; overflow comes on top).",
    multiprocess_mode="livesum",
)
POOL_CHECKED_OUT = Gauge(
    "aftercart_db_pool_checked_out",
    "Database connections in use now.",
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "aftercart_db_pool_idle",
    "Open database connections waiting in the pool.",
    multiprocess_mode="livesum",
)

_request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
_webhook_children: dict[int, tuple[Counter, Counter, Histogram]] = {}


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    """Counts one answered request; ``route`` is the matched route's template, if any."""
    key = (route or UNMATCHED, method if method in METHODS else "OTHER", status)
    children = _request_children.get(key)
    if children is None:
        children = _request_children[key] = (
            REQUESTS.labels(key[0], key[1], str(status)),
            REQUEST_SECONDS.labels(key[0], key[1]),
        )
    children[0].inc()
    children[1].observe(seconds)


def observe_delivery(subscription_id: int, *, seconds: float, attempts: int, failures: int) -> None:
    children = _webhook_children.get(subscription_id)
    if children is None:
        label = str(subscription_id)
        children = _webhook_children[subscription_id] = (
            WEBHOOK_ATTEMPTS.labels(label),
            WEBHOOK_FAILURES.labels(label),
            WEBHOOK_SECONDS.labels(label),
        )
    children[0].inc(attempts)
    if failures:
        children[1].inc(failures)
    children[2].observe(seconds)


def sample_pool(engine: AsyncEngine) -> None:
    """Reads the engine's pool into the pool gauges (an in-memory SQLite pool has no size)."""
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        POOL_SIZE.set(pool.size())
        POOL_CHECKED_OUT.set(pool.checkedout())
        POOL_IDLE.set(pool.checkedin())


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR))


@contextlib.asynccontextmanager
async def per_process(engine: AsyncEngine) -> AsyncIterator[None]:
    """For the app's lifespan: with several workers, writes this one's pool figures every few
    seconds (a scrape only sees its own process), and forgets its gauges when it stops."""
    if not multiprocess():
        yield
        return

    async def sample_forever() -> None:
        while True:
            sample_pool(engine)
            await asyncio.sleep(POOL_SAMPLE_SECONDS)

    task = asyncio.create_task(sample_forever(), name="pool-metrics")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


class _Scrape:
    """One scrape's families: the registry's, then the figures read for it."""

    def __init__(self, base: Collector, extra: list[Metric]) -> None:
        self.base = base
        self.extra = extra

    def collect(self) -> Iterable[Metric]:
        yield from self.base.collect()
        yield from self.extra


def render(engine: AsyncEngine, *, queue_depth: int | None, accept: str = "") -> tuple[bytes, str]:
    """The exposition of every metric in the format ``accept`` asks for, and its content type.
    ``queue_depth`` is left out when it could not be read."""
    sample_pool(engine)
    base: Collector = REGISTRY
    if multiprocess():
        forget_dead_processes(os.environ[MULTIPROC_DIR])
        base = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(base)  # type: ignore[no-untyped-call]
    extra: list[Metric] = []
    if queue_depth is not None:
        extra.append(
            GaugeMetricFamily(
                "aftercart_webhook_queue_depth",
                "Webhook deliveries pending (due now or waiting for a retry), read at scrape.",
                value=queue_depth,
            )
        )
    encode, content_type = choose_encoder(accept)
    return encode(_Scrape(base, extra)), content_type


def forget_dead_processes(folder: str) -> None:
    """Drops the live gauges of workers that died without a clean stop (uvicorn restarts them
    under new pids), so that their last open streams and connections stop being counted."""
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        pid = os.path.basename(path).rsplit("_", 1)[1].removesuffix(".db")
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            prometheus_multiprocess.mark_process_dead(int(pid), folder)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, someone else's


@contextlib.contextmanager
def shared_between_workers(workers: int) -> Iterator[None]:
    """For ``aftercart serve``: with more than one worker, a fresh folder for their metric files,
    removed when the server stops. A ``PROMETHEUS_MULTIPROC_DIR`` already set is used as is."""
    if workers <= 1 or MULTIPROC_DIR in os.environ:
        yield
        return
    folder = tempfile.mkdtemp(prefix="aftercart-metrics-")
    os.environ[MULTIPROC_DIR] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROC_DIR]
        shutil.rmtree(folder, ignore_errors=True)
