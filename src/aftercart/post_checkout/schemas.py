"""Seed 004's wire models. Absent values are omitted from answers, never sent as ``null``:
the seed's schemas have no nullable fields."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

OrderStatus = Literal[
    "brand_new", "acknowledged", "picking", "staging", "delivering", "delivered", "canceled"
]
ItemStatus = Literal["pending", "found", "replaced", "refunded", "not_found"]
Decision = Literal["APPROVED", "REJECTED"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReplacementDecisionRequest(_Request):
    status: Decision


class SendMessageRequest(_Request):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Address(BaseModel):
    address_line_1: str | None = None
    address_line_2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None


class Coordinates(BaseModel):
    latitude: float
    longitude: float


class HandlingShopper(BaseModel):
    name: str
    phone_number: str | None = None


class OrderHandlingResponse(BaseModel):
    order_id: str
    status: OrderStatus
    address: Address | None = None
    coordinates: Coordinates | None = None
    shopper: HandlingShopper | None = None
    notes: str | None = None


class Replacement(BaseModel):
    product_name: str
    product_id: str
    quantity: int


class PostCheckoutOrderItem(BaseModel):
    id: str
    product_name: str
    quantity: int
    status: ItemStatus
    replacement: Replacement | None = None
    replacement_status: Literal["PENDING", "APPROVED", "REJECTED"] | None = None


class OrderItemsResponse(BaseModel):
    items: list[PostCheckoutOrderItem]


class ReplacementResponse(BaseModel):
    id: str
    replacement_status: Decision


class ChatMessage(BaseModel):
    id: str
    sender: Literal["customer", "shopper"]
    body: str
    created_at: datetime


class ChatMessagesResponse(BaseModel):
    messages: list[ChatMessage]
