"""Wire models of the sandbox. Requests ignore unknown fields; ids accept numbers or strings."""

from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from aftercart.envelopes import validation_error


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


class ShopperCreate(Request):
    email: str | None = None
    phone: str | None = None
    first_name: str | None = Field(default=None, max_length=100)


class Created(BaseModel):
    id: int


class BatchOrder(Request):
    id: str
    user_id: str | None = None


class BatchCreate(Request):
    shopper_id: int
    batch_type: Literal["delivery", "pickup"] | None = None
    workflow_state: str | None = None
    orders: list[BatchOrder]


class BatchAdvance(Request):
    workflow_state: str | None = None


class BatchState(BaseModel):
    id: int
    workflow_state: str


class Callback(Request):
    event_name: Literal["canceled", "rescheduled", "late_delivery"]


class Success(BaseModel):
    success: bool = True


# --- Items and chat ------------------------------------------------------------------------------


class ItemRef(Request):
    """Exactly one of ``upc`` and ``rrc`` (checked by the rules, to answer with the right key)."""

    upc: str | None = None
    rrc: str | None = None


class ScanIn(Request):
    scanned_string: str
    scanned_string_type: str


class ItemUpdate(Request):
    status: str | None = None
    delivered_count: Count | None = None
    delivered_weight: Weight | None = None
    replacement_item: ItemRef | None = None
    scans: list[ScanIn] | None = None


class ItemAdd(Request):
    item: ItemRef | None = None
    delivered_count: Count | None = None
    delivered_weight: Weight | None = None
    scans: list[ScanIn] | None = None


class MessageCreate(Request):
    body: str | None = None
