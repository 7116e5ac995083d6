"""The shopper's work on an order's lines: update one (Instacart's "Update an order item as a
shopper") or add one.

Checks run in this order, each answering before the next is looked at: the order (404), the
shopper (403), the order's state (3003), the line (404), then the body (400s).

A replacement honours the line's ``replacement_policy`` (400, code 1001, key ``replacement_item``
otherwise): ``no_replacements`` takes none, ``users_choice`` only one of the customer's
``replacement_items``, ``shoppers_choice`` any other product.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.service import find_product
from aftercart.errors import InvalidParameter
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload
from aftercart.fulfillment.rules import replacement_refusal
from aftercart.models import Order, OrderItem, Product
from aftercart.sandbox import rules
from aftercart.sandbox.lookup import ShopperOrderRef, order_line, require_picking, shoppers_order
from aftercart.sandbox.schemas import ItemAdd, ItemRef, ItemUpdate, ScanIn, parse


async def update_item(
    session: AsyncSession,
    *,
    target: ShopperOrderRef,
    line_ref: str,
    body: dict[str, Any] | None,
) -> OrderItem:
    order = await shoppers_order(session, target, with_items=False)
    require_picking(order)
    item = await order_line(session, order, line_ref, internal=target.internal)
    update = parse(ItemUpdate, body)
    outcome = rules.check_item_update(
        status=update.status,
        delivered_count=update.delivered_count,
        delivered_weight=update.delivered_weight,
        has_replacement=update.replacement_item is not None,
        ordered_count=item.count,
        ordered_weight=item.weight,
    )
    replacement = None
    if outcome.status == "replaced":
        assert update.replacement_item is not None
        replacement = await _replacement(session, update.replacement_item, item)
    scans = _checked_scans(update.scans, item.product, replacement)

    item.shopper_status = outcome.status
    item.delivered_count = outcome.delivered_count
    item.delivered_weight = outcome.delivered_weight
    item.replacement_product_id = replacement.id if replacement else None
    item.replacement_product = replacement
    # A new update from the shopper reopens the customer's decision (items.md).
    item.replacement_status = "PENDING" if replacement else None
    item.scans = scans if outcome.status != "not_found" else []
    await session.flush()
    await record_event(
        session, rules.ITEM_EVENTS[outcome.status], order=order, metadata=_item_event(item)
    )
    return item


async def add_item(
    session: AsyncSession, *, target: ShopperOrderRef, body: dict[str, Any] | None
) -> OrderItem:
    """Adds a line the customer did not order; it starts ``found`` and its ordered amount is
    what the shopper delivers. Its ``line_num`` is the next free integer."""
    order = await shoppers_order(session, target)
    require_picking(order)
    addition = parse(ItemAdd, body)
    outcome = rules.check_added_item(
        has_item=addition.item is not None,
        delivered_count=addition.delivered_count,
        delivered_weight=addition.delivered_weight,
    )
    assert addition.item is not None
    product = await _product(session, addition.item, key="item", missing="Item not found.")
    scans = _checked_scans(addition.scans, product, None)
    item = OrderItem(
        order_pk=order.id,
        line_num=_next_line_num(order),
        product_id=product.id,
        product=product,
        replacement_product=None,
        count=outcome.delivered_count,
        weight=outcome.delivered_weight,
        added_by_shopper=True,
        shopper_status=outcome.status,
        delivered_count=outcome.delivered_count,
        delivered_weight=outcome.delivered_weight,
        scans=scans,
    )
    order.items.append(item)
    await session.flush()
    await record_event(session, names.ITEM_ADDED, order=order, metadata=_item_event(item))
    return item


def _item_event(item: OrderItem) -> dict[str, Any]:
    return {"item": item_payload(item)}


def _next_line_num(order: Order) -> str:
    numbers = [int(item.line_num) for item in order.items if item.line_num.isdecimal()]
    return str(max(numbers, default=0) + 1)


async def _product(session: AsyncSession, ref: ItemRef, *, key: str, missing: str) -> Product:
    rules.check_item_reference(ref.upc, ref.rrc, key=key)
    product = await find_product(session, upc=ref.upc, rrc=ref.rrc)
    if product is None:
        raise InvalidParameter(missing, key=key)
    return product


async def _replacement(session: AsyncSession, ref: ItemRef, item: OrderItem) -> Product:
    product = await _product(
        session, ref, key="replacement_item", missing="Replacement item not found."
    )
    if product.id == item.product_id:
        raise InvalidParameter(
            "must be a product other than the ordered one", key="replacement_item"
        )
    refusal = replacement_refusal(
        item.replacement_policy, item.replacement_items, upc=product.upc, rrc=product.rrc
    )
    if refusal:
        raise InvalidParameter(refusal, key="replacement_item")
    return product


def _checked_scans(
    scans: list[ScanIn] | None, product: Product, replacement: Product | None
) -> list[dict[str, str]]:
    """The scans as stored; each must be a valid barcode of the line's product or of its
    replacement."""
    given = [rules.Scan(s.scanned_string, s.scanned_string_type) for s in scans or []]
    expected = [product.upc, product.rrc]
    if replacement is not None:
        expected += [replacement.upc, replacement.rrc]
    rules.raise_all(rules.scan_errors(given, expected=expected))
    return rules.scans_to_store(given)
