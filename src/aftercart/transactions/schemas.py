"""Wire models of the point-of-sale transaction endpoints.

The request is Instacart's (https://docs.instacart.com/connect/api/transaction/send_pos_transaction/)
plus ``order_id`` (an Aftercart addition). Unknown fields are ignored; identifiers may arrive as
numbers; the card fields may not (a number would lose a leading zero). Amounts are JSON numbers
in the currency's units (``100.22``), as the page writes them, not cents.
"""

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from aftercart.transactions import rules


def _number_to_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


def _bin(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or value not in rules.INSTACART_BINS:
        raise ValueError("is not included in the list")
    return value


def _last_four(value: Any) -> str:
    if not isinstance(value, str) or not rules.LAST_FOUR.fullmatch(value):
        raise ValueError("must be 4 digits, as a string")
    return value


def _currency(value: Any) -> str:
    if value is None:
        return rules.DEFAULT_CURRENCY
    if not isinstance(value, str) or not rules.CURRENCY.fullmatch(value):
        raise ValueError("must be a three-letter ISO 4217 code")
    return value.upper()


def _list_or_empty(value: Any) -> Any:
    return [] if value is None else value


_AS_NUMBER = PlainSerializer(rules.as_number, return_type=int | float, when_used="json")
_CENTS = AfterValidator(partial(rules.check_amount, places=rules.MONEY_PLACES))
_FOUR_PLACES = AfterValidator(partial(rules.check_amount, places=rules.FINE_PLACES))


#: The constraints come before the number-to-text step so that they are the string's own: a
#: blank value is stripped, then refused (after a ``BeforeValidator`` they would count first and
#: strip after, letting ``"  "`` through as ``""``).
Ident = Annotated[str, _text(rules.MAX_ID_LENGTH), BeforeValidator(_number_to_text)]
Code = Annotated[str, _text(64), BeforeValidator(_number_to_text)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Bin = Annotated[
    str | None,
    BeforeValidator(_bin),
    WithJsonSchema({"anyOf": [{"enum": list(rules.INSTACART_BINS)}, {"type": "null"}]}),
]
LastFour = Annotated[
    str, BeforeValidator(_last_four), WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}$"})
]
Currency = Annotated[
    str,
    BeforeValidator(_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{3}$", "default": "USD"}),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(rules.parse_timestamp),
    PlainSerializer(rules.format_timestamp, return_type=str, when_used="json"),
]
#: A transaction's totals: never negative.
Total = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), _CENTS, _AS_NUMBER]
#: A line's amount: a discount, a coupon, a refund tender or a tax adjustment may be negative.
Amount = Annotated[Decimal, Field(allow_inf_nan=False), _CENTS, _AS_NUMBER]
#: A price per unit may be finer than a cent (per gram, per pound).
UnitPrice = Annotated[Decimal, Field(allow_inf_nan=False), _FOUR_PLACES, _AS_NUMBER]
#: A count or a weight (2.1 lb).
Quantity = Annotated[Decimal, Field(gt=0, allow_inf_nan=False), _FOUR_PLACES, _AS_NUMBER]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PosTender(Request):
    """One way the transaction was paid for."""

    type: Code = Field(description="The kind of tender, such as CREDIT_CARD or CASH.")
    amount: Amount = Field(description="What this tender paid; may be negative (a refund).")
    id: Ident | None = Field(default=None, description="The tender's identifier.")
    approval_processed_by_code: Code | None = Field(
        default=None, description="Who approved the payment, such as RETAILER."
    )


class PosItem(Request):
    """One line of the receipt."""

    line_item_number: Code | None = None
    bar_code: Code | None = None
    retailer_reference_code: Code | None = None
    description: LongText | None = None
    category: Text | None = None
    price_per_unit: UnitPrice | None = Field(
        default=None, description="The price of one unit (or of one pound, kilogram...)."
    )
    item_price: Amount = Field(description="What the line cost; negative for a discount line.")
    quantity: Quantity = Field(description="A count or a weight, above 0.")


class PosTax(Request):
    """One tax or fee."""

    type: Code = Field(description="The kind of tax or fee, such as OTHER.")
    type_other: Text | None = Field(default=None, description="Its name when type is OTHER.")
    amount: Amount


