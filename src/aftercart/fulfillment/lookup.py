"""Loading orders, shared by every area that reads or changes one.

Changes go through :func:`order_for_update`: on PostgreSQL it locks the order row, so two requests
that change the same order (or its items) run one after the other; on SQLite every write
transaction is already exclusive (``BEGIN IMMEDIATE``).
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from aftercart.models import Order, OrderItem

#: Two queries: the order, then its items joined to their products.
_WITH_ITEMS = (
    selectinload(Order.items).options(
        joinedload(OrderItem.product), joinedload(OrderItem.replacement_product)
    ),
)


async def find_order(
    session: AsyncSession, order_id: str, *, with_items: bool = True
) -> Order | None:
    """The order; with its items and their products unless ``with_items`` is false."""
    statement = select(Order).where(Order.order_id == order_id)
    if with_items:
        statement = statement.options(*_WITH_ITEMS)
    return await session.scalar(statement)


async def order_for_update(
    session: AsyncSession, order_id: str, *, with_items: bool = True
) -> Order | None:
    """The order, with the order row locked until commit; with its items and their products
    unless ``with_items`` is false (for a change to one line, which loads just that line)."""
    statement = (
        select(Order)
        .where(Order.order_id == order_id)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    if with_items:
        statement = statement.options(*_WITH_ITEMS)
    return await session.scalar(statement)
