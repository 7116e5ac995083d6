"""Wire models of the sandbox. Requests ignore unknown fields; ids accept numbers or strings."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from aftercart.db.ids import RowId
from aftercart.envelopes import validation_error
from aftercart.sandbox.listing_rules import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from aftercart.web.rules import ItemState


def _no_bool(value: Any) -> Any:
    """JSON ``true`` is not a count (Pydantic would read it as 1)."""
    if isinstance(value, bool):
        raise ValueError("is invalid")
    return value


Count = Annotated[int, BeforeValidator(_no_bool)]
Weight = Annotated[Decimal, BeforeValidator(_no_bool)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


Model = TypeVar("Model", bound=Request)


def parse(model: type[Model], raw: dict[str, Any] | None) -> Model:
    """Validates a body read as a plain object, for endpoints that look up the resources in
    their path before they judge the body. Errors come out as the framework's would."""
    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise validation_error(RequestValidationError(errors)) from None


# --- Shoppers and batches ------------------------------------------------------------------------


def _example(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ShopperCreate(Request):
    model_config = _example({"first_name": "Sam", "phone": "(415) 555-0177"})

    email: str | None = None
    phone: str | None = None
    first_name: str | None = Field(default=None, max_length=100)


class Created(BaseModel):
    id: int


class BatchOrder(Request):
    id: str
    user_id: str | None = None


_WORKFLOW_STATE = (
    "A later state of the batch's workflow (delivery: acknowledged, picking, "
    "verifying_replacements, checkout, receipt_sanity_check, delivering, completed; pickup: "
    "..., receipt_sanity_check, bags_check, staged; runner_customer: at_store, bags_verified, "
    "completed, or one of its signals pickup_geofence_reached, runner_not_found, "
    "unable_to_find_customer; delivery_only: acknowledged_for_delivery, at_store, bags_verified, "
    "delivering, completed), or, for delivery and delivery_only batches that are delivering, "
    "the signal customer_missing."
)


class BatchCreate(Request):
    model_config = _example(
        {"shopper_id": 3, "orders": [{"id": "order-1001", "user_id": "jane-123"}]}
    )

    shopper_id: int
    batch_type: Literal["delivery", "pickup", "runner_customer", "delivery_only"] | None = Field(
        default=None,
        description="The orders' own service type when absent; runner_customer takes staged "
        "pickup orders to their customers; delivery_only takes staged last-mile orders.",
    )
    workflow_state: str | None = Field(
        default=None, description=_WORKFLOW_STATE + " acknowledged when absent."
    )
    orders: list[BatchOrder]


class BatchAdvance(Request):
    """No body (or ``{}``) moves one step; a ``workflow_state`` moves through every step to it."""

    model_config = _example({}, {"workflow_state": "completed"})

    workflow_state: str | None = Field(default=None, description=_WORKFLOW_STATE)


class BatchState(BaseModel):
    id: int
    workflow_state: str


class Callback(Request):
    model_config = _example({"event_name": "late_delivery"})

    event_name: Literal["canceled", "rescheduled", "late_delivery"]


class Trigger(Request):
    """A callback of the catalogue to send for the order (``docs/sandbox.md``, "Triggers")."""

    model_config = _example(
        {"event_name": "fulfillment.picking", "overrides": {"shopper_id": 42}},
        {
            "event_name": "fulfillment.order_item_updated",
            "line_num": "2",
            "overrides": {"item.status": "found"},
        },
    )

    event_name: str | None = Field(
        default=None, description="An event name of the catalogue, e.g. fulfillment.delivering."
    )
    overrides: Any = Field(
        default=None,
        description="Fields of event_metadata to set, by dotted path (item.status, "
        "items.0.delivered_count); a value replaces the field whole.",
        json_schema_extra={"type": "object"},
    )
    line_num: str | None = Field(
        default=None,
        description="For an item event, the line it is about (by default the first line that "
        "fits the event, else line 1).",
    )


class Triggered(BaseModel):
    """The event written, in Connect's callback envelope, as receivers get it."""

    event_id: int
    event_name: str
    event_timestamp: str
    event_metadata: dict[str, Any]


class Success(BaseModel):
    success: bool = True


# --- Items and chat ------------------------------------------------------------------------------


class ItemRef(Request):
    """Exactly one of ``upc`` and ``rrc`` (checked by the rules, to answer with the right key)."""

    upc: str | None = None
    rrc: str | None = None


class ScanIn(Request):
    scanned_string: str
    scanned_string_type: str = Field(description="upca, upce, ean13, ean8 or gtin14 (any case).")


class ItemUpdate(Request):
    model_config = _example(
        {
            "status": "found",
            "delivered_count": 1,
            "scans": [{"scanned_string": "071842000107", "scanned_string_type": "upca"}],
        },
        {"status": "replaced", "replacement_item": {"upc": "071842000701"}},
    )

    status: str | None = Field(
        default=None,
        description="found, replaced, to_refund or not_found (required: 400 when absent).",
    )
    delivered_count: Count | None = None
    delivered_weight: Weight | None = None
    replacement_item: ItemRef | None = None
    scans: list[ScanIn] | None = None


class ItemAdd(Request):
    model_config = _example({"item": {"upc": "071842000305"}, "delivered_count": 1})

    item: ItemRef | None = Field(default=None, description="Required: 400 when absent.")
    delivered_count: Count | None = None
    delivered_weight: Weight | None = None
    scans: list[ScanIn] | None = None


class MessageCreate(Request):
    model_config = _example({"body": "No 2% left, is oat milk OK?"})

    body: str | None = Field(default=None, description="Required: 400 when absent or blank.")


# --- Reads (Aftercart additions, for the shopper console) ---------------------------------------


class ProductView(BaseModel):
    upc: str | None
    rrc: str | None
    name: str
    size: str | None
    sold_by_weight: bool


class ItemView(BaseModel):
    """One line of an order as the shopper works on it."""

    line_num: str
    product: ProductView
    count: int | None = Field(description="The ordered count; null for a line sold by weight.")
    weight: Decimal | None = Field(description="The ordered weight in pounds, or null.")
    special_instructions: str | None
    replacement_policy: str
    added_by_shopper: bool
    shopper_status: str = Field(description="found, replaced, to_refund or not_found.")
    delivered_count: int | None
    delivered_weight: Decimal | None
    replacement: ProductView | None
    replacement_status: str | None = Field(
        description="The customer's answer to the replacement: PENDING, APPROVED or REJECTED."
    )
    state: ItemState = Field(description="The state the order status page shows for the line.")
    state_text: str = Field(description="The state in words, e.g. 'Replaced by Oat Milk'.")


class OrderView(BaseModel):
    id: str = Field(description="The retailer's order id.")
    user_id: str
    service_type: str
    workflow_state: str
    special_instructions: str | None
    items_editable: bool = Field(
        description="Whether the sandbox takes item updates now (the order is picking)."
    )
    items: list[ItemView]


class BatchView(BaseModel):
    id: int
    batch_type: str
    workflow_state: str
    next_state: str | None = Field(description="Where one advance moves it; null at the end.")
    orders: list[OrderView] = Field(description="The calling client's orders only.")


class ShopperView(BaseModel):
    """The shopper and their open batches (those with a step left and an order not canceled)."""

    id: int
    first_name: str
    batches: list[BatchView]


class ScanOut(BaseModel):
    scanned_string: str
    scanned_string_type: str


class ProductSearch(BaseModel):
    products: list[ProductView] = Field(description="At most 20, codes matched exactly first.")
    scan: ScanOut | None = Field(
        description="When the query reads as a barcode: the scan to send with an item update."
    )


# --- Lists (Aftercart additions: what the sandbox created, newest first) -----------------------


class PageParams(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    cursor: str | None = Field(
        default=None, description="The previous page's next_cursor; absent for the first page."
    )


class BatchListParams(PageParams):
    state: Literal["all", "open"] = Field(
        default="all",
        description="open: only batches with a step left and an order that is not canceled.",
    )
    shopper_id: RowId | None = Field(default=None, description="Only this shopper's batches.")


_NEXT_CURSOR = "Pass it as cursor for the next page; null on the last page."


class ShopperSummary(BaseModel):
    id: int
    first_name: str
    email: str | None
    phone: str | None = Field(description="E.164, as stored.")
    created_at: datetime


class ShopperList(BaseModel):
    shoppers: list[ShopperSummary]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class BatchOrderSummary(BaseModel):
    id: str = Field(description="The retailer's order id.")
    user_id: str
    service_type: str
    workflow_state: str
    status: str = Field(description="Connect's fulfillment status of the order.")


class BatchShopper(BaseModel):
    id: int
    first_name: str


class BatchDetail(BaseModel):
    id: int
    batch_type: str
    workflow_state: str
    next_state: str | None = Field(description="Where one advance moves it; null at the end.")
    open: bool = Field(description="A step left and an order that is not canceled.")
    shopper: BatchShopper
    orders: list[BatchOrderSummary] = Field(
        description="The calling client's orders (and those that record no client); a runner "
        "batch's are the pickup orders it runs out."
    )
    created_at: datetime
    updated_at: datetime


class BatchList(BaseModel):
    batches: list[BatchDetail]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class InstacartUserView(BaseModel):
    """A sandbox Instacart account; its password is never shown (only its hash is kept)."""

    id: int
    email: str
    phone: str
    instacartplus_member: bool
    linked_user_id: str | None = Field(description="The Connect user linked to it, if any.")
    created_at: datetime


class InstacartUserList(BaseModel):
    instacart_users: list[InstacartUserView]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class UserOrderSummary(BaseModel):
    id: str = Field(description="The retailer's order id.")
    service_type: str
    workflow_state: str
    status: str = Field(description="Connect's fulfillment status of the order.")
    location_code: str
    batch_id: int | None
    shopper_id: int | None
    created_at: datetime
    order_url: str = Field(description="The signed order status page, as the Order object's.")


class UserOrderList(BaseModel):
    orders: list[UserOrderSummary]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)
