"""Reads per second of ``aftercart serve --workers N`` against one worker, in the same run.

    .venv/bin/python -m bench.workers_scale [--workers 2] [--duration 6] [--connections 32]
                                            [--rounds 2] [--postgres SERVER_URL]

Arranges the data of ``bench/api_throughput.py`` (a 20-item delivery order and its tokens) and
starts two servers on the same database: one with one worker, one with ``--workers``. The three
hot reads are loaded with ``wrk`` on each in turn, ``--rounds`` times, and the median of the
rounds is compared: the ratio says how far the extra processes scale on this machine (on two
cores the load generator takes one of them). SQLite in a temporary file by default;
``--postgres`` uses a throw-away database on that server.
"""

import argparse
import asyncio
import contextlib
import statistics
import tempfile
from pathlib import Path

import httpx
from tests.stream.processes import scratch_database

from bench import wrk
from bench.api_throughput import aftercart, arrange, hot_paths
from bench.machine import facts
from bench.stream_latency import prepare


async def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    wrk.executable()
    creds, user_id, order_id, database = await arrange(database_url)
    async with contextlib.AsyncExitStack() as stack:
        one = await stack.enter_async_context(aftercart(database_url, folder / "one", None))
        many = await stack.enter_async_context(
            aftercart(database_url, folder / "many", args.workers)
        )
        async with httpx.AsyncClient(base_url=one, timeout=30) as http:
            sandbox = await prepare(http, creds, user_id, [order_id])
        paths = hot_paths(sandbox.user_token, sandbox.retailer, user_id, order_id, sandbox.shopper)
        reads = [hot for hot in paths if hot.request.method == "GET"]
        rates: dict[tuple[str, str], list[float]] = {}
        for round_ in range(args.rounds):
            for hot in reads:
                script = folder / "request.lua"
                script.write_text(wrk.script(hot.request))
                for name, base in (("1 worker", one), (f"{args.workers} workers", many)):
                    load = await wrk.run(
                        base + hot.path,
                        script,
                        connections=args.connections,
                        duration=args.duration,
                    )
                    if load.failed:
                        raise SystemExit(f"{name} answered errors on {hot.label}: {load}")
                    rates.setdefault((hot.label, name), []).append(load.requests_per_s)
                    print(f"round {round_ + 1} {name:10} {hot.label}: {load.requests_per_s:,.0f}")
    print()
    print(facts())
    print(f"database: {database}")
    print()
    print(f"| path | 1 worker req/s | {args.workers} workers req/s | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for hot in reads:
        single = statistics.median(rates[hot.label, "1 worker"])
        several = statistics.median(rates[hot.label, f"{args.workers} workers"])
        print(f"| {hot.label} | {single:,.0f} | {several:,.0f} | {several / single:.2f} |")


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "one").mkdir()
        (folder / "many").mkdir()
        async with scratch_database(folder, args.postgres) as url:
            await run(args, url, folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default=None, metavar="SERVER_URL")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
