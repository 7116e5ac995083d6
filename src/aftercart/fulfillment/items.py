"""Order items: catalog look-up, new lines, and the keyed full replacement of an
update."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors
from aftercart.fulfillment import rules
from aftercart.fulfillment.schemas import CartItem, ItemRef, OrderItemIn
from aftercart.models import Order, OrderItem, Product

NOT_FOUND = "Item not found"
DUPLICATE = "Duplicate items"
SAME_AS_ORDERED = "must be a product other than the ordered one"
NO_LAST_MILE_ITEMS = "must be blank for a last mile delivery order"
WEIGHT_STEP = Decimal("0.001")


@dataclass(frozen=True)
class Resolved:
    product: Product
    replacement_items: list[dict[str, Any]]


def raise_all(errors: list[AftercartError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(errors)


async def catalog_of(session: AsyncSession, refs: list[ItemRef]) -> dict[tuple[str, str], Product]:
    if not refs:
        return {}
    upcs = {ref.upc for ref in refs if ref.upc}
    rrcs = {ref.rrc for ref in refs if ref.rrc}
    found = await session.scalars(
        select(Product).where(or_(Product.upc.in_(upcs), Product.rrc.in_(rrcs)))
    )
    catalog: dict[tuple[str, str], Product] = {}
    for product in found:
        if product.upc:
            catalog["upc", product.upc] = product
        if product.rrc:
            catalog["rrc", product.rrc] = product
    return catalog


def lookup(catalog: dict[tuple[str, str], Product], ref: ItemRef) -> Product | None:
    ((kind, code),) = ref.identifier().items()
    return catalog.get((kind, code))


async def resolve_items(
    session: AsyncSession,
    items: Sequence[CartItem],
    *,
    known: Mapping[int, Product] | None = None,
    code: int = 1001,
    message: str = NOT_FOUND,
) -> list[Resolved]:
    """Each item's product and its replacements' identifiers; every unknown one is reported.
    ``known`` gives the product of some items by index (their identifiers are not looked up)."""
    known = known or {}
    refs = [ref for item in items for ref in (item.item, *item.replacement_items)]
    catalog = await catalog_of(session, refs)
    errors: list[AftercartError] = []
    resolved: list[Resolved] = []
    for i, item in enumerate(items):
        product = known.get(i) or lookup(catalog, item.item)
        if product is None:
            errors.append(InvalidParameter(message, key=f"items[{i}].item", code=code))
        policy = item.replacement_policy
        problem = policy and rules.replacement_items_error(policy, len(item.replacement_items))
        if problem:
            errors.append(InvalidParameter(problem, key=f"items[{i}].replacement_items"))
        found = [lookup(catalog, ref) for ref in item.replacement_items]
        keys = [f"items[{i}].replacement_items[{j}]" for j in range(len(found))]
        errors += replacement_errors(product, found, keys, code=code, message=message)
        if product is not None:
            replacements = [ref.identifier() for ref in item.replacement_items]
            resolved.append(Resolved(product, replacements))
    raise_all(errors)
    return resolved


def replacement_errors(
    ordered: Product | None,
    replacements: Sequence[Product | None],
    keys: Sequence[str],
    *,
    code: int = 1001,
    message: str = NOT_FOUND,
) -> list[AftercartError]:
    """Each replacement must be in the catalog, named once, and not the ordered product."""
    errors: list[AftercartError] = []
    seen: set[int] = set()
    for product, key in zip(replacements, keys, strict=True):
        if product is None:
            errors.append(InvalidParameter(message, key=key, code=code))
        elif ordered is not None and product.id == ordered.id:
            errors.append(InvalidParameter(SAME_AS_ORDERED, key=key))
        elif product.id in seen:
            errors.append(InvalidParameter(DUPLICATE, key=key))
        else:
            seen.add(product.id)
    return errors


def check_lines(items: Sequence[OrderItemIn], product_ids: Sequence[int]) -> None:
    """No ``line_num`` twice, and no product on two lines."""
    errors: list[AftercartError] = []
    seen_lines: set[str] = set()
    seen_products: set[int] = set()
    for i, (item, product_id) in enumerate(zip(items, product_ids, strict=True)):
        if item.line_num in seen_lines:
            errors.append(InvalidParameter("has already been taken", key=f"items[{i}].line_num"))
        if product_id in seen_products:
            errors.append(InvalidParameter(DUPLICATE, key=f"items[{i}].item"))
        seen_lines.add(item.line_num)
        seen_products.add(product_id)
    raise_all(errors)


def lines_to_update(
    service_type: str, items: Sequence[OrderItemIn] | None
) -> Sequence[OrderItemIn] | None:
    """The lines an update replaces the order's with, or ``None`` for a last-mile order, whose
    packed order has no lines: a delivery or pickup update must list its items (as Connect's
    "Update an order" does), a last-mile one must not."""
    if service_type == rules.LAST_MILE:
        if items:
            raise InvalidParameter(NO_LAST_MILE_ITEMS, key="items")
        return None
    if not items:
        raise InvalidParameter("can't be blank", key="items")
    return items


def check_units(service_type: str, lines: Sequence[OrderItemIn]) -> None:
    units = rules.counted_units(line.count for line in lines)
    if service_type == "delivery" and units > rules.MAX_DELIVERY_UNITS:
        raise InvalidParameter(
            f"can't hold more than {rules.MAX_DELIVERY_UNITS} units for delivery (got {units})",
            key="items",
        )


def _set_quantities(line: OrderItem, item: OrderItemIn, replacements: list[dict[str, Any]]) -> None:
    """What an update may change on an existing line (never its product)."""
    line.count = item.count
    line.weight = item.weight.quantize(WEIGHT_STEP) if item.weight is not None else None
    line.special_instructions = item.special_instructions
    line.replacement_items = replacements
    line.replacement_policy = item.replacement_policy or rules.default_replacement_policy(
        bool(replacements)
    )


def new_line(item: OrderItemIn, resolved: Resolved) -> OrderItem:
    line = OrderItem(line_num=item.line_num, product=resolved.product, removed=False)
    _set_quantities(line, item, resolved.replacement_items)
    return line


async def replace_lines(session: AsyncSession, order: Order, items: Sequence[OrderItemIn]) -> None:
    """An update: a known ``line_num`` updates that line (restoring it if it was
    removed; its product never changes), a new one adds a line, an omitted one is removed (kept,
    flagged ``removed``). A product already on a live line given a new ``line_num`` is
    ``Duplicate items``."""
    lines = {line.line_num: line for line in order.items}
    known = {
        i: lines[item.line_num].product for i, item in enumerate(items) if item.line_num in lines
    }
    resolved = await resolve_items(session, items, known=known)
    check_lines(items, [found.product.id for found in resolved])
    live_products = {line.product_id for line in order.items if not line.removed}
    raise_all(
        [
            InvalidParameter(DUPLICATE, key=f"items[{i}].item")
            for i, (item, found) in enumerate(zip(items, resolved, strict=True))
            if item.line_num not in lines and found.product.id in live_products
        ]
    )
    wanted = {item.line_num for item in items}
    for line in order.items:
        line.removed = line.line_num not in wanted
    for item, found in zip(items, resolved, strict=True):
        existing = lines.get(item.line_num)
        if existing is None:
            order.items.append(new_line(item, found))
        else:
            _set_quantities(existing, item, found.replacement_items)
