"""The story ``aftercart demo`` plays, through Aftercart's public HTTP API only: the retailer's
backend places an order for a user with an autopilot shopper on, then the customer follows the
order's live stream, chats, approves the replacement and rates the delivered order.

Every line it tells is an answer or an event Aftercart sent; the story reacts to the events
rather than to its own timing, so a slow machine makes it slower, never wrong.
"""

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final, Protocol

import httpx

from aftercart.cli import demo_events as ev
from aftercart.cli import demo_plan as plan
from aftercart.cli.failures import Failure
from aftercart.events import names

STEP_SECONDS: Final = 1
#: The shopper checks out without the customer's decision after this; the demo answers within
#: a second or two, so it matters only on a machine far too busy to play the story anyway.
DECISION_TIMEOUT_SECONDS: Final = 10
#: The shopper's position is told at most this often (it moves every second or so).
LOCATION_EVERY_SECONDS: Final = 3.0
CHAT: Final = "Hi! Could you pick bananas that are not too ripe?"
RATING: Final = {
    "rating_value": "STARS5",
    "highlights": ["HELPFUL_CHAT", "SMOOTH_DELIVERY"],
    "thank_you_note": "Thanks for the quick delivery!",
}


class Say(Protocol):
    """Prints one line of the story (``style``: a Rich style for the whole line)."""

    def __call__(self, text: str, *, style: str = "") -> None: ...


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str


