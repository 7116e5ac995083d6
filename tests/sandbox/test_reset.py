"""``POST /v2/fulfillment_sandbox/reset``: the caller's tenant loses its data, in one transaction,
and no other tenant loses anything (``docs/sandbox.md``, "Reset")."""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from aftercart.auth.service import IssuedCredentials
from aftercart.db.tenancy import TENANT_OWNED
from aftercart.db.types import utcnow
from aftercart.models import (
    AccessToken,
    ApiClient,
    AuthChange,
    AuthorizationCode,
    Base,
    MonitoredRequest,
    Order,
    Product,
    SandboxFault,
    ServiceOption,
    ShopperLocation,
    Store,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories
from tests.authorization_scenario import PICKING, arrange
from tests.fulfillment.helpers import Shop, arrange_shop, create_user, hold_for, place_order
from tests.sandbox.helpers import (
    RESET_KINDS,
    SANDBOX,
    Sessions,
    assert_error,
    create_batch,
    create_shopper,
    without_sandbox,
)

RESET = f"{SANDBOX}/reset"
KINDS = RESET_KINDS
NOTHING = dict.fromkeys(KINDS, 0)
HOOK = "http://127.0.0.1:9/hook"
REDIRECT = "https://example.org/linked"
Headers = dict[str, str]


@dataclass
class Retailer:
    """What :func:`populate` made for one tenant, through the API."""

    creds: IssuedCredentials
    headers: Headers
    user_headers: Headers
    subscription_id: int
    shopper_id: int
    batch_id: int
    account_id: int


def _pos_body(shop: Shop) -> dict[str, Any]:
    """The documented transaction, for ``o-1`` at the shop's store."""
    return {
        "id": "pos-1",
        "order_id": "o-1",
        "store_id": shop.store.location_code,
        "transaction_timestamp": "2026-12-01T17:34:00Z",
        "currency_code": "USD",
        "items": [
            {
                "line_item_number": "1",
                "bar_code": "7789048811",
                "description": "Organic bananas",
                "quantity": 1,
                "item_price": 0.05,
                "price_per_unit": 0.05,
            }
        ],
        "sub_total": 0.05,
        "taxes": [{"amount": 0.01, "type": "OTHER", "type_other": "TotalTaxes"}],
        "total_tax": 0.01,
        "total": 0.06,
        "tenders": [
            {"amount": 0.06, "approval_processed_by_code": "RETAILER", "type": "CREDIT_CARD"}
        ],
        "bin": "546683",
        "last_four": "9929",
        "cardholder_name": "Instacart 12345",
    }


async def _ok(response: httpx.Response) -> Any:
    assert response.is_success, (response.request.url, response.text)
    return response.json()


async def populate(http: httpx.AsyncClient, creds: IssuedCredentials, shop: Shop) -> Retailer:
    """Two users (one with an order, one with a slot held), a shopper whose batch delivers the
    order, chat, a rating, a POS transaction, a webhook subscription with deliveries, a linked
    Instacart user and a fault rule that matches nothing: the same ids in every tenant."""
    headers = factories.bearer(await factories.client_token(http, creds))
    hook = await http.post("/v2/webhooks", json={"url": HOOK}, headers=headers)
    subscription_id = (await _ok(hook))["id"]
    await _ok(await http.post(f"/v2/webhooks/{subscription_id}/test", headers=headers))
    await place_order(http, headers, shop, user_id="u-1", order_id="o-1")
    await create_user(http, headers, "u-2")
    await hold_for(http, headers, "u-2", shop.store.location_code)
    shopper_id = await create_shopper(http, headers, first_name="Sam")
    batch = await _ok(await create_batch(http, headers, shopper_id, "o-1"))
    message = {"body": "On my way"}
    chat = f"{SANDBOX}/shoppers/{shopper_id}/orders/o-1/messages"
    await _ok(await http.post(chat, json=message, headers=headers))
    done = {"workflow_state": "completed"}
    advance = f"{SANDBOX}/batches/{batch['id']}/advance"
    await _ok(await http.post(advance, json=done, headers=headers))
    rating = "/v2/feedback/users/u-1/orders/o-1/rating"
    await _ok(await http.post(rating, json={"rating_value": "STARS5"}, headers=headers))
    pos = "/v2/retailer_transaction/pos_transactions"
    await _ok(await http.post(pos, json=_pos_body(shop), headers=headers))
    fault = {"path": "/nowhere", "effect": {"type": "drop"}}
    await _ok(await http.post(f"{SANDBOX}/faults", json=fault, headers=headers))
    account_id = await link(http, creds, headers, "u-1")
    user_token = await factories.user_token(http, creds, "u-1")
    user_headers = factories.bearer(user_token)
    await _ok(await http.get("/v2/post_checkout/orders/o-1", headers=user_headers))
    return Retailer(
        creds, headers, user_headers, subscription_id, shopper_id, batch["id"], account_id
    )


async def link(
    http: httpx.AsyncClient, creds: IssuedCredentials, headers: Headers, user_id: str
) -> int:
    """A sandbox Instacart user, linked to ``user_id`` with a linking token; its id."""
    body = {"email": "kamal@example.com", "phone": "8005550101", "password": "horse battery"}
    account = await _ok(await http.post(f"{SANDBOX}/instacart_users", json=body, headers=headers))
    asked = {"redirect_uri": REDIRECT, "scope": "account_linking"}
    authorize = f"{SANDBOX}/instacart_users/{account['id']}/authorize"
    code = await _ok(await http.post(authorize, json=asked, headers=headers))
    grant = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "grant_type": "authorization_code",
        "code": code["code"],
        "redirect_uri": REDIRECT,
    }
    token = await _ok(await http.post("/v2/oauth/token", json=grant))
    linking = {"linking_token": token["access_token"]}
    linked = await http.post(f"/v2/fulfillment/users/{user_id}/link", json=linking, headers=headers)
    await _ok(linked)
    account_id: int = account["id"]
    return account_id


