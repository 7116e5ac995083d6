"""The sandbox clock: frozen, advanced, and what the passed time fires, once each, in order.

Every effect is arranged through the public API where the API makes it (a hold, a delivered
order, a staged pickup), at a frozen time a day ahead of the wall, so nothing can be fired by
the wall clock by accident. The webhook receiver is a real HTTP server on the loopback."""

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from aftercart import clock
from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.events.outbox import record_event
from aftercart.events.webhooks import rules, worker
from aftercart.events.webhooks.sender import Sender
from aftercart.models import Event, WebhookDelivery
from aftercart.models.tenant import DEFAULT_TENANT
from aftercart.post_checkout.order_timers import flag_late_deliveries
from tests import factories
from tests.conftest import suite_settings
from tests.fulfillment.helpers import arrange_shop, create_user, hold_for, place_order
from tests.post_checkout.helpers import set_order
from tests.post_checkout.orders.helpers import Trip, trip
from tests.post_checkout.pickup.helpers import staged_pickup
from tests.sandbox.helpers import SANDBOX, Sessions, assert_error, serving
from tests.webhooks.helpers import serving_in_a_thread, subscribe

Headers = dict[str, str]
CLOCK = f"{SANDBOX}/clock"
HOUR = timedelta(hours=1)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The timers on, looking rarely: on the wall clock they would find nothing anyway."""
    return suite_settings(
        database_url,
        late_delivery_seconds=3600,
        late_pickup_seconds=3600,
        rating_reminder_seconds=3 * 3600,
    )


def tomorrow() -> datetime:
    return (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def freeze(http: httpx.AsyncClient, headers: Headers, moment: datetime) -> dict[str, Any]:
    response = await http.post(CLOCK, json={"frozen_at": moment.isoformat()}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def advance(http: httpx.AsyncClient, headers: Headers, duration: Any) -> dict[str, Any]:
    response = await http.post(f"{CLOCK}/advance", json={"duration": duration}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class FailingFirst(BaseHTTPRequestHandler):
    """Answers 500 to the first ``failures`` callbacks and 200 to the rest; keeps each body."""

    calls: list[bytes]
    failures: int

    def do_POST(self) -> None:
        self.calls.append(self.rfile.read(int(self.headers["content-length"])))
        self.send_response(500 if len(self.calls) <= self.failures else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@contextlib.contextmanager
def receiver(failures: int = 1) -> Iterator[tuple[str, list[bytes]]]:
    calls: list[bytes] = []
    handler = type("Handler", (FailingFirst,), {"calls": calls, "failures": failures})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with serving_in_a_thread(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", calls


async def failed_once(sessions: Sessions, client_id: str, url: str) -> int:
    """A delivery of an event at the frozen time, whose first attempt (the worker's) failed."""
    await subscribe(sessions, client_id, url=url, event_names=[names.PICKING])
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        await record_event(session, names.PICKING, metadata={})
        await session.commit()
    async with sessions() as session:
        delivery_id = await session.scalar(select(WebhookDelivery.id))
    assert delivery_id is not None
    sender = Sender()
    try:
        result = await worker.send(sessions, delivery_id, sender=sender)
    finally:
        await sender.aclose()
    assert result.final.status_code == 500
    return delivery_id


async def parked(sessions: Sessions, delivery_id: int) -> WebhookDelivery:
    async with sessions() as session:
        row = await session.get(WebhookDelivery, delivery_id)
        assert row is not None
        return row


async def event_times(sessions: Sessions, name: str) -> list[datetime]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Event.created_at).where(Event.name == name).order_by(Event.id)
        )
        return list(rows.all())


