"""Triggers: any callback of the catalogue sent for an order on request, as ``stripe trigger``
does (``docs/sandbox.md``, "Triggers").

The payload is what the real transition would send for the order as it is now, built by the
same functions; ``overrides`` change fields of it, and the result must still fit the event's
schema in ``docs/asyncapi.yaml``. A trigger changes nothing but the outbox: the event is written
by :func:`record_event`, so webhooks and live streams deliver it like any other.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart import clock
from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors, NotFound
from aftercart.events import names
from aftercart.events.asyncapi import payload_problems
from aftercart.events.envelope import envelope
from aftercart.events.outbox import record_event
from aftercart.events.payloads import item_payload, late_delivery_payload, window_payload, wire_time
from aftercart.feedback.service import stored
from aftercart.fulfillment.orders import window_metadata
from aftercart.fulfillment.rules import (
    CANCELED,
    LAST_MILE,
    SIMULATED_CANCELLATION,
    current_tip,
    order_status,
)
from aftercart.lastmile import sandbox as lastmile_sandbox
from aftercart.lastmile.service import event_metadata as last_mile_metadata
from aftercart.models import (
    Batch,
    ChatMessage,
    Event,
    LastMileOrder,
    Order,
    OrderItem,
    Rating,
    ShopperLocation,
)
from aftercart.post_checkout import runner
from aftercart.post_checkout.service import message_view
from aftercart.sandbox import rules, trigger_rules
from aftercart.sandbox.batches import state_change
from aftercart.sandbox.lookup import find_locked_order

Metadata = dict[str, Any]

#: ``(session, order, default pickup category)`` → the metadata after the order's ids.
Builder = Callable[[AsyncSession, Order, str], Awaitable[Metadata]]

#: The batch state each state-change event reports (the inverse of the batch walk's table),
#: and the two signals that report the state the batch stays in.
EVENT_STATES: Final = {event: state for state, event in rules.STATE_EVENTS.items()} | {
    names.CUSTOMER_MISSING: "delivering",
    names.ARRIVAL_AT_CUSTOMER: "completed",
    names.AT_STORE_ETA: "acknowledged_for_delivery",
}
#: The runner batch state each pickup callback reports; ``None``: the state the batch is in.
RUNNER_STATES: Final[dict[str, str | None]] = {
    names.PICKUP_RUNNER_STARTED: runner.AT_STORE,
    names.UNABLE_TO_FIND_CUSTOMER: runner.BRAND_NEW,
    names.RUNNER_NOT_FOUND: None,
    names.PICKUP_GEOFENCE_REACHED: None,
}
#: The line an item event is about: the first that fits it, else the first line.
ITEM_FITS: Final[dict[str, Callable[[OrderItem], bool]]] = {
    names.ITEM_UPDATED: lambda item: item.shopper_status in ("found", "not_found"),
    names.ITEM_ADDED: lambda item: item.added_by_shopper,
    names.ITEM_REPLACEMENT: lambda item: item.replacement_product_id is not None,
    names.ITEM_REFUND: lambda item: item.shopper_status == "to_refund",
    names.REPLACEMENT_DECISION: lambda item: item.replacement_status in ("APPROVED", "REJECTED"),
}


async def trigger(
    session: AsyncSession,
    *,
    order_ref: str,
    event_name: str | None,
    overrides: Any,
    pickup_category: str,
    internal: bool = False,
    line_num: str | None = None,
) -> Event:
    """Writes ``event_name`` for the order (another tenant's is 404, as an unknown one; the CLI
    names the tenant, see :mod:`aftercart.cli.trigger`). ``line_num`` names
    the line of an item event. Refused, nothing is written: an unknown name, a ``line_num`` for
    another event or not of the order, overrides that are not an object or set a bad path, a
    payload that breaks the event's schema (each problem keyed ``event_metadata.<path>``)."""
    order = await find_locked_order(session, order_ref, internal=internal)
    if order is None:
        raise NotFound()
    name = trigger_rules.check_event_name(event_name)
    trigger_rules.check_line_num(name, line_num, tuple(ITEM_FITS))
    changes = trigger_rules.check_overrides(overrides)
    built = await build_metadata(
        session, order, name, pickup_category=pickup_category, line_num=line_num
    )
    metadata = trigger_rules.apply_overrides(built, changes)
    _check_contract(order, name, metadata)
    return await record_event(session, name, order=order, metadata=metadata)


