"""Holds many idle event streams open on one server: its memory per stream, and whether
keep-alives still arrive on time.

    .venv/bin/python -m bench.idle_streams [--streams 10000] [--keepalive 2] [--intervals 3]
                                           [--postgres SERVER_URL]

One ``aftercart serve`` process (uvicorn on 127.0.0.1, ``AFTERCART_STREAM_KEEPALIVE_SECONDS``
set to ``--keepalive``) and, in this process, ``--streams`` SSE clients on raw sockets (those
of ``bench.stream_latency``), all on one order that never changes. Reported: the server's
resident memory (``VmRSS`` from ``/proc/PID/status``) before and after opening them, and so the
memory per stream; then, over ``--intervals`` keep-alive intervals (and one more), the gaps
between consecutive keep-alive comments on each stream, against the interval: a missed
keep-alive shows as a gap of two.

Each stream takes a file descriptor in both processes: the open-file limit is raised to its hard
limit first (the server inherits it); if even that is too low, fewer streams are opened and the
output says so. By default a fresh SQLite file is used; ``--postgres`` creates a fresh database
on that server (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) and drops it afterwards.
"""

import argparse
import asyncio
import itertools
import resource
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvloop
from sqlalchemy.engine import make_url
from tests import factories
from tests.stream.processes import (
    arrange_order,
    rss_kib,
    scratch_database,
    serving_process,
    until_healthy,
)

from bench.stream_latency import Client, open_all, percentile

#: File descriptors each process needs besides its streams (database, listening socket, logs).
SPARE_FILES = 200
#: How long after the last stream opened the keep-alives are left to settle before measuring.
SETTLE_SECONDS = 1.0


def raise_open_files(streams: int) -> tuple[int, int, int]:
    """Raises this process's open-file limit (and so the server's) to the hard limit; returns
    the soft and hard limits and how many streams fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft, hard, min(streams, soft - SPARE_FILES)


def gaps(clients: list[Client], since: float) -> list[float]:
    """Seconds between consecutive keep-alives of each stream, those after ``since``."""
    measured: list[float] = []
    for client in clients:
        times = [t for t in client.keep_alives if t > since]
        measured += [later - earlier for earlier, later in itertools.pairwise(times)]
    return measured


async def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    soft, hard, count = raise_open_files(args.streams)
    creds, user_id, order_id = await arrange_order(database_url)
    keepalive = str(args.keepalive)
    with (
        (folder / "serve.log").open("wb") as log,
        serving_process(
            database_url,
            log,
            stream_keepalive_seconds=keepalive,
            max_streams_per_token="0",  # ten thousand streams on one token
        ) as (server, url),
    ):
        port = httpx.URL(url).port
        assert port is not None
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            await until_healthy(http)
            token = await factories.user_token(http, creds, user_id)
            before = rss_kib(server.pid)
            started = time.perf_counter()
            clients = await open_all(port, [order_id], count, token)
            async with asyncio.timeout(120):
                await asyncio.gather(*(c.opened.wait() for c in clients))
            opened = time.perf_counter() - started
            await asyncio.sleep(SETTLE_SECONDS)
            after = rss_kib(server.pid)
            since = time.perf_counter()
            # A window of one interval more than measured: each stream's first keep-alive in it
            # starts its first gap.
            await asyncio.sleep((args.intervals + 1) * args.keepalive)
            measured = gaps(clients, since)
            counts = [len([t for t in c.keep_alives if t > since]) for c in clients]
            for client in clients:
                client.close()

    backend = make_url(database_url).get_backend_name()
    print(
        f"streams={count} keepalive={args.keepalive}s db={backend} "
        f"RLIMIT_NOFILE soft={soft} hard={hard}"
    )
    if count < args.streams:
        print(f"the hard open-file limit allows only {count} of the {args.streams} streams asked")
    print(f"opened in {opened:.1f} s")
    print(
        f"server RSS: before={before / 1024:.1f} MiB after={after / 1024:.1f} MiB "
        f"per stream={(after - before) / count:.1f} KiB"
    )
    short = sum(1 for n in counts if n < args.intervals)
    print(
        f"keep-alive gaps s (interval {args.keepalive}, {len(measured)} gaps): "
        f"p50={statistics.median(measured):.3f} p99={percentile(measured, 0.99):.3f} "
        f"max={max(measured):.3f}; streams with fewer than {args.intervals} keep-alives in "
        f"{args.intervals + 1} intervals: {short}"
    )


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        async with scratch_database(Path(name), args.postgres) as url:
            await run(args, url, Path(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=10_000)
    parser.add_argument("--keepalive", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--intervals", type=int, default=3)
    parser.add_argument("--postgres", default=None, metavar="SERVER_URL")
    uvloop.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
