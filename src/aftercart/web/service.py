"""What the order status page reads: the order snapshot the API reads, with its store, its
delivery address, its shopper, its retailer's branding, the shopper's trail, the chat and the
rating, turned into what the template shows.

The page only reads here. Everything it changes (a replacement's answer, the items, a chat
message, the rating) it changes through the public API, with the order-link token its script
gets for the order (:mod:`aftercart.auth.order_link`).
"""

import json
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.feedback.rules import SOURCE_CONNECT
from aftercart.fulfillment import geo
from aftercart.fulfillment.rules import CANCELED, is_delivered, order_status
from aftercart.fulfillment.snapshot import Line, OrderSnapshot, read_order_by_id
from aftercart.models import (
    ApiClient,
    ChatMessage,
    Order,
    OrderItem,
    Product,
    Rating,
    Shopper,
    ShopperLocation,
    Store,
)
from aftercart.post_checkout.lifecycle import ended_at
from aftercart.post_checkout.rules import chat_expired
from aftercart.web import brand, route_map, rules

#: How many catalog matches the page offers when the customer looks for an item to add.
FIND_LIMIT = 8


@dataclass(frozen=True)
class Place:
    name: str | None
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ChatLine:
    from_customer: bool
    body: str
    sent_at: datetime


@dataclass(frozen=True)
class RatingPanel:
    """The rating form, filled with the order's rating when it has one."""

    stars: int | None
    highlights: tuple[tuple[str, str, bool], ...]
    note: str


@dataclass(frozen=True)
class Found:
    name: str
    size: str | None
    code: dict[str, str]


@dataclass(frozen=True)
class OrderPage:
    """Everything the order status template shows."""

    order_id: str
    user_id: str
    service_type: str
    workflow_state: str
    status: str
    headline: str
    steps: tuple[rules.Step, ...]
    canceled: bool
    cancellation: str | None
    store: Place
    destination: Place | None
    window: str
    shopper_first_name: str | None
    items: tuple[rules.ItemRow, ...]
    totals: rules.Totals
    brand: brand.Brand
    route: route_map.RouteMap | None = None
    chat: tuple[ChatLine, ...] = ()
    chat_open: bool = False
    rating: RatingPanel | None = None
    editable: bool = False
    #: The lines as ``PUT /v2/fulfillment/users/{user_id}/orders/{order_id}`` takes them: the
    #: page's script edits this list and sends it whole.
    lines_json: str = "[]"
    finding: str | None = None
    found: tuple[Found, ...] = ()
    #: The ``line_num`` an added item gets.
    next_line_num: str = "1"


def _destination(address: dict[str, Any] | None) -> Place | None:
    """The delivery address as the order has it (``address_line_1`` and ``postal_code`` are the
    only fields an order must give)."""
    if not address:
        return None
    town = " ".join(part for part in (address.get("city"), address.get("postal_code")) if part)
    lines = (address.get("address_line_1"), address.get("address_line_2"), town)
    return Place(None, tuple(str(line) for line in lines if line))


def order_page(
    order: OrderSnapshot,
    *,
    store: Place,
    zone: tzinfo,
    address: dict[str, Any] | None,
    shopper_first_name: str | None,
    retailer: brand.Brand | None = None,
) -> OrderPage:
    order_steps = rules.steps(order.service_type, order.workflow_state)
    items = tuple(rules.item_row(line, order.workflow_state) for line in order.lines)
    return OrderPage(
        order_id=order.order_id,
        user_id=order.user_id,
        service_type=order.service_type,
        workflow_state=order.workflow_state,
        status=order_status(order.workflow_state),
        headline=rules.headline(order_steps),
        steps=order_steps,
        canceled=order.workflow_state == CANCELED,
        cancellation=rules.cancellation_words(order.cancellation_reason),
        store=store,
        destination=_destination(address) if order.service_type != "pickup" else None,
        window=rules.window_text(order.window_starts_at, order.window_ends_at, zone),
        shopper_first_name=shopper_first_name,
        items=items,
        totals=rules.totals(items),
        brand=retailer or brand.Brand(None, None, None),
    )


def line_for_update(line: Line) -> dict[str, Any]:
    """A line as the order update takes it back, with everything the customer did not touch."""
    code = {"upc": line.product.upc} if line.product.upc else {"rrc": line.product.rrc}
    body: dict[str, Any] = {"line_num": line.line_num, "item": code}
    if line.count is not None:
        body["count"] = line.count
    else:
        body["weight"] = str(line.weight)
    if line.special_instructions:
        body["special_instructions"] = line.special_instructions
    body["replacement_policy"] = line.replacement_policy
    if line.replacement_items:
        body["replacement_items"] = line.replacement_items
    return body


@dataclass(frozen=True)
class Loaded:
    """The order's page, and when it ended (for its link's expiry)."""

    page: OrderPage
    ended: datetime | None