async def build_metadata(
    session: AsyncSession,
    order: Order,
    name: str,
    *,
    pickup_category: str,
    line_num: str | None = None,
) -> Metadata:
    """The event's metadata (after the order's ids) as Aftercart would write it now. Where the
    order lacks what the event carries (no batch for a state change, no rating), the field is
    ``null`` and the schema check refuses it unless an override fills it."""
    if name in RUNNER_STATES:
        return await _runner_change(session, order, name, pickup_category)
    if name in EVENT_STATES:
        return await _state(session, order, name)
    if name in ITEM_FITS:
        return {"item": _item(order, name, line_num)}
    builder = _BUILDERS[name]
    return await builder(session, order, pickup_category)


def wire(event: Event) -> Metadata:
    """The event as a receiver gets it (Connect's callback envelope)."""
    return envelope(
        event_id=event.id, name=event.name, created_at=event.created_at, metadata=event.metadata_
    )


def _check_contract(order: Order, name: str, metadata: Metadata) -> None:
    ids = {
        "order_id": order.order_id,
        "user_id": order.user_id,
        "location_code": order.location_code,
    }
    body = envelope(event_id=0, name=name, created_at=clock.now(), metadata=ids | metadata)
    problems: list[AftercartError] = [
        InvalidParameter(f"does not fit the AsyncAPI schema of {name}: {text}", key=path or None)
        for path, text in payload_problems(body)
    ]
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise MultipleErrors(problems)


# --- State changes -------------------------------------------------------------------------------


async def _state(session: AsyncSession, order: Order, name: str) -> Metadata:
    state = EVENT_STATES[name]
    batch = await _batch(session, order)
    if batch is not None:
        metadata = state_change(batch, state)
    else:
        metadata = {
            "batch_id": None,
            "shopper_id": order.shopper_id,
            "workflow_state": state,
            "status": order_status(state),
        }
    if name == names.STAGED and order.service_type == LAST_MILE:
        return await _last_mile_staged(session, order, metadata)
    if name == names.CHECKOUT:
        metadata["items"] = [item_payload(item) for item in order.items if not item.removed]
    if order.service_type == LAST_MILE:
        metadata |= await lastmile_sandbox.package(session, order)
    if name == names.AT_STORE_ETA:
        metadata["eta"] = (
            (clock.now() + lastmile_sandbox.STORE_ETA).replace(microsecond=0).isoformat()
        )
    return metadata


async def _batch(session: AsyncSession, order: Order) -> Batch | None:
    """The batch the order's callbacks name: its shopper's batch, or for a pickup order handed
    over by a runner, the runner batch (as its Delivered does)."""
    status = await runner.status_of(session, order) if order.service_type == "pickup" else None
    if status is not None and order.workflow_state == runner.COMPLETED:
        found = await runner.runner_batch(session, status)
        if found is not None:
            return found
    return await session.get(Batch, order.batch_id) if order.batch_id is not None else None


async def _last_mile_staged(session: AsyncSession, order: Order, change: Metadata) -> Metadata:
    """A last-mile order is staged by the retailer, not a batch: the stage endpoint's payload."""
    details = await session.get(LastMileOrder, order.id)
    if details is None:
        return change
    return last_mile_metadata(order, details) | {"bag_scan_codes": details.bag_scan_codes or []}


async def _runner_change(
    session: AsyncSession, order: Order, name: str, pickup_category: str
) -> Metadata:
    status = await runner.status_of(session, order)
    batch = await runner.runner_batch(session, status) if status is not None else None
    if status is None or batch is None:
        return {
            "batch_id": None,
            "runner_id": None,
            "workflow_state": RUNNER_STATES[name],
            "pickup_category": status.pickup_category if status else pickup_category,
        }
    return runner.runner_metadata(batch, status, RUNNER_STATES[name] or batch.workflow_state)


# --- Everything else -----------------------------------------------------------------------------


def _item(order: Order, name: str, line_num: str | None) -> Metadata | None:
    lines = sorted((i for i in order.items if not i.removed), key=lambda i: i.id)
    chosen = trigger_rules.pick_line(lines, ITEM_FITS[name], line_num)
    return item_payload(chosen) if chosen is not None else None


