"""Requests per second on Aftercart's hot HTTP paths, as a ratio to a bare Starlette app.

    .venv/bin/python -m bench.api_throughput [--postgres SERVER_URL | --database-url URL]
                                             [--duration 6] [--connections 32] [--rounds 2]
                                             [--workers N] [--json FILE]

Arranges a user, a store, 20 products, one 20-item delivery order and an API client, starts one
``aftercart serve`` (``--workers N`` is passed on to it), and through the API gets a client and a
user token and puts the order in a sandbox shopper's batch in ``picking``. Four paths are loaded
with ``wrk -t1 -c{connections} -d{duration}s --latency``:

- ``GET /v2/post_checkout/orders/{id}/items`` and ``.../handling`` (user token);
- ``GET /v2/fulfillment/users/{user_id}/orders/{id}`` (client token);
- ``PUT /v2/fulfillment_sandbox/shoppers/{shopper}/orders/{id}/items/1`` with
  ``{"status": "found", "delivered_count": 1}`` (client token); every PUT writes its event and
  outbox rows, even with the same body each time.

The machines are shared and their speed drifts, so each figure is divided by that of a reference
started by the same run: ``bench/reference.py``, a bare Starlette app under the same uvicorn
options that replays the exact status, content type and body Aftercart gave for each path.
The three reads are also loaded on ``bench/query_floor.py``, a bare Starlette app that answers
each with a token looked up in a dict, the read's own SQL through the raw driver (sqlite3 or
asyncpg) and ``json.dumps`` of the rows: what one query per request costs by itself, reported
beside Aftercart and the reference (the PUT has no such floor). When ``npx`` works, Stoplight
Prism mocking ``tests/post_checkout/post-checkout-openapi.yml`` is loaded on the two
post-checkout paths too. Targets take turns path by path, ``--rounds`` times, and the median of
the rounds is reported. Goals: reads ≥ 0.25 times the reference and ≥ 3 times
Prism; the PUT ≥ 0.05 times the reference. A target that answered anything but 2xx/3xx, or had
socket errors, is marked FAILED. SQLite in a temporary file by default; ``--postgres`` creates a
throw-away database on that server (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``);
``--database-url`` uses an existing, empty database.
"""

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
from tests.stream.processes import (
    arrange_order,
    free_port,
    scratch_database,
    start,
    stop,
    until_healthy,
)

from aftercart.auth import service as auth_service
from aftercart.auth.secrets import digest
from aftercart.db.engine import create_engine
from bench import prism, query_floor, reference, wrk
from bench.machine import ROOT, database, facts
from bench.stream_latency import Sandbox, prepare
from bench.throughput_report import TARGETS, Goal, HotPath, Loads, Run, print_report, to_json

READS = Goal(ratio=0.25, over_prism=3.0)
#: The Prism document covers post-checkout only.
FULFILLMENT_READ = Goal(ratio=0.25, over_prism=None)
WRITE = Goal(ratio=0.05, over_prism=None)
ITEM_UPDATE = b'{"status": "found", "delivered_count": 1}'


async def arrange(database_url: str) -> tuple[auth_service.IssuedCredentials, str, str, str]:
    """The rows (a 20-line delivery order): credentials, user id, order id, and what database
    this is."""
    creds, user_id, order_id = await arrange_order(database_url, lines=20)
    engine = create_engine(database_url)
    try:
        return creds, user_id, order_id, await database(engine)
    finally:
        await engine.dispose()


def hot_paths(
    user_token: str, retailer: dict[str, str], user_id: str, order_id: str, shopper: int
) -> list[HotPath]:
    """The PUT comes first so that the answers captured for the reads already show its change."""
    customer = {"Authorization": f"Bearer {user_token}"}
    return [
        HotPath(
            "PUT /v2/fulfillment_sandbox/shoppers/{shopper}/orders/{id}/items/1",
            f"/v2/fulfillment_sandbox/shoppers/{shopper}/orders/{order_id}/items/1",
            wrk.Request("PUT", {**retailer, "Content-Type": "application/json"}, ITEM_UPDATE),
            WRITE,
        ),
        HotPath(
            "GET /v2/post_checkout/orders/{id}/items",
            f"/v2/post_checkout/orders/{order_id}/items",
            wrk.Request("GET", customer),
            READS,
            on_prism=True,
            on_floor=True,
        ),
        HotPath(
            "GET /v2/post_checkout/orders/{id}/handling",
            f"/v2/post_checkout/orders/{order_id}/handling",
            wrk.Request("GET", customer),
            READS,
            on_prism=True,
            on_floor=True,
        ),
        HotPath(
            "GET /v2/fulfillment/users/{user_id}/orders/{id}",
            f"/v2/fulfillment/users/{user_id}/orders/{order_id}",
            wrk.Request("GET", retailer),
            FULFILLMENT_READ,
            on_floor=True,
        ),
    ]


