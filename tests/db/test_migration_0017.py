"""Migration 0017 on a database that holds rows in every table: every row stays, in tenant 1;
keys, foreign keys and (on SQLite) the ids already issued all hold; a retailer's ids become
unique per tenant."""

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from aftercart.db.migrate import upgrade
from tests.db import rows
from tests.db.migrations import scratch_engine

#: The tables that gain ``tenant_id`` (the migration's ``CHANGES``).
TENANT_TABLES = {
    "api_clients",
    "users",
    "orders",
    "access_tokens",
    "user_addresses",
    "user_links",
    "service_option_holds",
    "shoppers",
    "batches",
    "instacart_users",
    "ratings",
    "events",
    "pos_transactions",
}


def _fill(connection: Connection) -> None:
    """Two rows in every table (with their parents); then the newest order deleted, so that
    its id is one SQLite must not hand out again."""
    schema = sa.MetaData()
    schema.reflect(connection)
    for table in schema.sorted_tables:
        if table.name != "alembic_version":
            rows.insert(connection, table)
            rows.insert(connection, table)
    orders = schema.tables["orders"]
    newest = connection.scalar(sa.select(sa.func.max(orders.c.id)))
    children = [t for t in schema.sorted_tables if "order_pk" in t.c]
    for child in children:
        connection.execute(child.delete().where(child.c.order_pk == newest))
    connection.execute(orders.delete().where(orders.c.id == newest))


def _rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as dicts without ``tenant_id``, in key order."""
    schema = sa.MetaData()
    schema.reflect(connection)
    found = {}
    for table in schema.sorted_tables:
        if table.name in ("alembic_version", "tenants"):
            continue
        key = [c for c in table.primary_key.columns if c.name != "tenant_id"]
        selected = connection.execute(sa.select(table).order_by(*key)).mappings()
        found[table.name] = [{k: v for k, v in r.items() if k != "tenant_id"} for r in selected]
    return found


def _tenants_of_rows(connection: Connection) -> dict[str, set[int]]:
    schema = sa.MetaData()
    schema.reflect(connection, only=sorted(TENANT_TABLES))
    return {
        name: set(connection.scalars(sa.select(schema.tables[name].c.tenant_id).distinct()))
        for name in TENANT_TABLES
    }


def _a_second_tenant_shares_the_ids(connection: Connection) -> None:
    schema = sa.MetaData()
    schema.reflect(connection)
    tenants, users, orders = (schema.tables[n] for n in ("tenants", "users", "orders"))
    assert connection.execute(sa.select(tenants.c.id, tenants.c.name)).all() == [(1, "default")]
    second = connection.execute(
        tenants.insert().values(name="second", created_at=sa.func.now())
    ).inserted_primary_key
    assert second is not None
    assert second[0] == 2
    order = connection.execute(sa.select(orders).limit(1)).mappings().one()
    owner = sa.select(users).where(users.c.user_id == order["user_id"])
    user = connection.execute(owner).mappings().one()
    connection.execute(users.insert().values({**user, "tenant_id": 2}))
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(users.insert().values(dict(user)))
    clone = {k: v for k, v in order.items() if k != "id"}
    connection.execute(orders.insert().values({**clone, "tenant_id": 2}))
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(orders.insert().values(clone))
    # An order must name a user of its own tenant.
    stranger = {**clone, "order_id": "not-yet", "user_id": "nobody", "tenant_id": 2}
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(orders.insert().values(stranger))


def _next_order_id(connection: Connection) -> tuple[int, int]:
    """The largest order id ever issued before, and the id a new order gets."""
    schema = sa.MetaData()
    schema.reflect(connection)
    issued = connection.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'orders'")
    return issued.scalar_one(), rows.insert(connection, schema.tables["orders"])["id"]


async def test_0017_keeps_every_row_in_the_default_tenant(tmp_path: Path) -> None:
    async with scratch_engine(tmp_path) as engine:
        await upgrade(engine, "0016")
        async with engine.begin() as connection:
            await connection.run_sync(_fill)
            before = await connection.run_sync(_rows)
        await upgrade(engine, "0017")
        async with engine.begin() as connection:
            assert await connection.run_sync(_rows) == before
            assert await connection.run_sync(_tenants_of_rows) == {
                name: {1} for name in TENANT_TABLES
            }
            await connection.run_sync(_a_second_tenant_shares_the_ids)
            if engine.dialect.name == "sqlite":
                issued, new = await connection.run_sync(_next_order_id)
                assert new > issued