async def read_order_page(
    session: AsyncSession, order_id: str, *, show_shopper: bool = True, find: str | None = None
) -> Loaded | None:
    """The page of any user's order (the caller has checked the signed link), or ``None``.
    ``show_shopper`` false (``AFTERCART_REMOVE_SHOPPER_INFORMATION``) leaves out the shopper's
    name, position and chat, as the API does."""
    snapshot = await read_order_by_id(session, order_id)
    if snapshot is None:
        return None
    order = await session.get(Order, snapshot.pk)
    store = await session.get(Store, snapshot.location_code)
    assert order is not None  # the snapshot's row
    assert store is not None  # orders.location_code is a foreign key
    shopper = await session.get(Shopper, order.shopper_id) if order.shopper_id else None
    base = order_page(
        snapshot,
        store=Place(
            store.name,
            (store.address_line_1, f"{store.city}, {store.state} {store.postal_code}"),
        ),
        zone=geo.zone_for_postal_code(store.postal_code),
        address=order.address,
        shopper_first_name=shopper.first_name if shopper and show_shopper else None,
        retailer=await _brand(session, order.client_id),
    )
    ended = await ended_at(session, order)
    editable = snapshot.workflow_state in rules.EDITABLE_STATES
    delivered = is_delivered(order.workflow_state)
    page = replace(
        base,
        route=await _route(session, order, store) if show_shopper else None,
        chat=await _chat(session, order.id) if show_shopper else (),
        chat_open=show_shopper
        and snapshot.workflow_state != CANCELED
        and not chat_expired(ended_at=ended, now=clock.now()),
        rating=await _rating(session, snapshot) if delivered else None,
        editable=editable,
        lines_json=json.dumps(
            [line_for_update(line) for line in snapshot.lines if not line.added_by_shopper]
        ),
        finding=find if editable else None,
        found=await _find(session, find) if editable and find else (),
        next_line_num=rules.fresh_line_num(
            await session.scalars(select(OrderItem.line_num).where(OrderItem.order_pk == order.id))
        )
        if editable
        else "1",
    )
    return Loaded(page, ended)


async def _brand(session: AsyncSession, client_id: str | None) -> brand.Brand | None:
    if client_id is None:
        return None
    row = (
        await session.execute(
            select(
                ApiClient.brand_name,
                ApiClient.brand_colour,
                ApiClient.brand_logo_type,
            ).where(ApiClient.client_id == client_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return brand_of(client_id, row.brand_name, row.brand_colour, row.brand_logo_type)


def brand_of(
    client_id: str, name: str | None, colour: str | None, logo_type: str | None
) -> brand.Brand:
    version = brand.version(name, colour, logo_type)
    return brand.Brand(
        name=name,
        stylesheet_url=f"/brands/{client_id}/brand.css?v={version}" if colour else None,
        logo_url=f"/brands/{client_id}/logo" if logo_type else None,
    )


async def _route(session: AsyncSession, order: Order, store: Store) -> route_map.RouteMap | None:
    """The map while the order is on its way: the store, the customer and the shopper's trail."""
    if order.workflow_state != "delivering" or order.service_type == "pickup":
        return None
    trail = await session.execute(
        select(ShopperLocation.latitude, ShopperLocation.longitude)
        .where(ShopperLocation.order_pk == order.id)
        .order_by(ShopperLocation.seq)
    )
    points = [(row.latitude, row.longitude) for row in trail]
    customer = _customer_point(order) or (store.latitude, store.longitude)
    return route_map.route_map((store.latitude, store.longitude), customer, points)


def _customer_point(order: Order) -> tuple[float, float] | None:
    if order.latitude is not None and order.longitude is not None:
        return order.latitude, order.longitude
    postal_code = (order.address or {}).get("postal_code")
    return geo.zip_centroid(postal_code) if postal_code else None


async def _chat(session: AsyncSession, order_pk: int) -> tuple[ChatLine, ...]:
    rows = await session.scalars(
        select(ChatMessage).where(ChatMessage.order_pk == order_pk).order_by(ChatMessage.id)
    )
    return tuple(ChatLine(m.sender == "customer", m.body, m.created_at) for m in rows)


async def _rating(session: AsyncSession, order: OrderSnapshot) -> RatingPanel:
    rating = await session.scalar(
        select(Rating).where(Rating.source == SOURCE_CONNECT, Rating.dedupe_key == order.order_id)
    )
    given = set(rating.highlights) if rating else set()
    return RatingPanel(
        stars=rating.rating if rating else None,
        highlights=tuple(
            (value, words, value in given)
            for value, words in rules.highlights_for(order.service_type)
        ),
        note=(rating.thank_you_note or "") if rating else "",
    )


async def _find(session: AsyncSession, text: str) -> tuple[Found, ...]:
    """Catalog products whose name holds ``text``, or whose UPC or RRC is ``text``."""
    text = text.strip()[:100]
    if not text:
        return ()
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(Product)
        .where(
            or_(
                func.lower(Product.name).like(pattern.lower(), escape="\\"),
                Product.upc == text,
                Product.rrc == text,
            )
        )
        .order_by(Product.name)
        .limit(FIND_LIMIT)
    )
    return tuple(
        Found(p.name, p.size, {"upc": p.upc} if p.upc else {"rrc": p.rrc or ""}) for p in rows
    )
