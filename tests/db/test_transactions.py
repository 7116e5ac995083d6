"""How requests reach the database: reads never wait for a writer; what a transaction defers
runs only after it commits."""

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db import aftercommit
from aftercart.db.aftercommit import AfterCommit, DeliveriesDue
from aftercart.db.engine import create_engine, session_factory
from tests import factories

READ_BUDGET_SECONDS = 5.0


@contextlib.contextmanager
def _sqlite_writer(database_url: str) -> Iterator[None]:
    connection = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE orders SET special_instructions = 'held'")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


@contextlib.asynccontextmanager
async def _writer_holding_the_orders(database_url: str) -> AsyncIterator[None]:
    """Another connection in the middle of a write transaction on ``orders``."""
    if make_url(database_url).get_backend_name() == "sqlite":
        with _sqlite_writer(database_url):
            yield
        return
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection, connection.begin():
            await connection.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
            yield
    finally:
        await engine.dispose()


async def test_a_read_is_answered_while_another_connection_is_writing(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    creds: factories.IssuedCredentials,
    database_url: str,
) -> None:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        product = await factories.insert_product(session)
        order = await factories.insert_order(session, user=user, store=store, products=[product])
        await session.commit()
    headers = factories.bearer(await factories.user_token(http, creds, user.user_id))
    path = f"/v2/post_checkout/orders/{order.order_id}/items"
    assert (await http.get(path, headers=headers)).status_code == 200
    async with _writer_holding_the_orders(database_url):
        async with asyncio.timeout(READ_BUDGET_SECONDS):
            response = await http.get(path, headers=headers)
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == ["1"]


async def test_deferred_work_runs_after_commit_and_never_after_rollback(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    seen: list[object] = []
    handlers = AfterCommit()
    handlers.on(DeliveriesDue, seen.append)
    engine = create_engine(database_url)
    try:
        own = session_factory(engine, handlers)
        async with own() as session:
            aftercommit.defer(session, DeliveriesDue())
            await session.rollback()
            aftercommit.take(session)
        assert seen == []
        async with own() as session:
            await session.scalar(text("SELECT 1"))
            aftercommit.defer(session, DeliveriesDue())
            assert seen == []
            await session.commit()
            aftercommit.committed(session)
        assert seen == [DeliveriesDue()]
    finally:
        await engine.dispose()


async def test_a_failing_handler_does_not_stop_the_others() -> None:
    seen: list[str] = []
    handlers = AfterCommit()

    def fail(_note: object) -> None:
        raise RuntimeError("boom")

    handlers.on(DeliveriesDue, fail)
    handlers.on(DeliveriesDue, lambda _note: seen.append("ran"))
    handlers.run([DeliveriesDue()])
    assert seen == ["ran"]
