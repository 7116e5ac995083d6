"""Many orders, fast, for ``bench/read_scale.py``.

The measured order is made with the test factories; the filler around it is written in bulk: core
``insert()`` with executemany in large batches on SQLite (values go through SQLAlchemy's column
types, so they are stored exactly as the app stores them), one ``INSERT … SELECT`` from
``generate_series`` per batch on PostgreSQL. Filler orders take explicit ids after the measured
one's, belong to one user in ten and one of a few stores, and have 1 to 3 lines each.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from aftercart.db.types import utcnow
from aftercart.models import Order, OrderItem, Store, User

BATCH = 50_000
STORES = 50
ORDERS_PER_USER = 10
ADDRESS = '{"address_line_1": "500 Howard St", "postal_code": "94105"}'

Advance = Callable[[int], None]


async def fill(
    engine: AsyncEngine, *, first_id: int, count: int, products: list[int], advance: Advance
) -> None:
    """``count`` filler orders with ids from ``first_id``; their lines use ``products``."""
    users = max(1, count // ORDERS_PER_USER)
    writer = _fill_postgres if engine.dialect.name == "postgresql" else _fill_sqlite
    await writer(engine, first_id, count, users, products, advance)


async def _fill_sqlite(
    engine: AsyncEngine,
    first_id: int,
    count: int,
    users: int,
    products: list[int],
    advance: Advance,
) -> None:
    now = utcnow()
    async with engine.begin() as connection:
        await connection.execute(insert(Store), [_store(n, now) for n in range(STORES)])
        for start in range(0, users, BATCH):
            rows = [_user(n, now) for n in range(start, min(users, start + BATCH))]
            await connection.execute(insert(User), rows)
    last = first_id + count
    for start in range(first_id, last, BATCH):
        ids = range(start, min(last, start + BATCH))
        async with engine.begin() as connection:
            await connection.execute(insert(Order), [_order(n, users, now) for n in ids])
            lines = [_line(n, k, products, now) for n in ids for k in range(1, 2 + n % 3)]
            await connection.execute(insert(OrderItem), lines)
        advance(len(ids))


def _store(n: int, now: Any) -> dict[str, Any]:
    return {
        "location_code": f"filler-store-{n}",
        "name": f"Filler Grocer {n}",
        "address_line_1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "latitude": 37.79,
        "longitude": -122.39,
        "pickup": True,
        "delivery": True,
        "created_at": now,
        "updated_at": now,
    }


def _user(n: int, now: Any) -> dict[str, Any]:
    return {
        "user_id": f"filler-user-{n}",
        "first_name": "Filler",
        "last_name": str(n),
        "active": True,
        "created_at": now,
        "updated_at": now,
    }


def _order(n: int, users: int, now: Any) -> dict[str, Any]:
    delivery = n % 2 == 0
    return {
        "id": n,
        "order_id": f"filler-{n}",
        "user_id": f"filler-user-{n % users}",
        "service_type": "delivery" if delivery else "pickup",
        "workflow_state": "delivered" if n % 5 else "brand_new",
        "location_code": f"filler-store-{n % STORES}",
        "window_starts_at": now + timedelta(hours=2),
        "window_ends_at": now + timedelta(hours=3),
        "initial_tip_cents": 500,
        "leave_unattended": False,
        "paid_with_ebt": False,
        "customer": {},
        "address": {"address_line_1": "500 Howard St", "postal_code": "94105"}
        if delivery
        else None,
        "late": False,
        "rescheduled": False,
        "created_at": now,
        "updated_at": now,
    }


def _line(n: int, k: int, products: list[int], now: Any) -> dict[str, Any]:
    return {
        "order_pk": n,
        "line_num": str(k),
        "product_id": products[(n + k) % len(products)],
        "count": 2,
        "replacement_policy": "shoppers_choice",
        "replacement_items": [],
        "removed": False,
        "added_by_shopper": False,
        "shopper_status": "not_found",
        "scans": [],
        "created_at": now,
        "updated_at": now,
    }


_PG_STORES = """
INSERT INTO stores (location_code, name, address_line_1, city, state, postal_code, latitude,
                    longitude, pickup, delivery, created_at, updated_at)
SELECT 'filler-store-' || g, 'Filler Grocer ' || g, '1 Market St', 'San Francisco', 'CA',
       '94105', 37.79, -122.39, true, true, now(), now()
FROM generate_series(0, CAST(:stores AS integer) - 1) AS g
"""
_PG_USERS = """
INSERT INTO users (user_id, first_name, last_name, active, created_at, updated_at)
SELECT 'filler-user-' || g, 'Filler', g::text, true, now(), now()
FROM generate_series(0, CAST(:users AS integer) - 1) AS g
"""
_PG_ORDERS = f"""
INSERT INTO orders (id, order_id, user_id, service_type, workflow_state, location_code,
                    window_starts_at, window_ends_at, initial_tip_cents, leave_unattended,
                    paid_with_ebt, customer, address, late, rescheduled, created_at, updated_at)
SELECT g, 'filler-' || g, 'filler-user-' || (g % CAST(:users AS integer)),
       CASE WHEN g % 2 = 0 THEN 'delivery' ELSE 'pickup' END,
       CASE WHEN g % 5 = 0 THEN 'brand_new' ELSE 'delivered' END,
       'filler-store-' || (g % {STORES}),
       now() + interval '2 hours', now() + interval '3 hours', 500, false, false, '{{}}'::json,
       CASE WHEN g % 2 = 0 THEN '{ADDRESS}'::json END, false, false, now(), now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
"""
_PG_LINES = """
INSERT INTO order_items (order_pk, line_num, product_id, count, replacement_policy,
                         replacement_items, removed, added_by_shopper, shopper_status, scans,
                         created_at, updated_at)
SELECT g, k::text, (CAST(:products AS integer[]))[1 + (g + k) % CAST(:count AS integer)], 2,
       'shoppers_choice', '[]'::json, false, false, 'not_found', '[]'::json, now(), now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g,
     generate_series(1, 1 + g % 3) AS k
"""


async def _fill_postgres(
    engine: AsyncEngine,
    first_id: int,
    count: int,
    users: int,
    products: list[int],
    advance: Advance,
) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(_PG_STORES), {"stores": STORES})
        await connection.execute(text(_PG_USERS), {"users": users})
    last = first_id + count
    for start in range(first_id, last, BATCH):
        end = min(last, start + BATCH) - 1
        bounds = {"first": start, "last": end}
        async with engine.begin() as connection:
            await connection.execute(text(_PG_ORDERS), {**bounds, "users": users})
            await connection.execute(
                text(_PG_LINES), {**bounds, "products": products, "count": len(products)}
            )
        advance(end - start + 1)
    async with engine.begin() as connection:
        await _after_explicit_ids(connection)


async def _after_explicit_ids(connection: AsyncConnection) -> None:
    """The orders sequence moves past the ids given by hand, and the planner learns the new
    sizes now rather than whenever autovacuum gets to it."""
    await connection.execute(
        text("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))")
    )
    await connection.execute(text("ANALYZE"))
