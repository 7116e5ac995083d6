"""SQLite statements on the event loop's thread: writers take turns, and a lock held elsewhere
is waited for without stopping the loop."""

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from aftercart.db import sqlite_inline
from aftercart.db.engine import create_engine


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "inline.db"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
        connection.execute("INSERT INTO counter VALUES (1, 0)")
    return str(path)


async def test_writers_of_one_process_take_turns(database: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}", pool_size=20, max_overflow=0)

    async def increment() -> None:
        async with engine.begin() as connection:
            value = await connection.scalar(text("SELECT value FROM counter WHERE id = 1"))
            await asyncio.sleep(0.002)  # other writers run meanwhile and must wait
            await connection.execute(
                text("UPDATE counter SET value = :value WHERE id = 1"), {"value": value + 1}
            )

    try:
        await asyncio.gather(*(increment() for _ in range(40)))
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT value FROM counter")) == 40
    finally:
        await engine.dispose()


def _hold_write_lock(database: str, seconds: float, started: threading.Event) -> None:
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    connection.execute("ROLLBACK")
    connection.close()


async def test_a_lock_held_elsewhere_is_waited_for_without_stopping_the_loop(
    database: str,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(database, 0.5, started))
    holder.start()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        await asyncio.to_thread(started.wait)
        before = time.monotonic()
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE counter SET value = 7"))
        waited = time.monotonic() - before
    finally:
        ticker.cancel()
        holder.join()
        await engine.dispose()
    assert waited >= 0.3
    assert ticks >= 15, "the loop stopped while waiting for the lock"


async def test_a_lock_never_released_fails_as_sqlite_would(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUSY_TIMEOUT_SECONDS", 0.2)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(database, 1.0, started))
    holder.start()
    try:
        await asyncio.to_thread(started.wait)
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE counter SET value = 8"))
    finally:
        holder.join()
        await engine.dispose()