async def test_a_frozen_clock_is_the_time_of_the_tenants_requests(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    t0 = tomorrow()
    body = await freeze(http, client_headers, t0)
    assert body["clock"] == {"frozen": True, "now": t0.isoformat().replace("+00:00", "Z")}
    assert at((await http.get(CLOCK, headers=client_headers)).json()["now"]) == t0

    delivered = await trip(http, sessions, creds, client_headers, workflow_state="completed")
    assert await event_times(sessions, names.DELIVERED) == [t0]
    shop = await arrange_shop(sessions)
    await create_user(http, client_headers, "clocked")
    hold = await hold_for(http, client_headers, "clocked", shop.store.location_code)
    assert at(hold["expires_at"]) == t0 + timedelta(minutes=10)

    sent = await http.post(
        delivered.order.messages, json={"body": "Thanks!"}, headers=delivered.order.headers
    )
    assert sent.status_code == 200, sent.text
    assert await event_times(sessions, names.CHAT_MESSAGE) == [t0]


async def test_advancing_fires_each_effect_once_in_the_order_of_its_time(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    shop = await arrange_shop(sessions)
    await create_user(http, client_headers, "holder")
    hold = await hold_for(http, client_headers, "holder", shop.store.location_code)
    late: Trip = await trip(http, sessions, creds, client_headers, workflow_state="picking")
    await set_order(sessions, late.order.order_id, window_starts_at=t0, window_ends_at=t0 + HOUR)
    pickup = await staged_pickup(http, sessions, creds, client_headers)
    await set_order(
        sessions, pickup.order.order_id, window_starts_at=t0, window_ends_at=t0 + 2 * HOUR
    )
    delivered = await trip(http, sessions, creds, client_headers, workflow_state="completed")

    with receiver() as (url, calls):
        delivery_id = await failed_once(sessions, creds.client_id, url)
        waiting = await parked(sessions, delivery_id)
        assert waiting.next_attempt_at == rules.PARKED
        retry_at = waiting.clock_due_at
        assert retry_at is not None
        assert t0 < retry_at <= t0 + timedelta(seconds=5)

        body = await advance(http, client_headers, "PT25H")
        assert len(calls) == 2

    fired = [(at(f["at"]), f["kind"], f["order_id"]) for f in body["fired"]]
    assert fired == [
        (retry_at, "webhook_retry", None),
        (at(hold["expires_at"]), "hold_expired", None),
        (t0 + HOUR, "late_delivery", late.order.order_id),
        (t0 + 2 * HOUR, "late_pickup", pickup.order.order_id),
        (t0 + 3 * HOUR, "rating_reminder", delivered.order.order_id),
        (t0 + 24 * HOUR, "chat_expired", delivered.order.order_id),
    ]
    assert body["complete"] is True
    assert at(body["advanced_from"]) == t0
    assert body["clock"] == {"frozen": True, "now": (t0 + 25 * HOUR).isoformat()[:19] + "Z"}

    assert await event_times(sessions, names.LATE_DELIVERY) == [t0 + HOUR]
    assert await event_times(sessions, names.LATE_PICKUP) == [t0 + 2 * HOUR]
    assert await event_times(sessions, names.RATING_REMINDER) == [t0 + 3 * HOUR]
    assert (await parked(sessions, delivery_id)).status == rules.SUCCEEDED
    chat = await http.get(delivered.order.messages, headers=delivered.order.headers)
    assert chat.json() == {"messages": []}

    again = await advance(http, client_headers, "P3D")
    assert again["fired"] == []
    for name in (names.LATE_DELIVERY, names.LATE_PICKUP, names.RATING_REMINDER):
        assert len(await event_times(sessions, name)) == 1


async def test_a_retry_that_fails_again_waits_on_the_clock_for_its_next_turn(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    with receiver(failures=2) as (url, calls):
        delivery_id = await failed_once(sessions, creds.client_id, url)
        retry_at = (await parked(sessions, delivery_id)).clock_due_at
        assert retry_at is not None
        first = await advance(http, client_headers, (retry_at - t0).total_seconds())
        assert [(at(f["at"]), f["kind"]) for f in first["fired"]] == [(retry_at, "webhook_retry")]
        assert len(calls) == 2
    row = await parked(sessions, delivery_id)
    assert row.status == rules.PENDING
    assert row.attempts == 2
    assert row.clock_due_at is not None
    assert row.clock_due_at >= retry_at + timedelta(seconds=1)


async def test_the_wall_clock_timers_leave_a_frozen_tenants_orders_alone(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    late = await trip(http, sessions, creds, client_headers, workflow_state="picking")
    ended = utcnow() - HOUR
    await set_order(sessions, late.order.order_id, window_starts_at=ended, window_ends_at=ended)
    await freeze(http, client_headers, utcnow() - 2 * HOUR)
    assert await flag_late_deliveries(sessions, sessions) == 0

    response = await http.delete(CLOCK, headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.json()["frozen"] is False
    assert await flag_late_deliveries(sessions, sessions) == 1


async def test_letting_go_puts_a_waiting_retry_back_on_the_wall(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    await freeze(http, client_headers, tomorrow())
    with receiver() as (url, _calls):
        delivery_id = await failed_once(sessions, creds.client_id, url)
    before = utcnow()
    assert (await http.delete(CLOCK, headers=client_headers)).status_code == 200
    row = await parked(sessions, delivery_id)
    assert row.clock_due_at is None
    assert before <= row.next_attempt_at <= utcnow() + timedelta(seconds=5)


async def test_the_clock_never_goes_past_its_last_day(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    last = datetime.fromisoformat("2999-12-31T00:00:00+00:00")
    await freeze(http, client_headers, last - HOUR)
    refused = await http.post(f"{CLOCK}/advance", json={"duration": "PT2H"}, headers=client_headers)
    assert_error(refused, 400, "would take the clock past 2999-12-31", 1001, "duration")
    assert at((await http.get(CLOCK, headers=client_headers)).json()["now"]) == last - HOUR
    assert (await advance(http, client_headers, "PT1H"))["clock"]["now"] == "2999-12-31T00:00:00Z"


async def test_another_tenants_clock_and_orders_are_untouched(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    late = await trip(http, sessions, creds, client_headers, workflow_state="picking")
    t0 = tomorrow()
    await set_order(sessions, late.order.order_id, window_starts_at=t0, window_ends_at=t0 + HOUR)
    other = await factories.other_tenant_headers(http, sessions)
    await freeze(http, other, t0)
    done = await advance(http, other, "PT2H")
    assert done["fired"] == []
    assert (await http.get(CLOCK, headers=client_headers)).json()["frozen"] is False
    assert await event_times(sessions, names.LATE_DELIVERY) == []


async def test_two_advances_at_once_fire_each_effect_once(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    orders = [
        await trip(http, sessions, creds, client_headers, workflow_state="picking")
        for _ in range(3)
    ]
    for n, late in enumerate(orders, start=1):
        ends = t0 + n * HOUR
        await set_order(sessions, late.order.order_id, window_starts_at=t0, window_ends_at=ends)
    answers = await asyncio.gather(
        *(
            http.post(f"{CLOCK}/advance", json={"duration": "PT4H"}, headers=client_headers)
            for _ in range(2)
        )
    )
    assert {a.status_code for a in answers} <= {200, 409}
    fired = [f for a in answers if a.status_code == 200 for f in a.json()["fired"]]
    assert sorted(f["order_id"] for f in fired) == sorted(o.order.order_id for o in orders)
    assert len(await event_times(sessions, names.LATE_DELIVERY)) == 3


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "duration"),
        ({"duration": 0}, "duration"),
        ({"duration": -5}, "duration"),
        ({"duration": "P400D"}, "duration"),
        ({"duration": "soon"}, "duration"),
    ],
)
async def test_a_bad_advance_is_refused_and_moves_nothing(
    http: httpx.AsyncClient, client_headers: Headers, body: dict[str, Any], key: str
) -> None:
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    response = await http.post(f"{CLOCK}/advance", json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    assert response.json()["meta"] == {"key": key}
    assert at((await http.get(CLOCK, headers=client_headers)).json()["now"]) == t0


async def test_a_frozen_clock_never_moves_back(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    response = await http.post(
        CLOCK, json={"frozen_at": (t0 - HOUR).isoformat()}, headers=client_headers
    )
    assert_error(
        response, 400, "can't be earlier than the sandbox clock's time", 1001, key="frozen_at"
    )
    for far in ("1999-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "9999-12-31T23:59:59Z"):
        refused = await http.post(CLOCK, json={"frozen_at": far}, headers=client_headers)
        assert_error(refused, 400, "must be between 2000-01-01 and 2999-12-31", 1001, "frozen_at")
    naive = await http.post(
        CLOCK, json={"frozen_at": "2030-01-01T09:00:00"}, headers=client_headers
    )
    assert naive.status_code == 400
    assert naive.json()["meta"] == {"key": "frozen_at"}
    assert at((await http.get(CLOCK, headers=client_headers)).json()["now"]) == t0


async def test_the_clock_is_shared_by_every_process(
    http: httpx.AsyncClient, settings: Settings, client_headers: Headers
) -> None:
    """A second application on the same database (another process, as far as the clock can
    tell) reads the time the first froze, and its advance moves it for both."""
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    assert clock.frozen() is None, "a request's time stays in the request"
    async with serving(settings) as other:
        assert at((await other.get(CLOCK, headers=client_headers)).json()["now"]) == t0
        await advance(other, client_headers, "PT1H")
    assert at((await http.get(CLOCK, headers=client_headers)).json()["now"]) == t0 + HOUR


async def test_an_autopilot_plays_a_whole_order_as_the_clock_advances(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers
) -> None:
    """Turned on while the clock is frozen, an autopilot shopper does nothing until time
    passes; an advance plays every step of its order in order, each at its own time, to
    delivered."""
    t0 = tomorrow()
    await freeze(http, client_headers, t0)
    turned_on = await http.post(
        f"{SANDBOX}/autopilot",
        json={"seed": 11, "step_seconds": 60, "decision_timeout_seconds": 120},
        headers=client_headers,
    )
    assert turned_on.status_code == 200, turned_on.text
    shop = await arrange_shop(sessions)
    order = await place_order(http, client_headers, shop, order_id="auto-1")
    assert order["status"] == "brand_new"

    body = await advance(http, client_headers, "PT3H")
    steps = [f for f in body["fired"] if f["kind"] == "autopilot_step"]
    assert {f["order_id"] for f in steps} == {"auto-1"}
    times = [at(f["at"]) for f in steps]
    assert times == sorted(times)
    assert times[0] == t0
    read = await http.get("/v2/fulfillment/users/user-1/orders/auto-1", headers=client_headers)
    assert read.json()["status"] == "delivered"
    delivered = await event_times(sessions, names.DELIVERED)
    assert len(delivered) == 1
    assert t0 < delivered[0] <= t0 + 3 * HOUR
    later = await advance(http, client_headers, "PT3H")
    assert [f["kind"] for f in later["fired"]] == ["rating_reminder"]


async def test_freezing_at_once_from_many_requests_freezes_once(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    """Requests racing to freeze a clock on the wall all succeed, and all read the one time
    that won; freezing a frozen clock without a time leaves it where it is."""
    answers = await asyncio.gather(*(http.post(CLOCK, headers=client_headers) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.json()["clock"]["now"] for a in answers}) == 1
    again = await http.post(CLOCK, json={}, headers=client_headers)
    assert again.json()["clock"] == answers[0].json()["clock"]
    assert again.json()["fired"] == []