#: The tutorial's request (https://docs.instacart.com/connect/transactions_guide/tutorials/
#: send_via_transaction_api), with an ``order_id``.
EXAMPLE: dict[str, Any] = {
    "bin": "546683",
    "last_four": "9929",
    "transaction_timestamp": "2022-09-12T17:34:00Z",
    "id": "12_0200_0036_4e45e940-9bf2-4bf0-bf98-ee8a40540ac3",
    "store_id": "sf-mission",
    "order_id": "order-1001",
    "sub_total": 99.0,
    "total": 100.22,
    "currency_code": "USD",
    "total_tax": 1.22,
    "cardholder_name": "Instacart 12345",
    "tenders": [
        {"type": "CREDIT_CARD", "amount": 100.22, "approval_processed_by_code": "RETAILER"}
    ],
    "items": [
        {
            "line_item_number": "1",
            "bar_code": "7789048811",
            "retailer_reference_code": "48811",
            "description": "Organic bananas",
            "category": "Produce",
            "price_per_unit": 0.05,
            "item_price": 0.05,
            "quantity": 1,
        }
    ],
    "taxes": [{"type": "OTHER", "type_other": "TotalTaxes", "amount": 1.22}],
}


class PosTransactionIn(Request):
    """Instacart's request, and ``order_id``: the order it was paid for (an Aftercart
    addition; optional, as Instacart's body has none)."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [EXAMPLE]})

    bin: Bin = Field(default=None, description="The card's first six digits: one of the four.")
    last_four: LastFour = Field(description="The card's last four digits, as a string.")
    transaction_timestamp: Timestamp = Field(
        description="When the sale happened, with its zone (Z or an offset; -5:00 is read too)."
    )
    id: Ident = Field(description="The transaction's id, unique across stores and banners.")
    store_id: Ident = Field(description="The store (its location_code).")
    checkout_id: Ident | None = Field(
        default=None, description="The identifier submitted in checkout registration."
    )
    sub_total: Total | None = Field(default=None, description="The total before taxes and fees.")
    total: Total = Field(description="The total with taxes and fees.")
    currency_code: Currency = Field(
        default=rules.DEFAULT_CURRENCY, description="ISO 4217; USD when absent."
    )
    total_tax: Total = Field(description="The total tax.")
    cardholder_name: Text | None = Field(default=None, description="The name on the card.")
    customer_reference: Text | None = Field(
        default=None, description="An id, email or phone number of the customer."
    )
    tenders: Annotated[list[PosTender], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list, max_length=50, description="How it was paid for."
    )
    items: Annotated[list[PosItem], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list, max_length=1000, description="The lines of the receipt."
    )
    taxes: Annotated[list[PosTax], BeforeValidator(_list_or_empty)] = Field(
        default_factory=list, max_length=100, description="The taxes and fees."
    )
    order_id: Ident | None = Field(
        default=None,
        description="Aftercart addition: the order it paid for (one of the retailer's order_id).",
    )

    def stored(self) -> dict[str, Any]:
        """The body as it is kept and compared: JSON, absent optional fields left out."""
        body: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return body


class PosTransactionSent(BaseModel):
    """The page's answer: the transaction's ``id`` (the one sent)."""

    id: str


# --- The listing (an Aftercart addition) ----------------------------------------------------------


class ListParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: Annotated[str, _text(rules.MAX_ID_LENGTH)] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = None


class PosTenderOut(BaseModel):
    type: str
    amount: float
    id: str | None = None
    approval_processed_by_code: str | None = None


class PosItemOut(BaseModel):
    line_item_number: str | None = None
    bar_code: str | None = None
    retailer_reference_code: str | None = None
    description: str | None = None
    category: str | None = None
    price_per_unit: float | None = None
    item_price: float
    quantity: float


class PosTaxOut(BaseModel):
    type: str
    type_other: str | None = None
    amount: float


class PosTransactionOut(BaseModel):
    """A stored transaction: the body as validated (the time in UTC), and what Aftercart knows
    of its arrival."""

    id: str
    order_id: str | None = None
    bin: str | None = None
    last_four: str
    transaction_timestamp: str
    store_id: str
    checkout_id: str | None = None
    sub_total: float | None = None
    total: float
    currency_code: str
    total_tax: float
    cardholder_name: str | None = None
    customer_reference: str | None = None
    tenders: list[PosTenderOut]
    items: list[PosItemOut]
    taxes: list[PosTaxOut]
    client_id: str = Field(description="The client whose token sent it.")
    received_at: datetime
    sent_late: bool = Field(
        description="Received more than 10 minutes after transaction_timestamp (the page's best "
        "practice is within 10 minutes)."
    )


class PosTransactionPage(BaseModel):
    pos_transactions: list[PosTransactionOut]
    next_cursor: str | None
