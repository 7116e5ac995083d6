"""Finding (and locking) the orders and items that sandbox paths name.

``X-Treat-Ids-As-Internal: true`` lets a client name an order by our numeric ``orders.id`` and a
line by our numeric ``order_items.id``; an id that matches nothing internal is then read as the
retailer's ``order_id`` / ``line_num``, so clients that copy the header from Connect's examples
keep working with their own ids.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from aftercart.db.tenancy import serve_tenant
from aftercart.errors import Forbidden, IncompatibleOrderStatus, NotFound
from aftercart.fulfillment.lookup import order_for_update
from aftercart.fulfillment.rules import PICKING_STATES
from aftercart.models import Order, OrderItem


def internal_id(ref: str, internal: bool = True) -> int | None:
    """The ref as an internal id, when the header asks for that and it can be one."""
    if internal and ref.isascii() and ref.isdigit() and len(ref) < 10:
        return int(ref)
    return None


class AmbiguousOrder(Exception):
    """Several tenants have an order of that id, and none was named."""


async def order_of_tenant(session: AsyncSession, order_id: str, tenant_id: int | None) -> Order:
    """For the CLI, which serves no tenant: the order of ``tenant_id``, which may be left out
    while only one tenant has an order of that id (:class:`AmbiguousOrder` otherwise); an
    unknown order is ``NotFound``. The session then serves the order's tenant."""
    statement = select(Order).where(Order.order_id == order_id).limit(2)
    if tenant_id is not None:
        statement = statement.where(Order.tenant_id == tenant_id)
    found = list(await session.scalars(statement))
    if not found:
        raise NotFound()
    if len(found) > 1:
        raise AmbiguousOrder(f"several tenants have an order {order_id!r}: name one with --tenant")
    serve_tenant(session, found[0].tenant_id)
    return found[0]


async def find_locked_order(
    session: AsyncSession, order_ref: str, *, internal: bool, with_items: bool = True
) -> Order | None:
    """The order (items and products loaded unless ``with_items`` is false), row-locked until
    commit."""
    order_id = order_ref
    if (pk := internal_id(order_ref, internal)) is not None:
        order_id = await session.scalar(select(Order.order_id).where(Order.id == pk)) or order_ref
    return await order_for_update(session, order_id, with_items=with_items)


async def locked_order(
    session: AsyncSession, order_ref: str, *, internal: bool, with_items: bool = True
) -> Order:
    order = await find_locked_order(session, order_ref, internal=internal, with_items=with_items)
    if order is None:
        raise NotFound()
    return order


@dataclass(frozen=True)
class ShopperOrderRef:
    """``/shoppers/{shopper_id}/orders/{order_id}`` and how to read its ids."""

    shopper_id: int
    order_id: str
    internal: bool = False


async def shoppers_order(
    session: AsyncSession, ref: ShopperOrderRef, *, with_items: bool = True
) -> Order:
    """The order, locked, if ``ref.shopper_id`` is its shopper (else 403)."""
    order = await locked_order(session, ref.order_id, internal=ref.internal, with_items=with_items)
    if order.shopper_id != ref.shopper_id:
        # Connect documents this 403 with code null.
        raise Forbidden("Shopper is not assigned to this order", code=None)
    return order


def require_picking(order: Order) -> None:
    if order.workflow_state not in PICKING_STATES:
        raise IncompatibleOrderStatus()


_LINES = (
    select(OrderItem)
    .where(OrderItem.order_pk == bindparam("order_pk"), ~OrderItem.removed)
    .options(joinedload(OrderItem.product), joinedload(OrderItem.replacement_product))
    .execution_options(populate_existing=True)
)
#: Built once, like :mod:`aftercart.fulfillment.lookup`'s statements.
_LINE_BY_NUM = _LINES.where(OrderItem.line_num == bindparam("line_num"))
_LINE_BY_NUM_OR_ID = _LINES.where(
    (OrderItem.line_num == bindparam("line_num")) | (OrderItem.id == bindparam("pk"))
)


async def order_line(
    session: AsyncSession, order: Order, line_ref: str, *, internal: bool
) -> OrderItem:
    """One line of the order (not removed) with its products: by internal id when the header
    asks for that and one matches, else by ``line_num``."""
    pk = internal_id(line_ref, internal)
    params: dict[str, object] = {"order_pk": order.id, "line_num": line_ref}
    statement = _LINE_BY_NUM
    if pk is not None:
        statement, params["pk"] = _LINE_BY_NUM_OR_ID, pk
    lines = list(await session.scalars(statement, params))
    if pk is not None:
        for item in lines:
            if item.id == pk:
                return item
    for item in lines:
        if item.line_num == line_ref:
            return item
    raise NotFound("Order item not found.")