async def _placed(session: AsyncSession, order: Order, _category: str) -> Metadata:
    details = await session.get(LastMileOrder, order.id)
    if order.service_type == LAST_MILE and details is not None:
        return last_mile_metadata(order, details)
    return window_metadata(order)


async def _customer_acknowledged(session: AsyncSession, order: Order, category: str) -> Metadata:
    """The recorded arrival, else the customer arriving now (not as a delegate)."""
    status = await runner.status_of(session, order)
    arrived = status.arrived_at if status is not None else None
    return {
        "arrived_at": wire_time(arrived or clock.now()),
        "is_pickup_delegate": bool(status and arrived and status.arrived_as_delegate),
        "pickup_category": status.pickup_category if status is not None else category,
    }


async def _late_pickup(session: AsyncSession, order: Order, category: str) -> Metadata:
    status = await runner.status_of(session, order)
    return {
        "pickup_category": status.pickup_category if status is not None else category,
        **window_payload(order),
    }


async def _canceled(_session: AsyncSession, order: Order, _category: str) -> Metadata:
    reason = order.cancellation_reason or SIMULATED_CANCELLATION.value
    return {"status": order_status(CANCELED), "cancellation_reason": reason}


async def _window(_session: AsyncSession, order: Order, _category: str) -> Metadata:
    return window_payload(order)


async def _late_delivery(_session: AsyncSession, order: Order, _category: str) -> Metadata:
    return late_delivery_payload(order)


async def _location(session: AsyncSession, order: Order, _category: str) -> Metadata:
    """The shopper's latest recorded position; none before the order first delivers."""
    latest = await session.scalar(
        select(ShopperLocation)
        .where(ShopperLocation.order_pk == order.id)
        .order_by(ShopperLocation.seq.desc())
        .limit(1)
    )
    return {
        "shopper_id": order.shopper_id,
        "latitude": latest.latitude if latest else None,
        "longitude": latest.longitude if latest else None,
        "recorded_at": wire_time(latest.recorded_at) if latest else None,
    }


async def _tip(_session: AsyncSession, order: Order, _category: str) -> Metadata:
    """The current tip, as a change from the initial one."""
    return {
        "status": order_status(order.workflow_state),
        "previous_tip_amount_cents": order.initial_tip_cents,
        "tip_amount_cents": current_tip(order.initial_tip_cents, order.tip_amount_cents),
        "adjusted_at": wire_time(order.tip_adjusted_at or clock.now()),
    }


async def _chat(session: AsyncSession, order: Order, _category: str) -> Metadata:
    """The order's latest chat message."""
    latest = await session.scalar(
        select(ChatMessage)
        .where(ChatMessage.order_pk == order.id)
        .order_by(ChatMessage.id.desc())
        .limit(1)
    )
    message = message_view(latest).model_dump(mode="json") if latest is not None else None
    return {"topic_id": str(order.id), "message": message}


async def _rating(session: AsyncSession, order: Order, _category: str) -> Metadata:
    latest = await session.scalar(
        select(Rating).where(Rating.order_pk == order.id).order_by(Rating.id.desc()).limit(1)
    )
    return {"rating": stored(latest).model_dump(mode="json") if latest is not None else None}


async def _rating_reminder(_session: AsyncSession, order: Order, _category: str) -> Metadata:
    return {
        "status": order_status(order.workflow_state),
        "delivered_at": wire_time(order.delivered_at),
    }


_BUILDERS: Final[dict[str, Builder]] = {
    names.BRAND_NEW: _placed,
    names.ORDER_UPDATED: _placed,
    names.CUSTOMER_ACKNOWLEDGED: _customer_acknowledged,
    names.LATE_PICKUP: _late_pickup,
    names.CANCELED: _canceled,
    names.RESCHEDULED: _window,
    names.LATE_DELIVERY: _late_delivery,
    names.ORDER_LOCATION: _location,
    names.TIP_ADJUSTMENT: _tip,
    names.CHAT_MESSAGE: _chat,
    names.RATING_UPDATED: _rating,
    names.RATING_REMINDER: _rating_reminder,
}
