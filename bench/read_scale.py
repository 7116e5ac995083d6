"""Read latency of the hot GET paths with 1,000,000 orders in the database versus 1,000.

    .venv/bin/python -m bench.read_scale [--postgres SERVER_URL] [--orders 1000000] [--small 1000]
                                         [--requests 300] [--rounds 3] [--explain-out FILE]

Two databases are arranged alike: one user's 20-item delivery order in a sandbox shopper's batch
in ``picking``, surrounded by filler orders up to ``--small`` orders in one and ``--orders`` in
the other (bench/fill.py). Both are served in this process by ``create_app`` through
``httpx.ASGITransport``, and the three GET paths of bench/api_throughput.py are asked one request
at a time, ``--requests`` per path and database in each of ``--rounds`` rounds, the databases
taking turns every few requests so that drift on the shared machine hits both alike. Goal: p50
with many orders at most 1.2 times p50 with few. Then one request per path on the big database
runs with every SQL statement caught, and each distinct statement is explained (``EXPLAIN QUERY
PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL); ``--explain-out`` writes them as Markdown. SQLite
files in a temporary directory by default; ``--postgres`` creates two throw-away databases on
that server (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) and drops them afterwards.
"""

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from rich.progress import Progress
from sqlalchemy import text
from tests import factories
from tests.stream.processes import fresh_database

from aftercart.app import create_app
from aftercart.auth import service as auth_service
from aftercart.config import Settings
from aftercart.db.engine import create_engine, session_factory
from aftercart.db.migrate import upgrade
from bench import explain
from bench.api_throughput import ask, hot_paths
from bench.fill import fill
from bench.machine import database, facts
from bench.stream_latency import percentile, prepare
from bench.throughput_report import HotPath

GOAL = 1.2
WARMUP_REQUESTS = 20
CHUNK = 10


@dataclass(frozen=True)
class Measured:
    creds: auth_service.IssuedCredentials
    user_id: str
    order_id: str


