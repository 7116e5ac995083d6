"""The post-checkout OpenAPI document's wire models. Absent values are omitted from answers,
never sent as ``null``: the document's schemas have no nullable fields."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

OrderStatus = Literal[
    "brand_new", "acknowledged", "picking", "staging", "delivering", "delivered", "canceled"
]
ItemStatus = Literal["pending", "found", "replaced", "refunded", "not_found"]
Decision = Literal["APPROVED", "REJECTED"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ReplacementDecisionRequest(_Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "APPROVED"}]})

    status: Decision


class SendMessageRequest(_Request):
    """The document sets no minimum length: an empty (or blank, once trimmed) message is a
    message, stored and announced like any other."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"body": "Oat milk is fine!"}]})

    body: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


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


FulfillmentType = Literal["delivery", "last_mile_delivery", "pickup"]


class PostCheckoutOrder(BaseModel):
    """Get an order (docs.instacart.com/connect/api/post_checkout/order/get_order)."""

    id: str
    created_at: datetime
    fulfillment_type: FulfillmentType
    workflow_state: str
    window_starts_at: datetime | None = None
    window_ends_at: datetime | None = None


class OrderLocation(BaseModel):
    """Get order location: ``coordinates`` only while the order is delivering, else ``{}``."""

    coordinates: Coordinates | None = None


class OrderChatMessage(BaseModel):
    id: int
    order_id: int
    sender_type: Literal["user", "driver"]
    recipient_type: Literal["user", "driver"]
    body: str
    created_at: datetime


class LifecycleMessage(BaseModel):
    id: int
    type: str
    body: str
    created_at: datetime


class OrderMessagesMetadata(BaseModel):
    is_expired: bool


class OrderMessagesResponse(BaseModel):
    chat_messages: list[OrderChatMessage]
    lifecycle_messages: list[LifecycleMessage]
    metadata: OrderMessagesMetadata


# --- Curbside pickup (the post-checkout pickup pages) --------------------------------------------

PickupCategory = Literal["curbside", "locker", "in_store"]


class UserArrivedRequest(_Request):
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"examples": [{"is_pickup_delegate": False}]}
    )

    is_pickup_delegate: bool = False


class SchedulePickupRequest(_Request):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"schedule_pickup_eta": "2099-12-02T17:45:00Z"}]},
    )

    schedule_pickup_eta: AwareDatetime


class PickupDelegateRequest(_Request):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"name": "Alex Doe", "phone_number": "+14155550142"}]},
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    phone_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]


class PickupSuccess(BaseModel):
    success: bool = True


class PickupInstructionImage(BaseModel):
    url: str
    value: str | None = None


class PickupInstruction(BaseModel):
    category: PickupCategory
    instruction: str
    instruction_images: list[PickupInstructionImage] | None = None


class PickupDetails(BaseModel):
    pickup_instructions: list[PickupInstruction]


class Empty(BaseModel):
    """Create or update a pickup delegate answers an empty object."""
