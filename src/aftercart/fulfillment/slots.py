"""Time slots: generated on demand, counted, reserved with a hold.

A slot's places are taken by its live orders (any not canceled) and by unexpired holds of
*other* users: a user's own hold is the place that user is about to book. Every change that takes
a place locks the slot row first (``FOR UPDATE`` on PostgreSQL; SQLite write transactions are
exclusive already), so concurrent reserves and orders never take more places than there are.
Locks are taken in one order: the user (reserve) or the order (update), then the slot, then the
event-ordering lock last.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.db.dialect import insert_for
from aftercart.errors import InvalidParameter, NotFound
from aftercart.fulfillment import geo, rules
from aftercart.fulfillment.items import resolve_items
from aftercart.fulfillment.schemas import CartItem
from aftercart.fulfillment.stores import store_offering
from aftercart.fulfillment.users import active_user
from aftercart.fulfillment.views import ServiceOptionOut, service_option_out
from aftercart.models import Order, ServiceOption, ServiceOptionHold, Store

FULL = "The time slot is full, please choose another one"
CLOSED = "The time slot is no longer available, please choose another one"


@dataclass(frozen=True)
class SlotPolicy:
    days: int
    capacity: int


async def _ensure_slots(
    session: AsyncSession,
    store: Store,
    service_type: str,
    windows: list[tuple[datetime, datetime]],
    capacity: int,
) -> list[ServiceOption]:
    """The store's slots for these windows, creating the missing ones with ``capacity``.

    Only missing rows are inserted (so sequence values are not burnt on every listing), and the
    insert skips a row another request created meanwhile (unique store/type/start), so
    concurrent listings are safe on both databases.
    """
    query = (
        select(ServiceOption)
        .where(
            ServiceOption.location_code == store.location_code,
            ServiceOption.service_type == service_type,
            ServiceOption.window_starts_at.in_([start for start, _ in windows]),
        )
        .order_by(ServiceOption.window_starts_at)
    )
    slots = list(await session.scalars(query))
    existing = {slot.window_starts_at for slot in slots}
    missing = [
        {
            "location_code": store.location_code,
            "service_type": service_type,
            "window_starts_at": start,
            "window_ends_at": end,
            "capacity": capacity,
        }
        for start, end in windows
        if start not in existing
    ]
    if not missing:
        return slots
    unique = ["location_code", "service_type", "window_starts_at"]
    insert = insert_for(session, ServiceOption).values(missing)
    await session.execute(insert.on_conflict_do_nothing(index_elements=unique))
    return list(await session.scalars(query))


async def remaining_by_slot(
    session: AsyncSession,
    slot_ids: list[int],
    *,
    user_id: str,
    now: datetime,
    exclude_order_pk: int | None = None,
) -> dict[int, tuple[int, int]]:
    """``{slot id: (live orders, other users' live holds)}``."""
    orders = select(Order.service_option_id, func.count()).where(
        Order.service_option_id.in_(slot_ids), Order.workflow_state != rules.CANCELED
    )
    if exclude_order_pk is not None:
        orders = orders.where(Order.id != exclude_order_pk)
    holds = select(ServiceOptionHold.service_option_id, func.count()).where(
        ServiceOptionHold.service_option_id.in_(slot_ids),
        ServiceOptionHold.expires_at > now,
        ServiceOptionHold.user_id != user_id,
    )
    order_counts = dict((await session.execute(orders.group_by(Order.service_option_id))).all())
    hold_counts = dict(
        (await session.execute(holds.group_by(ServiceOptionHold.service_option_id))).all()
    )
    return {
        slot_id: (order_counts.get(slot_id, 0), hold_counts.get(slot_id, 0)) for slot_id in slot_ids
    }


async def places_left(
    session: AsyncSession,
    slot: ServiceOption,
    *,
    user_id: str,
    now: datetime,
    exclude_order_pk: int | None = None,
) -> int:
    counts = await remaining_by_slot(
        session, [slot.id], user_id=user_id, now=now, exclude_order_pk=exclude_order_pk
    )
    orders, holds = counts[slot.id]
    return rules.remaining_capacity(capacity=slot.capacity, orders=orders, holds=holds)


async def list_options(
    session: AsyncSession,
    *,
    user_id: str,
    service_type: str,
    location_code: str,
    items: list[CartItem],
    now: datetime,
    policy: SlotPolicy,
    eta_kinds: tuple[str, ...] = (),
) -> list[ServiceOptionOut]:
    """The coming windows of a store, with the places left for this user; the ETA options
    asked for (see :func:`rules.eta_kinds`) come first, when the store is delivering then."""
    await active_user(session, user_id)
    store = await store_offering(session, location_code, service_type)
    await resolve_items(session, items, code=2000, message="Invalid items")
    zone = geo.zone_for_postal_code(store.postal_code)
    slots = []
    for kind in eta_kinds:
        window = rules.eta_window(kind, now=now, zone=zone)
        if window is not None:
            slots += await _ensure_slots(session, store, kind, [window], policy.capacity)
    windows = rules.slot_windows(now=now, days=policy.days, zone=zone, service_type=service_type)
    slots += await _ensure_slots(session, store, service_type, windows, policy.capacity)
    counts = await remaining_by_slot(session, [slot.id for slot in slots], user_id=user_id, now=now)
    return [
        service_option_out(
            slot,
            remaining=rules.remaining_capacity(
                capacity=slot.capacity, orders=counts[slot.id][0], holds=counts[slot.id][1]
            ),
            zone=zone,
        )
        for slot in slots
    ]


async def store_slots(
    session: AsyncSession, store: Store, service_type: str, *, now: datetime, policy: SlotPolicy
) -> list[ServiceOption]:
    """Every coming slot of the store for the service, earliest first (created on first sight):
    for a caller that picks a slot itself, such as a dispatch last-mile order."""
    zone = geo.zone_for_postal_code(store.postal_code)
    windows = rules.slot_windows(now=now, days=policy.days, zone=zone, service_type=service_type)
    return await _ensure_slots(session, store, service_type, windows, policy.capacity)


async def lock_slot(session: AsyncSession, slot_id: int) -> ServiceOption | None:
    """The slot, its row locked until commit: whoever takes a place in it queues here."""
    return await session.scalar(
        select(ServiceOption)
        .where(ServiceOption.id == slot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def option_view(
    session: AsyncSession, slot: ServiceOption, *, user_id: str, now: datetime
) -> ServiceOptionOut:
    store = await session.get(Store, slot.location_code)
    zone = geo.zone_for_postal_code(store.postal_code if store else "")
    remaining = await places_left(session, slot, user_id=user_id, now=now)
    return service_option_out(slot, remaining=remaining, zone=zone)


async def reserve(
    session: AsyncSession, *, user_id: str, service_option_id: int, now: datetime, ttl: timedelta
) -> tuple[ServiceOptionHold, ServiceOptionOut]:
    """A new hold replaces the user's previous one (even on the same slot)."""
    await active_user(session, user_id, lock=True)
    slot = await lock_slot(session, service_option_id)
    if slot is None:
        raise NotFound("Service option not found")
    if not rules.option_open(slot.service_type, slot.window_starts_at, now):
        raise InvalidParameter(CLOSED, key="service_option_id")
    if await places_left(session, slot, user_id=user_id, now=now) < 1:
        raise InvalidParameter(FULL, key="service_option_id")
    await session.execute(delete(ServiceOptionHold).where(ServiceOptionHold.user_id == user_id))
    hold = ServiceOptionHold(
        user_id=user_id, service_option_id=slot.id, created_at=now, expires_at=now + ttl
    )
    session.add(hold)
    await session.flush()
    return hold, await option_view(session, slot, user_id=user_id, now=now)


async def users_hold(session: AsyncSession, hold_id: int, user_id: str) -> ServiceOptionHold:
    hold = await session.get(ServiceOptionHold, hold_id)
    if hold is None or hold.user_id != user_id:
        raise InvalidParameter("Service option hold not found", key="service_option_hold_id")
    return hold


async def book(
    session: AsyncSession,
    *,
    hold: ServiceOptionHold,
    service_type: str,
    now: datetime,
    order_pk: int | None = None,
) -> ServiceOption:
    """Takes a place in the hold's slot for an order and uses the hold up.

    An expired hold still books while the slot has room. ``order_pk`` names an
    existing order being moved, which does not count against its own slot.
    """
    key = "service_option_hold_id"
    slot = await lock_slot(session, hold.service_option_id)
    if slot is None:
        raise InvalidParameter("Service option hold not found", key=key)
    sold = rules.service_of(slot.service_type)
    if sold != service_type:
        raise InvalidParameter(f"is for {sold}, not {service_type}", key=key)
    if not rules.option_open(slot.service_type, slot.window_starts_at, now):
        raise InvalidParameter(CLOSED, key=key)
    left = await places_left(
        session, slot, user_id=hold.user_id, now=now, exclude_order_pk=order_pk
    )
    if left < 1:
        raise InvalidParameter(FULL, key=key)
    used: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        delete(ServiceOptionHold)
        .where(ServiceOptionHold.id == hold.id)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # replaced by a reserve that committed meanwhile
        raise InvalidParameter("Service option hold not found", key=key)
    return slot
