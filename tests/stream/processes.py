"""Real ``aftercart serve`` processes and throw-away PostgreSQL databases, for the two-process
test and ``bench/stream_latency.py``."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth import service as auth_service
from aftercart.db.engine import create_engine, normalize_url, session_factory
from aftercart.db.migrate import upgrade
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories

START_SECONDS = 60.0
STOP_SECONDS = 15.0
#: The ``aftercart`` command of the interpreter running the tests.
CLI = [sys.executable, "-c", "from aftercart.cli.main import app; app()"]


async def _admin(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@contextlib.asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server at ``server_url``; dropped afterwards."""
    name = f"aftercart_stream_{uuid.uuid4().hex[:10]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(normalize_url(server_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def scratch_database(folder: Path, postgres: str | None = None) -> AsyncIterator[str]:
    """A database for one run: a fresh one on the PostgreSQL server ``postgres`` (dropped
    afterwards), else a SQLite file in ``folder``."""
    if postgres:
        async with fresh_database(postgres) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{folder / 'scratch.db'}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_on_a_taken_port(
    args: Callable[[int], list[str]], env: dict[str, str]
) -> tuple[int, "subprocess.CompletedProcess[str]"]:
    """Runs ``aftercart`` with ``args(port)`` while another socket listens on ``port``: the port
    and what the command did (stdout and stderr together)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port: int = taken.getsockname()[1]
        run = subprocess.run(
            [*CLI, *args(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=START_SECONDS,
        )
    return port, run


def start(
    database_url: str,
    log: IO[bytes],
    *serve_args: str,
    port: int | None = None,
    **settings: str,
) -> tuple["subprocess.Popen[bytes]", str]:
    """``aftercart serve`` on 127.0.0.1 (a free port unless ``port``; no webhook worker): the
    process and its base URL. ``serve_args`` go to ``serve``; ``settings`` become
    ``AFTERCART_<NAME>``."""
    port = port or free_port()
    env = {
        **os.environ,
        # Benchmarks and process tests drive the sandbox, as a developer does; without the
        # request monitor, a sandbox tool that would write a row for every request measured.
        "AFTERCART_ENV": "development",
        "AFTERCART_DATABASE_URL": database_url,
        "AFTERCART_RUN_WORKER": "false",
        "AFTERCART_LOG_LEVEL": "warning",
        "AFTERCART_MONITOR_SIZE": "0",
        **{f"AFTERCART_{name.upper()}": value for name, value in settings.items()},
    }
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), *serve_args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: "subprocess.Popen[bytes]") -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


@contextlib.contextmanager
def serving(database_url: str, log: IO[bytes], *serve_args: str, **settings: str) -> Iterator[str]:
    """:func:`start`, stopped on exit; yields the base URL."""
    process, url = start(database_url, log, *serve_args, **settings)
    try:
        yield url
    finally:
        stop(process)


@contextlib.asynccontextmanager
async def migrated_session(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on ``database_url``, migrated first, for arranging data before a server
    starts; its engine is disposed of afterwards."""
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def arrange_order(
    database_url: str, *, lines: int = 0
) -> tuple[auth_service.IssuedCredentials, str, str]:
    """A migrated database holding an API client and a user's delivery order of ``lines``
    products: the client's credentials, the user id and the order id."""
    async with migrated_session(database_url) as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        products = [await factories.insert_product(session) for _ in range(lines)]
        order = await factories.insert_order(session, user=user, store=store, products=products)
        creds = await auth_service.create_client(
            session, name="Processes", tenant_id=DEFAULT_TENANT
        )
        await session.commit()
        return creds, user.user_id, order.order_id


async def until_healthy(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{client.base_url} did not start")


@contextlib.asynccontextmanager
async def two_servers(
    database_url: str, folder: Path, **settings: str
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Two :func:`serving` processes on one database, logging to ``folder/a.log`` and
    ``folder/b.log``: a client of each, once both answer."""
    with (
        (folder / "a.log").open("wb") as log_a,
        (folder / "b.log").open("wb") as log_b,
        serving(database_url, log_a, **settings) as url_a,
        serving(database_url, log_b, **settings) as url_b,
    ):
        async with (
            httpx.AsyncClient(base_url=url_a, timeout=10) as a,
            httpx.AsyncClient(base_url=url_b, timeout=10) as b,
        ):
            await until_healthy(a)
            await until_healthy(b)
            yield a, b


@contextlib.contextmanager
def serving_process(
    database_url: str, log: IO[bytes], *serve_args: str, **settings: str
) -> Iterator[tuple["subprocess.Popen[bytes]", str]]:
    """:func:`serving` that also yields the process, for benches that read its memory or CPU
    time from ``/proc``."""
    process, url = start(database_url, log, *serve_args, **settings)
    try:
        yield process, url
    finally:
        stop(process)


def cpu_seconds(pid: int) -> float:
    """The user and system CPU time the process has used (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """The process's resident memory (``VmRSS`` in ``/proc/PID/status``), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LookupError(f"no VmRSS for process {pid}")
