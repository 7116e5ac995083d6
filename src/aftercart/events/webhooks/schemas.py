"""Wire models of ``/v2/webhooks``."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftercart.events.webhooks import rules
from aftercart.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class OAuthIn(BaseModel):
    """How to get a token for the receiver (client credentials, form encoded)."""

    token_url: str = Field(min_length=1, max_length=2000)
    client_id: str = Field(min_length=1, max_length=255)
    client_secret: str = Field(min_length=1, max_length=255)
    scope: str | None = Field(default=None, max_length=255)


class SubscriptionIn(BaseModel):
    """A new subscription (POST), or the whole of one (PUT). ``event_names`` null: all events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://retailer.example/hooks/aftercart",
                    "event_names": ["fulfillment.brand_new", "fulfillment.delivered"],
                }
            ]
        }
    )

    url: str = Field(min_length=1, max_length=2000)
    event_names: list[str] | None = None
    oauth: OAuthIn | None = None
    active: bool = True


class SubscriptionPatch(BaseModel):
    """Only the fields given change; ``"oauth": null`` removes OAuth, ``"event_names": null``
    subscribes to every event."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_names: list[str] | None = None
    oauth: OAuthIn | None = None
    active: bool | None = None


class OAuthOut(BaseModel):
    token_url: str
    client_id: str
    scope: str | None


class SubscriptionOut(BaseModel):
    id: int
    url: str
    event_names: list[str] | None
    oauth: OAuthOut | None
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> "SubscriptionOut":
        return cls(**_subscription_fields(subscription))


class SubscriptionCreated(SubscriptionOut):
    """The only answer that carries the signing secret (Standard Webhooks ``whsec_...``)."""

    signing_secret: str

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> "SubscriptionCreated":
        return cls(**_subscription_fields(subscription), signing_secret=subscription.signing_secret)


def _subscription_fields(subscription: WebhookSubscription) -> dict[str, Any]:
    oauth = None
    if subscription.oauth_token_url and subscription.oauth_client_id:
        oauth = OAuthOut(
            token_url=subscription.oauth_token_url,
            client_id=subscription.oauth_client_id,
            scope=subscription.oauth_scope,
        )
    return {
        "id": subscription.id,
        "url": subscription.url,
        "event_names": subscription.event_names,
        "oauth": oauth,
        "active": subscription.active,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


class SubscriptionList(BaseModel):
    webhooks: list[SubscriptionOut]


class AttemptOut(BaseModel):
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    response_excerpt: str | None
    error: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> "AttemptOut":
        return cls(
            started_at=attempt.started_at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            response_excerpt=attempt.response_excerpt,
            error=attempt.error,
        )


class DeliveryOut(BaseModel):
    id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    subscription_id: int
    event_id: int
    event_name: str
    status: str = Field(description="pending, succeeded or failed")
    attempt_count: int
    next_attempt_at: datetime | None = Field(
        description="When a pending delivery is tried next; for a retry that waits on a frozen "
        "sandbox clock, the clock's time it waits for."
    )
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, delivery: WebhookDelivery, event_name: str) -> "DeliveryOut":
        return cls(**_delivery_fields(delivery, event_name))


def _delivery_fields(delivery: WebhookDelivery, event_name: str) -> dict[str, Any]:
    pending = delivery.status == rules.PENDING
    return {
        "id": delivery.id,
        "webhook_id": rules.message_id(delivery.id),
        "subscription_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_name": event_name,
        "status": delivery.status,
        "attempt_count": delivery.attempts,
        "next_attempt_at": (delivery.clock_due_at or delivery.next_attempt_at) if pending else None,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "updated_at": delivery.updated_at,
    }


class DeliveryDetail(DeliveryOut):
    payload: dict[str, Any] = Field(description="The body that is POSTed.")
    attempts: list[AttemptOut] = Field(description="Every attempt, oldest first.")

    @classmethod
    def full(
        cls,
        delivery: WebhookDelivery,
        payload: dict[str, Any],
        attempts: list[WebhookAttempt],
    ) -> "DeliveryDetail":
        return cls(
            **_delivery_fields(delivery, payload["event_name"]),
            payload=payload,
            attempts=[AttemptOut.of(a) for a in attempts],
        )


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class TestSent(BaseModel):
    event_id: int
    delivery_id: int
    webhook_id: str

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> "TestSent":
        return cls(
            event_id=delivery.event_id,
            delivery_id=delivery.id,
            webhook_id=rules.message_id(delivery.id),
        )
