"""The world the authorization matrix asks about: the owner's tenant (tenant 1: two Connect
clients, two marketplace clients, three users, orders in the states each endpoint needs, a
shopper and a batch, chat, a rating, a webhook subscription with a delivery, an Instacart
account, a fault rule) and another tenant (a Connect client, a marketplace client, and users with
the same ids as two of tenant 1's, but nothing else); a plausible request for every protected
endpoint; tokens of every kind; and snapshots of the database to prove that a refused write
changed nothing, and that another tenant's request changed nothing of tenant 1.

Names, items, chat text and notes are distinctive words (:data:`SECRETS`,
:func:`tenant_secrets`), so that an answer carrying any of them is caught by a substring search.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth import scopes as sc
from aftercart.auth.secrets import digest
from aftercart.auth.service import (
    IssuedCredentials,
    create_client,
    issue_token,
    revoke_token,
    store_token,
)
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.events.webhooks import service as webhooks
from aftercart.feedback import service as feedback
from aftercart.feedback.rules import FRONTEND
from aftercart.feedback.schemas import RatingIn
from aftercart.fulfillment import slots
from aftercart.linking import codes
from aftercart.linking import service as linking
from aftercart.marketplace.service import KIND as MARKET
from aftercart.models import (
    AccessToken,
    ApiClient,
    Base,
    InstacartUser,
    LastMileOrder,
    OrderItem,
)
from aftercart.models.tenant import DEFAULT_TENANT
from aftercart.post_checkout.service import add_message
from aftercart.sandbox import autopilot_service, batches, shoppers
from aftercart.sandbox import faults as sandbox_faults
from aftercart.sandbox.autopilot_schemas import AutopilotCreate
from aftercart.sandbox.fault_rules import Effect, Kind, Rule, Target
from aftercart.sandbox.schemas import BatchOrder
from tests import factories
from tests.marketplace.helpers import feedback_body

Sessions = async_sessionmaker[AsyncSession]

ALICE, BOB, CAROL = "alice-zq7", "bob-zq7", "carol-zq7"
PICKING, FRESH, DONE, BOBS = "ord-picking-zq7", "ord-fresh-zq7", "ord-done-zq7", "ord-bob-zq7"
#: A pickup order of ALICE whose bags are staged (curbside pickup calls).
PICKUP = "ord-pickup-zq7"
#: Brand-new last-mile orders of ALICE: one made through the user's API, one dispatched.
LAST_MILE, DISPATCH = "ord-lastmile-zq7", "ord-dispatch-zq7"
ORDER_IDS = (PICKING, FRESH, DONE, BOBS, PICKUP, LAST_MILE, DISPATCH)
ITEM_NAMES = ["Saffron Marmalade", "Juniper Oatcakes", "Sorrel Cordial"]
SPARE_NAMES = ["Quince Paste", "Damson Preserve"]
CHAT_TEXT = "The gate code is 4417, under the heron statue"
NOTE = "Thanks for the careful packing, Wilhelmina"
SHOPPER_NAME = "Wilhelmina"
HOOK_URL = "http://127.0.0.1:9/hook-cassiopeia"
INSTACART_EMAIL = "ysolde.instacart-zq7@example.com"
INSTACART_PHONE = "+14155550188"
#: The phone number of tenant 1's users.
USER_PHONE = "+14155550123"
#: Tenant 1's orders' special instructions.
INSTRUCTIONS = "Leave it with the porter, Peregrine"
#: A fault rule of the owner's that matches no request.
NOWHERE = "/nowhere-zq7"
UNUSED = Rule(Target.API, "*", NOWHERE, 1.0, 1, Effect(Kind.DROP))
NAMES = {
    ALICE: ("Ysolde", "Quarrington"),
    BOB: ("Bartholomew", "Oxenford"),
    CAROL: ("Clementine", "Ashdown"),
}
#: The other tenant's users: the same ids as two of tenant 1's (ids are unique per tenant only),
#: other names, and no orders.
OTHER_NAMES = {ALICE: ("Oriane", "Vasquez-Lind"), BOB: ("Osric", "Tamburlaine")}
OTHER_PHONE = "+14155550177"

#: What no refused answer may contain: ids, names, items, chat text, notes, receivers.
SECRETS = [
    *NAMES,
    *ORDER_IDS,
    *ITEM_NAMES,
    *SPARE_NAMES,
    CHAT_TEXT,
    NOTE,
    SHOPPER_NAME,
    HOOK_URL,
    INSTACART_EMAIL,
    INSTRUCTIONS,
    *(name for pair in NAMES.values() for name in pair),
]
#: What belongs to the owner client alone, not to the other clients of its tenant.
CLIENT_SECRETS = [HOOK_URL]
#: Tenant 1's own words, that no other tenant's answer may carry (with the arranged credentials:
#: :meth:`Scenario.tenant_secrets`).
#: Not the product names: stores and products are shared by every tenant, by design; not ALICE's
#: and BOB's ids either: the other tenant has users of those ids.
TENANT_SECRETS = [
    *(name for pair in NAMES.values() for name in pair),
    CAROL,
    *ORDER_IDS,
    CHAT_TEXT,
    NOTE,
    SHOPPER_NAME,
    HOOK_URL,
    INSTACART_EMAIL,
    INSTACART_PHONE,
    USER_PHONE,
    INSTRUCTIONS,
    NOWHERE,
]


@dataclass
class Scenario:
    #: The client that made everything; ``sibling`` and ``markets`` are of its tenant (1).
    owner: IssuedCredentials
    sibling: IssuedCredentials
    #: A Connect and a marketplace client of another tenant.
    other: IssuedCredentials
    other_market: IssuedCredentials
    markets: tuple[IssuedCredentials, IssuedCredentials]
    location_code: str
    upcs: list[str]
    spare_upc: str
    slot_id: int
    delivery_hold: int
    pickup_hold: int
    shopper_id: int
    batch_id: int
    subscription_id: int
    delivery_id: int
    instacart_user_id: int
    linking_token: str
    last_mile_hold: int = 0
    fault_id: int = 0
    autopilot_id: int = 0

    def tenant_secrets(self) -> list[str]:
        """:data:`TENANT_SECRETS` and the arranged credentials of tenant 1: its clients' ids
        and the token that linked ALICE's Instacart account."""
        clients = (self.owner, self.sibling, *self.markets)
        return [*TENANT_SECRETS, *(c.client_id for c in clients), self.linking_token]

    def params(self) -> dict[str, str]:
        """Path parameters by name; an endpoint may override some (see :data:`REQUESTS`)."""
        return {
            "user_id": ALICE,
            "order_id": PICKING,
            "order_item_id": "2",
            "line_num": "1",
            "shopper_id": str(self.shopper_id),
            "batch_id": str(self.batch_id),
            "service_option_id": str(self.slot_id),
            "subscription_id": str(self.subscription_id),
            "delivery_id": str(self.delivery_id),
            "fault_id": str(self.fault_id),
            "autopilot_id": str(self.autopilot_id),
        }