class Story:
    """One run of the story. ``say(text)`` prints a line; ``clock()`` is seconds since start.
    ``waiting_for`` tells what the story waits for now, for a timeout's message."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        client: Client,
        *,
        catalog_size: int,
        seed: int | None,
        say: Say,
        clock: Callable[[], float],
    ) -> None:
        self.http = http
        self.client = client
        self.catalog_size = catalog_size
        self.seed = seed
        self.say = say
        self.clock = clock
        self.waiting_for = "Aftercart to answer"
        self.order_url: str | None = None
        self.products: dict[str, ev.Product] = {}
        self.rated = False
        self._user_auth: dict[str, str] = {}
        self._location_told_at: float | None = None

    async def play(self) -> None:
        await self.place_order()
        await self.follow()

    async def _call(self, method: str, path: str, *, auth: dict[str, str], body: Any = None) -> Any:
        response = await self.http.request(method, path, headers=auth, json=body)
        if response.is_error:
            raise Failure(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    async def _token(self, **grant: str) -> dict[str, str]:
        credentials = {
            "client_id": self.client.client_id,
            "client_secret": self.client.client_secret,
        }
        answer = await self._call("POST", "/v2/oauth/token", auth={}, body={**credentials, **grant})
        return {"Authorization": f"Bearer {answer['access_token']}"}

    async def place_order(self) -> None:
        """The retailer's side: a token, the user, a delivery window, the autopilot, the order."""
        auth = await self._token(grant_type="client_credentials")
        user = await self._call(
            "POST",
            "/v2/fulfillment/users",
            auth=auth,
            body={
                "user_id": plan.USER_ID,
                "first_name": "jane",
                "last_name": "doe",
                "phone_number": "+14155550123",
            },
        )
        self.say(f"customer {user['first_name']} {user['last_name']} ({user['user_id']})")
        users = f"/v2/fulfillment/users/{plan.USER_ID}"
        options = await self._call(
            "POST",
            f"{users}/service_options/cart/delivery",
            auth=auth,
            body={"location_code": plan.STORE},
        )
        option = options["service_options"][0]
        held = await self._call(
            "POST", f"{users}/service_options/{option['id']}/reserve", auth=auth
        )
        window = option["window"]
        self.say(f"delivery window {window['start_at']} to {window['end_at']} at {plan.STORE} held")
        autopilot = await self._call(
            "POST",
            "/v2/fulfillment_sandbox/autopilot",
            auth=auth,
            body={
                "seed": self.seed if self.seed is not None else self._story_seed(),
                "mix": asdict(plan.MIX),
                "step_seconds": STEP_SECONDS,
                "decision_timeout_seconds": DECISION_TIMEOUT_SECONDS,
            },
        )
        self.seed = autopilot["seed"]
        self.say(
            f"autopilot shopper {autopilot['shopper_id']} on: seed {autopilot['seed']}, "
            f"a step every {autopilot['step_seconds']} s"
        )
        order = await self._call(
            "POST",
            f"{users}/orders/delivery",
            auth=auth,
            body={
                "order_id": plan.ORDER_ID,
                "service_option_hold_id": held["service_option_hold"]["id"],
                "initial_tip_cents": 500,
                "address": plan.ADDRESS,
                "items": [line.request() for line in plan.LINES],
            },
        )
        if plan.lines_of(order) != [line.planned() for line in plan.LINES]:
            raise Failure(f"the order's lines are not the ones the seed was chosen for: {order}")
        self.order_url = order["order_url"]
        self.say(f"order status page: {self.order_url}", style="bold")

    def _story_seed(self) -> int:
        lines = [line.planned() for line in plan.LINES]
        return plan.choose_seed(plan.ORDER_ID, lines, plan.MIX, catalog_size=self.catalog_size)

    async def follow(self) -> None:
        """The customer's side: the order's live stream from its first event, until the rating
        is stored. A stream that ends early is resumed after the last event it sent."""
        assertion = base64.b64encode(json.dumps({"user_id": plan.USER_ID}).encode()).decode()
        self._user_auth = await self._token(
            grant_type="fulfillment_user_assertion", assertion=assertion
        )
        self.waiting_for = "the order's first event"
        seen = 0
        path = f"/v2/post_checkout/orders/{plan.ORDER_ID}/events"
        while not self.rated:
            reader = ev.SseReader()
            params = {"last_event_id": seen}
            async with self.http.stream(
                "GET", path, headers=self._user_auth, params=params
            ) as stream:
                if stream.is_error:
                    await stream.aread()
                    raise Failure(f"GET {path} answered {stream.status_code}: {stream.text}")
                async for line in stream.aiter_lines():
                    event = reader.feed(line)
                    if event is None:
                        continue
                    seen = event.id
                    await self.on(event)
                    if self.rated:
                        return

    async def on(self, event: ev.StreamEvent) -> None:
        """Tells the event, then does what the customer does about it."""
        if "item" in event.metadata:
            self.products = ev.products_of(await self._post_checkout("GET", "items"))
        if self._worth_telling(event):
            self.say(ev.sentence(event, self.products) or event.name)
        self.waiting_for = ev.NEXT.get(event.name, self.waiting_for)
        item = event.metadata.get("item") or {}
        match event.name:
            case names.ACKNOWLEDGED:
                await self._chat(CHAT)
            case names.ITEM_REPLACEMENT if item.get("replacement_status") == "PENDING":
                line = item["line_num"]
                await self._post_checkout(
                    "PUT", f"items/{line}/replacement", body={"status": "APPROVED"}
                )
            case names.DELIVERED:
                await self._call(
                    "POST",
                    f"/v2/feedback/orders/{plan.ORDER_ID}/rating",
                    auth=self._user_auth,
                    body=RATING,
                )
            case names.RATING_UPDATED:
                self.rated = True
            case names.CANCELED:
                raise Failure("the order was canceled")

    def _worth_telling(self, event: ev.StreamEvent) -> bool:
        """Every event but the shopper's positions, which come every second or so."""
        if event.name != names.ORDER_LOCATION:
            return True
        now = self.clock()
        told = self._location_told_at
        if told is not None and now - told < LOCATION_EVERY_SECONDS:
            return False
        self._location_told_at = now
        return True

    async def _post_checkout(self, method: str, path: str, *, body: Any = None) -> Any:
        full = f"/v2/post_checkout/orders/{plan.ORDER_ID}/{path}"
        return await self._call(method, full, auth=self._user_auth, body=body)

    async def _chat(self, text: str) -> None:
        path = f"/v2/post_checkout/chat/{plan.ORDER_ID}/messages"
        await self._call("POST", path, auth=self._user_auth, body={"body": text})
