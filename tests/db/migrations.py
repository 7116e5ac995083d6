"""Running one migration test: a scratch database, and downgrades and schema reads to run on a
connection (``await connection.run_sync(...)``)."""

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from aftercart.db.engine import create_engine
from aftercart.db.migrate import alembic_config
from tests.conftest import POSTGRES_URL
from tests.stream.processes import scratch_database


@contextlib.asynccontextmanager
async def scratch_engine(folder: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty database of its own (on PostgreSQL when the suite runs there)."""
    async with scratch_database(folder, POSTGRES_URL) as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()


def downgrade_to(revision: str) -> Callable[[Connection], None]:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    return downgrade


def column_names(table: str) -> Callable[[Connection], set[str]]:
    def names(connection: Connection) -> set[str]:
        return {column["name"] for column in sa.inspect(connection).get_columns(table)}

    return names


def reflected(connection: Connection, table: str) -> sa.Table:
    """``table`` as the database has it now, with the tables it refers to (for ``rows.insert``)."""
    schema = sa.MetaData()
    schema.reflect(connection, only=[table], resolve_fks=True)
    return schema.tables[table]