async def ask(http: httpx.AsyncClient, hot: HotPath) -> httpx.Response:
    return await http.request(
        hot.request.method, hot.path, headers=hot.request.headers, content=hot.request.body
    )


async def capture(http: httpx.AsyncClient, hot: HotPath) -> reference.Answer:
    response = await ask(http, hot)
    if not response.is_success:
        raise SystemExit(
            f"Aftercart answered {response.status_code} to {hot.label}: {response.text[:300]}"
        )
    return reference.Answer(
        hot.request.method,
        hot.path,
        response.status_code,
        response.headers["content-type"],
        response.content,
    )


async def healthy(process: "subprocess.Popen[bytes]", url: str, log: Path, what: str) -> None:
    """Waits for ``/healthz``, but gives up at once if the process exits (e.g. it rejected an
    option), showing the end of its log."""
    async with httpx.AsyncClient(base_url=url, timeout=5, trust_env=False) as http:
        waiting = asyncio.create_task(until_healthy(http))
        while not waiting.done():
            if process.poll() is not None:
                waiting.cancel()
                tail = log.read_text(errors="replace").strip()[-1200:]
                raise SystemExit(
                    f"{what} exited with {process.returncode} before answering:\n{tail}"
                )
            await asyncio.wait({waiting}, timeout=0.25)
        waiting.result()


@contextlib.contextmanager
def spawned(command: list[str], log: Path) -> Iterator["subprocess.Popen[bytes]"]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def aftercart(database_url: str, folder: Path, workers: int | None) -> AsyncIterator[str]:
    log = folder / "serve.log"
    serve_args = ("--workers", str(workers)) if workers else ()
    with log.open("wb") as output:
        process, url = start(database_url, output, *serve_args)
    try:
        try:
            await healthy(process, url, log, "aftercart serve")
        except SystemExit as failure:
            if workers and "No such option" in log.read_text(errors="replace"):
                raise SystemExit(
                    f"aftercart serve rejected --workers {workers}:\n{failure}"
                ) from None
            raise
        yield url
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def bare_app(
    module: str, file: list[str], folder: Path, workers: int | None
) -> AsyncIterator[str]:
    """``python -m module *file`` (a bare app started by :func:`reference.launch`) on a free
    port, once it answers ``/healthz``: its base URL."""
    port = free_port()
    command = [sys.executable, "-m", module, *file, "--port", str(port)]
    command += ["--workers", str(workers)] if workers else []
    url = f"http://127.0.0.1:{port}"
    log = folder / f"{module.rpartition('.')[2]}.log"
    with spawned(command, log) as process:
        await healthy(process, url, log, module)
        yield url


@contextlib.asynccontextmanager
async def replaying(
    answers: list[reference.Answer], folder: Path, workers: int | None
) -> AsyncIterator[str]:
    """The reference app, checked to give back each captured answer unchanged."""
    path = folder / "answers.json"
    reference.write_answers(path, answers)
    async with bare_app("bench.reference", ["--answers", str(path)], folder, workers) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5, trust_env=False) as http:
            for answer in answers:
                got = await http.request(answer.method, answer.path)
                replayed = (got.status_code, got.headers["content-type"], got.content)
                if replayed != (answer.status, answer.content_type, answer.body):
                    raise SystemExit(f"the reference does not replay {answer.method} {answer.path}")
        yield url


def floor_config(
    database_url: str, sandbox: Sandbox, user_id: str, creds: auth_service.IssuedCredentials
) -> query_floor.Config:
    """The token digests the floor knows, as a perfect token cache would."""
    client_token = sandbox.retailer["Authorization"].removeprefix("Bearer ")
    return query_floor.Config(
        database_url,
        users={digest(sandbox.user_token): user_id},
        clients={digest(client_token): creds.client_id},
    )


