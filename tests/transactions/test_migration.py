"""Migration 0007 creates ``pos_transactions`` and takes it away again (the whole schema is
compared with the models in tests/db/test_ids.py)."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aftercart.db.migrate import upgrade
from tests.db.migrations import downgrade_to, scratch_engine


def _tables(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def _indexes(connection: Connection) -> set[str]:
    indexes = sa.inspect(connection).get_indexes("pos_transactions")
    return {index["name"] or "" for index in indexes}


async def test_0007_creates_the_table_and_its_downgrade_drops_it(tmp_path: Path) -> None:
    async with scratch_engine(tmp_path) as engine:
        await upgrade(engine, "0007")
        async with engine.connect() as connection:
            assert "pos_transactions" in await connection.run_sync(_tables)
            assert await connection.run_sync(_indexes) == {
                "ix_pos_transactions_received_at",
                "ix_pos_transactions_order_pk_received_at",
            }
        async with engine.begin() as connection:
            await connection.run_sync(downgrade_to("0006"))
        async with engine.connect() as connection:
            assert "pos_transactions" not in await connection.run_sync(_tables)
        await upgrade(engine, "0007")
        async with engine.connect() as connection:
            assert "pos_transactions" in await connection.run_sync(_tables)
