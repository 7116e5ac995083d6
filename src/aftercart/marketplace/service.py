"""Marketplaces: their credentials, their tokens and the feedback they push (Yandex Eats'
partner.feedback.post)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import authenticate_client, resolve_token, store_token
from aftercart.errors import AftercartError, MultipleErrors, Unauthorized
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.feedback.service import stored, upsert_rating
from aftercart.marketplace import rules
from aftercart.marketplace.schemas import FeedbackPush
from aftercart.models import ApiClient, Order, Rating, Store
from aftercart.sandbox.clock_scope import enter_tenant

KIND = "marketplace"
#: The grant recorded on marketplace tokens; Connect endpoints accept none of them.
GRANT_TYPE = "marketplace"
DEFAULT_SCOPE = "read write"
EXPIRED_REASON = "Access token has been expired. You should request a new one"
MISSING_REASON = "Access token was not passed. You should request a new one"


class InvalidClient(AftercartError):
    """A failed client authentication at the token endpoint (counted by the token limits)."""

    default_message = "Unknown client_id or wrong client_secret"
    default_code = rules.INVALID_CLIENT


@dataclass(frozen=True)
class Marketplace:
    client_id: str
    name: str


async def issue_token(
    session: AsyncSession,
    *,
    client_id: str | None,
    client_secret: str | None,
    grant_type: str | None,
    scope: str | None,
    ttl_seconds: int,
) -> str:
    """A bearer token for a marketplace client; a Connect client's credentials do not work."""
    problems: list[AftercartError] = [
        AftercartError(f"{name} is required", code=rules.MISSING_FIELD)
        for name, value in (
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("grant_type", grant_type),
        )
        if not value
    ]
    if grant_type and grant_type != "client_credentials":
        problems.append(
            AftercartError(
                f"grant_type {grant_type!r} is not supported, use client_credentials",
                code=rules.UNSUPPORTED_GRANT_TYPE,
            )
        )
    if problems:
        raise MultipleErrors(problems)
    client = await authenticate_client(session, client_id, client_secret, kind=KIND)
    if client is None:
        raise InvalidClient()
    issued = await store_token(
        session,
        client_id=client.client_id,
        tenant_id=client.tenant_id,
        grant_type=GRANT_TYPE,
        scope=" ".join((scope or DEFAULT_SCOPE).split()),
        ttl_seconds=ttl_seconds,
    )
    return issued.access_token


async def authenticate(session: AsyncSession, token: str | None) -> Marketplace:
    """The marketplace behind a bearer token. Anything else is 401 (the marketplace then fetches
    a new token and retries), Connect tokens included."""
    if not token:
        raise Unauthorized(MISSING_REASON)
    live = await resolve_token(session, token)
    context = live.context if live else None
    client = await session.get(ApiClient, context.client_id) if context else None
    if context is None or context.grant_type != GRANT_TYPE or client is None:
        raise Unauthorized(EXPIRED_REASON)
    if client.kind != KIND or not client.marketplace:
        raise Unauthorized(EXPIRED_REASON)
    await enter_tenant(session, client.tenant_id)
    return Marketplace(client_id=client.client_id, name=client.marketplace)


def parse_push(raw: bytes) -> FeedbackPush:
    """The body, or a 400 that names every problem found in it."""
    try:
        return FeedbackPush.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise MultipleErrors(rules.validation_problems(exc.errors())) from exc


async def receive_feedback(
    session: AsyncSession, *, marketplace: Marketplace, push: FeedbackPush
) -> Rating:
    """Stores the feedback, or updates it when the same one arrives again.

    It is linked to our order when ``orderId`` is one of our order ids; otherwise its store is
    ``restaurantId`` when that is one of our store codes.
    """
    feedback, info = push.feedback, push.order_info
    order = await session.scalar(select(Order).where(Order.order_id == feedback.order_id))
    location_code = order.location_code if order else None
    if order is None and await session.get(Store, feedback.restaurant_id) is not None:
        location_code = feedback.restaurant_id
    rating = await upsert_rating(
        session,
        source=marketplace.name,
        dedupe_key=rules.dedupe_key(feedback.id, feedback.eats_id),
        channel=KIND,
        order_pk=order.id if order else None,
        order_ref=feedback.order_id,
        user_id=order.user_id if order else None,
        location_code=location_code,
        shopper_id=order.shopper_id if order else None,
        rating=feedback.rating,
        comment=feedback.comment,
        predefined_comment=feedback.predefined_comment,
        external_id=feedback.id,
        external_order_id=feedback.eats_id,
        restaurant_id=feedback.restaurant_id,
        order_total=Decimal(str(info.payment_info.total)).quantize(Decimal("0.01"))
        if info
        else None,
        order_info=info.model_dump(mode="json", by_alias=True, exclude_none=True) if info else None,
        feedback_details={
            "createdAt": feedback.created_at,
            "deliveredAt": feedback.delivered_at,
            "takenAt": feedback.taken_at,
        },
        rated_at=datetime.fromisoformat(feedback.created_at),
    )
    await record_event(
        session,
        names.MARKETPLACE_FEEDBACK,
        order=order,
        metadata={"source": marketplace.name, "rating": stored(rating).model_dump(mode="json")},
    )
    return rating
