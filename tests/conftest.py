"""Test harness: one migrated database per worker, emptied after every test, driven over HTTP.

By default the suite runs on SQLite files. With ``AFTERCART_TEST_POSTGRES_URL`` set to a server URL
(e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) every worker creates its own fresh
PostgreSQL database, migrates it and drops it at the end.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.engine import create_engine, normalize_url
from aftercart.db.migrate import upgrade
from aftercart.models import Base, Tenant
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories

POSTGRES_URL = os.environ.get("AFTERCART_TEST_POSTGRES_URL")

# The suite drives the sandbox as a developer would; tests of production mode say so.
os.environ.setdefault("AFTERCART_ENV", "development")

requires_postgres = pytest.mark.skipif(
    not POSTGRES_URL, reason="needs PostgreSQL: set AFTERCART_TEST_POSTGRES_URL"
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """With ``AFTERCART_TEST_FORBID_SKIPS`` set (CI's PostgreSQL run), a skipped test fails."""
    report = yield
    if os.environ.get("AFTERCART_TEST_FORBID_SKIPS") and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped, but skips are forbidden in this run: {report.longrepr}"
    return report


async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(statement))
    await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    if POSTGRES_URL:
        server = make_url(normalize_url(POSTGRES_URL))
        name = f"aftercart_test_{uuid.uuid4().hex[:8]}_{worker_id}"
        url = server.set(database=name).render_as_string(hide_password=False)
        admin = server.render_as_string(hide_password=False)
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
        asyncio.run(_migrate(url))
        yield url
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path: Path = tmp_path_factory.mktemp("db") / "aftercart.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_migrate(url))
        yield url


def suite_settings(database_url: str, **values: Any) -> Settings:
    """The suite's settings (the sandbox on, no webhook worker, no timers that move shoppers,
    look for late pickups and deliveries, remind of ratings or play autopilot shoppers: tests
    that want them turn them on), with ``values`` on top."""
    timers_off = {
        "shopper_move_seconds": 0,
        "late_pickup_seconds": 0,
        "late_delivery_seconds": 0,
        "rating_reminder_seconds": 0,
        "autopilot_tick_seconds": 0,
    }
    return Settings(
        database_url=database_url, sandbox=True, run_worker=False, **(timers_off | values)
    )


@pytest.fixture
def settings(database_url: str) -> Settings:
    return suite_settings(database_url)


async def empty_all_tables(sessions: async_sessionmaker[AsyncSession]) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    async with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            joined = ", ".join(f'"{t}"' for t in tables)
            await session.execute(text(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                await session.execute(text(f'DELETE FROM "{table}"'))
        await restore_default_tenant(session)
        await session.commit()


async def restore_default_tenant(session: AsyncSession) -> None:
    """Tenant 1, as the migrations leave it, for the rows the factories make."""
    session.add(Tenant(id=DEFAULT_TENANT, name="default"))
    await session.flush()
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT setval(pg_get_serial_sequence('tenants', 'id'), 1)"))


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app, run through its lifespan. Its tables are emptied once the lifespan has ended,
    so that no background loop (a moving shopper, a timer) still writes while they are
    truncated: on PostgreSQL that deadlocked against the TRUNCATE."""
    application = create_app(settings, migrate=False)
    try:
        async with application.router.lifespan_context(application):
            yield application
    finally:
        if hasattr(application.state, "sessions"):
            await empty_all_tables(application.state.sessions)
            await application.state.engine.dispose()


@pytest.fixture
def sessions(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    """Sessions on the app's own engine, for arranging and checking state directly."""
    factory: async_sessionmaker[AsyncSession] = app.state.sessions
    return factory


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def creds(sessions: async_sessionmaker[AsyncSession]) -> IssuedCredentials:
    """A registered Connect client."""
    return await factories.make_api_client(sessions)


@pytest.fixture
async def client_headers(http: httpx.AsyncClient, creds: IssuedCredentials) -> dict[str, str]:
    """Headers with a client-credentials token carrying every client scope."""
    return factories.bearer(await factories.client_token(http, creds))
