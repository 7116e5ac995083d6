"""Request bodies of the fulfillment API (reference §4), read liberally (issue 2 §4).

Unknown fields are ignored; retailer ids (``user_id``, ``order_id``, ``line_num``) may arrive as
numbers and integer ids as numeric strings. Every bound matches the column it ends up in, so a
value the database would refuse is a 400 here instead of a 500 there.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from aftercart.fulfillment import rules


def _number_to_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _checked_name(name: str) -> str:
    if rules.has_forbidden_characters(name):
        raise ValueError(f"can't contain any of {' '.join(rules.NAME_FORBIDDEN_CHARACTERS)}")
    return name


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Ident = Annotated[str, BeforeValidator(_number_to_text), _text(255)]
LineNum = Annotated[str, BeforeValidator(_number_to_text), _text(64)]
Code = Annotated[str, BeforeValidator(_number_to_text), _text(64)]
Name = Annotated[str, _text(255), AfterValidator(_checked_name)]
Phone = Annotated[str, BeforeValidator(_number_to_text), _text(40)]
Locale = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=20, pattern=rules.LOCALE_PATTERN),
    AfterValidator(rules.normalize_locale),
]
Text = Annotated[str, StringConstraints(max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Cents = Annotated[int, Field(ge=0, le=100_000_000)]
#: Our integer ids (slots, holds) are 32-bit on PostgreSQL.
IntId = Annotated[int, Field(ge=1, le=2**31 - 1)]
ServiceType = Literal["delivery", "pickup"]
ReplacementPolicy = Literal["no_replacements", "users_choice", "shoppers_choice"]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- Users ----------------------------------------------------------------------------------------


class UserCreate(Request):
    user_id: Ident
    first_name: Name
    last_name: Name | None = None
    phone_number: Phone | None = None
    locale: Locale | None = None


class UserUpdate(Request):
    """Only the fields sent change; ``null`` clears an optional one."""

    first_name: Name | None = None
    last_name: Name | None = None
    phone_number: Phone | None = None
    locale: Locale | None = None
    active: bool | None = None


# --- Stores ---------------------------------------------------------------------------------------


class FindBy(Request):
    """Either ``latitude`` and ``longitude``, or a ``postal_code`` (with ``address_line_1`` for
    delivery); which one is checked by the service so that the error names the missing field."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    postal_code: Annotated[str, BeforeValidator(_number_to_text), _text(20)] | None = None
    address_line_1: Short | None = None
    address_line_2: Short | None = None
    address_type: Short | None = None


class StoreSearch(Request):
    find_by: FindBy


# --- Items ----------------------------------------------------------------------------------------


class ItemRef(Request):
    """A catalog item, named by exactly one of ``upc`` or ``rrc``."""

    upc: Code | None = None
    rrc: Code | None = None

    @model_validator(mode="after")
    def _exactly_one_identifier(self) -> "ItemRef":
        if (self.upc is None) == (self.rrc is None):
            raise ValueError("must have exactly one of upc or rrc")
        return self

    def identifier(self) -> dict[str, str]:
        return {"upc": self.upc} if self.upc is not None else {"rrc": self.rrc or ""}


class CartItem(Request):
    """An item as a time-slot listing takes it (reference §4.6, ``line_num`` optional)."""

    count: int | None = Field(default=None, ge=0, le=10_000)
    weight: Decimal | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    special_instructions: Text | None = None
    replacement_policy: ReplacementPolicy | None = None
    replacement_items: list[ItemRef] = Field(default_factory=list, max_length=10)
    item: ItemRef

    @model_validator(mode="after")
    def _count_or_weight(self) -> "CartItem":
        if self.count is None and self.weight is None:
            raise ValueError("must have a count or a weight")
        return self


class OrderItemIn(CartItem):
    line_num: LineNum


def _not_empty(items: list[OrderItemIn]) -> list[OrderItemIn]:
    if not items:
        raise ValueError("can't be blank")
    return items


OrderItems = Annotated[list[OrderItemIn], Field(max_length=1000), AfterValidator(_not_empty)]


# --- Time slots -----------------------------------------------------------------------------------


class Address(Request):
    address_line_1: Short = Field(min_length=1)
    address_line_2: Short | None = None
    address_type: Short | None = None
    postal_code: Annotated[str, BeforeValidator(_number_to_text), _text(20)]
    city: Short | None = None


class SlotSearch(Request):
    location_code: Code
    items: list[CartItem] = Field(default_factory=list, max_length=1000)
    address: Address | None = None


# --- Orders ---------------------------------------------------------------------------------------


class OrderUser(Request):
    """Per-order values that override the user's own (reference §4.5)."""

    birthday: date | None = None
    phone_number: Phone | None = None
    sms_opt_in: bool | None = None


class OrderCreate(Request):
    order_id: Ident
    service_option_hold_id: IntId
    location_code: Code | None = None
    loyalty_number: Annotated[str, _text(100)] | None = None
    special_instructions: Text | None = None
    paid_with_ebt: bool = False
    locale: Locale | None = None
    user: OrderUser | None = None
    items: OrderItems


class DeliveryOrderCreate(OrderCreate):
    initial_tip_cents: Cents
    leave_unattended: bool = False
    address: Address


class PickupOrderCreate(OrderCreate):
    location_code: Code


class OrderUpdate(Request):
    """Items are a full replacement keyed by ``line_num``; other absent fields stay as they are."""

    service_option_hold_id: IntId | None = None
    initial_tip_cents: Cents | None = None
    special_instructions: Text | None = None
    user: OrderUser | None = None
    items: OrderItems
