"""What the ``aftercart`` fixture yields: a started Aftercart, a client holding a token, and
helpers that play the retailer, Instacart's shopper and the customer through the public API."""

import base64
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI
from sqlalchemy import select

from aftercart.auth.service import create_client
from aftercart.events.envelope import envelope
from aftercart.models import Event
from aftercart.testing.inprocess import PortalTransport, copy_database, serving, settings_for

BASE_URL = "http://testserver"
SANDBOX = "/v2/fulfillment_sandbox"
#: The sample store every helper orders from unless told otherwise.
STORE = "sf-mission"
#: What :meth:`Aftercart.order` orders without ``items``: whole, 2% and 1% milk (sample data).
DEFAULT_ITEMS: tuple[Mapping[str, Any], ...] = (
    {"count": 2, "item": {"upc": "071842000107"}},
    {"count": 2, "item": {"upc": "071842000206"}},
    {"count": 1, "item": {"upc": "071842000305"}},
)
#: A made-up number: Connect needs one for a delivery order.
PHONE = "+14155550123"
ADDRESS = {"address_line_1": "500 Howard St", "postal_code": "94105"}

OrderRef = str | Mapping[str, Any]
"""An order: its ``order_id``, or the Order JSON that :meth:`Aftercart.order` returned."""


class UnexpectedResponse(AssertionError):
    """A helper's request did not succeed; the message holds the answer Aftercart gave."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str


@dataclass
class _Batch:
    shopper_id: int
    batch_id: int
    workflow_state: str


def _ok(response: httpx.Response) -> Any:
    if response.is_error:
        request = response.request
        raise UnexpectedResponse(
            f"{request.method} {request.url.path} answered {response.status_code}: {response.text}"
        )
    return response.json()


def _line(item: str | Mapping[str, Any], line_num: int) -> dict[str, Any]:
    """A code stands for one unit of its product (``PLU-``/``SKU-`` codes are RRCs)."""
    if isinstance(item, str):
        code = "rrc" if not item.isdigit() else "upc"
        return {"line_num": str(line_num), "count": 1, "item": {code: item}}
    return {"line_num": str(line_num), **item}


def _order_id(order: OrderRef) -> str:
    return order if isinstance(order, str) else str(order["id"])


class Aftercart:
    """A running Aftercart for one test, on its own SQLite database."""

    def __init__(self, app: FastAPI, portal: BlockingPortal, credentials: Credentials) -> None:
        self.app = app
        self.base_url = BASE_URL
        self.credentials = credentials
        #: Pass it as ``transport=`` to an ``httpx.Client`` of the code under test.
        self.transport = PortalTransport(portal, app)
        self.client = httpx.Client(transport=self.transport, base_url=BASE_URL)
        self._portal = portal
        self._ids = itertools.count(1)
        self._users: dict[str, str] = {}
        self._batches: dict[str, _Batch] = {}
        self.client.headers["Authorization"] = f"Bearer {self._token('client_credentials')}"

    def _token(self, grant_type: str, **grant: str) -> str:
        body = {**vars(self.credentials), "grant_type": grant_type, **grant}
        token: str = _ok(self.client.post("/v2/oauth/token", json=body))["access_token"]
        return token

    def user_token(self, user_id: str) -> str:
        """A customer's token (post-checkout and feedback), by Connect's user assertion."""
        assertion = base64.b64encode(json.dumps({"user_id": user_id}).encode()).decode()
        return self._token("fulfillment_user_assertion", assertion=assertion)

    # --- The retailer ---------------------------------------------------------------------------

    def user(self, **fields: Any) -> str:
        """Creates a Connect user (``user_id`` made up unless given) and returns its id."""
        body = {
            "user_id": f"user-{next(self._ids)}",
            "first_name": "Jane",
            "phone_number": PHONE,
            **fields,
        }
        user_id: str = _ok(self.client.post("/v2/fulfillment/users", json=body))["user_id"]
        return user_id

    def order(
        self,
        user: str | None = None,
        items: Iterable[str | Mapping[str, Any]] = DEFAULT_ITEMS,
        service_type: str = "delivery",
        *,
        store: str = STORE,
        **fields: Any,
    ) -> dict[str, Any]:
        """Places an order in the first free time slot of ``store`` and returns the Order JSON.

        ``items`` are UPC or RRC codes (one unit each) or Connect order lines; ``line_num`` is
        numbered from "1" unless given. ``fields`` go into the order body as they are.
        """
        user_id = user or self.user()
        users = f"/v2/fulfillment/users/{user_id}"
        slots = _ok(
            self.client.post(
                f"{users}/service_options/cart/{service_type}", json={"location_code": store}
            )
        )["service_options"]
        if not slots:
            raise UnexpectedResponse(f"{store} offers no {service_type} time slot")
        hold = _ok(self.client.post(f"{users}/service_options/{slots[0]['id']}/reserve"))
        body: dict[str, Any] = {
            "order_id": f"order-{next(self._ids)}",
            "service_option_hold_id": hold["service_option_hold"]["id"],
            "location_code": store,
            "items": [_line(item, n) for n, item in enumerate(items, start=1)],
        }
        if service_type == "delivery":
            body |= {"initial_tip_cents": 500, "address": ADDRESS}
        body |= fields
        placed: dict[str, Any] = _ok(self.client.post(f"{users}/orders/{service_type}", json=body))
        self._users[placed["id"]] = user_id
        return placed

    def get_order(self, order: OrderRef) -> dict[str, Any]:
        """The Order JSON as the retailer reads it now."""
        order_id = _order_id(order)
        path = f"/v2/fulfillment/users/{self._user_of(order_id)}/orders/{order_id}"
        found: dict[str, Any] = _ok(self.client.get(path))
        return found

    def rate(
        self, order: OrderRef, stars: int, highlights: Iterable[str] = (), **fields: Any
    ) -> dict[str, Any]:
        """The retailer forwards the customer's rating (Connect's backend feedback endpoint);
        returns the rating as Aftercart reads it back."""
        order_id = _order_id(order)
        path = f"/v2/feedback/users/{self._user_of(order_id)}/orders/{order_id}/rating"
        body = {"rating_value": f"STARS{stars}", "highlights": list(highlights), **fields}
        _ok(self.client.post(path, json=body))
        rating: dict[str, Any] = _ok(self.client.get(path))
        return rating

    # --- Instacart's shopper (the sandbox) -----------------------------------------------------

    def shop(
        self,
        order: OrderRef,
        found: Iterable[str | int] | Mapping[str | int, float] = (),
        replaced: Mapping[str | int, str] | None = None,
        refunded: Iterable[str | int] = (),
    ) -> dict[str, Any]:
        """A sandbox shopper takes the order (if none has yet), starts picking and picks the
        given lines: ``found`` in full, or by line the amount found (an ``int`` is a count, a
        ``float`` a weight); ``replaced`` by line the UPC or RRC of the replacement;
        ``refunded`` lines refunded. Lines not named are left as they are. Returns the order."""
        batch = self._batch(order, "picking")
        base = f"{SANDBOX}/shoppers/{batch.shopper_id}/orders/{_order_id(order)}/items"
        amounts = found if isinstance(found, Mapping) else dict.fromkeys(found)
        for line, amount in amounts.items():
            body: dict[str, Any] = {"status": "found"}
            if amount is not None:
                key = "delivered_count" if isinstance(amount, int) else "delivered_weight"
                body[key] = amount
            _ok(self.client.put(f"{base}/{line}", json=body))
        for line, code in (replaced or {}).items():
            replacement = {"rrc" if not code.isdigit() else "upc": code}
            body = {"status": "replaced", "replacement_item": replacement}
            _ok(self.client.put(f"{base}/{line}", json=body))
        for line in refunded:
            _ok(self.client.put(f"{base}/{line}", json={"status": "to_refund"}))
        return self.get_order(order)

    def advance(self, order: OrderRef, to: str | None = None) -> str:
        """Moves the order's batch one step, or through every step up to ``to`` (e.g.
        ``"delivering"``, ``"completed"``); an order no shopper has taken yet is taken in a
        new batch (``acknowledged``, or walked on to ``to``). Returns the new workflow state."""
        order_id = _order_id(order)
        if order_id not in self._batches:
            return self._batch(order, to).workflow_state
        batch = self._batches[order_id]
        body = {"workflow_state": to} if to is not None else None
        state: str = _ok(
            self.client.post(f"{SANDBOX}/batches/{batch.batch_id}/advance", json=body)
        )["workflow_state"]
        return state

    def _batch(self, order: OrderRef, at_least: str | None) -> _Batch:
        """The order's batch; a new shopper and batch (moved to ``at_least``) if it has none."""
        order_id = _order_id(order)
        if order_id in self._batches:
            return self._batches[order_id]
        shopper = _ok(self.client.post(f"{SANDBOX}/shoppers", json={"first_name": "Sam"}))
        body: dict[str, Any] = {"shopper_id": shopper["id"], "orders": [{"id": order_id}]}
        if at_least is not None:
            body["workflow_state"] = at_least
        made = _ok(self.client.post(f"{SANDBOX}/batches", json=body))
        self._batches[order_id] = _Batch(shopper["id"], made["id"], made["workflow_state"])
        return self._batches[order_id]

    # --- Time -----------------------------------------------------------------------------------

    def freeze_clock(self, at: datetime | None = None) -> datetime:
        """Freezes the sandbox clock at ``at`` (now, when not given); a clock already frozen
        moves forward to it. Returns the clock's time."""
        body = {"frozen_at": at.isoformat()} if at is not None else {}
        answer = _ok(self.client.post(f"{SANDBOX}/clock", json=body))
        return datetime.fromisoformat(answer["clock"]["now"])

    def advance_clock(self, by: timedelta | float | str) -> list[dict[str, Any]]:
        """Moves the sandbox clock forward ``by`` (a ``timedelta``, seconds, or an ISO 8601
        duration such as ``"PT25H"``), freezing it first if it runs on the wall, and returns
        what the passed time fired, in order (``at``, ``kind``, ``order_id``, ``detail``)."""
        duration = by.total_seconds() if isinstance(by, timedelta) else by
        answer = _ok(self.client.post(f"{SANDBOX}/clock/advance", json={"duration": duration}))
        fired: list[dict[str, Any]] = answer["fired"]
        return fired

    # --- What Aftercart would have sent ---------------------------------------------------------

    def callbacks(self, name: str | None = None, *, order: OrderRef | None = None) -> list[Any]:
        """Every callback so far, oldest first, each as the envelope a webhook receiver gets
        (``event_id``, ``event_name``, ``event_timestamp``, ``event_metadata``); only those
        named ``name`` (e.g. ``"fulfillment.delivered"``) and about ``order``, when given."""
        query = select(Event).order_by(Event.id)
        if name is not None:
            query = query.where(Event.name == name)
        if order is not None:
            query = query.where(Event.order_id == _order_id(order))
        return [
            envelope(event_id=e.id, name=e.name, created_at=e.created_at, metadata=e.metadata_)
            for e in self._portal.call(self._read, query)
        ]

    def _user_of(self, order_id: str) -> str:
        """Known for the orders placed here; for others, read from the order's first event."""
        if order_id not in self._users:
            query = select(Event).where(Event.order_id == order_id).order_by(Event.id).limit(1)
            events = self._portal.call(self._read, query)
            if not events or events[0].user_id is None:
                raise UnexpectedResponse(f"no order {order_id!r} was placed")
            self._users[order_id] = events[0].user_id
        return self._users[order_id]

    async def _read(self, query: Any) -> list[Event]:
        async with self.app.state.read_sessions() as session:
            return list((await session.scalars(query)).all())


async def _new_client(app: FastAPI) -> Credentials:
    async with app.state.sessions() as session:
        issued = await create_client(session, name="Test retailer")
        await session.commit()
    return Credentials(issued.client_id, issued.client_secret)


@contextmanager
def running(template: Path, database: Path, **settings: Any) -> Iterator[Aftercart]:
    """Aftercart on a copy of ``template`` (see :func:`inprocess.make_template`) at
    ``database``, with ``settings`` over the quiet sandbox defaults, for one test."""
    copy_database(template, database)
    with serving(settings_for(database, **settings)) as (app, portal):
        harness = Aftercart(app, portal, portal.call(_new_client, app))
        try:
            yield harness
        finally:
            harness.client.close()