@contextlib.asynccontextmanager
async def flooring(
    config: query_floor.Config, paths: list[HotPath], folder: Path, workers: int | None
) -> AsyncIterator[str]:
    """The query floor, checked to answer each read it is loaded on with 200 and some rows."""
    path = folder / "floor.json"
    query_floor.write_config(path, config)
    async with bare_app("bench.query_floor", ["--config", str(path)], folder, workers) as url:
        async with httpx.AsyncClient(base_url=url, timeout=5, trust_env=False) as http:
            for hot in (p for p in paths if p.on_floor):
                got = await ask(http, hot)
                if got.status_code != 200 or not got.json():
                    raise SystemExit(
                        f"the query floor answered {got.status_code} to {hot.label}: "
                        f"{got.text[:300]}"
                    )
        yield url


async def prism_refusals(url: str, paths: list[HotPath]) -> dict[str, str]:
    """Paths Prism does not answer with 2xx to our very request, and what it answered."""
    refused: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as http:
        for hot in (p for p in paths if p.on_prism):
            response = await ask(http, hot)
            if not response.is_success:
                refused[hot.label] = f"answers {response.status_code}: {response.text[:200]}"
    return refused


def _report(round_: int, target: str, hot: HotPath, load: wrk.Load) -> None:
    print(
        f"round {round_} {target:9} {hot.label}: {load.requests_per_s:,.0f} req/s, "
        f"p50 {load.p50_ms:.2f} ms, p99 {load.p99_ms:.2f} ms",
        flush=True,
    )
    if load.failed:
        print(
            f"!!! {target} FAILED on {hot.label}: {load.non_2xx} non-2xx/3xx answers, "
            f"{load.socket_errors} socket errors in {load.requests} requests",
            flush=True,
        )


async def load_all(
    args: argparse.Namespace, paths: list[HotPath], bases: dict[str, str | None], folder: Path
) -> Loads:
    """Round 0 is a short warm-up, not counted: Prism's JIT and Aftercart's statement cache
    would otherwise weigh on the first round only."""
    loads: Loads = {(hot.label, target): [] for hot in paths for target in TARGETS}
    scripts = {}
    for n, hot in enumerate(paths):
        scripts[hot.label] = folder / f"request-{n}.lua"
        scripts[hot.label].write_text(wrk.script(hot.request))
    first = 0 if args.warmup > 0 else 1
    for round_ in range(first, args.rounds + 1):
        for hot in paths:
            for target, base in bases.items():
                if (
                    base is None
                    or (target == "prism" and not hot.on_prism)
                    or (target == "floor" and not hot.on_floor)
                ):
                    continue
                load = await wrk.run(
                    base + hot.path,
                    scripts[hot.label],
                    connections=args.connections,
                    duration=args.duration if round_ else args.warmup,
                )
                if round_:
                    loads[hot.label, target].append(load)
                    _report(round_, target, hot, load)
    return loads


async def run(args: argparse.Namespace, database_url: str, folder: Path, kind: str) -> None:
    wrk.executable()
    creds, user_id, order_id, database = await arrange(database_url)
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(aftercart(database_url, folder, args.workers))
        async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as http:
            sandbox = await prepare(http, creds, user_id, [order_id])
            paths = hot_paths(
                sandbox.user_token, sandbox.retailer, user_id, order_id, sandbox.shopper
            )
            answers = [await capture(http, hot) for hot in paths]
        reference_url = await stack.enter_async_context(replaying(answers, folder, args.workers))
        config = floor_config(database_url, sandbox, user_id, creds)
        floor_url = await stack.enter_async_context(flooring(config, paths, folder, args.workers))
        mock = await stack.enter_async_context(prism.running(folder))
        refused = await prism_refusals(mock.url, paths) if mock.url else {}
        paths = [replace(h, on_prism=False) if h.label in refused else h for h in paths]
        bases = {
            "aftercart": url,
            "reference": reference_url,
            "floor": floor_url,
            "prism": mock.url,
        }
        loads = await load_all(args, paths, bases, folder)
    report = Run(
        machine=facts(),
        database=f"{database} ({kind})",
        options={
            k: v for k, v in vars(args).items() if k not in ("json", "database_url", "postgres")
        },
        prism_reason=mock.reason,
        prism_refusals=refused,
        paths=paths,
        loads=loads,
        floor_driver=query_floor.driver_name(database_url),
    )
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(to_json(report), indent=2))


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.database_url:
            await run(args, args.database_url, folder, "given database")
            return
        kind = "throw-away database" if args.postgres else "temporary file"
        async with scratch_database(folder, args.postgres) as url:
            await run(args, url, folder, kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1, help="seconds per target and path")
    parser.add_argument("--workers", type=int, default=None, help="passed to aftercart serve")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", default=None)
    where.add_argument("--postgres", default=None, metavar="SERVER_URL")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
