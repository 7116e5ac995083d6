"""The order timers: Late delivery once a delivery order's window has ended, Rating reminder a
while after delivery (Connect's "Event callbacks",
https://docs.instacart.com/connect/api/fulfillment/communications/event_callbacks). Each tick is
called directly with ``now=``; the orders get there through the sandbox's API."""

import asyncio
from datetime import timedelta

import httpx
import pytest

from aftercart import tasks
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.post_checkout.order_timers import flag_late_deliveries, send_rating_reminders
from tests.post_checkout.helpers import set_order
from tests.post_checkout.orders.helpers import Sessions, Trip, emitted, one_valid, trip
from tests.sandbox.helpers import arrange_order, load_order

Headers = dict[str, str]
DAY = timedelta(days=1)


@pytest.fixture
async def picking(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> Trip:
    return await trip(http, sessions, creds, client_headers, workflow_state="picking")


@pytest.fixture
async def delivered(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> Trip:
    return await trip(http, sessions, creds, client_headers, workflow_state="completed")


async def _window_ended(sessions: Sessions, order_id: str, ago: timedelta) -> None:
    end = utcnow() - ago
    await set_order(
        sessions, order_id, window_starts_at=end - timedelta(hours=1), window_ends_at=end
    )


async def _simulate_late(
    http: httpx.AsyncClient, headers: Headers, order_id: str
) -> httpx.Response:
    return await http.post(
        f"/v2/fulfillment_sandbox/orders/{order_id}/callbacks",
        json={"event_name": "late_delivery"},
        headers=headers,
    )


# --- Late delivery -------------------------------------------------------------------------------


async def test_a_delivery_still_under_way_after_its_window_is_late_once(
    sessions: Sessions, picking: Trip
) -> None:
    order_id = picking.order.order_id
    assert await flag_late_deliveries(sessions, sessions) == 0
    await _window_ended(sessions, order_id, timedelta(minutes=5))
    assert await flag_late_deliveries(sessions, sessions) == 1
    assert await flag_late_deliveries(sessions, sessions, now=utcnow() + DAY) == 0
    callback = await one_valid(sessions, order_id, names.LATE_DELIVERY)
    order = await load_order(sessions, order_id)
    assert order.late
    assert order.window_ends_at is not None
    assert callback["event_metadata"]["late"] is True
    window_end = callback["event_metadata"]["window_ends_at"]
    assert window_end == order.window_ends_at.isoformat().replace("+00:00", "Z")


async def test_the_sandbox_sends_no_second_late_delivery(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, picking: Trip
) -> None:
    order_id = picking.order.order_id
    await _window_ended(sessions, order_id, timedelta(minutes=5))
    assert await flag_late_deliveries(sessions, sessions) == 1
    response = await _simulate_late(http, client_headers, order_id)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    assert len(await emitted(sessions, order_id, names.LATE_DELIVERY)) == 1


async def test_the_timer_sends_no_second_late_delivery(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, picking: Trip
) -> None:
    order_id = picking.order.order_id
    assert (await _simulate_late(http, client_headers, order_id)).status_code == 200
    simulated = await one_valid(sessions, order_id, names.LATE_DELIVERY)
    assert set(simulated["event_metadata"]) >= {"late", "window_starts_at", "window_ends_at"}
    await _window_ended(sessions, order_id, timedelta(minutes=5))
    assert await flag_late_deliveries(sessions, sessions) == 0
    assert len(await emitted(sessions, order_id, names.LATE_DELIVERY)) == 1


@pytest.mark.parametrize(
    ("service_type", "workflow_state", "late"),
    [
        ("delivery", "brand_new", True),
        ("last_mile", "staged_for_delivery", True),
        ("delivery", "completed", False),
        ("delivery", "canceled", False),
        ("pickup", "staged", False),
    ],
)
async def test_only_delivery_orders_under_way_are_late(
    sessions: Sessions, service_type: str, workflow_state: str, late: bool
) -> None:
    end = utcnow() - timedelta(minutes=5)
    arranged = await arrange_order(
        sessions,
        service_type=service_type,
        workflow_state=workflow_state,
        window_starts_at=end - timedelta(hours=1),
        window_ends_at=end,
    )
    assert await flag_late_deliveries(sessions, sessions) == int(late)
    assert len(await emitted(sessions, arranged.order_id, names.LATE_DELIVERY)) == int(late)


async def test_a_delivered_order_is_never_late(
    http: httpx.AsyncClient, sessions: Sessions, delivered: Trip
) -> None:
    await _window_ended(sessions, delivered.order.order_id, timedelta(minutes=5))
    assert await flag_late_deliveries(sessions, sessions) == 0


async def test_processes_racing_write_one_late_delivery(sessions: Sessions, picking: Trip) -> None:
    await _window_ended(sessions, picking.order.order_id, timedelta(minutes=5))
    counts = await asyncio.gather(*(flag_late_deliveries(sessions, sessions) for _ in range(3)))
    assert sum(counts) == 1
    assert len(await emitted(sessions, picking.order.order_id, names.LATE_DELIVERY)) == 1


# --- Rating reminder -----------------------------------------------------------------------------


async def test_a_delivered_order_without_a_rating_is_reminded_once(
    sessions: Sessions, delivered: Trip
) -> None:
    order_id = delivered.order.order_id
    assert await send_rating_reminders(sessions, sessions, delay=DAY) == 0
    later = utcnow() + DAY
    assert await send_rating_reminders(sessions, sessions, delay=DAY, now=later) == 1
    assert await send_rating_reminders(sessions, sessions, delay=DAY, now=later + DAY) == 0
    callback = await one_valid(sessions, order_id, names.RATING_REMINDER)
    order = await load_order(sessions, order_id)
    assert order.rating_reminder_at == later
    assert order.delivered_at is not None
    metadata = callback["event_metadata"]
    assert metadata["status"] == "delivered"
    assert metadata["delivered_at"] == order.delivered_at.isoformat().replace("+00:00", "Z")


async def test_a_rated_order_is_not_reminded(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, delivered: Trip
) -> None:
    o = delivered.order
    rated = await http.post(
        f"/v2/feedback/users/{o.user_id}/orders/{o.order_id}/rating",
        json={"rating_value": "STARS5"},
        headers=client_headers,
    )
    assert rated.status_code == 200, rated.text
    assert await send_rating_reminders(sessions, sessions, delay=DAY, now=utcnow() + DAY) == 0
    assert await emitted(sessions, o.order_id, names.RATING_REMINDER) == []


async def test_an_order_under_way_is_not_reminded(sessions: Sessions, picking: Trip) -> None:
    assert await send_rating_reminders(sessions, sessions, delay=DAY, now=utcnow() + DAY) == 0


async def test_processes_racing_write_one_rating_reminder(
    sessions: Sessions, delivered: Trip
) -> None:
    later = utcnow() + DAY
    counts = await asyncio.gather(
        *(send_rating_reminders(sessions, sessions, delay=DAY, now=later) for _ in range(3))
    )
    assert sum(counts) == 1
    assert len(await emitted(sessions, delivered.order.order_id, names.RATING_REMINDER)) == 1


# --- The loop ------------------------------------------------------------------------------------


async def test_a_timer_ticks_at_once_and_a_zero_one_never() -> None:
    ticks: list[str] = []

    async def tick(name: str) -> None:
        ticks.append(name)

    async with (
        tasks.every(3600, lambda: tick("on"), name="on"),
        tasks.every(0, lambda: tick("off"), name="off"),
    ):
        for _ in range(10):
            await asyncio.sleep(0)
    assert ticks == ["on"]
