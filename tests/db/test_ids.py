"""An id is never handed out twice, even after the newest row is deleted: ``AUTOINCREMENT`` on
SQLite, sequences on PostgreSQL; migration 0003 gives existing SQLite tables that guarantee."""

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aftercart.db.engine import create_engine
from aftercart.db.migrate import alembic_config, upgrade
from aftercart.models import Base
from tests.conftest import POSTGRES_URL
from tests.db import rows
from tests.stream.processes import scratch_database

#: Tables whose ids leave the database: shown on the wire or by the CLI, kept by clients (the
#: sandbox's internal ids included), used as a cursor or as a ``webhook-id``.
NEVER_REUSED = {
    "auth_changes": "a cursor: every process compares the newest id with the last one it saw",
    "autopilots": "sandbox autopilot ids, shown and used to read and stop one",
    "autopilot_runs": "the run ids an autopilot's steps are keyed by (the clock's Due.key)",
    "tenants": "tenant ids, shown by the CLI and named by `clients create --tenant`",
    "batches": "the sandbox batch id",
    "chat_messages": "message ids; their order is the conversation's",
    "events": "stream and webhook cursors (Last-Event-ID, event_id)",
    "instacart_users": "sandbox Instacart user ids, authorized and kept by clients",
    "monitored_requests": "the request monitor's ids and its list's cursor",
    "order_items": "line ids under X-Treat-Ids-As-Internal",
    "orders": "order ids under X-Treat-Ids-As-Internal; the stream's and events' order_pk",
    "products": "a product's id when it has neither UPC nor RRC",
    "sandbox_faults": "fault rule ids, shown and used to remove a rule",
    "ratings": "rating ids and the ratings cursor",
    "service_option_holds": "service_option_hold_id, given back when the order is created",
    "service_options": "service_option_id, given back to reserve",
    "shoppers": "sandbox shopper ids",
    "webhook_deliveries": "delivery ids and the webhook-id receivers de-duplicate on",
    "webhook_subscriptions": "subscription ids in /v2/webhooks/{id} and the CLI",
}
#: Integer keys that stay inside: reusing one cannot confuse anybody.
KEPT_INSIDE = {
    "access_tokens": "found by the token's hash; the id is never shown",
    "stream_leases": "deleted by id only together with the owning process's id; never shown",
    "webhook_attempts": "shown without an id, inside their delivery and in id order there",
}
#: Tables created after 0003, with ``AUTOINCREMENT`` from the start.
CREATED_AFTER_0003 = {
    "autopilot_runs",
    "autopilots",
    "instacart_users",
    "monitored_requests",
    "sandbox_faults",
    "tenants",
}
#: The tables migration 0003 rebuilt (``auth_changes`` was created with AUTOINCREMENT in 0002).
REBUILT = sorted(set(NEVER_REUSED) - {"auth_changes"} - CREATED_AFTER_0003)

MODEL_TABLES = Base.metadata.tables


def test_every_generated_integer_key_is_decided() -> None:
    generated = {t.name for t in MODEL_TABLES.values() if t.autoincrement_column is not None}
    assert generated == set(NEVER_REUSED) | set(KEPT_INSIDE)
    for name in generated:
        declared = MODEL_TABLES[name].dialect_options["sqlite"]["autoincrement"]
        assert declared is (name in NEVER_REUSED), name


async def _run(
    sessions: async_sessionmaker[AsyncSession], work: Callable[[Connection], Any]
) -> Any:
    async with sessions() as session:
        connection = await session.connection()
        result = await connection.run_sync(work)
        await session.commit()
    return result


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _autoincrement_tables(connection: Connection) -> set[str]:
    found = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'"
    )
    return set(found.scalars())


