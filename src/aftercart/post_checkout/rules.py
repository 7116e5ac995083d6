"""Pure rules of the customer's post-checkout view: item status, quantities, phone masking,
whether a replacement decision may be applied, the order's wire states, the shopper's trip, the
chat's expiry, and when an order is a late delivery or due a rating reminder."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Final

from aftercart.errors import IncompatibleOrderStatus, InvalidParameter
from aftercart.events import names

APPROVED: Final = "APPROVED"
REJECTED: Final = "REJECTED"
PENDING: Final = "PENDING"

#: The post-checkout item status for each shopper status of the sandbox. ``not_found`` is
#: the state every item starts in, so the customer sees it as ``pending``.
ITEM_STATUS_BY_SHOPPER_STATUS: Final[dict[str, str]] = {
    "not_found": "pending",
    "found": "found",
    "replaced": "replaced",
    "to_refund": "refunded",
}


def item_status(shopper_status: str) -> str:
    return ITEM_STATUS_BY_SHOPPER_STATUS[shopper_status]


def ordered_quantity(count: int | None) -> int:
    """The ordered count; a line ordered by weight only counts as one."""
    return count if count is not None else 1


def replacement_quantity(
    *, delivered_count: int | None, delivered_weight: Decimal | None, ordered: int
) -> int:
    """How many of the replacement: its delivered count (0 once rejected); one for a replacement
    given only by weight; the ordered quantity when the shopper gave neither."""
    if delivered_count is not None:
        return delivered_count
    if delivered_weight is not None:
        return 1
    return ordered


def mask_phone(phone: str) -> str:
    """Every digit but the last four becomes ``*``; punctuation and spacing are kept, so
    ``(415) 555-4567`` → ``(***) ***-4567`` and ``+14155554567`` → ``+*******4567``."""
    digits_to_mask = max(sum(c.isdigit() for c in phone) - 4, 0)
    masked: list[str] = []
    for char in phone:
        if char.isdigit() and digits_to_mask > 0:
            masked.append("*")
            digits_to_mask -= 1
        else:
            masked.append(char)
    return "".join(masked)


class Decision(Enum):
    APPLY = "apply"
    UNCHANGED = "unchanged"


def check_decision(*, current: str | None, requested: str, picking: bool) -> Decision:
    """Whether the customer's ``requested`` decision applies to an item whose decision is
    ``current`` (``None`` when there is no replacement).

    Repeating the decision already taken is harmless at any time (a client retrying its own
    request); reversing one, or deciding when nothing was proposed, is an error; a pending
    replacement can be decided only while the order is picking.
    """
    if current is None:
        raise InvalidParameter("This item has no replacement to approve or reject.")
    if current == requested:
        return Decision.UNCHANGED
    if current != PENDING:
        raise InvalidParameter(
            f"The replacement was already {current.lower()}; a decision cannot be reversed."
        )
    if not picking:
        raise IncompatibleOrderStatus(
            "Replacements can only be approved or rejected while the order is being picked."
        )
    return Decision.APPLY


# --- The order (Get an order) --------------------------------------------------------------------

#: The fulfillment type of each service type (a ``last_mile`` order is ``last_mile_delivery``).
FULFILLMENT_TYPES: Final[dict[str, str]] = {
    "delivery": "delivery",
    "pickup": "pickup",
    "last_mile": "last_mile_delivery",
    "last_mile_delivery": "last_mile_delivery",
}

#: Aftercart's batch states that the "Get an order" page does not list, as the listed state
#: the customer sees; ``completed`` is the page's ``delivered`` whatever the fulfillment type.
_WORKFLOW_STATE_ALIASES: Final[dict[str, str]] = {
    "receipt_sanity_check": "checkout",
    "completed": "delivered",
}
#: Pickup has no ``staged`` on that page: a staged pickup order is ready for the customer.
_PICKUP_ALIASES: Final[dict[str, str]] = {"staged": "ready_for_pickup"}


def fulfillment_type(service_type: str) -> str:
    return FULFILLMENT_TYPES[service_type]


def wire_workflow_state(
    *, service_type: str, workflow_state: str, pickup_view: str | None = None
) -> str:
    """``pickup_view`` is a staged pickup order's curbside state
    (:func:`aftercart.post_checkout.pickup_rules.customer_view`), when it has a pickup status."""
    if service_type == "pickup" and workflow_state == "staged" and pickup_view is not None:
        return pickup_view
    if service_type == "pickup" and workflow_state in _PICKUP_ALIASES:
        return _PICKUP_ALIASES[workflow_state]
    return _WORKFLOW_STATE_ALIASES.get(workflow_state, workflow_state)


# --- The shopper's trip (Get order location) -----------------------------------------------------

Point = tuple[float, float]


def trip_progress(*, elapsed_seconds: float, trip_seconds: float) -> float:
    """How far along the trip the shopper is, from 0 (at the store) to 1 (at the customer)."""
    if trip_seconds <= 0:
        return 1.0
    return min(max(elapsed_seconds / trip_seconds, 0.0), 1.0)


def position(start: Point, end: Point, progress: float) -> Point:
    """The point ``progress`` of the way on the straight line from ``start`` to ``end``,
    rounded to 6 decimals (about 10 cm), the precision a map pin needs."""
    latitude = start[0] + (end[0] - start[0]) * progress
    longitude = start[1] + (end[1] - start[1]) * progress
    return round(latitude, 6), round(longitude, 6)


def shopper_position(
    *, store: Point, customer: Point, elapsed_seconds: float, trip_seconds: float
) -> Point:
    """Where the shopper is ``elapsed_seconds`` after the order started delivering: a pure
    function of time, so a timer tick, an advance and a test all agree on the path."""
    progress = trip_progress(elapsed_seconds=elapsed_seconds, trip_seconds=trip_seconds)
    return position(store, customer, progress)


# --- Order messages (Get order messages) ---------------------------------------------------------

#: How long chat messages stay readable after the order is delivered or canceled.
CHAT_TTL: Final = timedelta(hours=24)


def chat_expired(*, ended_at: datetime | None, now: datetime) -> bool:
    """Whether the chat has expired: 24 hours after delivery or cancellation (``ended_at``);
    never while the order is under way (``ended_at`` is None)."""
    return ended_at is not None and now >= ended_at + CHAT_TTL


# --- Order timers (Late delivery, Rating reminder) -----------------------------------------------

#: The service types brought to the customer (fulfillment types ``delivery`` and
#: ``last_mile_delivery``); pickup orders have their own Late pickup.
DELIVERY_SERVICE_TYPES: Final = ("delivery", "last_mile")
#: The workflow state of a delivered order (handed over, for pickup).
DELIVERED_STATE: Final = "completed"
#: Workflow states an order never leaves: delivered or canceled.
ENDED_STATES: Final = (DELIVERED_STATE, "canceled")


def is_late_delivery(
    *, service_type: str, workflow_state: str, window_ends_at: datetime | None, now: datetime
) -> bool:
    """A delivery order still under way (neither delivered nor canceled) once its delivery
    window has ended; an order without a window is never late."""
    return (
        service_type in DELIVERY_SERVICE_TYPES
        and workflow_state not in ENDED_STATES
        and window_ends_at is not None
        and now >= window_ends_at
    )


def rating_reminder_due(
    *,
    workflow_state: str,
    delivered_at: datetime | None,
    rated: bool,
    delay: timedelta,
    now: datetime,
) -> bool:
    """A delivered order that nobody rated, ``delay`` after its delivery."""
    return (
        workflow_state == DELIVERED_STATE
        and not rated
        and delivered_at is not None
        and now >= delivered_at + delay
    )


@dataclass(frozen=True)
class LifecycleKind:
    type: str
    body: str


#: The automated notification each event becomes; events not listed make none.
LIFECYCLE_MESSAGES: Final[dict[str, LifecycleKind]] = {
    names.ACKNOWLEDGED: LifecycleKind("order_acknowledged", "A shopper accepted your order."),
    names.PICKING: LifecycleKind("shopping_started", "Your shopper started shopping."),
    names.ITEM_REPLACEMENT: LifecycleKind("item_replaced", "Your shopper replaced an item."),
    names.ITEM_REFUND: LifecycleKind("item_refunded", "An item will be refunded."),
    names.CHECKOUT: LifecycleKind("shopping_completed", "Your shopper finished shopping."),
    names.STAGED: LifecycleKind("ready_for_pickup", "Your order is ready for pickup."),
    names.DELIVERING: LifecycleKind("delivering", "Your order is on its way."),
    names.CUSTOMER_MISSING: LifecycleKind(
        "customer_missing", "Your shopper is at your address and can't find you."
    ),
    names.LATE_DELIVERY: LifecycleKind("late_delivery", "Your order is running late."),
    names.RESCHEDULED: LifecycleKind("rescheduled", "Your delivery window has changed."),
    names.DELIVERED: LifecycleKind("delivered", "Your order was delivered."),
    names.CANCELED: LifecycleKind("canceled", "Your order was canceled."),
}

#: The customer's chat names: the page's ``user`` is the customer, ``driver`` the shopper.
CHAT_PARTIES: Final[dict[str, str]] = {"customer": "user", "shopper": "driver"}