async def _count(sessions: Sessions, model: type[Base], *where: Any) -> int:
    async with sessions() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
    return found or 0


async def census(sessions: Sessions, tenant_id: int) -> dict[str, int]:
    """Rows of every table the tenant owns, and of the shared ones."""
    clients = select(ApiClient.client_id).where(ApiClient.tenant_id == tenant_id)
    subscriptions = select(WebhookSubscription.id).where(WebhookSubscription.client_id.in_(clients))
    owned: dict[str, int] = {}
    for model in TENANT_OWNED:
        column: InstrumentedAttribute[int] = model.tenant_id
        owned[model.__tablename__] = await _count(sessions, model, column == tenant_id)
    by_client = {
        "access_tokens": (AccessToken, AccessToken.tenant_id == tenant_id),
        "authorization_codes": (AuthorizationCode, AuthorizationCode.client_id.in_(clients)),
        "webhook_subscriptions": (WebhookSubscription, WebhookSubscription.id.in_(subscriptions)),
        "webhook_deliveries": (
            WebhookDelivery,
            WebhookDelivery.subscription_id.in_(subscriptions),
        ),
        "sandbox_faults": (SandboxFault, SandboxFault.client_id.in_(clients)),
        "monitored_requests": (MonitoredRequest, MonitoredRequest.client_id.in_(clients)),
    }
    for name, (model, where) in by_client.items():
        owned[name] = await _count(sessions, model, where)
    for shared in (Store, Product, ServiceOption):
        owned[shared.__tablename__] = await _count(sessions, shared)
    return owned


async def reset(http: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, int]:
    response = await http.post(RESET, headers=headers, **body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"removed"}
    removed: dict[str, int] = answer["removed"]
    assert set(removed) == set(KINDS)
    return removed


