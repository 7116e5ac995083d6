"""An order with its lines and their products, read in one query as plain values.

Reads render from these rather than from ORM objects: one round trip, and no identity map or
relationship bookkeeping for a list that is only turned into JSON. Writes, which hold ORM
objects anyway, render through :func:`snapshot_of`, so that each answer is built one way.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from aftercart.fulfillment import rules
from aftercart.models import Order, OrderItem, Product, User


@dataclass(frozen=True, slots=True)
class ProductCodes:
    id: int
    name: str
    upc: str | None
    rrc: str | None


@dataclass(frozen=True, slots=True)
class Line:
    line_num: str
    count: int | None
    weight: Decimal | None
    special_instructions: str | None
    replacement_policy: str
    replacement_items: list[dict[str, Any]]
    added_by_shopper: bool
    shopper_status: str
    delivered_count: int | None
    delivered_weight: Decimal | None
    replacement_status: str | None
    product: ProductCodes
    replacement_product: ProductCodes | None

    @property
    def delivered_product(self) -> ProductCodes | None:
        return rules.delivered_product(self)


@dataclass(frozen=True, slots=True)
class OrderSnapshot:
    """The order's own fields that answers show, and its lines (removed ones left out)."""

    pk: int
    order_id: str
    user_id: str
    service_type: str
    workflow_state: str
    location_code: str
    created_at: datetime
    cancellation_reason: str | None
    locale: str | None
    window_starts_at: datetime | None
    window_ends_at: datetime | None
    delivered_at: datetime | None
    lines: tuple[Line, ...]


_replacement = aliased(Product)
_ORDER_COLUMNS = (
    Order.id,
    Order.order_id,
    Order.user_id,
    Order.service_type,
    Order.workflow_state,
    Order.location_code,
    Order.created_at,
    Order.cancellation_reason,
    Order.locale,
    Order.window_starts_at,
    Order.window_ends_at,
    Order.delivered_at,
)
_LINE_COLUMNS = (
    OrderItem.line_num,
    OrderItem.count.label("line_count"),
    OrderItem.weight,
    OrderItem.special_instructions,
    OrderItem.replacement_policy,
    OrderItem.replacement_items,
    OrderItem.added_by_shopper,
    OrderItem.shopper_status,
    OrderItem.delivered_count,
    OrderItem.delivered_weight,
    OrderItem.replacement_status,
    Product.id.label("product_pk"),
    Product.name.label("product_name"),
    Product.upc.label("product_upc"),
    Product.rrc.label("product_rrc"),
    _replacement.id.label("replacement_pk"),
    _replacement.name.label("replacement_name"),
    _replacement.upc.label("replacement_upc"),
    _replacement.rrc.label("replacement_rrc"),
)


def _with_lines(statement: Any) -> Any:
    """Joins each order of ``statement`` to its lines (none: one row of NULLs)."""
    return (
        statement.add_columns(*_LINE_COLUMNS)
        .outerjoin(OrderItem, (OrderItem.order_pk == Order.id) & ~OrderItem.removed)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .outerjoin(_replacement, _replacement.id == OrderItem.replacement_product_id)
        .order_by(OrderItem.id)
    )


def _line(
    source: Any, *, count: int | None, product: ProductCodes, replacement: ProductCodes | None
) -> Line:
    """From a joined row or an ORM item: both carry the item's own fields by name."""
    return Line(
        line_num=source.line_num,
        count=count,
        weight=source.weight,
        special_instructions=source.special_instructions,
        replacement_policy=source.replacement_policy,
        replacement_items=list(source.replacement_items or []),
        added_by_shopper=source.added_by_shopper,
        shopper_status=source.shopper_status,
        delivered_count=source.delivered_count,
        delivered_weight=source.delivered_weight,
        replacement_status=source.replacement_status,
        product=product,
        replacement_product=replacement,
    )


