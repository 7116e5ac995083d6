import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.cli import listening
from aftercart.db.migrate import alembic_config
from aftercart.models import Product, Store
from tests.cli.helpers import cli, invoke
from tests.stream.processes import free_port

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

Started = list[tuple[uvicorn.Config, dict[str, Any]]]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    """``serve`` goes as far as the socket it would serve on: its config and the socket's state,
    with the environment the app would read."""
    runs: Started = []

    def run(config: uvicorn.Config, sock: socket.socket) -> None:
        facts = {
            "address": sock.getsockname()[:2],
            "listening": sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1,
            "database_url": os.environ.get("AFTERCART_DATABASE_URL"),
            "poll_seconds": os.environ.get("AFTERCART_STREAM_POLL_SECONDS"),
        }
        runs.append((config, facts))

    monkeypatch.setattr(listening, "run", run)
    return runs


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    result = invoke(f"sqlite:///{path}", "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"sqlite+aiosqlite:///{path} is at revision {HEAD}\n"
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"products", "stores", "api_clients", "orders", "events"} <= tables


def test_db_upgrade_takes_database_url_over_the_environment(tmp_path: Path) -> None:
    chosen = tmp_path / "chosen.db"
    result = invoke(
        f"sqlite:///{tmp_path / 'other.db'}",
        "db",
        "upgrade",
        "--database-url",
        f"sqlite:///{chosen}",
    )
    assert result.exit_code == 0, result.output
    assert chosen.exists()
    assert not (tmp_path / "other.db").exists()


async def test_db_upgrade_on_a_current_database_changes_nothing(db_url: str) -> None:
    result = await cli(db_url, "db", "upgrade")
    assert result.exit_code == 0
    assert result.stdout.endswith(f" is at revision {HEAD}\n")


async def test_serve_loads_sample_data_once_then_runs_the_app_factory(
    db_url: str, sessions: async_sessionmaker[AsyncSession], started: Started
) -> None:
    port = free_port()
    result = await cli(db_url, "serve", "--sample-data", "--port", str(port))
    assert result.exit_code == 0, result.output
    async with sessions() as session:
        products = await session.scalar(select(func.count()).select_from(Product))
        stores = await session.scalar(select(func.count()).select_from(Store))
    assert f"Loaded sample data: {products} products, {stores} stores." in result.stdout
    url = f"http://127.0.0.1:{port}"
    assert f"Aftercart on {url}  (API docs: {url}/docs)" in result.stdout
    ((config, facts),) = started
    assert (config.app, config.factory, config.workers) == ("aftercart.app:create_app", True, 1)
    assert config.access_log is False
    assert facts["address"] == ("127.0.0.1", port)
    assert facts["listening"], "the banner is printed once the port listens"

    again = await cli(db_url, "serve", "--sample-data", "--host", "::1", "--port", str(port))
    assert "already holds products or stores: sample data not loaded" in again.stdout
    assert f"http://[::1]:{port}/docs" in again.stdout
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == products


async def test_serve_without_sample_data_leaves_the_catalog_empty(
    db_url: str, sessions: async_sessionmaker[AsyncSession], started: Started
) -> None:
    result = await cli(db_url, "serve", "--port", str(free_port()))
    assert result.exit_code == 0
    assert "sample data" not in result.stdout
    async with sessions() as session:
        assert await session.scalar(select(Product.id)) is None


def test_serve_creates_the_database_of_database_url_and_hands_it_to_the_app(
    tmp_path: Path, started: Started
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    port = str(free_port())
    result = invoke(
        f"sqlite:///{tmp_path / 'env.db'}", "serve", "--database-url", url, "--port", port
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new.db").exists()
    assert not (tmp_path / "env.db").exists()
    assert started[0][1]["database_url"] == url
    assert f"database: sqlite+aiosqlite:///{tmp_path / 'new.db'}" in result.stderr


def test_serve_with_workers_keeps_the_factory_for_every_process(
    tmp_path: Path, started: Started, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCART_STREAM_POLL_SECONDS", "")
    monkeypatch.delenv("AFTERCART_STREAM_POLL_SECONDS")  # serve sets it; this test's undo unsets
    port = str(free_port())
    result = invoke(f"sqlite:///{tmp_path / 'a.db'}", "serve", "--workers", "3", "--port", port)
    assert result.exit_code == 0, result.output
    ((config, facts),) = started
    assert (config.app, config.factory, config.workers) == ("aftercart.app:create_app", True, 3)
    assert facts["poll_seconds"] == "0.25"