async def arrange(url: str, orders: int, progress: Progress) -> Measured:
    """The measured order first, then ``orders - 1`` filler orders after it."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            user = await factories.insert_user(session, user_id="bench-user")
            store = await factories.insert_store(session, location_code="bench-store")
            products = [await factories.insert_product(session) for _ in range(20)]
            order = await factories.insert_order(
                session, user=user, store=store, products=products, order_id="bench-order"
            )
            creds = await auth_service.create_client(session, name="Bench")
            await session.commit()
        task = progress.add_task(f"{orders:,} orders", total=orders, completed=1)
        await fill(
            engine,
            first_id=order.id + 1,
            count=orders - 1,
            products=[p.id for p in products],
            advance=lambda n: progress.advance(task, n),
        )
        return Measured(creds, user.user_id, order.order_id)
    finally:
        await engine.dispose()


@dataclass
class Served:
    orders: int
    app: FastAPI
    http: httpx.AsyncClient
    paths: list[HotPath]


@contextlib.asynccontextmanager
async def serving(url: str, orders: int, measured: Measured) -> AsyncIterator[Served]:
    # Development, as a developer runs it: the arrangement drives the sandbox.
    settings = Settings(
        env="development", database_url=url, run_worker=False, log_level="WARNING", monitor_size=0
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http,
    ):
        sandbox = await prepare(http, measured.creds, measured.user_id, [measured.order_id])
        paths = hot_paths(
            sandbox.user_token,
            sandbox.retailer,
            measured.user_id,
            measured.order_id,
            sandbox.shopper,
        )
        yield Served(orders, app, http, [p for p in paths if p.request.method == "GET"])


async def timed(served: Served, hot: HotPath, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = await ask(served.http, hot)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{hot.label} answered {response.status_code}: {response.text[:300]}")
    return samples


async def measure(
    both: list[Served], args: argparse.Namespace
) -> dict[tuple[int, str], list[float]]:
    """Within a round the two databases take turns every ``CHUNK`` requests, in the order
    A B B A A B ..., so that the machine's drift, and any advantage of going second, falls on
    both alike."""
    samples: dict[tuple[int, str], list[float]] = {}
    for served in both:
        for hot in served.paths:
            await timed(served, hot, WARMUP_REQUESTS)
    for round_ in range(1, args.rounds + 1):
        for n, label in enumerate(p.label for p in both[0].paths):
            got: dict[int, list[float]] = {s.orders: [] for s in both}
            for chunk in range(max(1, args.requests // CHUNK)):
                for served in both if chunk % 2 == 0 else both[::-1]:
                    got[served.orders] += await timed(served, served.paths[n], CHUNK)
            for orders, found in got.items():
                samples.setdefault((orders, label), []).extend(found)
            print(
                f"round {round_} {label}: p50 "
                + ", ".join(f"{statistics.median(v):.2f} ms ({k:,})" for k, v in got.items()),
                flush=True,
            )
    return samples


def print_table(
    small: int, big: int, labels: list[str], samples: dict[tuple[int, str], list[float]]
) -> None:
    print(
        f"| path | {small:,} orders p50/p99 ms | {big:,} orders p50/p99 ms | ratio p50 "
        f"| ratio p99 | goal | met? |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for label in labels:
        few, many = samples[small, label], samples[big, label]
        p50 = statistics.median(many) / statistics.median(few)
        p99 = percentile(many, 0.99) / percentile(few, 0.99)
        print(
            f"| {label} | {statistics.median(few):.2f} / {percentile(few, 0.99):.2f} "
            f"| {statistics.median(many):.2f} / {percentile(many, 0.99):.2f} | {p50:.2f} "
            f"| {p99:.2f} | p50 ratio ≤ {GOAL} | {'yes' if p50 <= GOAL else 'no'} |"
        )


async def caught_plans(served: Served) -> explain.Caught:
    caught = explain.Caught()
    for hot in served.paths:
        with explain.catching(served.app.state.engine, caught, hot.label):
            await ask(served.http, hot)
    await explain.explain(served.app.state.engine, caught)
    return caught


async def size_of(url: str) -> tuple[str, str]:
    """The database's kind and version, and its size on disk."""
    engine = create_engine(url)
    try:
        kind = await database(engine)
        async with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                pages = await connection.scalar(text("PRAGMA page_count"))
                page = await connection.scalar(text("PRAGMA page_size"))
                return kind, f"{pages * page / 1e6:,.0f} MB"
            found = await connection.scalar(text("SELECT pg_database_size(current_database())"))
            return kind, f"{found / 1e6:,.0f} MB"
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace, urls: dict[int, str]) -> None:
    with Progress() as progress:
        started = time.perf_counter()
        measured = {n: await arrange(url, n, progress) for n, url in urls.items()}
        filled = time.perf_counter() - started
    described = {n: await size_of(url) for n, url in urls.items()}
    kind = described[args.orders][0]
    async with contextlib.AsyncExitStack() as stack:
        both = [await stack.enter_async_context(serving(urls[n], n, measured[n])) for n in urls]
        samples = await measure(both, args)
        caught = await caught_plans(both[-1])
    print()
    print(facts())
    print(
        f"database: {kind}; filled {sum(urls):,} orders in {filled:.0f} s; sizes "
        + ", ".join(f"{n:,} orders {described[n][1]}" for n in urls)
    )
    print(f"{args.requests} sequential requests per path, database and round; {args.rounds} rounds")
    print()
    print_table(args.small, args.orders, [p.label for p in both[0].paths], samples)
    print()
    print(f"SQL per request and plans with {args.orders:,} orders:")
    print(explain.as_text(caught))
    if args.explain_out:
        heading = f"Query plans of the hot GET paths, {args.orders:,} orders, {kind}"
        args.explain_out.write_text(explain.as_markdown(caught, heading))


async def main_async(args: argparse.Namespace) -> None:
    sizes = (args.small, args.orders)
    if args.postgres:
        async with fresh_database(args.postgres) as few, fresh_database(args.postgres) as many:
            await run(args, dict(zip(sizes, (few, many), strict=True)))
        return
    with tempfile.TemporaryDirectory() as folder:
        urls = {n: f"sqlite+aiosqlite:///{Path(folder) / f'orders-{n}.db'}" for n in sizes}
        await run(args, urls)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", default=None, metavar="SERVER_URL")
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain-out", type=Path, default=None, metavar="FILE")
    args = parser.parse_args()
    if not 1 <= args.small < args.orders:
        parser.error("--small must be at least 1 and below --orders")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