async def test_the_migrated_database_matches_the_models(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await _run(sessions, _differences) == []
    async with sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            # Alembic does not compare table options: check AUTOINCREMENT itself.
            connection = await session.connection()
            assert await connection.run_sync(_autoincrement_tables) == set(NEVER_REUSED)


@pytest.mark.parametrize("table", sorted(NEVER_REUSED))
async def test_the_id_of_a_deleted_newest_row_is_not_handed_out_again(
    sessions: async_sessionmaker[AsyncSession], table: str
) -> None:
    deleted, new = await _run(
        sessions, lambda c: rows.reissued_after_delete(c, MODEL_TABLES[table])
    )
    assert new > deleted


# Migration 0003 on a database that holds rows


async def _snapshot(engine: AsyncEngine) -> dict[str, Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(rows.snapshot)


def _fill(connection: Connection) -> None:
    """Two rows in every rebuilt table (with their parents) and attempts for the deliveries,
    so that the tables that refer to rebuilt ones hold rows too."""
    schema = sa.MetaData()
    schema.reflect(connection)
    for name in [*REBUILT, *REBUILT, "webhook_attempts"]:
        rows.insert(connection, schema.tables[name])


def _check_keys_still_hold(connection: Connection) -> None:
    """Foreign keys are still enforced, their actions included."""
    schema = sa.MetaData()
    schema.reflect(connection)
    orders, items = schema.tables["orders"], schema.tables["order_items"]
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(items.update().values(order_pk=10**6))
    order_pk = connection.execute(sa.select(items.c.order_pk).limit(1)).scalar_one()
    connection.execute(orders.delete().where(orders.c.id == order_pk))
    assert connection.scalar(sa.select(sa.func.count()).where(items.c.order_pk == order_pk)) == 0


def _reissue_everywhere(connection: Connection) -> dict[str, tuple[int, int]]:
    schema = sa.MetaData()
    schema.reflect(connection)
    return {name: rows.reissued_after_delete(connection, schema.tables[name]) for name in REBUILT}


def _sequences(connection: Connection) -> dict[str, int]:
    found = connection.exec_driver_sql("SELECT name, seq FROM sqlite_sequence")
    return {name: seq for name, seq in found}


@contextlib.asynccontextmanager
async def _filled_at(folder: Path, revision: str) -> AsyncIterator[AsyncEngine]:
    """A scratch database migrated to ``revision`` and filled by :func:`_fill`."""
    async with scratch_database(folder, POSTGRES_URL) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine, revision)
            async with engine.begin() as connection:
                await connection.run_sync(_fill)
            yield engine
        finally:
            await engine.dispose()


async def test_0003_keeps_rows_and_keys_and_then_never_reuses_an_id(tmp_path: Path) -> None:
    async with _filled_at(tmp_path, "0002") as engine:
        before = await _snapshot(engine)

        await upgrade(engine, "0003")
        after = await _snapshot(engine)
        assert after == before
        sqlite = engine.dialect.name == "sqlite"
        async with engine.begin() as connection:
            if sqlite:
                assert await connection.run_sync(_autoincrement_tables) == (
                    set(NEVER_REUSED) - CREATED_AFTER_0003
                )
                # Putting the rows back recorded every table's largest id.
                largest = {name: max(r[0] for r in after[name]["rows"]) for name in REBUILT}
                assert await connection.run_sync(_sequences) == largest
            reissued = await connection.run_sync(_reissue_everywhere)
            await connection.run_sync(_check_keys_still_hold)
        assert {name: new > deleted for name, (deleted, new) in reissued.items()} == {
            name: True for name in REBUILT
        }


async def test_0003_downgrades_to_the_0002_schema_with_its_rows(tmp_path: Path) -> None:
    async with _filled_at(tmp_path, "0003") as engine:
        before = await _snapshot(engine)
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade_to_0002)
            if engine.dialect.name == "sqlite":
                assert await connection.run_sync(_autoincrement_tables) == {"auth_changes"}
        assert await _snapshot(engine) == before


def _downgrade_to_0002(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0002")
