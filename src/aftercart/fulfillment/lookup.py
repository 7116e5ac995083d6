"""Loading orders, shared by every area that reads or changes one.

Changes go through :func:`order_for_update`: on PostgreSQL it locks the order row, so two requests
that change the same order (or its items) run one after the other; on SQLite every write
transaction is already exclusive (``BEGIN IMMEDIATE``).
"""

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from aftercart.models import Order, OrderItem

#: Two queries: the order, then its items joined to their products.
_WITH_ITEMS = (
    selectinload(Order.items).options(
        joinedload(OrderItem.product), joinedload(OrderItem.replacement_product)
    ),
)


#: Built once: building a statement (its clauses, options and cache key) costs more CPU per
#: request than SQLite takes to run it.
_BY_ID = select(Order).where(Order.order_id == bindparam("order_id"))
_FIND = {False: _BY_ID, True: _BY_ID.options(*_WITH_ITEMS)}
_LOCKED = _BY_ID.with_for_update(of=Order).execution_options(populate_existing=True)
_LOCK = {False: _LOCKED, True: _LOCKED.options(*_WITH_ITEMS)}


async def find_order(
    session: AsyncSession, order_id: str, *, with_items: bool = True
) -> Order | None:
    """The order; with its items and their products unless ``with_items`` is false."""
    return await session.scalar(_FIND[with_items], {"order_id": order_id})


async def order_for_update(
    session: AsyncSession, order_id: str, *, with_items: bool = True
) -> Order | None:
    """The order, with the order row locked until commit; with its items and their products
    unless ``with_items`` is false (for a change to one line, which loads just that line)."""
    return await session.scalar(_LOCK[with_items], {"order_id": order_id})
