"""Engines. SQLite is set up as a real database: WAL, foreign keys, immediate writes, deferred
reads, and statements run on the event loop's thread (:mod:`aftercart.db.sqlite_inline`)."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

from aftercart.db import aftercommit, sqlite_inline
from aftercart.db.aftercommit import AfterCommit

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: An execution option naming how a SQLite transaction begins (``IMMEDIATE`` unless set).
SQLITE_BEGIN = "aftercart_sqlite_begin"
#: PostgreSQL connections are replaced after this long, instead of being pinged before each use;
#: one that the server dropped fails its request once and is discarded by the pool.
POOL_RECYCLE_SECONDS = 1800
#: PostgreSQL connections each process keeps open. A connection beyond them is closed as soon as
#: it is returned, and opening one costs more than the requests it serves, so the kept ones cover
#: the concurrency a process sees (measured: bench.profile_hot_path, bench.api_throughput).
POOL_SIZE = 30
#: Connections a process may open beyond :data:`POOL_SIZE` under a burst.
MAX_OVERFLOW = 10


def normalize_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs by picking the async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW, **kwargs: Any
) -> AsyncEngine:
    """An engine on ``url``; ``pool_size`` and ``max_overflow`` apply to PostgreSQL."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database or ""
        if database and database != ":memory:":
            creator = sqlite_inline.connector(database)
            engine = create_async_engine(url, async_creator=creator, **kwargs)
            _configure_sqlite(engine, inline=True)
        else:
            engine = create_async_engine(
                url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
            )
            _configure_sqlite(engine, inline=False)
        return engine
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    return create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow, **kwargs)


def _configure_sqlite(engine: AsyncEngine, *, inline: bool) -> None:
    """A transaction starts with ``BEGIN IMMEDIATE`` unless its engine says ``DEFERRED``
    (:func:`read_session_factory`): writers queue on the busy timeout instead of failing with
    "database is locked" when a read lock would have to be upgraded, and readers never queue."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if not inline:  # inline connections start in autocommit, with their own lock waits
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not inline:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def session_factory(
    engine: AsyncEngine, after_commit: AfterCommit | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; with ``after_commit``, :func:`aftercommit.committed` hands what
    a session's transaction deferred to it."""
    info = {} if after_commit is None else {aftercommit.HANDLERS_KEY: after_commit}
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


def read_session_factory(
    engine: AsyncEngine, after_commit: AfterCommit | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read: on SQLite they begin ``DEFERRED``, so they take
    no write lock and read WAL's last committed snapshot while a writer works."""
    return session_factory(engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"}), after_commit)
