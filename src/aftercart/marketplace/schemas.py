"""Seed 003's body of ``POST /v1/feedback``, typed strictly: a string is a JSON string, an
integer a JSON integer (``5.0`` and ``"5"`` are refused), a number any finite JSON number.

Required (``*`` in the seed): ``feedback``; in it ``createdAt``, ``deliveredAt``, ``eatsId``,
``orderId``, ``rating``, ``restaurantId``. ``orderInfo`` is optional, but when present its
``comment``, ``createdAt``, ``deliveryInfo.clientName``, ``discriminator``, ``items`` (each with
``id``, ``modifications``, ``price``, ``quantity``; each modification with ``id``, ``price``,
``quantity``) and ``paymentInfo.total`` are required. Unknown fields are ignored.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aftercart.marketplace import rules

_STRICT = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")

Identifier = Annotated[str, Field(min_length=1, max_length=255)]
WithFraction = Annotated[str, AfterValidator(rules.with_fraction)]
WithoutFraction = Annotated[str, AfterValidator(rules.without_fraction)]
Money = Annotated[float, Field(ge=0, lt=10_000_000_000)]


class Feedback(BaseModel):
    model_config = _STRICT

    created_at: WithFraction = Field(alias="createdAt")
    delivered_at: WithoutFraction = Field(alias="deliveredAt")
    eats_id: Annotated[str, AfterValidator(rules.eats_id)] = Field(alias="eatsId")
    order_id: Identifier = Field(alias="orderId")
    rating: int = Field(ge=1, le=5)
    restaurant_id: Identifier = Field(alias="restaurantId")
    comment: str | None = None
    id: Identifier | None = None
    predefined_comment: str | None = Field(default=None, alias="predefinedComment")
    taken_at: WithoutFraction | None = Field(default=None, alias="takenAt")


class Modification(BaseModel):
    model_config = _STRICT

    id: Identifier
    price: Money
    quantity: int = Field(gt=0)
    name: str | None = None


class OrderItem(BaseModel):
    model_config = _STRICT

    id: Identifier
    modifications: list[Modification]
    price: Money
    quantity: float = Field(gt=0)
    name: str | None = None


class DeliveryInfo(BaseModel):
    model_config = _STRICT

    client_name: str = Field(alias="clientName")


class PaymentInfo(BaseModel):
    model_config = _STRICT

    total: Money


class OrderInfo(BaseModel):
    model_config = _STRICT

    comment: str
    created_at: WithFraction = Field(alias="createdAt")
    delivery_info: DeliveryInfo = Field(alias="deliveryInfo")
    discriminator: Literal["marketplace", "yandex", "pickup"]
    items: list[OrderItem]
    payment_info: PaymentInfo = Field(alias="paymentInfo")
    platform: Literal["YE"] | None = None


class FeedbackPush(BaseModel):
    model_config = _STRICT

    feedback: Feedback
    order_info: OrderInfo | None = Field(default=None, alias="orderInfo")


class FeedbackAccepted(BaseModel):
    result: Literal["OK"] = "OK"


class MarketplaceToken(BaseModel):
    access_token: str
