"""Pure rules of curbside pickup: what each pickup call needs of the order, the post-checkout
``workflow_state`` of a pickup order once it is staged, and when a pickup is late.

The order's own ``workflow_state`` stays ``staged`` from the moment its bags are staged until
the runner hands them over (``completed``), as Connect's fulfillment ``status`` stays
``staged``; the customer's finer view comes from the pickup status and the runner batch.
"""

from datetime import datetime, timedelta
from typing import Final

import phonenumbers

from aftercart.errors import IncompatibleOrderStatus, InvalidParameter, NotFound, ParamsError

CATEGORIES: Final = ("curbside", "locker", "in_store")
CURBSIDE: Final = "curbside"
STAGED: Final = "staged"
ENDED: Final = ("completed", "canceled")
ETA_LEEWAY: Final = timedelta(minutes=1)

NO_PICKUP_STATUS = "No pickup status found for order"
NOT_STAGED = "Order delivery is not staged."
NON_PICKUP = "Pickup unavailable for non-pickup orders"
NOT_CURBSIDE = "Scheduled pickup is only available for curbside pickup orders."
HAS_DELEGATE = "Scheduled pickup is not supported for orders with a pickup delegate."
NO_DELEGATE = "requires a pickup delegate on the order (PUT .../pickup_delegate first)"
PICKED_UP = "The order was already picked up or canceled."


def require_pickup_status(service_type: str) -> None:
    """Arrival and scheduling need a pickup status, which only pickup orders have (a pickup
    order not staged yet is "not staged", below)."""
    if service_type != "pickup":
        raise NotFound(NO_PICKUP_STATUS)


def require_staged(workflow_state: str) -> None:
    """The bags must be waiting in the staging area: neither before staging nor after the
    order was picked up or canceled."""
    if workflow_state != STAGED:
        raise ParamsError("order_delivery_id", NOT_STAGED)


def require_pickup_order(service_type: str) -> None:
    """Pickup instructions and delegates exist for pickup orders only (400, code 4001)."""
    if service_type != "pickup":
        raise InvalidParameter(NON_PICKUP, code=4001)


def require_not_ended(workflow_state: str) -> None:
    """A delegate can be named until the order is picked up or canceled."""
    if workflow_state in ENDED:
        raise IncompatibleOrderStatus(PICKED_UP)


def normalize_phone(raw: str) -> str:
    """The delegate's number in E.164; a number that cannot exist is refused."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise InvalidParameter("Invalid phone number", key="phone_number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_eta(eta: datetime, *, now: datetime) -> None:
    """An ETA is ahead of now; a minute's leeway absorbs clocks that disagree."""
    if eta < now - ETA_LEEWAY:
        raise InvalidParameter("must not be in the past", key="schedule_pickup_eta")


def check_schedule(*, pickup_category: str, has_delegate: bool) -> None:
    """Schedule pickup's preconditions beyond staging: a curbside order without a delegate."""
    if pickup_category != CURBSIDE:
        raise ParamsError("pickup_category", NOT_CURBSIDE)
    if has_delegate:
        raise ParamsError("pickup_delegate", HAS_DELEGATE)


def check_arrival(*, as_delegate: bool, has_delegate: bool) -> None:
    if as_delegate and not has_delegate:
        raise InvalidParameter(NO_DELEGATE, key="is_pickup_delegate")


def customer_view(*, arrived: bool, runner_state: str | None) -> str:
    """The post-checkout ``workflow_state`` of a staged pickup order.

    No runner yet: ``ready_for_pickup``, or ``user_at_store`` once the customer arrived. A runner
    batch that waits for the customer: ``runner_awaiting``; the customer at the store and the
    runner running the bags out: ``runner_acknowledged``; bags checked with the customer:
    ``bags_verified`` (a pickup state on the "Get an order" page).
    """
    if runner_state is None:
        return "user_at_store" if arrived else "ready_for_pickup"
    return {
        "brand_new": "runner_awaiting",
        "at_store": "runner_acknowledged",
        "bags_verified": "bags_verified",
    }.get(runner_state, "runner_awaiting")


def is_late(*, window_ends_at: datetime | None, now: datetime) -> bool:
    """A staged order is a late pickup once its pickup window has ended."""
    return window_ends_at is not None and now >= window_ends_at
