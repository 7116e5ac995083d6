"""Request bodies of the fulfillment API, read liberally.

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


def _example(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


_ITEMS: list[dict[str, Any]] = [
    {"line_num": "1", "count": 2, "item": {"upc": "071842000107"}},
    {"line_num": "2", "count": 1, "item": {"upc": "072255000104"}},
    {
        "line_num": "3",
        "weight": 1.5,
        "item": {"rrc": "PLU-4011"},
        "special_instructions": "Not too ripe",
    },
]


# --- Users ----------------------------------------------------------------------------------------


class UserCreate(Request):
    model_config = _example(
        {
            "user_id": "jane-123",
            "first_name": "jane",
            "last_name": "doe",
            "phone_number": "+14155550123",
            "locale": "en-US",
        }
    )

    user_id: Ident
    first_name: Name
    last_name: Name | None = None
    phone_number: Phone | None = None
    locale: Locale | None = None


class UserUpdate(Request):
    """Only the fields sent change; ``null`` clears an optional one."""

    model_config = _example({"last_name": "Doe-Smith", "phone_number": "+14155550188"})

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
    model_config = _example(
        {"find_by": {"address_line_1": "500 Howard St", "postal_code": "94105"}},
        {"find_by": {"latitude": 37.7897, "longitude": -122.3972}},
    )

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
    """An item as a time-slot listing takes it (``line_num`` optional)."""

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
#: An update's lines: required for a delivery or pickup order, absent for a last-mile order (which
#: is packed before it is ordered); :func:`aftercart.fulfillment.items.lines_to_update` decides.
UpdateItems = Annotated[list[OrderItemIn], Field(max_length=1000)]


# --- Time slots -----------------------------------------------------------------------------------


class Address(Request):
    address_line_1: Short = Field(min_length=1)
    address_line_2: Short | None = None
    address_type: Short | None = None
    postal_code: Annotated[str, BeforeValidator(_number_to_text), _text(20)]
    city: Short | None = None


class SlotSearch(Request):
    """``with_eta_options`` / ``with_priority_eta_options`` add a standard / priority ETA option
    to a delivery listing ("By 12:00pm"); a pickup listing ignores them."""

    model_config = _example(
        {"location_code": "sf-mission", "items": [{"count": 2, "item": {"upc": "071842000107"}}]},
        {
            "location_code": "sf-mission",
            "with_eta_options": True,
            "with_priority_eta_options": True,
        },
    )

    location_code: Code
    items: list[CartItem] = Field(default_factory=list, max_length=1000)
    address: Address | None = None
    with_eta_options: bool = False
    with_priority_eta_options: bool = False


def _not_blank(text: str) -> str:
    """After stripping: a ``BeforeValidator`` keeps pydantic from checking ``min_length`` on the
    stripped text."""
    if not text:
        raise ValueError("can't be blank")
    return text


PostalCode = Annotated[str, BeforeValidator(_number_to_text), _text(20), AfterValidator(_not_blank)]


class AddressCreate(Request):
    """Instacart's "Create a Connect user and validate an address": the address, and the user's
    fields for when the user is new (``first_name`` is then needed)."""

    model_config = _example(
        {
            "address_line_1": "500 howard st.",
            "address_line_2": "apt 4b",
            "address_type": "residential",
            "postal_code": "94105-1804",
            "first_name": "jane",
            "last_name": "doe",
            "phone_number": "+14155550123",
            "locale": "en-US",
        }
    )

    address_line_1: Short = Field(min_length=1)
    address_line_2: Short | None = None
    address_type: Short | None = None
    postal_code: PostalCode
    city: Short | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    phone_number: Phone | None = None
    locale: Locale | None = None


# --- Orders ---------------------------------------------------------------------------------------


class OrderUser(Request):
    """Per-order values that override the user's own."""

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
    model_config = _example(
        {
            "order_id": "order-1001",
            "service_option_hold_id": 42,
            "initial_tip_cents": 500,
            "special_instructions": "Ring the bell",
            "address": {"address_line_1": "500 Howard St", "postal_code": "94105"},
            "items": _ITEMS,
        }
    )

    initial_tip_cents: Cents
    leave_unattended: bool = False
    address: Address


class PickupOrderCreate(OrderCreate):
    model_config = _example(
        {
            "order_id": "order-1002",
            "service_option_hold_id": 43,
            "location_code": "sf-mission",
            "items": _ITEMS[:2],
        }
    )

    location_code: Code


class OrderItemSelection(Request):
    """The customer's replacements for one line: ``replacement_items`` (or a single ``upc`` /
    ``rrc``), in the amount the customer wants (exactly one of ``count`` and ``weight``)."""

    line_num: LineNum
    count: int | None = Field(default=None, gt=0, le=10_000)
    weight: Decimal | None = Field(default=None, gt=0, le=100_000, allow_inf_nan=False)
    upc: Code | None = None
    rrc: Code | None = None
    replacement_items: list[ItemRef] | None = Field(default=None, min_length=1, max_length=10)

    @model_validator(mode="after")
    def _one_amount_and_one_way_to_name(self) -> "OrderItemSelection":
        if (self.count is None) == (self.weight is None):
            raise ValueError("must include exactly one of count or weight")
        named = [self.upc is not None, self.rrc is not None, self.replacement_items is not None]
        if sum(named) != 1:
            raise ValueError("must include exactly one of replacement_items, upc or rrc")
        return self

    def refs(self) -> list[ItemRef]:
        """The replacements named, in the order given."""
        if self.replacement_items is not None:
            return self.replacement_items
        return [ItemRef(upc=self.upc, rrc=self.rrc)]

    def amount(self) -> dict[str, Any]:
        """What is stored beside each replacement's identifier."""
        if self.count is not None:
            return {"count": self.count}
        return {"weight": float(self.weight or 0)}


MAX_SELECTIONS = 10


def _ten_at_most(selections: list[OrderItemSelection]) -> list[OrderItemSelection]:
    if not selections:
        raise ValueError("can't be blank")
    if len(selections) > MAX_SELECTIONS:
        raise ValueError(f"can't contain more than {MAX_SELECTIONS} selections")
    return selections


class ReplacementSelections(Request):
    """Instacart's "Set item replacements": each selection overwrites its line's replacements."""

    model_config = _example(
        {
            "selections": [
                {"line_num": "1", "count": 2, "replacement_items": [{"upc": "071842000206"}]},
                {"line_num": "2", "count": 1, "upc": "071842000701"},
            ]
        }
    )

    selections: Annotated[list[OrderItemSelection], AfterValidator(_ten_at_most)]


class TipUpdate(Request):
    """Instacart's "Update a tip", for a delivered order."""

    model_config = _example({"tip_amount_cents": 700})

    tip_amount_cents: Cents


class OrderUpdate(Request):
    """Items are a full replacement keyed by ``line_num``; other absent fields stay as they are.
    A last-mile order takes no items."""

    model_config = _example({"initial_tip_cents": 700, "items": _ITEMS[:2]})

    service_option_hold_id: IntId | None = None
    initial_tip_cents: Cents | None = None
    special_instructions: Text | None = None
    user: OrderUser | None = None
    items: UpdateItems | None = None
