"""Wiping one tenant's data, for ``POST /v2/fulfillment_sandbox/reset`` and ``aftercart sandbox
reset`` (``docs/sandbox.md``, "Reset")."""

from sqlalchemy import Delete, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.auth.service import UnknownTenant, record_auth_change
from aftercart.models import (
    AccessToken,
    ApiClient,
    AuthorizationCode,
    Autopilot,
    AutopilotRun,
    Batch,
    ChatMessage,
    Event,
    InstacartUser,
    LastMileOrder,
    MonitoredRequest,
    Order,
    OrderItem,
    PickupStatus,
    PosTransaction,
    Rating,
    ServiceOptionHold,
    Shopper,
    ShopperLocation,
    Tenant,
    User,
    UserAddress,
    UserLink,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from aftercart.sandbox.reset_schemas import Removed

AUTH_CHANGE_REASON = "sandbox_reset"


async def _delete(session: AsyncSession, statement: Delete) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


async def reset_tenant(session: AsyncSession, tenant_id: int) -> Removed:
    """Removes the tenant's data in the session's transaction (the caller commits) and says
    how many rows of each kind went; an unknown tenant is :class:`UnknownTenant`.

    Removed: its orders with their items, chat messages, pickup statuses, last-mile rows and
    shopper locations; its users with their addresses, links and slot holds; the tokens that
    speak for one of its users (user-assertion and order-link tokens) or for one of its
    Instacart users (linking tokens); its shoppers and batches; its Instacart users with their
    authorization codes; its autopilot shoppers with the runs of their orders; its ratings,
    events and POS transactions; the webhook deliveries (and their attempts) owed to its
    clients' subscriptions; the request monitor's rows of its clients.

    Kept: the tenant, its API clients and their client tokens (so the caller's token goes on
    working), webhook subscriptions, sandbox fault rules and branding. Stores, products and
    slots belong to every tenant and are never touched.

    Children go before their parents, so that no foreign key is relied on to cascade (SQLite
    and PostgreSQL alike). Monitor rows are written in the background after each answer: the
    requests of the last fraction of a second, and the reset's own, are recorded after it.
    """
    if await session.get(Tenant, tenant_id) is None:
        raise UnknownTenant(tenant_id)
    clients = select(ApiClient.client_id).where(ApiClient.tenant_id == tenant_id)
    subscriptions = select(WebhookSubscription.id).where(WebhookSubscription.client_id.in_(clients))
    deliveries = select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id.in_(subscriptions)
    )
    orders = select(Order.id).where(Order.tenant_id == tenant_id)
    accounts = select(InstacartUser.id).where(InstacartUser.tenant_id == tenant_id)
    linking_tokens = select(AuthorizationCode.token_hash).where(
        AuthorizationCode.instacart_user_id.in_(accounts)
    )
    count: dict[str, int] = {}

    await _delete(session, delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    count["webhook_deliveries"] = await _delete(
        session, delete(WebhookDelivery).where(WebhookDelivery.subscription_id.in_(subscriptions))
    )
    count["monitored_requests"] = await _delete(
        session, delete(MonitoredRequest).where(MonitoredRequest.client_id.in_(clients))
    )
    # Autopilots name shoppers, and their runs orders and batches: they go before them.
    await _delete(session, delete(AutopilotRun).where(AutopilotRun.tenant_id == tenant_id))
    count["autopilots"] = await _delete(
        session, delete(Autopilot).where(Autopilot.tenant_id == tenant_id)
    )
    # Both would outlive their order (SET NULL): they go first, and no row is updated for them.
    count["ratings"] = await _delete(session, delete(Rating).where(Rating.tenant_id == tenant_id))
    count["pos_transactions"] = await _delete(
        session, delete(PosTransaction).where(PosTransaction.tenant_id == tenant_id)
    )

    await _delete(session, delete(OrderItem).where(OrderItem.order_pk.in_(orders)))
    await _delete(session, delete(ChatMessage).where(ChatMessage.order_pk.in_(orders)))
    await _delete(session, delete(PickupStatus).where(PickupStatus.order_pk.in_(orders)))
    await _delete(session, delete(LastMileOrder).where(LastMileOrder.order_pk.in_(orders)))
    await _delete(session, delete(ShopperLocation).where(ShopperLocation.order_pk.in_(orders)))
    count["orders"] = await _delete(session, delete(Order).where(Order.tenant_id == tenant_id))
    count["batches"] = await _delete(session, delete(Batch).where(Batch.tenant_id == tenant_id))
    count["shoppers"] = await _delete(
        session, delete(Shopper).where(Shopper.tenant_id == tenant_id)
    )

    # Client tokens have no user; linking tokens have none either, but name their account
    # through the code they were redeemed for, so they are found before the codes go.
    tokens = await _delete(
        session,
        delete(AccessToken).where(
            AccessToken.tenant_id == tenant_id,
            or_(AccessToken.user_id.is_not(None), AccessToken.token_hash.in_(linking_tokens)),
        ),
    )
    await _delete(
        session, delete(AuthorizationCode).where(AuthorizationCode.instacart_user_id.in_(accounts))
    )
    await _delete(session, delete(UserLink).where(UserLink.tenant_id == tenant_id))
    await _delete(session, delete(UserAddress).where(UserAddress.tenant_id == tenant_id))
    await _delete(
        session, delete(ServiceOptionHold).where(ServiceOptionHold.tenant_id == tenant_id)
    )
    count["instacart_users"] = await _delete(
        session, delete(InstacartUser).where(InstacartUser.tenant_id == tenant_id)
    )
    count["users"] = await _delete(session, delete(User).where(User.tenant_id == tenant_id))
    count["events"] = await _delete(session, delete(Event).where(Event.tenant_id == tenant_id))

    if tokens:
        # Every process forgets its cached tokens: a removed one must not go on working.
        await record_auth_change(session, AUTH_CHANGE_REASON)
    return Removed(**count)