async def _hold(
    session: AsyncSession, user_id: str, service_type: str, location_code: str
) -> tuple[int, int]:
    """A slot and a hold on it. A user has one hold at a time (a new one replaces it)."""
    now = utcnow()
    policy = slots.SlotPolicy(days=3, capacity=20)
    offered = await slots.list_options(
        session,
        user_id=user_id,
        service_type=service_type,
        location_code=location_code,
        items=[],
        now=now,
        policy=policy,
    )
    hold, _ = await slots.reserve(
        session, user_id=user_id, service_option_id=offered[0].id, now=now, ttl=timedelta(hours=1)
    )
    return offered[0].id, hold.id


async def _linked(session: AsyncSession, client_id: str, user_id: str) -> tuple[int, str]:
    """An Instacart account linked to ``user_id``, and the linking token that linked it (the
    password hash is made up: hashing a real one costs 60 ms an arrangement)."""
    account = InstacartUser(
        tenant_id=DEFAULT_TENANT, email=INSTACART_EMAIL, phone=INSTACART_PHONE, password_hash="x"
    )
    session.add(account)
    await session.flush()
    redirect = "https://example.org/linked"
    code = await codes.issue_code(
        session,
        client_id=client_id,
        instacart_user_id=account.id,
        redirect_uri=redirect,
        code_challenge=None,
        code_challenge_method=None,
    )
    client = await session.get(ApiClient, client_id)
    assert client is not None
    issued = await issue_token(
        session,
        client=client,
        grant_type=sc.AUTHORIZATION_CODE,
        scope=None,
        assertion=None,
        code=code,
        redirect_uri=redirect,
        ttl_seconds=3600,
    )
    await linking.link_user(session, user_id=user_id, linking_token=issued.access_token)
    return account.id, issued.access_token


