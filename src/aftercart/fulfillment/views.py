"""Response bodies of the fulfillment API and how they are built from rows."""

import base64
import datetime as dt
import json
from datetime import datetime, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, Field

from aftercart.fulfillment import rules
from aftercart.fulfillment.snapshot import Line, OrderSnapshot, ProductCodes
from aftercart.models import (
    ServiceOption,
    ServiceOptionHold,
    Store,
    User,
    UserAddress,
)


class UserOut(BaseModel):
    user_id: str
    first_name: str
    last_name: str | None
    phone_number: str | None
    locale: str | None
    active: bool


def user_out(user: User) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        first_name=user.first_name,
        last_name=user.last_name,
        phone_number=user.phone_number,
        locale=user.locale,
        active=user.active,
    )


class AddressOut(BaseModel):
    """The validated address: use it, as it is here, to create the user's orders."""

    user_id: str
    address_line_1: str
    address_line_2: str | None
    address_type: str | None
    city: str
    state: str
    postal_code: str = Field(description="A US ZIP code in its 5 digits.")
    zip_plus_four: str | None = Field(description="The ZIP+4 add-on code, when one was sent.")
    long_distance_delivery: bool = Field(
        description="No delivery store within a 30-minute drive of the address."
    )


def address_out(address: UserAddress) -> AddressOut:
    return AddressOut(
        user_id=address.user_id,
        address_line_1=address.address_line_1,
        address_line_2=address.address_line_2,
        address_type=address.address_type,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        zip_plus_four=address.zip_plus_four,
        long_distance_delivery=address.long_distance_delivery,
    )


class StoreAddress(BaseModel):
    address_line_1: str
    city: str
    state: str
    postal_code: str


class StoreOut(BaseModel):
    location_code: str
    name: str
    address: StoreAddress
    pickup: bool
    pickup_only: bool
    delivery: bool
    alcohol: bool = False
    long_distance_delivery: bool = False
    distance_km: float


class StoresOut(BaseModel):
    stores: list[StoreOut]


def store_out(store: Store, distance_km: float) -> StoreOut:
    return StoreOut(
        location_code=store.location_code,
        name=store.name,
        address=StoreAddress(
            address_line_1=store.address_line_1,
            city=store.city,
            state=store.state,
            postal_code=store.postal_code,
        ),
        pickup=store.pickup,
        pickup_only=store.pickup and not store.delivery,
        delivery=store.delivery,
        distance_km=round(distance_km, 2),
    )


class Window(BaseModel):
    type: Literal["scheduled", "eta", "priority_eta"] = Field(
        description="`eta` and `priority_eta` (delivery only): delivery by `end_at`."
    )
    start_at: datetime
    end_at: datetime


class Availability(BaseModel):
    available: bool
    remaining: int = Field(description="Orders the slot can still take, for this user.")
    capacity: int


class ServiceOptionOut(BaseModel):
    id: int
    service_option_reference: str
    date: dt.date = Field(description="The window's date in the store's time zone.")
    service_type: str
    location_code: str
    window: Window
    availability: Availability


class ServiceOptionsOut(BaseModel):
    service_options: list[ServiceOptionOut]


class HoldOut(BaseModel):
    id: int
    expires_at: datetime
    service_option: ServiceOptionOut


class HoldEnvelope(BaseModel):
    service_option_hold: HoldOut


def _reference(slot: ServiceOption) -> str:
    """Connect's opaque ``service_option_reference``: base64 of a small JSON document."""
    document = {
        "service_option_id": slot.id,
        "location_code": slot.location_code,
        "service_type": rules.service_of(slot.service_type),
        "window_type": rules.window_type(slot.service_type),
        "window_starts_at": slot.window_starts_at.isoformat(),
        "window_ends_at": slot.window_ends_at.isoformat(),
    }
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def service_option_out(slot: ServiceOption, *, remaining: int, zone: tzinfo) -> ServiceOptionOut:
    return ServiceOptionOut(
        id=slot.id,
        service_option_reference=_reference(slot),
        date=slot.window_starts_at.astimezone(zone).date(),
        service_type=rules.service_of(slot.service_type),
        location_code=slot.location_code,
        window=Window(
            type=rules.window_type(slot.service_type),
            start_at=slot.window_starts_at,
            end_at=slot.window_ends_at,
        ),
        availability=Availability(
            available=remaining > 0, remaining=remaining, capacity=slot.capacity
        ),
    )


def hold_out(hold: ServiceOptionHold, option: ServiceOptionOut) -> HoldEnvelope:
    return HoldEnvelope(
        service_option_hold=HoldOut(id=hold.id, expires_at=hold.expires_at, service_option=option)
    )


class FulfillmentDetails(BaseModel):
    store_location: str
    window_starts_at: datetime | None
    window_ends_at: datetime | None
    delivered_at: datetime | None


class OrderItemOut(BaseModel):
    line_num: str
    count: int | None
    weight: float | None
    item: dict[str, str]
    special_instructions: str | None
    replacement_policy: str
    replacement_items: list[dict[str, Any]]
    added_by_shopper: bool
    status: str | None = Field(description="The shopper's outcome; null before picking.")
    delivered_item: dict[str, str] | None
    delivered_count: int | None
    delivered_weight: float | None


class OrderOut(BaseModel):
    id: str
    status: str
    order_url: str | None = Field(
        description="The hosted order status page, for the customer (signed: no login needed)."
    )
    created_at: datetime
    cancellation_reason: rules.CancellationReason | None
    locale: str | None
    fulfillment_details: FulfillmentDetails
    items: list[OrderItemOut]
    warnings: list[dict[str, Any]]


def identifiers(product: ProductCodes | None) -> dict[str, str]:
    if product is None:
        return {}
    codes = {"upc": product.upc, "rrc": product.rrc}
    return {name: code for name, code in codes.items() if code}


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def item_out(item: Line, *, picked: bool) -> OrderItemOut:
    """``picked``: the order has reached picking, so the shopper's outcome is shown."""
    delivered = identifiers(item.delivered_product) if picked else {}
    return OrderItemOut(
        line_num=item.line_num,
        count=item.count,
        weight=_number(item.weight),
        item=identifiers(item.product),
        special_instructions=item.special_instructions,
        replacement_policy=item.replacement_policy,
        replacement_items=item.replacement_items,
        added_by_shopper=item.added_by_shopper,
        status=item.shopper_status if picked else None,
        delivered_item=delivered or None,
        delivered_count=item.delivered_count if picked else None,
        delivered_weight=_number(item.delivered_weight) if picked else None,
    )


def order_out(order: OrderSnapshot, *, order_url: str) -> OrderOut:
    """From a read (:mod:`.snapshot`), or a write's order through ``snapshot_of``."""
    picked = rules.picking_started(order.workflow_state)
    reason = order.cancellation_reason
    return OrderOut(
        id=order.order_id,
        status=rules.order_status(order.workflow_state),
        order_url=order_url,
        created_at=order.created_at,
        cancellation_reason=rules.CancellationReason(reason) if reason else None,
        locale=rules.posix_locale(order.locale),
        fulfillment_details=FulfillmentDetails(
            store_location=order.location_code,
            window_starts_at=order.window_starts_at,
            window_ends_at=order.window_ends_at,
            delivered_at=order.delivered_at,
        ),
        items=[item_out(line, picked=picked) for line in order.lines],
        warnings=[],
    )
