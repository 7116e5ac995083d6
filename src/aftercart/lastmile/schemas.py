"""Wire models of last-mile delivery (Connect's "Create a last mile delivery order", "Stage a
last mile delivery order" and the dispatch pages), read as liberally as the fulfillment API's.

Names and phones are checked by the service, not here, so that they fail with the messages the
pages give ("Invalid last name", "Invalid phone number") rather than a generic validation one.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from aftercart.fulfillment.schemas import (
    Address,
    Cents,
    Code,
    Ident,
    IntId,
    Locale,
    Phone,
    Request,
    Text,
)
from aftercart.fulfillment.views import OrderOut

NameText = Annotated[str, StringConstraints(max_length=255)]
Count = Annotated[int, Field(ge=0, le=10_000)]
Bags = Annotated[int, Field(ge=0, le=1_000)]
Pounds = Annotated[Decimal, Field(ge=0, le=100_000, allow_inf_nan=False)]
Dollars = Annotated[Decimal, Field(ge=0, le=10_000_000, allow_inf_nan=False)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ScanCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]

MAX_METADATA_KEYS = 50


def _small_metadata(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"can't have more than {MAX_METADATA_KEYS} keys")
    return value


Metadata = Annotated[dict[str, Any], AfterValidator(_small_metadata)]


def _unique(codes: list[str]) -> list[str]:
    if len(set(codes)) != len(codes):
        raise ValueError("can't contain the same code twice")
    return codes


ScanCodes = Annotated[list[ScanCode], Field(max_length=100), AfterValidator(_unique)]

_ADDRESS: dict[str, Any] = {"address_line_1": "500 Howard St", "postal_code": "94105"}


class LastMileSlotSearch(Request):
    """The time slots of a store for a packed order: its size instead of its items."""

    model_config = ConfigDict(
        **{
            "json_schema_extra": {
                "examples": [
                    {"location_code": "sf-mission", "items_count": 12, "items_weight": 9.5}
                ]
            }
        }
    )

    location_code: Code
    items_count: Count | None = None
    items_weight: Pounds | None = None
    address: Address | None = None


class _Customer(Request):
    first_name: NameText
    last_name: NameText
    user_phone: Phone


class _Packed(Request):
    """What the retailer says about a packed order, beside who receives it."""

    locale: Locale | None = None
    initial_tip_cents: Cents | None = None
    items_count: Count
    bags_count: Bags | None = None
    items_weight: Pounds
    cart_total: Dollars | None = None
    bag_label: Label | None = None
    alcoholic: bool = False
    leave_unattended: bool = False
    special_instructions: Text | None = None
    customer_sms_opt_out: bool = False
    address: Address


class LastMileOrderCreate(_Packed, _Customer):
    model_config = ConfigDict(
        **{
            "json_schema_extra": {
                "examples": [
                    {
                        "order_id": "lmd-1001",
                        "location_code": "sf-mission",
                        "service_option_hold_id": 42,
                        "first_name": "Jane",
                        "last_name": "Doe",
                        "user_phone": "+14155550123",
                        "items_count": 12,
                        "items_weight": 9.5,
                        "bags_count": 3,
                        "bag_label": "DOE-1001",
                        "address": _ADDRESS,
                    }
                ]
            }
        }
    )

    order_id: Ident
    location_code: Code
    service_option_hold_id: IntId
    start_at: datetime | None = None
    end_at: datetime | None = None


class DispatchOrderCreate(_Packed, _Customer):
    model_config = ConfigDict(
        **{
            "json_schema_extra": {
                "examples": [
                    {
                        "order_id": "dlmd-1001",
                        "location_code": "sf-mission",
                        "start_at": "2026-12-03T18:00:00Z",
                        "end_at": "2026-12-03T20:00:00Z",
                        "fallback_to_soonest_sameday": True,
                        "first_name": "Jane",
                        "last_name": "Doe",
                        "user_phone": "+14155550123",
                        "items_count": 12,
                        "items_weight": 9.5,
                        "address": _ADDRESS,
                        "metadata": {"pos_ticket": "A-77"},
                    }
                ]
            }
        }
    )

    order_id: Ident
    location_code: Code
    start_at: datetime
    end_at: datetime
    fallback_to_soonest_sameday: bool = False
    email: Email | None = None
    metadata: Metadata | None = None


class DispatchOrderUpdate(Request):
    """Only the fields sent change; a new ``start_at``/``end_at`` pair looks for a new slot."""

    model_config = ConfigDict(
        **{"json_schema_extra": {"examples": [{"bags_count": 4, "special_instructions": "Gate 2"}]}}
    )

    start_at: datetime | None = None
    end_at: datetime | None = None
    fallback_to_soonest_sameday: bool = False
    first_name: NameText | None = None
    last_name: NameText | None = None
    user_phone: Phone | None = None
    email: Email | None = None
    initial_tip_cents: Cents | None = None
    items_count: Count | None = None
    bags_count: Bags | None = None
    items_weight: Pounds | None = None
    cart_total: Dollars | None = None
    bag_label: Label | None = None
    leave_unattended: bool | None = None
    special_instructions: Text | None = None
    metadata: Metadata | None = None


class StageOrder(Request):
    """Connect's "Stage a last mile delivery order": every field optional; those sent replace
    what the order was created with."""

    model_config = ConfigDict(
        **{
            "json_schema_extra": {
                "examples": [
                    {
                        "items_count": 12,
                        "bags_count": 3,
                        "items_weight": 9.5,
                        "bag_label": "DOE-1001",
                        "bag_scan_codes": ["BAG-1001-1", "BAG-1001-2", "BAG-1001-3"],
                    }
                ]
            }
        }
    )

    items_count: Count | None = None
    bags_count: Bags | None = None
    items_weight: Pounds | None = None
    bag_label: Label | None = None
    bag_scan_codes: ScanCodes | None = None


class DispatchOrderOut(OrderOut):
    metadata: dict[str, Any] | None = Field(
        description="The order-level metadata the retailer sent, as sent."
    )
