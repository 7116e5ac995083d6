"""``/v2/webhooks``: a Connect client's webhook subscriptions and their delivery log."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from aftercart.auth.deps import FulfillmentClient
from aftercart.config import SettingsDep
from aftercart.db.ids import BigIdBefore, BigRowId, RowId
from aftercart.db.session import SessionDep, TransactionalRoute
from aftercart.events.webhooks import service
from aftercart.events.webhooks.oauth import OAuthSettings
from aftercart.events.webhooks.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryOut,
    OAuthIn,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    SubscriptionPatch,
    TestSent,
)

router = APIRouter(prefix="/v2/webhooks", tags=["webhooks"], route_class=TransactionalRoute)


def _oauth(body: OAuthIn | None) -> OAuthSettings | None:
    if body is None:
        return None
    return OAuthSettings(body.token_url, body.client_id, body.client_secret, body.scope)


@router.get("", summary="List the client's webhook subscriptions")
async def list_webhooks(session: SessionDep, ctx: FulfillmentClient) -> SubscriptionList:
    subscriptions = await service.list_subscriptions(session, client_id=ctx.client_id)
    return SubscriptionList(webhooks=[SubscriptionOut.of(s) for s in subscriptions])


@router.post(
    "",
    status_code=201,
    summary="Create a webhook subscription (the signing secret is shown only in this answer)",
    responses={409: {"description": "The client has as many subscriptions as it may."}},
)
async def create_webhook(
    body: SubscriptionIn, session: SessionDep, settings: SettingsDep, ctx: FulfillmentClient
) -> SubscriptionCreated:
    subscription = await service.create_subscription(
        session,
        client_id=ctx.client_id,
        url=body.url,
        event_names=body.event_names,
        oauth=_oauth(body.oauth),
        active=body.active,
        allow_private=settings.allow_private_webhooks,
        max_per_client=settings.max_webhooks_per_client,
    )
    return SubscriptionCreated.of(subscription)


@router.get("/deliveries/{delivery_id}", summary="A delivery with every attempt")
async def get_delivery(
    delivery_id: BigRowId, session: SessionDep, ctx: FulfillmentClient
) -> DeliveryDetail:
    record = await service.get_delivery(session, delivery_id=delivery_id, client_id=ctx.client_id)
    return DeliveryDetail.full(record.delivery, record.payload, record.attempts)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again now (same webhook-id)",
)
async def redeliver(
    delivery_id: BigRowId, session: SessionDep, ctx: FulfillmentClient
) -> DeliveryOut:
    delivery, name = await service.redeliver(
        session, delivery_id=delivery_id, client_id=ctx.client_id
    )
    return DeliveryOut.of(delivery, name)


@router.get("/{subscription_id}", summary="A webhook subscription")
async def get_webhook(
    subscription_id: RowId, session: SessionDep, ctx: FulfillmentClient
) -> SubscriptionOut:
    subscription = await service.get_subscription(
        session, subscription_id=subscription_id, client_id=ctx.client_id
    )
    return SubscriptionOut.of(subscription)


async def _update(
    subscription_id: int,
    changes: dict[str, Any],
    session: SessionDep,
    settings: SettingsDep,
    ctx: FulfillmentClient,
) -> SubscriptionOut:
    subscription = await service.update_subscription(
        session,
        subscription_id=subscription_id,
        client_id=ctx.client_id,
        changes=changes,
        allow_private=settings.allow_private_webhooks,
    )
    return SubscriptionOut.of(subscription)


@router.patch("/{subscription_id}", summary="Change some fields of a webhook subscription")
async def patch_webhook(
    subscription_id: RowId,
    body: SubscriptionPatch,
    session: SessionDep,
    settings: SettingsDep,
    ctx: FulfillmentClient,
) -> SubscriptionOut:
    changes: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if "oauth" in changes:
        changes["oauth"] = _oauth(body.oauth)
    return await _update(subscription_id, changes, session, settings, ctx)


@router.put("/{subscription_id}", summary="Replace a webhook subscription (its secret stays)")
async def put_webhook(
    subscription_id: RowId,
    body: SubscriptionIn,
    session: SessionDep,
    settings: SettingsDep,
    ctx: FulfillmentClient,
) -> SubscriptionOut:
    changes = {
        "url": body.url,
        "event_names": body.event_names,
        "oauth": _oauth(body.oauth),
        "active": body.active,
    }
    return await _update(subscription_id, changes, session, settings, ctx)


@router.delete("/{subscription_id}", status_code=204, summary="Delete a webhook subscription")
async def delete_webhook(
    subscription_id: RowId, session: SessionDep, ctx: FulfillmentClient
) -> Response:
    await service.delete_subscription(
        session, subscription_id=subscription_id, client_id=ctx.client_id
    )
    return Response(status_code=204)


@router.post(
    "/{subscription_id}/test",
    status_code=202,
    summary="Send a webhook.test event to this subscription only",
    responses={409: {"description": "The subscription is disabled."}},
)
async def test_webhook(
    subscription_id: RowId, session: SessionDep, ctx: FulfillmentClient
) -> TestSent:
    delivery = await service.send_test(
        session, subscription_id=subscription_id, client_id=ctx.client_id
    )
    return TestSent.of(delivery)


@router.get("/{subscription_id}/deliveries", summary="A subscription's deliveries, newest first")
async def list_deliveries(
    subscription_id: RowId,
    session: SessionDep,
    ctx: FulfillmentClient,
    status: Literal["pending", "succeeded", "failed"] | None = None,
    before: Annotated[BigIdBefore, Query(description="Only deliveries with a smaller id.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_DELIVERIES_PAGE)] = 50,
) -> DeliveryList:
    rows = await service.list_deliveries(
        session,
        subscription_id=subscription_id,
        client_id=ctx.client_id,
        status=status,
        before=before,
        limit=limit,
    )
    return DeliveryList(deliveries=[DeliveryOut.of(d, name) for d, name in rows])
