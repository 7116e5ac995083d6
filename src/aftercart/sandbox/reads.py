"""The sandbox's read endpoints (Aftercart additions): a shopper's open batches, a catalog
search, an order's chat as its shopper reads it. Nothing here locks or writes."""

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from aftercart.errors import Forbidden, NotFound
from aftercart.fulfillment.lookup import find_order
from aftercart.models import Batch, Order, OrderItem, Product, Shopper
from aftercart.post_checkout import service as post_checkout
from aftercart.post_checkout.schemas import ChatMessagesResponse
from aftercart.sandbox import read_rules as rules
from aftercart.sandbox.lookup import ShopperOrderRef, internal_id
from aftercart.sandbox.schemas import (
    BatchView,
    ItemView,
    OrderView,
    ProductSearch,
    ProductView,
    ScanOut,
    ShopperView,
)

SHOPPER_NOT_FOUND = "Shopper not found"

_WITH_ITEMS = selectinload(Order.items).options(
    joinedload(OrderItem.product), joinedload(OrderItem.replacement_product)
)


async def shopper_view(session: AsyncSession, *, shopper_id: int) -> ShopperView:
    """The shopper and their open batches with their orders. Another tenant's shopper is 404,
    like an unknown one."""
    shopper = await session.get(Shopper, shopper_id)
    if shopper is None:
        raise NotFound(SHOPPER_NOT_FOUND)
    batches = (
        await session.scalars(
            select(Batch).where(Batch.shopper_id == shopper_id).order_by(Batch.id)
        )
    ).all()
    orders = (
        await session.scalars(
            select(Order)
            .where(Order.batch_id.in_([batch.id for batch in batches]))
            .options(_WITH_ITEMS)
            .order_by(Order.id)
        )
    ).all()
    views = []
    for batch in batches:
        mine = [order for order in orders if order.batch_id == batch.id]
        if not rules.batch_open(
            batch.batch_type, batch.workflow_state, [o.workflow_state for o in mine]
        ):
            continue
        if mine:
            views.append(_batch_view(batch, mine))
    return ShopperView(id=shopper.id, first_name=shopper.first_name, batches=views)


def _batch_view(batch: Batch, orders: list[Order]) -> BatchView:
    return BatchView(
        id=batch.id,
        batch_type=batch.batch_type,
        workflow_state=batch.workflow_state,
        next_state=rules.next_state(batch.batch_type, batch.workflow_state),
        orders=[_order_view(order) for order in orders],
    )


def _order_view(order: Order) -> OrderView:
    return OrderView(
        id=order.order_id,
        user_id=order.user_id,
        service_type=order.service_type,
        workflow_state=order.workflow_state,
        special_instructions=order.special_instructions,
        items_editable=rules.items_editable(order.workflow_state),
        items=[_item_view(item, order.workflow_state) for item in order.items if not item.removed],
    )


def _item_view(item: OrderItem, workflow_state: str) -> ItemView:
    shown = rules.line_state(item, workflow_state)
    replacement = item.replacement_product if item.shopper_status == "replaced" else None
    if item.replacement_status == "REJECTED":
        replacement = item.replacement_product
    return ItemView(
        line_num=item.line_num,
        product=_product_view(item.product),
        count=item.count,
        weight=item.weight,
        special_instructions=item.special_instructions,
        replacement_policy=item.replacement_policy,
        added_by_shopper=item.added_by_shopper,
        shopper_status=item.shopper_status,
        delivered_count=item.delivered_count,
        delivered_weight=item.delivered_weight,
        replacement=_product_view(replacement) if replacement else None,
        replacement_status=item.replacement_status,
        state=shown.state,
        state_text=shown.text,
    )


def _product_view(product: Product) -> ProductView:
    return ProductView(
        upc=product.upc,
        rrc=product.rrc,
        name=product.name,
        size=product.size,
        sold_by_weight=product.sold_by_weight,
    )


async def search_products(session: AsyncSession, *, query: str) -> ProductSearch:
    """Products whose name holds the query (any case), or whose UPC or RRC is the query; a
    query that reads as a barcode also finds the product with that GTIN. Exact codes first,
    then by name (a blank query lists the first products by name); at most
    :data:`~aftercart.sandbox.read_rules.MAX_RESULTS`."""
    text = query.strip()
    if not text:
        listed = await session.scalars(
            select(Product).order_by(Product.name, Product.id).limit(rules.MAX_RESULTS)
        )
        return ProductSearch(products=[_product_view(p) for p in listed], scan=None)
    scan = rules.read_barcode(text)
    codes = {text, *(rules.catalog_codes(scan.gtin) if scan else ())}
    exact = or_(Product.upc.in_(codes), func.lower(Product.rrc) == text.lower())
    found = await session.scalars(
        select(Product)
        .where(or_(exact, Product.name.icontains(text, autoescape=True)))
        .order_by(case((exact, 0), else_=1), Product.name, Product.id)
        .limit(rules.MAX_RESULTS)
    )
    return ProductSearch(
        products=[_product_view(product) for product in found],
        scan=ScanOut(
            scanned_string=scan.scanned_string, scanned_string_type=scan.scanned_string_type
        )
        if scan
        else None,
    )


async def order_messages(session: AsyncSession, *, target: ShopperOrderRef) -> ChatMessagesResponse:
    """The order's chat as its shopper reads it (the post-checkout ``ChatMessage``s, empty once
    the chat has expired). Another tenant's order is 404 like an unknown one; a shopper who is
    not the order's is 403, as the sandbox's writes answer."""
    order_id = target.order_id
    if (pk := internal_id(order_id, target.internal)) is not None:
        order_id = await session.scalar(select(Order.order_id).where(Order.id == pk)) or order_id
    order = await find_order(session, order_id, with_items=False)
    if order is None:
        raise NotFound()
    if order.shopper_id != target.shopper_id:
        raise Forbidden("Shopper is not assigned to this order", code=None)
    return await post_checkout.messages(session, order_id=order.order_id, user_id=order.user_id)
