"""The body of Yandex Eats' ``POST /v1/feedback``, typed strictly: a string is a JSON string, an
integer a JSON integer (``5.0`` and ``"5"`` are refused), a number any finite JSON number.

Required (``*`` in Yandex Eats' documentation): ``feedback``; in it ``createdAt``,
``deliveredAt``, ``eatsId``, ``orderId``, ``rating``, ``restaurantId``. ``orderInfo`` is
optional, but when present its ``comment``, ``createdAt``, ``deliveryInfo.clientName``,
``discriminator``, ``items`` (each with ``id``, ``modifications``, ``price``, ``quantity``;
each modification with ``id``, ``price``, ``quantity``) and ``paymentInfo.total`` are
required. Unknown fields are ignored.
"""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aftercart.marketplace import rules

_STRICT = ConfigDict(strict=True, allow_inf_nan=False, extra="ignore")

Identifier = Annotated[str, Field(min_length=1, max_length=255)]
WithFraction = Annotated[str, AfterValidator(rules.with_fraction)]
WithoutFraction = Annotated[str, AfterValidator(rules.without_fraction)]
#: Totals are kept in cents in a ``NUMERIC(12, 2)``: below this bound, rounding to cents still
#: fits (9,999,999,999.99 at most); at it, it would round up to 10^10 and overflow.
MONEY_BOUND = 9_999_999_999.995
Money = Annotated[float, Field(ge=0, lt=MONEY_BOUND)]


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
    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "examples": [
                {
                    "feedback": {
                        "id": "fb-1",
                        "createdAt": "2026-11-23T12:00:27.870000+03:00",
                        "eatsId": "261123-12345678",
                        "orderId": "ye-555",
                        "restaurantId": "sf-mission",
                        "rating": 2,
                        "comment": "Cold fries",
                        "deliveredAt": "2026-11-23T11:40:00+03:00",
                    },
                    "orderInfo": {
                        "createdAt": "2026-11-23T10:55:01.120000+03:00",
                        "platform": "YE",
                        "discriminator": "marketplace",
                        "deliveryInfo": {"clientName": "Jane"},
                        "paymentInfo": {"total": 12.5},
                        "items": [
                            {
                                "id": "fries-large",
                                "name": "Fries",
                                "quantity": 1,
                                "price": 12.5,
                                "modifications": [],
                            }
                        ],
                        "comment": "",
                    },
                }
            ]
        },
    )

    feedback: Feedback
    order_info: OrderInfo | None = Field(default=None, alias="orderInfo")


class FeedbackAccepted(BaseModel):
    result: Literal["OK"] = "OK"


class MarketplaceToken(BaseModel):
    access_token: str


class MarketplaceTokenRequest(BaseModel):
    """The token request (read by hand; form-encoded as Yandex sends it, or JSON)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": "ye-2f1c0d9e8b7a6f5e",
                    "client_secret": "shown-once-by-aftercart-marketplaces-create",
                    "grant_type": "client_credentials",
                    "scope": "read write",
                }
            ]
        }
    )

    client_id: str
    client_secret: str
    grant_type: Literal["client_credentials"]
    scope: str | None = Field(default=None, description='"read write" when absent.')