def _order(source: Any, *, pk: int, lines: tuple[Line, ...]) -> OrderSnapshot:
    """From a joined row or an ORM order: both carry the order's own fields by name."""
    return OrderSnapshot(
        pk=pk,
        order_id=source.order_id,
        user_id=source.user_id,
        service_type=source.service_type,
        workflow_state=source.workflow_state,
        location_code=source.location_code,
        created_at=source.created_at,
        cancellation_reason=source.cancellation_reason,
        locale=source.locale,
        window_starts_at=source.window_starts_at,
        window_ends_at=source.window_ends_at,
        delivered_at=source.delivered_at,
        lines=lines,
    )


def _row_line(row: Row[Any]) -> Line:
    replacement = None
    if row.replacement_pk is not None:
        replacement = ProductCodes(
            row.replacement_pk, row.replacement_name, row.replacement_upc, row.replacement_rrc
        )
    product = ProductCodes(row.product_pk, row.product_name, row.product_upc, row.product_rrc)
    return _line(row, count=row.line_count, product=product, replacement=replacement)


def _snapshot(rows: list[Row[Any]]) -> OrderSnapshot:
    lines = tuple(_row_line(row) for row in rows if row.line_num is not None)
    return _order(rows[0], pk=rows[0].id, lines=lines)


#: Built once: constructing these joins (and their cache keys) costs more than running them.
_USERS_ORDER = _with_lines(
    select(*_ORDER_COLUMNS).where(
        Order.order_id == bindparam("order_id"), Order.user_id == bindparam("user_id")
    )
)
_USER_AND_ORDER = _with_lines(
    select(User.active, *_ORDER_COLUMNS)
    .select_from(User)
    .outerjoin(Order, (Order.user_id == User.user_id) & (Order.order_id == bindparam("order_id")))
    .where(User.user_id == bindparam("user_id"))
)


_ORDER_BY_ID = _with_lines(select(*_ORDER_COLUMNS).where(Order.order_id == bindparam("order_id")))


async def read_order_by_id(session: AsyncSession, order_id: str) -> OrderSnapshot | None:
    """Any user's order: for the status page, whose signed link stands in for the user."""
    rows = list(await session.execute(_ORDER_BY_ID, {"order_id": order_id}))
    return _snapshot(rows) if rows else None


async def read_order(
    session: AsyncSession, *, order_id: str, user_id: str | None
) -> OrderSnapshot | None:
    """The order if it is ``user_id``'s (another user's order is a missing one)."""
    if user_id is None:
        return None
    params = {"order_id": order_id, "user_id": user_id}
    rows = list(await session.execute(_USERS_ORDER, params))
    return _snapshot(rows) if rows else None


@dataclass(frozen=True, slots=True)
class UserOrder:
    """Whether the user exists and is active, and their order if they have it."""

    user_found: bool
    user_active: bool
    order: OrderSnapshot | None


async def read_user_order(session: AsyncSession, *, user_id: str, order_id: str) -> UserOrder:
    """The user's state and order in one query (the user row, joined to the order if any)."""
    params = {"order_id": order_id, "user_id": user_id}
    rows = list(await session.execute(_USER_AND_ORDER, params))
    if not rows:
        return UserOrder(False, False, None)
    order = _snapshot(rows) if rows[0].id is not None else None
    return UserOrder(True, bool(rows[0].active), order)


def _codes(product: Product) -> ProductCodes:
    return ProductCodes(product.id, product.name, product.upc, product.rrc)


def _replacement_codes(item: OrderItem) -> ProductCodes | None:
    """Reads the relationship only when there is a replacement: a new item has it unloaded."""
    if item.replacement_product_id is None or item.replacement_product is None:
        return None
    return _codes(item.replacement_product)


def snapshot_of(order: Order) -> OrderSnapshot:
    """The snapshot of an order loaded with its items and their products (a write's result)."""
    lines = tuple(
        _line(
            item,
            count=item.count,
            product=_codes(item.product),
            replacement=_replacement_codes(item),
        )
        for item in order.items
        if not item.removed
    )
    return _order(order, pk=order.id, lines=lines)