async def arrange(sessions: Sessions) -> Scenario:
    """Everything in :class:`Scenario`, written by the services themselves in one transaction
    (as the CLI does): quicker than the API, and the same rows."""
    async with sessions() as session:
        owner = await create_client(session, name="Owner retailer app", tenant_id=DEFAULT_TENANT)
        sibling = await create_client(
            session, name="Owner retailer's second app", tenant_id=DEFAULT_TENANT
        )
        other = await create_client(session, name="Second retailer app")
        other_market = await create_client(
            session,
            name="Second retailer's Yandex Eats",
            kind=MARKET,
            marketplace="yandex_eats",
            tenant_id=other.tenant_id,
        )
        for user_id, (first, last) in OTHER_NAMES.items():
            await factories.insert_user(
                session,
                tenant_id=other.tenant_id,
                user_id=user_id,
                first_name=first,
                last_name=last,
                phone_number=OTHER_PHONE,
            )
        markets = tuple(
            [
                await create_client(
                    session,
                    name=n,
                    kind=MARKET,
                    marketplace="yandex_eats",
                    tenant_id=DEFAULT_TENANT,
                )
                for n in ("Yandex Eats", "Yandex Eats, second credentials")
            ]
        )
        serve_tenant(session, DEFAULT_TENANT)
        users = {
            user_id: await factories.insert_user(
                session,
                user_id=user_id,
                first_name=first,
                last_name=last,
                phone_number=USER_PHONE,
            )
            for user_id, (first, last) in NAMES.items()
        }
        store = await factories.insert_store(session)
        products = [await factories.insert_product(session, name=name) for name in ITEM_NAMES]
        spares = [await factories.insert_product(session, name=name) for name in SPARE_NAMES]
        orders = {
            order_id: await factories.insert_order(
                session,
                user=users[user_id],
                store=store,
                products=products,
                workflow_state=state,
                order_id=order_id,
                special_instructions=INSTRUCTIONS,
            )
            for order_id, user_id, state in [
                (PICKING, ALICE, "brand_new"),  # the batch below starts picking it
                (FRESH, ALICE, "brand_new"),
                (DONE, ALICE, "completed"),
                (BOBS, BOB, "picking"),
            ]
        }
        await factories.insert_order(
            session,
            user=users[ALICE],
            store=store,
            products=products,
            workflow_state="staged",
            service_type="pickup",
            order_id=PICKUP,
            special_instructions=INSTRUCTIONS,
        )
        for order_id, dispatched in ((LAST_MILE, False), (DISPATCH, True)):
            packed = await factories.insert_order(
                session,
                user=users[ALICE],
                store=store,
                products=[],
                service_type="last_mile",
                order_id=order_id,
                special_instructions=INSTRUCTIONS,
            )
            session.add(_last_mile(packed.id, dispatched))
        shopper = await shoppers.create_shopper(session, first_name=SHOPPER_NAME)
        batch = await batches.create_batch(
            session,
            shopper_id=shopper.id,
            orders=[BatchOrder(id=PICKING)],
            workflow_state="picking",
        )
        await add_message(session, order=orders[PICKING], sender="shopper", body=CHAT_TEXT)
        item = await session.scalar(
            select(OrderItem).where(
                OrderItem.order_pk == orders[PICKING].id, OrderItem.line_num == "2"
            )
        )
        assert item is not None
        item.shopper_status, item.replacement_status = "replaced", "PENDING"
        item.replacement_product_id, item.delivered_count = spares[0].id, 2
        await feedback.rate_order(
            session,
            user_id=ALICE,
            order_id=DONE,
            body=RatingIn(rating_value="STARS4", thank_you_note=NOTE),
            channel=FRONTEND,
        )
        hook = await webhooks.create_subscription(
            session, client_id=owner.client_id, url=HOOK_URL, allow_private=True
        )
        test = await webhooks.send_test(session, subscription_id=hook.id, client_id=owner.client_id)
        slot_id, delivery_hold = await _hold(session, ALICE, "delivery", store.location_code)
        _, pickup_hold = await _hold(session, CAROL, "pickup", store.location_code)
        _, last_mile_hold = await _hold(session, BOB, "last_mile", store.location_code)
        instacart_user_id, linking_token = await _linked(session, owner.client_id, ALICE)
        fault = await sandbox_faults.create_fault(session, client_id=owner.client_id, rule=UNUSED)
        autopilot = await autopilot_service.turn_on(session, AutopilotCreate(shopper_id=shopper.id))
        await session.commit()
    return Scenario(
        owner=owner,
        sibling=sibling,
        other=other,
        other_market=other_market,
        markets=(markets[0], markets[1]),
        location_code=store.location_code,
        upcs=[p.upc or "" for p in products],
        spare_upc=spares[1].upc or "",
        slot_id=slot_id,
        delivery_hold=delivery_hold,
        pickup_hold=pickup_hold,
        shopper_id=shopper.id,
        batch_id=batch.id,
        subscription_id=hook.id,
        delivery_id=test.id,
        instacart_user_id=instacart_user_id,
        linking_token=linking_token,
        last_mile_hold=last_mile_hold,
        fault_id=fault.id,
        autopilot_id=autopilot.id,
    )