async def test_reset_wipes_the_callers_tenant_and_nothing_else(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    shop = await arrange_shop(sessions)
    wiped_creds = await factories.make_api_client(sessions, "Wiped retailer", tenant_id=None)
    kept = await populate(http, creds, shop)
    wiped = await populate(http, wiped_creds, shop)
    tenant = wiped_creds.tenant_id
    # A second client of the wiped tenant: its monitored requests go, itself and its token stay.
    sibling = await factories.make_api_client(sessions, "Wiped frontend", tenant_id=tenant)
    sibling_headers = factories.bearer(await factories.client_token(http, sibling))
    await _ok(await http.get(f"{SANDBOX}/shoppers", headers=sibling_headers))
    await app.state.monitor.flush()
    before, kept_before = await census(sessions, tenant), await census(sessions, DEFAULT_TENANT)
    assert before["events"] > 0
    assert before["webhook_deliveries"] > 0
    assert before["monitored_requests"] > 0

    removed = await reset(http, wiped.headers)

    assert removed == {
        "users": 2,
        "orders": 1,
        "shoppers": 1,
        "batches": 1,
        "instacart_users": 1,
        "ratings": 1,
        "events": before["events"],
        "webhook_deliveries": before["webhook_deliveries"],
        "pos_transactions": 1,
        "monitored_requests": before["monitored_requests"],
        "autopilots": 0,
    }
    await app.state.monitor.flush()
    after = await census(sessions, tenant)
    # Only the clients' own things are left: clients, client tokens, subscriptions, rules, and
    # the reset itself, which the monitor recorded once it was answered.
    assert {name: n for name, n in after.items() if n} == {
        "monitored_requests": 1,
        "api_clients": 2,
        "access_tokens": 2,
        "webhook_subscriptions": 1,
        "sandbox_faults": 1,
        "stores": before["stores"],
        "products": before["products"],
        "service_options": before["service_options"],
    }
    async with sessions() as session:
        grants = await session.scalars(
            select(AccessToken.grant_type).where(AccessToken.tenant_id == tenant)
        )
        assert set(grants) == {"client_credentials"}
    kept_after = await census(sessions, DEFAULT_TENANT)
    assert kept_after == kept_before | {"monitored_requests": kept_after["monitored_requests"]}
    assert kept_after["monitored_requests"] >= kept_before["monitored_requests"]

    # The wiped tenant: its clients' tokens work and read nothing; its user token is gone.
    for headers in (wiped.headers, sibling_headers):
        for listed, key in (
            ("shoppers", "shoppers"),
            ("batches", "batches"),
            ("instacart_users", "instacart_users"),
        ):
            response = await http.get(f"{SANDBOX}/{listed}", headers=headers)
            assert (await _ok(response))[key] == []
    h = wiped.headers
    for path in ("/v2/fulfillment/users/u-1", "/v2/fulfillment/users/u-1/orders/o-1"):
        assert_error(await http.get(path, headers=h), 400, "User Not Found", 1001, "user_id")
    for path in (f"/shoppers/{wiped.shopper_id}", f"/batches/{wiped.batch_id}"):
        assert_error(await http.get(SANDBOX + path, headers=h), 404, None, 4000)
    account = f"{SANDBOX}/instacart_users/{wiped.account_id}"
    assert_error(await http.get(account, headers=h), 400, "Invalid user_id", 1001, "user_id")
    ratings = await _ok(await http.get("/v2/feedback/ratings", headers=h))
    assert ratings["ratings"] == []
    pos = "/v2/retailer_transaction/pos_transactions"
    assert (await _ok(await http.get(pos, headers=h)))["pos_transactions"] == []
    hooks = await _ok(await http.get("/v2/webhooks", headers=h))
    assert [hook["id"] for hook in hooks["webhooks"]] == [wiped.subscription_id]
    owed = f"/v2/webhooks/{wiped.subscription_id}/deliveries"
    assert (await _ok(await http.get(owed, headers=h)))["deliveries"] == []
    assert len((await _ok(await http.get(f"{SANDBOX}/faults", headers=h)))["faults"]) == 1
    gone = await http.get("/v2/post_checkout/orders/o-1", headers=wiped.user_headers)
    assert gone.status_code == 401, gone.text

    # The other tenant: the same ids, all still there, its user token still working.
    k = kept.headers
    assert (await _ok(await http.get("/v2/fulfillment/users/u-1", headers=k)))["user_id"] == "u-1"
    await _ok(await http.get("/v2/fulfillment/users/u-2", headers=k))
    await _ok(await http.get("/v2/fulfillment/users/u-1/orders/o-1", headers=k))
    await _ok(await http.get("/v2/fulfillment/users/u-1/link", headers=k))
    for listed in ("shoppers", "batches", "instacart_users"):
        assert len((await _ok(await http.get(f"{SANDBOX}/{listed}", headers=k)))[listed]) == 1
    for path in (
        f"/shoppers/{kept.shopper_id}",
        f"/batches/{kept.batch_id}",
        f"/instacart_users/{kept.account_id}",
    ):
        await _ok(await http.get(SANDBOX + path, headers=k))
    assert len((await _ok(await http.get("/v2/feedback/ratings", headers=k)))["ratings"]) == 1
    sales = await _ok(await http.get(pos, params={"order_id": "o-1"}, headers=k))
    assert len(sales["pos_transactions"]) == 1
    deliveries = f"/v2/webhooks/{kept.subscription_id}/deliveries"
    assert (await _ok(await http.get(deliveries, headers=k)))["deliveries"] != []
    order = await _ok(await http.get("/v2/post_checkout/orders/o-1", headers=kept.user_headers))
    assert order["id"] == "o-1"


async def test_a_second_reset_removes_only_what_was_made_since(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions
) -> None:
    shop = await arrange_shop(sessions)
    creds = await factories.make_api_client(sessions, tenant_id=None)
    retailer = await populate(http, creds, shop)
    first = await reset(http, retailer.headers, json={})
    assert first["users"] == 2
    async with sessions() as session:
        changes = await session.scalar(
            select(func.count()).select_from(AuthChange).where(AuthChange.reason == "sandbox_reset")
        )
    assert changes == 1
    await app.state.monitor.flush()
    # The first reset's own request, recorded once it was answered.
    recorded = (await census(sessions, creds.tenant_id))["monitored_requests"]
    assert recorded >= 1

    second = await reset(http, retailer.headers)

    assert second == NOTHING | {"monitored_requests": recorded}
    async with sessions() as session:
        changes = await session.scalar(
            select(func.count()).select_from(AuthChange).where(AuthChange.reason == "sandbox_reset")
        )
    # No token went this time: the caches are left alone.
    assert changes == 1


async def test_every_row_below_an_order_or_a_user_goes_too(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions
) -> None:
    """The authorization matrix's world (pickup statuses, last-mile orders, chat, holds on three
    kinds of slot, a linked account and its linking token, a test delivery with an attempt) and
    a shopper's trip, removed with its foreign keys enforced."""
    s = await arrange(sessions)
    async with sessions() as session:
        order_pk = await session.scalar(select(Order.id).where(Order.order_id == PICKING))
        assert order_pk is not None
        session.add(
            ShopperLocation(
                order_pk=order_pk, seq=1, latitude=37.8, longitude=-122.4, recorded_at=utcnow()
            )
        )
        delivery = await session.get(WebhookDelivery, s.delivery_id)
        assert delivery is not None
        session.add(WebhookAttempt(delivery_id=delivery.id, status_code=500, latency_ms=3))
        await session.commit()
    headers = factories.bearer(await factories.client_token(http, s.owner))
    await app.state.monitor.flush()
    before = await census(sessions, DEFAULT_TENANT)
    other_before = await census(sessions, s.other.tenant_id)

    removed = await reset(http, headers)

    assert removed["orders"] == before["orders"] > 0
    assert removed["users"] == before["users"] > 0
    await app.state.monitor.flush()
    after = await census(sessions, DEFAULT_TENANT)
    left = {name: n for name, n in after.items() if n}
    assert set(left) == {
        "monitored_requests",
        "api_clients",
        "access_tokens",
        "webhook_subscriptions",
        "sandbox_faults",
        "stores",
        "products",
        "service_options",
    }
    for model in (ShopperLocation, WebhookAttempt, AuthorizationCode):
        assert await _count(sessions, model) == 0, model.__tablename__
    # The linking token went with its account; the client token that asked is the one left.
    assert after["access_tokens"] == 1
    response = await http.get(f"{SANDBOX}/shoppers", headers=headers)
    assert (await _ok(response))["shoppers"] == []
    # The other tenant lost nothing, and its own reset removes only its own users.
    assert await census(sessions, s.other.tenant_id) == other_before
    other = factories.bearer(await factories.client_token(http, s.other))
    await app.state.monitor.flush()
    recorded = (await census(sessions, s.other.tenant_id))["monitored_requests"]
    assert await reset(http, other) == NOTHING | {
        "users": other_before["users"],
        "monitored_requests": recorded,
    }
    assert await _count(sessions, User) == 0


async def test_only_a_client_token_resets(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, creds: IssuedCredentials
) -> None:
    await create_user(http, client_headers, "u-1")
    user = factories.bearer(await factories.user_token(http, creds, "u-1"))
    assert_error(await http.post(RESET, headers=user), 403, None, 6403)
    assert (await http.post(RESET)).status_code == 401
    await _ok(await http.get("/v2/fulfillment/users/u-1", headers=client_headers))


async def test_without_the_sandbox_there_is_no_reset(
    database_url: str, client_headers: Headers
) -> None:
    async with without_sandbox(database_url) as http:
        response = await http.post(RESET, headers=client_headers)
        assert_error(response, 404, "Resource not found", 4000)


@pytest.mark.parametrize("body", [{"content": b""}, {"json": {}}, {"json": {"ignored": 1}}])
async def test_the_body_is_ignored(
    app: FastAPI,
    http: httpx.AsyncClient,
    sessions: Sessions,
    client_headers: Headers,
    body: dict[str, Any],
) -> None:
    await app.state.monitor.flush()
    recorded = (await census(sessions, DEFAULT_TENANT))["monitored_requests"]
    assert await reset(http, client_headers, **body) == NOTHING | {"monitored_requests": recorded}
