"""Migration 0008 on a database that holds orders: free-text cancellation reasons become
Connect's values, the tip columns come and go."""

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from aftercart.db.migrate import upgrade
from tests.db import rows
from tests.db.migrations import column_names, downgrade_to, reflected, scratch_engine

#: (workflow_state, reason before, reason after)
CASES = [
    ("canceled", "Canceled by the retailer", "retailer_driven"),
    ("canceled", "Canceled by Instacart (sandbox simulated callback)", "instacart_driven"),
    ("canceled", "shopper_driven", "shopper_driven"),
    ("canceled", "The dog ate it", "other"),
    ("canceled", None, "other"),
    ("brand_new", None, None),
]


def _fill(connection: Connection) -> None:
    orders = reflected(connection, "orders")
    for n, (state, reason, _) in enumerate(CASES):
        made = rows.insert(connection, orders)
        connection.execute(
            orders.update()
            .where(orders.c.id == made["id"])
            .values(order_id=f"m-{n}", workflow_state=state, cancellation_reason=reason)
        )


def _reasons(connection: Connection) -> list[str | None]:
    orders = reflected(connection, "orders")
    found = connection.execute(
        sa.select(orders.c.order_id, orders.c.cancellation_reason).where(
            orders.c.order_id.like("m-%")
        )
    )
    return [reason for _, reason in sorted(found)]


async def test_0008_maps_reasons_and_adds_the_tip_columns(tmp_path: Path) -> None:
    tips = {"tip_amount_cents", "tip_adjusted_at"}
    async with scratch_engine(tmp_path) as engine:
        await upgrade(engine, "0007")
        async with engine.begin() as connection:
            await connection.run_sync(_fill)
        await upgrade(engine, "0008")
        async with engine.begin() as connection:
            assert await connection.run_sync(_reasons) == [after for *_, after in CASES]
            assert tips <= await connection.run_sync(column_names("orders"))
            await connection.run_sync(downgrade_to("0007"))
        async with engine.begin() as connection:
            assert not tips & await connection.run_sync(column_names("orders"))
            reasons = await connection.run_sync(_reasons)
        assert reasons[:2] == [CASES[0][1], CASES[1][1]]
