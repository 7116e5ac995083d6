"""SQLite for the async engine without a thread per connection.

aiosqlite runs every call (open a cursor, execute, fetch, close, commit) in the connection's own
thread and hands the answer back through the event loop: four hand-offs per statement, each a
trip through the GIL and the loop's wake-up pipe. On a local file a statement takes microseconds,
so the hand-offs, not SQLite, were most of the time a request spent in the database.

These connections run statements on the event loop's thread instead, and never block it waiting
for a lock: the busy timeout is zero, and a statement that finds the database locked is retried
after an asynchronous sleep, up to :data:`BUSY_TIMEOUT_SECONDS`. Write transactions of one
process also queue on an :class:`asyncio.Lock` per database file before ``BEGIN IMMEDIATE``, so
they are handed the write lock in turn instead of polling for it. The trade: a statement that
reads a great many rows holds the loop while it runs (PostgreSQL deployments are not affected).

The objects follow the part of aiosqlite's interface that SQLAlchemy's ``aiosqlite`` dialect
uses (``create_async_engine(..., async_creator=...)``), and raise sqlite3's own exceptions, as
aiosqlite does.
"""

import asyncio
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

BUSY_TIMEOUT_SECONDS = 30.0
_FIRST_WAIT_SECONDS = 0.001
_LONGEST_WAIT_SECONDS = 0.05

#: One write lock per database file and event loop.
_write_locks: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]]"
_write_locks = weakref.WeakKeyDictionary()


def _write_lock(database: str) -> asyncio.Lock:
    locks = _write_locks.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(database, asyncio.Lock())


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _patiently(call: Callable[[], Any]) -> Any:
    """Runs ``call``; while the database is locked by another connection, sleeps and retries
    (a statement that found it locked did nothing, so trying again is safe)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    wait = _FIRST_WAIT_SECONDS
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() + wait > deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, _LONGEST_WAIT_SECONDS)


def _begins_writing(sql: str) -> bool:
    return sql.lstrip()[:15].upper().startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"))


class InlineCursor:
    def __init__(self, connection: "InlineConnection") -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> "InlineCursor":
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> "InlineCursor":
        if _begins_writing(sql):
            await self._connection._take_write_lock()
        params = () if parameters is None else parameters
        try:
            await _patiently(lambda: self._cursor.execute(sql, params))
        except BaseException:
            if _begins_writing(sql):
                self._connection._release_write_lock()
            raise
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> "InlineCursor":
        rows = list(parameters)
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """One sqlite3 connection in autocommit mode; SQLAlchemy issues ``BEGIN`` itself."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._conn: sqlite3.Connection = sqlite3.connect(
            database, timeout=0, isolation_level=None, check_same_thread=False
        )
        self._write_lock: asyncio.Lock | None = None

    @property
    def _connection(self) -> sqlite3.Connection | None:
        """What SQLAlchemy's adapter checks before a commit or a rollback."""
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def _take_write_lock(self) -> None:
        """Waits for this process's other writers, as long as SQLite would wait for another
        process's (then fails as SQLite does)."""
        if self._write_lock is not None:
            return
        lock = _write_lock(self._database)
        try:
            async with asyncio.timeout(BUSY_TIMEOUT_SECONDS):
                await lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._write_lock = lock

    def _release_write_lock(self) -> None:
        lock, self._write_lock = self._write_lock, None
        if lock is not None:
            lock.release()

    async def commit(self) -> None:
        try:
            await _patiently(self._conn.commit)
        finally:
            if not self._conn.in_transaction:
                self._release_write_lock()

    async def rollback(self) -> None:
        try:
            self._conn.rollback()
        finally:
            self._release_write_lock()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        try:
            self._conn.close()
        finally:
            self._release_write_lock()

    def stop(self) -> None:
        """Terminates at once (SQLAlchemy's hard close): there is no thread to stop."""
        self._release_write_lock()
        self._conn.close()


def connector(database: str) -> Callable[[], Any]:
    """The ``async_creator`` for ``create_async_engine`` on the SQLite file ``database``."""

    path = os.path.abspath(database)

    async def connect() -> InlineConnection:
        return InlineConnection(path)

    return connect
