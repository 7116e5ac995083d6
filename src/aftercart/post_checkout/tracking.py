"""The shopper's position while an order is delivering (Get order location, and the sandbox's
simulated trip from the store to the customer).

Each position is a ``shopper_locations`` row and an Order location event written in the same
transaction; the customer's view reads the latest row. The path is a pure function of the time
since the trip started (:func:`aftercart.post_checkout.rules.shopper_position`), so the timer and
an advance of the batch never disagree about where the shopper is.
"""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart import clock
from aftercart.db.tenancy import serve_tenant
from aftercart.errors import Forbidden
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.fulfillment import geo
from aftercart.fulfillment.lookup import order_for_update
from aftercart.models import Order, SandboxClock, ShopperLocation, Store
from aftercart.post_checkout import rules
from aftercart.post_checkout import schemas as s
from aftercart.post_checkout.service import own_order

DELIVERING = "delivering"
SHOPPER_PII = "Shopper PII"


async def location(
    session: AsyncSession, *, order_id: str, user_id: str | None, remove_shopper: bool
) -> s.OrderLocation:
    """The latest position while the order is delivering; nothing (``{}``) otherwise."""
    order = await own_order(session, order_id=order_id, user_id=user_id, with_items=False)
    if remove_shopper:
        raise Forbidden(SHOPPER_PII, code=None)
    if order.workflow_state != DELIVERING:
        return s.OrderLocation()
    latest = await session.scalar(
        select(ShopperLocation)
        .where(ShopperLocation.order_pk == order.id)
        .order_by(ShopperLocation.seq.desc())
        .limit(1)
    )
    if latest is None:
        return s.OrderLocation()
    return s.OrderLocation(
        coordinates=s.Coordinates(latitude=latest.latitude, longitude=latest.longitude)
    )


async def _ends(session: AsyncSession, order: Order) -> tuple[rules.Point, rules.Point]:
    """The trip's ends: the store, and the order's coordinates (else its ZIP code's centroid;
    else the store itself, so the shopper is shown waiting there)."""
    store = await session.get(Store, order.location_code)
    assert store is not None  # orders.location_code is a foreign key
    start = (store.latitude, store.longitude)
    if order.latitude is not None and order.longitude is not None:
        return start, (order.latitude, order.longitude)
    postal_code = (order.address or {}).get("postal_code")
    centroid = geo.zip_centroid(postal_code) if postal_code else None
    return start, centroid or start


async def _record(
    session: AsyncSession, order: Order, point: rules.Point, *, now: datetime
) -> ShopperLocation:
    """Appends a position and its Order location event; the caller holds the order's lock, so
    ``seq`` is the order's next number."""
    last = await session.scalar(
        select(func.max(ShopperLocation.seq)).where(ShopperLocation.order_pk == order.id)
    )
    row = ShopperLocation(
        order_pk=order.id,
        seq=(last or 0) + 1,
        latitude=point[0],
        longitude=point[1],
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    await record_event(
        session,
        names.ORDER_LOCATION,
        order=order,
        metadata={
            "shopper_id": order.shopper_id,
            "latitude": point[0],
            "longitude": point[1],
            "recorded_at": now.isoformat().replace("+00:00", "Z"),
        },
    )
    return row


async def start_trip(session: AsyncSession, order: Order, *, now: datetime | None = None) -> None:
    """The order starts delivering: the shopper is at the store."""
    start, _ = await _ends(session, order)
    await _record(session, order, start, now=now or clock.now())


async def finish_trip(session: AsyncSession, order: Order, *, now: datetime | None = None) -> None:
    """The order is delivered: the shopper's last position is the customer's door."""
    _, end = await _ends(session, order)
    await _record(session, order, end, now=now or clock.now())


async def move(
    session: AsyncSession, order: Order, *, now: datetime, trip_seconds: float
) -> ShopperLocation | None:
    """Moves the shopper of a delivering order to where the path puts them at ``now``; a new
    position only when it differs from the latest one (a shopper who arrived stays put)."""
    first, latest = await _first_and_latest(session, order.id)
    start, end = await _ends(session, order)
    if first is None:
        return await _record(session, order, start, now=now)
    point = rules.shopper_position(
        store=start,
        customer=end,
        elapsed_seconds=(now - first.recorded_at).total_seconds(),
        trip_seconds=trip_seconds,
    )
    if latest is not None and (latest.latitude, latest.longitude) == point:
        return None
    return await _record(session, order, point, now=now)


async def _first_and_latest(
    session: AsyncSession, order_pk: int
) -> tuple[ShopperLocation | None, ShopperLocation | None]:
    last = await session.scalar(
        select(func.max(ShopperLocation.seq)).where(ShopperLocation.order_pk == order_pk)
    )
    if last is None:
        return None, None
    first = await session.get(ShopperLocation, (order_pk, 1))
    return first, await session.get(ShopperLocation, (order_pk, last))


async def move_all(
    sessions: async_sessionmaker[AsyncSession],
    read_sessions: async_sessionmaker[AsyncSession],
    *,
    trip_seconds: float,
    now: datetime | None = None,
) -> int:
    """One timer tick: each delivering order's shopper moves, each order in its own
    transaction under the order's lock (an advance to delivered at the same moment either
    comes first, and the order is skipped, or waits). The orders of a tenant whose sandbox
    clock is frozen are left alone: their shoppers move as that clock is advanced. Returns how
    many moved."""
    async with read_sessions() as reader:
        delivering = (
            await reader.execute(
                select(Order.tenant_id, Order.order_id).where(
                    Order.workflow_state == DELIVERING,
                    Order.tenant_id.not_in(select(SandboxClock.tenant_id)),
                )
            )
        ).all()
    moved = 0
    for tenant_id, order_id in delivering:
        async with sessions() as session:
            serve_tenant(session, tenant_id)
            order = await order_for_update(session, order_id, with_items=False)
            if order is None or order.workflow_state != DELIVERING:
                continue
            if await move(session, order, now=now or clock.now(), trip_seconds=trip_seconds):
                moved += 1
            await session.commit()
    return moved