def _last_mile(order_pk: int, dispatched: bool) -> LastMileOrder:
    return LastMileOrder(
        order_pk=order_pk,
        dispatch=dispatched,
        first_name=NAMES[ALICE][0],
        last_name=NAMES[ALICE][1],
        user_phone=USER_PHONE,
        items_count=3,
        items_weight=2,
    )


# --- Requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What to send: path parameters over :meth:`Scenario.params`, and a JSON body (``None``:
    none)."""

    params: dict[str, str]
    json: Any = None


def _order_body(s: Scenario, order_id: str, hold: int, **extra: Any) -> dict[str, Any]:
    items = [{"line_num": str(n), "count": 1, "item": {"upc": u}} for n, u in enumerate(s.upcs, 1)]
    return {"order_id": order_id, "service_option_hold_id": hold, "items": items, **extra}


_ADDRESS = {"address_line_1": "500 Howard St", "postal_code": "94105"}


def _dispatch_body(s: Scenario) -> dict[str, Any]:
    """A dispatch order for tomorrow 18:00-20:00 UTC at the scenario's store, falling back to
    the soonest window of that day if that one is outside the store's hours."""
    day = (utcnow() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    return {
        "order_id": "ord-new-zq7",
        "location_code": s.location_code,
        "start_at": day.isoformat(),
        "end_at": (day + timedelta(hours=2)).isoformat(),
        "fallback_to_soonest_sameday": True,
        "first_name": "Bartholomew",
        "last_name": "Oxenford",
        "user_phone": USER_PHONE,
        "items_count": 3,
        "items_weight": 2,
        "address": _ADDRESS,
    }


_NEAR = {"find_by": {"latitude": 37.7936, "longitude": -122.3958}}
_U = "/v2/fulfillment/users/{user_id}"
_SHOPPER = "/v2/fulfillment_sandbox/shoppers/{shopper_id}/orders/{order_id}"
_HOOK = "/v2/webhooks/{subscription_id}"

#: A valid request per endpoint, as ``"METHOD path"``: the owner's token gets a 2xx with it, so a
#: missing token check would show as a 2xx too. A new endpoint needs an entry here.
REQUESTS: dict[str, Callable[[Scenario], Call]] = {
    "POST /v2/fulfillment/users": lambda s: Call({}, {"user_id": "dave-zq7", "first_name": "Dave"}),
    f"GET {_U}": lambda s: Call({}),
    f"PUT {_U}": lambda s: Call({}, {"first_name": "Renamed"}),
    f"POST {_U}/addresses": lambda s: Call({}, _ADDRESS),
    "POST /v2/fulfillment/stores/delivery": lambda s: Call({}, _NEAR),
    "POST /v2/fulfillment/stores/pickup": lambda s: Call({}, _NEAR),
    f"POST {_U}/service_options/cart/delivery": lambda s: Call(
        {}, {"location_code": s.location_code}
    ),
    f"POST {_U}/service_options/cart/pickup": lambda s: Call(
        {}, {"location_code": s.location_code}
    ),
    f"POST {_U}/service_options/{{service_option_id}}/reserve": lambda s: Call({}),
    f"POST {_U}/orders/delivery": lambda s: Call(
        {},
        _order_body(s, "ord-new-zq7", s.delivery_hold, initial_tip_cents=100, address=_ADDRESS),
    ),
    f"POST {_U}/orders/pickup": lambda s: Call(
        {"user_id": CAROL},
        _order_body(s, "ord-new-zq7", s.pickup_hold, location_code=s.location_code),
    ),
    f"GET {_U}/orders/{{order_id}}": lambda s: Call({}),
    f"PUT {_U}/orders/{{order_id}}": lambda s: Call(
        {"order_id": FRESH}, {"items": _order_body(s, FRESH, s.delivery_hold)["items"]}
    ),
    f"POST {_U}/orders/{{order_id}}/cancel": lambda s: Call({"order_id": FRESH}),
    "POST /v2/fulfillment/stores/last_mile": lambda s: Call({}, _NEAR),
    f"POST {_U}/service_options/cart/last_mile": lambda s: Call(
        {}, {"location_code": s.location_code, "items_count": 3}
    ),
    f"POST {_U}/orders/last_mile": lambda s: Call(
        {"user_id": BOB},
        {
            "order_id": "ord-new-zq7",
            "location_code": s.location_code,
            "service_option_hold_id": s.last_mile_hold,
            "first_name": "Bartholomew",
            "last_name": "Oxenford",
            "user_phone": USER_PHONE,
            "items_count": 3,
            "items_weight": 2,
            "address": _ADDRESS,
        },
    ),
    f"POST {_U}/orders/{{order_id}}/staged": lambda s: Call(
        {"order_id": LAST_MILE}, {"bags_count": 1}
    ),
    "POST /v2/fulfillment/lastmile/orders": lambda s: Call({}, _dispatch_body(s)),
    "PUT /v2/fulfillment/lastmile/orders/{order_id}": lambda s: Call(
        {"order_id": DISPATCH}, {"bags_count": 2}
    ),
    "POST /v2/fulfillment/lastmile/orders/{order_id}/staged": lambda s: Call(
        {"order_id": DISPATCH}, {"bags_count": 2}
    ),
    "POST /v2/fulfillment/lastmile/orders/{order_id}/cancel": lambda s: Call(
        {"order_id": DISPATCH}
    ),
    f"PUT {_U}/orders/{{order_id}}/replacement_selections": lambda s: Call(
        {}, {"selections": [{"line_num": "1", "count": 1, "upc": s.spare_upc}]}
    ),
    f"PUT {_U}/orders/{{order_id}}/tip": lambda s: Call(
        {"order_id": DONE}, {"tip_amount_cents": 900}
    ),
    "POST /v2/fulfillment_sandbox/shoppers": lambda s: Call({}, {"first_name": "Sam"}),
    "POST /v2/fulfillment_sandbox/batches": lambda s: Call(
        {}, {"shopper_id": s.shopper_id, "orders": [{"id": FRESH}]}
    ),
    "POST /v2/fulfillment_sandbox/batches/{batch_id}/advance": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/orders/{order_id}/callbacks": lambda s: Call(
        {}, {"event_name": "canceled"}
    ),
    "POST /v2/fulfillment_sandbox/orders/{order_id}/trigger": lambda s: Call(
        {}, {"event_name": "fulfillment.rescheduled"}
    ),
    f"POST {_SHOPPER}/items/{{line_num}}": lambda s: Call({}, {"status": "found"}),
    f"PUT {_SHOPPER}/items/{{line_num}}": lambda s: Call({}, {"status": "found"}),
    f"POST {_SHOPPER}/items": lambda s: Call(
        {}, {"item": {"upc": s.spare_upc}, "delivered_count": 1}
    ),
    f"POST {_SHOPPER}/messages": lambda s: Call({}, {"body": "Found everything"}),
    "GET /v2/fulfillment_sandbox/shoppers/{shopper_id}": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/products": lambda s: Call({}),
    f"GET {_SHOPPER}/messages": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/shoppers": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/batches": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/batches/{batch_id}": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/instacart_users": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/instacart_users/{user_id}": lambda s: Call(
        {"user_id": str(s.instacart_user_id)}
    ),
    "GET /v2/fulfillment_sandbox/users/{user_id}/orders": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/monitor/requests": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/monitor/webhook_attempts": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/faults": lambda s: Call(
        {}, {"path": NOWHERE, "effect": {"type": "drop"}}
    ),
    "GET /v2/fulfillment_sandbox/faults": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/reset": lambda s: Call({}, {}),
    "DELETE /v2/fulfillment_sandbox/faults/{fault_id}": lambda s: Call({}),
    "DELETE /v2/fulfillment_sandbox/faults": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/autopilot": lambda s: Call({}, {"seed": 7}),
    "GET /v2/fulfillment_sandbox/autopilot": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/autopilot/{autopilot_id}": lambda s: Call({}),
    "DELETE /v2/fulfillment_sandbox/autopilot/{autopilot_id}": lambda s: Call({}),
    "GET /v2/fulfillment_sandbox/clock": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/clock": lambda s: Call({}, {}),
    "POST /v2/fulfillment_sandbox/clock/advance": lambda s: Call({}, {"duration": 60}),
    "DELETE /v2/fulfillment_sandbox/clock": lambda s: Call({}),
    # ALICE is linked with this token: linking the same pair again is a success that changes
    # nothing.
    f"POST {_U}/link": lambda s: Call({}, {"linking_token": s.linking_token}),
    f"GET {_U}/link": lambda s: Call({}),
    "POST /v2/fulfillment_sandbox/instacart_users": lambda s: Call(
        {}, {"email": "new-zq7@example.com", "phone": "4155550199", "password": "pw"}
    ),
    "POST /v2/fulfillment_sandbox/instacart_users/{user_id}/authorize": lambda s: Call(
        {"user_id": str(s.instacart_user_id)},
        {"redirect_uri": "https://example.org/linked", "scope": "account_linking"},
    ),
    "GET /v2/post_checkout/orders/{order_id}": lambda s: Call({}),
    "GET /v2/post_checkout/orders/{order_id}/location": lambda s: Call({}),
    "GET /v2/post_checkout/orders/{order_id}/order_messages": lambda s: Call({}),
    "GET /v2/post_checkout/orders/{order_id}/handling": lambda s: Call({}),
    "POST /v2/post_checkout/orders/{order_id}/pickup/user_arrived": lambda s: Call(
        {"order_id": PICKUP}, {"is_pickup_delegate": False}
    ),
    "POST /v2/post_checkout/orders/{order_id}/pickup/schedule_pickup": lambda s: Call(
        {"order_id": PICKUP}, {"schedule_pickup_eta": "2099-01-01T10:00:00Z"}
    ),
    "GET /v2/post_checkout/orders/{order_id}/pickup/details": lambda s: Call({"order_id": PICKUP}),
    "PUT /v2/post_checkout/orders/{order_id}/pickup_delegate": lambda s: Call(
        {"order_id": PICKUP}, {"name": "Alex Doe", "phone_number": "+14155550142"}
    ),
    "GET /v2/post_checkout/orders/{order_id}/items": lambda s: Call({}),
    "PUT /v2/post_checkout/orders/{order_id}/items/{order_item_id}/replacement": lambda s: Call(
        {}, {"status": "APPROVED"}
    ),
    "GET /v2/post_checkout/chat/{order_id}/messages": lambda s: Call({}),
    "POST /v2/post_checkout/chat/{order_id}/messages": lambda s: Call({}, {"body": "Thanks!"}),
    "GET /v2/post_checkout/orders/{order_id}/events": lambda s: Call({}),
    "POST /v2/feedback/orders/{order_id}/rating": lambda s: Call(
        {"order_id": DONE}, {"rating_value": "STARS5"}
    ),
    "GET /v2/feedback/orders/{order_id}/rating": lambda s: Call({"order_id": DONE}),
    "POST /v2/feedback/users/{user_id}/orders/{order_id}/rating": lambda s: Call(
        {"order_id": DONE}, {"rating_value": "STARS3"}
    ),
    "GET /v2/feedback/users/{user_id}/orders/{order_id}/rating": lambda s: Call({"order_id": DONE}),
    "GET /v2/feedback/ratings": lambda s: Call({}),
    "GET /v2/feedback/summary": lambda s: Call({}),
    "POST /v1/feedback": lambda s: Call(
        {}, feedback_body(orderId="ye-5551", restaurantId=s.location_code)
    ),
    "POST /v2/retailer_transaction/pos_transactions": lambda s: Call(
        {},
        {
            "id": "pos-zq7-1",
            "order_id": PICKING,
            "store_id": s.location_code,
            "last_four": "9929",
            "transaction_timestamp": utcnow().isoformat(),
            "total": 12.32,
            "total_tax": 1.25,
        },
    ),
    "GET /v2/retailer_transaction/pos_transactions": lambda s: Call({}),
    "GET /v2/webhooks": lambda s: Call({}),
    "POST /v2/webhooks": lambda s: Call({}, {"url": "http://127.0.0.1:9/second"}),
    "GET /v2/webhooks/deliveries/{delivery_id}": lambda s: Call({}),
    "POST /v2/webhooks/deliveries/{delivery_id}/redeliver": lambda s: Call({}),
    f"GET {_HOOK}": lambda s: Call({}),
    f"PATCH {_HOOK}": lambda s: Call({}, {"active": False}),
    f"PUT {_HOOK}": lambda s: Call({}, {"url": "http://127.0.0.1:9/replaced"}),
    f"DELETE {_HOOK}": lambda s: Call({}),
    f"POST {_HOOK}/test": lambda s: Call({}),
    f"GET {_HOOK}/deliveries": lambda s: Call({}),
}


