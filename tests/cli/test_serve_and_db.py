import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.cli import serve as serve_cli
from aftercart.cli.runtime import shown_url
from aftercart.db.migrate import alembic_config
from aftercart.models import Product, Store
from tests.cli.helpers import cli, invoke

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    result = invoke(f"sqlite:///{path}", "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"sqlite:///{path} is at revision {HEAD}\n"
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"products", "stores", "api_clients", "orders", "events"} <= tables


async def test_db_upgrade_on_a_current_database_changes_nothing(db_url: str) -> None:
    result = await cli(db_url, "db", "upgrade")
    assert result.exit_code == 0
    assert result.stdout.endswith(f" is at revision {HEAD}\n")


def test_database_urls_are_shown_without_password() -> None:
    assert shown_url("postgresql://app:s3cret@db/aftercart") == "postgresql://app:***@db/aftercart"


async def test_serve_loads_sample_data_once_then_runs_the_app_factory(
    db_url: str, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        serve_cli.uvicorn, "run", lambda *args, **kwargs: started.append((args, kwargs))
    )
    result = await cli(db_url, "serve", "--sample-data", "--port", "8765")
    assert result.exit_code == 0, result.output
    async with sessions() as session:
        products = await session.scalar(select(func.count()).select_from(Product))
        stores = await session.scalar(select(func.count()).select_from(Store))
    assert f"Loaded sample data: {products} products, {stores} stores." in result.stdout
    assert "Aftercart on http://127.0.0.1:8765  (API docs: http://127.0.0.1:8765/docs)" in (
        result.stdout
    )
    ((args, kwargs),) = started
    assert args == ("aftercart.app:create_app",)
    assert (kwargs["factory"], kwargs["host"], kwargs["port"]) == (True, "127.0.0.1", 8765)

    again = await cli(db_url, "serve", "--sample-data", "--host", "::1")
    assert "already holds products or stores: sample data not loaded" in again.stdout
    assert "http://[::1]:8000/docs" in again.stdout
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Product)) == products


async def test_serve_without_sample_data_leaves_the_catalog_empty(
    db_url: str, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_cli.uvicorn, "run", lambda *args, **kwargs: None)
    result = await cli(db_url, "serve")
    assert result.exit_code == 0
    assert "sample data" not in result.stdout
    async with sessions() as session:
        assert await session.scalar(select(Product.id)) is None
