"""GET /v2/post_checkout/orders/{order_id}/location and the sandbox shopper's trip
(docs.instacart.com/connect/api/post_checkout/order/get_order_location)."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.fulfillment.lookup import order_for_update
from aftercart.post_checkout import tracking
from tests.conftest import suite_settings
from tests.post_checkout.helpers import BASE, arrange
from tests.post_checkout.orders.helpers import CUSTOMER, Trip, emitted, positions, trip
from tests.webhooks.helpers import payload_errors

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def delivering(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> Trip:
    """A trip whose batch was generated straight into ``delivering``."""
    return await trip(http, sessions, creds, client_headers, workflow_state="delivering")


async def test_empty_before_delivering(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> None:
    t = await trip(http, sessions, creds, client_headers, workflow_state="checkout")
    response = await http.get(t.location, headers=t.order.headers)
    assert response.status_code == 200
    assert response.json() == {}
    assert await emitted(sessions, t.order.order_id, names.ORDER_LOCATION) == []


async def test_the_shopper_leaves_the_store_moves_and_arrives(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> None:
    t = await trip(http, sessions, creds, client_headers)
    advanced = await http.post(t.advance, headers=client_headers)  # checkout → receipt check
    assert advanced.status_code == 200
    advanced = await http.post(t.advance, headers=client_headers)  # → delivering
    assert advanced.json()["workflow_state"] == "delivering"
    at_store = await http.get(t.location, headers=t.order.headers)
    assert at_store.json() == {"coordinates": {"latitude": t.store[0], "longitude": t.store[1]}}

    # Half the trip later (time injected), the shopper is half way.
    async with sessions() as session:
        order = await order_for_update(session, t.order.order_id, with_items=False)
        assert order is not None
        halfway = utcnow() + timedelta(seconds=450)
        assert await tracking.move(session, order, now=halfway, trip_seconds=900) is not None
        assert await tracking.move(session, order, now=halfway, trip_seconds=900) is None
        await session.commit()
    moved = (await http.get(t.location, headers=t.order.headers)).json()["coordinates"]
    expected = [(s + e) / 2 for s, e in zip(t.store, CUSTOMER, strict=True)]
    assert moved["latitude"] == pytest.approx(expected[0], abs=1e-4)
    assert moved["longitude"] == pytest.approx(expected[1], abs=1e-4)

    done = await http.post(t.advance, headers=client_headers)  # → completed
    assert done.json()["workflow_state"] == "completed"
    assert (await http.get(t.location, headers=t.order.headers)).json() == {}
    path = await positions(sessions, t.order.order_id)
    assert path[0] == t.store
    assert path[-1] == CUSTOMER
    assert len(path) == 3

    callbacks = await emitted(sessions, t.order.order_id, names.ORDER_LOCATION)
    assert [
        (c["event_metadata"]["latitude"], c["event_metadata"]["longitude"]) for c in callbacks
    ] == path
    for callback in callbacks:
        assert payload_errors(callback) == []
        assert callback["event_metadata"]["shopper_id"] == t.shopper_id
        assert callback["event_metadata"]["order_id"] == t.order.order_id
    order_events = await emitted(sessions, t.order.order_id, names.DELIVERED)
    assert callbacks[-1]["event_id"] < order_events[0]["event_id"]


async def test_a_batch_generated_straight_into_delivering_starts_at_the_store(
    http: httpx.AsyncClient, delivering: Trip
) -> None:
    response = await http.get(delivering.location, headers=delivering.order.headers)
    assert response.json() == {
        "coordinates": {"latitude": delivering.store[0], "longitude": delivering.store[1]}
    }


async def test_a_pickup_order_never_has_a_location(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="staged", service_type="pickup")
    response = await http.get(f"{BASE}/orders/{order.order_id}/location", headers=order.headers)
    assert response.json() == {}


async def test_a_delivering_order_without_positions_is_empty(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    """Put into delivering behind the sandbox's back: no trip was started, nothing to show."""
    order = await arrange(http, sessions, creds, workflow_state="delivering")
    response = await http.get(f"{BASE}/orders/{order.order_id}/location", headers=order.headers)
    assert response.json() == {}


async def test_someone_elses_order_is_not_found(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, delivering: Trip
) -> None:
    other = await arrange(http, sessions, creds)
    theirs = await http.get(delivering.location, headers=other.headers)
    missing = await http.get(f"{BASE}/orders/nope/location", headers=other.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert theirs.json() == {"error": "Order not found", "status": 404}
    assert (await http.get(delivering.location)).status_code == 401


# --- The timer and the removed shopper information --------------------------------------------


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    values = getattr(request, "param", {})
    return suite_settings(database_url, **values)


@pytest.mark.parametrize(
    "settings", [{"shopper_move_seconds": 0.02, "shopper_trip_seconds": 2}], indirect=True
)
async def test_the_timer_moves_the_shopper_towards_the_customer(
    http: httpx.AsyncClient, sessions: Sessions, delivering: Trip
) -> None:
    for _ in range(200):
        path = await positions(sessions, delivering.order.order_id)
        if path and path[-1] == CUSTOMER:
            break
        await asyncio.sleep(0.05)
    assert path[0] == delivering.store
    assert path[-1] == CUSTOMER
    assert len(path) >= 3
    latitudes = [lat for lat, _ in path]
    assert latitudes == sorted(latitudes, reverse=delivering.store[0] > CUSTOMER[0])
    live = (await http.get(delivering.location, headers=delivering.order.headers)).json()[
        "coordinates"
    ]
    assert (live["latitude"], live["longitude"]) == CUSTOMER
    callbacks = await emitted(sessions, delivering.order.order_id, names.ORDER_LOCATION)
    assert len(callbacks) == len(path)
    assert all(payload_errors(c) == [] for c in callbacks)


async def test_with_the_timer_off_the_shopper_moves_only_on_advance(
    http: httpx.AsyncClient, sessions: Sessions, delivering: Trip
) -> None:
    await asyncio.sleep(0.2)
    assert await positions(sessions, delivering.order.order_id) == [delivering.store]


@pytest.mark.parametrize("settings", [{"remove_shopper_information": True}], indirect=True)
async def test_removed_shopper_information_answers_403(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, delivering: Trip
) -> None:
    response = await http.get(delivering.location, headers=delivering.order.headers)
    assert response.status_code == 403
    assert response.json() == {"error": "Shopper PII", "status": 403}
    other = await arrange(http, sessions, creds)
    assert (await http.get(delivering.location, headers=other.headers)).status_code == 404
    handling = await http.get(delivering.order.handling, headers=delivering.order.headers)
    assert "shopper" not in handling.json()