# --- Tokens ---------------------------------------------------------------------------------------


async def token(
    sessions: Sessions,
    creds: IssuedCredentials,
    grant: str,
    scope: str | None = None,
    user_id: str = ALICE,
) -> str:
    """A live token as the token endpoints store it: a Connect grant (every scope of it unless
    ``scope``), or the marketplace's."""
    if grant not in sc.SCOPES_BY_GRANT:
        scope, user = scope or "read write", None
    else:
        scope = scope or " ".join(sc.SCOPES_BY_GRANT[grant])
        user = user_id if grant == sc.USER_ASSERTION else None
    async with sessions() as session:
        issued = await store_token(
            session,
            client_id=creds.client_id,
            tenant_id=creds.tenant_id,
            grant_type=grant,
            scope=scope,
            ttl_seconds=3600,
            user_id=user,
        )
        await session.commit()
    return issued.access_token


async def expire(sessions: Sessions, token: str) -> None:
    """Moves a token's expiry into the past (before its first use, so no cache holds it)."""
    async with sessions() as session:
        await session.execute(
            update(AccessToken)
            .where(AccessToken.token_hash == digest(token))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()


async def revoke(sessions: Sessions, creds: IssuedCredentials, token: str) -> None:
    """Revokes a token as ``POST /v2/oauth/token/revoke`` does for the client that holds it."""
    async with sessions() as session:
        client = await session.get(ApiClient, creds.client_id)
        assert client is not None
        await revoke_token(session, client=client, token=token)
        await session.commit()


# --- The database ---------------------------------------------------------------------------------

#: Rate-limit counters may count refused requests, and the request monitor records them, by
#: design; everything else must not move.
_NOT_STATE = ("rate_limit", "monitored_requests")


async def snapshot(sessions: Sessions) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted tuples of text."""
    tables = [t for t in Base.metadata.sorted_tables if not t.name.startswith(_NOT_STATE)]
    found: dict[str, list[tuple[str, ...]]] = {}
    async with sessions() as session:
        for table in tables:
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
    return found


Rows = dict[str, list[tuple[str, ...]]]


async def tenant_snapshot(sessions: Sessions, tenant_id: int) -> tuple[Rows, Rows]:
    """``tenant_id``'s part of the database, and the shared part, as :func:`snapshot` gives rows.

    A row *reaches* a tenant when its ``tenant_id`` is that tenant, when it is the tenant's row
    of ``tenants``, or when one of its foreign keys names a row that reaches it (a chat message
    of the tenant's order, a token of its client, a delivery of its client's subscription, ...).
    The tenant's part is every row that reaches it, including a row that reaches another tenant
    too; the shared part is every row that reaches no tenant (stores, products, slots, server
    secrets, credential-cache changes).
    """
    tables = [t for t in Base.metadata.sorted_tables if not t.name.startswith(_NOT_STATE)]
    #: Per table, the tenants each row reaches; tables come parents first.
    reached: dict[str, list[tuple[Any, frozenset[int]]]] = {}
    async with sessions() as session:
        for table in tables:
            rows = (await session.execute(select(table))).all()
            keys = []
            for fk in table.foreign_key_constraints:
                local = [element.parent.name for element in fk.elements]
                remote = [element.column.name for element in fk.elements]
                index: dict[tuple[Any, ...], frozenset[int]] = {}
                for parent, parents_tenants in reached.get(fk.referred_table.name, []):
                    key = tuple(parent._mapping[name] for name in remote)
                    index[key] = index.get(key, frozenset()) | parents_tenants
                keys.append((local, index))
            found = []
            for row in rows:
                values = row._mapping
                tenants: set[int] = set()
                if values.get("tenant_id") is not None:
                    tenants.add(values["tenant_id"])
                if table.name == "tenants":
                    tenants.add(values["id"])
                for local, index in keys:
                    tenants |= index.get(tuple(values[name] for name in local), frozenset())
                found.append((row, frozenset(tenants)))
            reached[table.name] = found

    def text(rows: list[Any]) -> list[tuple[str, ...]]:
        return sorted(tuple(str(value) for value in row) for row in rows)

    own = {
        name: text([r for r, tenants in rows if tenant_id in tenants])
        for name, rows in reached.items()
    }
    shared = {
        name: text([r for r, tenants in rows if not tenants]) for name, rows in reached.items()
    }
    return own, shared


def assert_tenant_untouched(before: tuple[Rows, Rows], after: tuple[Rows, Rows], what: str) -> None:
    """Tenant's part exactly as it was (no row of it added, changed or removed); every shared
    row still there, unchanged (shared rows may be added: a store's slots are made on
    demand)."""
    (own_before, shared_before), (own_after, shared_after) = before, after
    changed = {
        name: (rows, own_after[name])
        for name, rows in own_before.items()
        if rows != own_after[name]
    }
    assert not changed, f"{what} changed the tenant's rows (before, after): {changed}"
    lost = {
        name: list((Counter(rows) - Counter(shared_after[name])).elements())
        for name, rows in shared_before.items()
    }
    lost = {name: rows for name, rows in lost.items() if rows}
    assert not lost, f"{what} changed or removed shared rows: {lost}"
