"""Migration 0013 on a database that holds orders: the rating reminder column comes (orders
delivered before it count as reminded) and goes."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aftercart.db.migrate import upgrade
from tests.db import rows
from tests.db.migrations import column_names, downgrade_to, reflected, scratch_engine

DELIVERED_AT = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)


def _fill(connection: Connection) -> None:
    orders = reflected(connection, "orders")
    for order_id, state, delivered_at in [
        ("m-delivered", "completed", DELIVERED_AT),
        ("m-under-way", "picking", None),
    ]:
        made = rows.insert(connection, orders)
        connection.execute(
            orders.update()
            .where(orders.c.id == made["id"])
            .values(order_id=order_id, workflow_state=state, delivered_at=delivered_at)
        )


def _reminded(connection: Connection) -> dict[str, bool]:
    """Whether each order's reminder column is its delivered_at (one of them is None)."""
    orders = reflected(connection, "orders")
    found = connection.execute(
        sa.select(orders.c.order_id, orders.c.rating_reminder_at, orders.c.delivered_at)
    )
    return {order_id: reminder is not None and reminder == at for order_id, reminder, at in found}


async def test_0013_counts_orders_delivered_before_it_as_reminded(tmp_path: Path) -> None:
    async with scratch_engine(tmp_path) as engine:
        await upgrade(engine, "0012")
        async with engine.begin() as connection:
            await connection.run_sync(_fill)
        await upgrade(engine, "0013")
        async with engine.begin() as connection:
            assert await connection.run_sync(_reminded) == {
                "m-delivered": True,
                "m-under-way": False,
            }
            await connection.run_sync(downgrade_to("0012"))
        async with engine.connect() as connection:
            assert "rating_reminder_at" not in await connection.run_sync(column_names("orders"))
        await upgrade(engine)
        async with engine.connect() as connection:
            assert "rating_reminder_at" in await connection.run_sync(column_names("orders"))
