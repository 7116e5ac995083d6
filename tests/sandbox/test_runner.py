"""The runner_customer batch: a staged pickup order handed to its customer, the post-checkout
states on the way, the pickup callbacks each transition writes, and the late-pickup timer."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.models import Order, PickupStatus
from aftercart.post_checkout.pickup_tasks import flag_late_pickups
from tests.post_checkout.helpers import BASE
from tests.post_checkout.orders.helpers import emitted, one_valid
from tests.post_checkout.pickup.helpers import (
    Pickup,
    Sessions,
    advance,
    runner_batch,
    staged_pickup,
)
from tests.sandbox.helpers import assert_error, event_names

Headers = dict[str, str]


async def state_of(http: httpx.AsyncClient, p: Pickup) -> str:
    response = await http.get(f"{BASE}/orders/{p.order.order_id}", headers=p.headers)
    assert response.status_code == 200, response.text
    state: str = response.json()["workflow_state"]
    return state


@pytest.fixture
async def staged(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> Pickup:
    return await staged_pickup(http, sessions, creds, client_headers)


async def test_staging_makes_the_order_ready_for_pickup(
    http: httpx.AsyncClient, sessions: Sessions, staged: Pickup
) -> None:
    assert await state_of(http, staged) == "ready_for_pickup"
    callback = await one_valid(sessions, staged.order.order_id, names.STAGED)
    assert callback["event_metadata"]["status"] == "staging"
    async with sessions() as session:
        ready = await session.scalar(
            select(PickupStatus.ready_at)
            .join(Order, Order.id == PickupStatus.order_pk)
            .where(Order.order_id == staged.order.order_id)
        )
    assert ready is not None


async def test_a_pickup_batch_stops_at_staged(
    http: httpx.AsyncClient, client_headers: Headers, staged: Pickup
) -> None:
    response = await advance(http, client_headers, staged.batch_id, None)
    assert_error(response, 400, None, 1001, "workflow_state")
    assert "runner_customer" in response.json()["error"]["message"]
    response = await advance(http, client_headers, staged.batch_id, "completed")
    assert_error(response, 400, None, 1001, "workflow_state")


async def test_the_runner_hands_the_order_over(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, staged: Pickup
) -> None:
    order_id = staged.order.order_id
    run = await runner_batch(http, client_headers, staged)
    assert run.status_code == 200, run.text
    batch_id = run.json()["id"]
    assert run.json() == {"id": batch_id, "workflow_state": "brand_new"}
    assert await state_of(http, staged) == "runner_awaiting"

    steps = [
        ("at_store", "runner_acknowledged"),
        ("bags_verified", "bags_verified"),
        ("completed", "delivered"),
    ]
    for batch_state, customer_state in steps:
        response = await advance(http, client_headers, batch_id, None)
        assert response.json() == {"id": batch_id, "workflow_state": batch_state}
        assert await state_of(http, staged) == customer_state

    acknowledged = await one_valid(sessions, order_id, names.CUSTOMER_ACKNOWLEDGED)
    started = await one_valid(sessions, order_id, names.PICKUP_RUNNER_STARTED)
    delivered = await one_valid(sessions, order_id, names.DELIVERED)
    assert started["event_metadata"]["batch_id"] == batch_id
    assert acknowledged["event_metadata"]["is_pickup_delegate"] is False
    assert delivered["event_metadata"]["batch_id"] == batch_id
    handling = await http.get(f"{BASE}/orders/{order_id}/handling", headers=staged.headers)
    assert handling.json()["status"] == "delivered"
    after = await advance(http, client_headers, batch_id, None)
    assert_error(after, 400, "Batch is already completed", 1001, "workflow_state")


async def test_the_customers_arrival_moves_a_waiting_runner(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, staged: Pickup
) -> None:
    run = await runner_batch(http, client_headers, staged)
    arrived = await http.post(
        f"{BASE}/orders/{staged.order.order_id}/pickup/user_arrived", headers=staged.headers
    )
    assert arrived.status_code == 200, arrived.text
    assert await state_of(http, staged) == "runner_acknowledged"
    await one_valid(sessions, staged.order.order_id, names.CUSTOMER_ACKNOWLEDGED)
    started = await one_valid(sessions, staged.order.order_id, names.PICKUP_RUNNER_STARTED)
    assert started["event_metadata"]["workflow_state"] == "at_store"
    response = await advance(http, client_headers, run.json()["id"], None)
    assert response.json()["workflow_state"] == "bags_verified"


async def test_a_runner_batch_after_the_arrival_starts_at_the_store(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, staged: Pickup
) -> None:
    await http.post(
        f"{BASE}/orders/{staged.order.order_id}/pickup/user_arrived", headers=staged.headers
    )
    assert await state_of(http, staged) == "user_at_store"
    run = await runner_batch(http, client_headers, staged)
    assert run.json()["workflow_state"] == "at_store"
    await one_valid(sessions, staged.order.order_id, names.PICKUP_RUNNER_STARTED)
    await one_valid(sessions, staged.order.order_id, names.CUSTOMER_ACKNOWLEDGED)


async def test_only_staged_pickup_orders_get_a_runner_once(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
    staged: Pickup,
) -> None:
    early = await staged_pickup(http, sessions, creds, client_headers, workflow_state="picking")
    response = await runner_batch(http, client_headers, early)
    assert_error(response, 400, "Orders unbatchable", 1001, "orders[0]")
    assert (await runner_batch(http, client_headers, staged)).status_code == 200
    again = await runner_batch(http, client_headers, staged)
    assert_error(again, 400, "Orders unbatchable", 1001, "orders[0]")


@pytest.fixture
async def run_at(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, client_headers: Headers, staged: Pickup
) -> int:
    """A runner batch for ``staged``, generated at the workflow state the test is parametrised
    with (indirectly): its id."""
    run = await runner_batch(http, client_headers, staged, workflow_state=request.param)
    batch_id: int = run.json()["id"]
    return batch_id


@pytest.mark.parametrize(
    ("run_at", "signal", "name", "after"),
    [
        ("brand_new", "pickup_geofence_reached", names.PICKUP_GEOFENCE_REACHED, "brand_new"),
        ("at_store", "runner_not_found", names.RUNNER_NOT_FOUND, "at_store"),
        ("at_store", "unable_to_find_customer", names.UNABLE_TO_FIND_CUSTOMER, "brand_new"),
    ],
    indirect=["run_at"],
)
async def test_each_signal_writes_its_callback(
    http: httpx.AsyncClient,
    sessions: Sessions,
    client_headers: Headers,
    staged: Pickup,
    run_at: int,
    signal: str,
    name: str,
    after: str,
) -> None:
    batch_id = run_at
    response = await advance(http, client_headers, batch_id, signal)
    assert response.json() == {"id": batch_id, "workflow_state": after}, response.text
    callback = await one_valid(sessions, staged.order.order_id, name)
    assert callback["event_metadata"]["workflow_state"] == after
    if signal == "unable_to_find_customer":
        # The customer must arrive again: the runner waits for them.
        assert await state_of(http, staged) == "runner_awaiting"
        await http.post(
            f"{BASE}/orders/{staged.order.order_id}/pickup/user_arrived", headers=staged.headers
        )
        acknowledged = await emitted(sessions, staged.order.order_id, names.CUSTOMER_ACKNOWLEDGED)
        assert len(acknowledged) == 2


@pytest.mark.parametrize(
    ("run_at", "signal"),
    [
        ("at_store", "pickup_geofence_reached"),
        ("brand_new", "runner_not_found"),
        ("brand_new", "unable_to_find_customer"),
    ],
    indirect=["run_at"],
)
async def test_a_signal_out_of_its_states_is_refused(
    http: httpx.AsyncClient,
    sessions: Sessions,
    client_headers: Headers,
    staged: Pickup,
    run_at: int,
    signal: str,
) -> None:
    before = await event_names(sessions, staged.order.order_id)
    response = await advance(http, client_headers, run_at, signal)
    assert_error(response, 400, None, 1001, "workflow_state")
    assert await event_names(sessions, staged.order.order_id) == before


# --- Late pickup ---------------------------------------------------------------------------------


async def _window_ends(sessions: Sessions, order_id: str, ago: timedelta) -> None:
    async with sessions() as session:
        await session.execute(
            update(Order)
            .where(Order.order_id == order_id)
            .values(
                window_starts_at=utcnow() - ago - timedelta(hours=1), window_ends_at=utcnow() - ago
            )
        )
        await session.commit()


async def test_a_pickup_still_waiting_after_its_window_is_late_once(
    sessions: Sessions, staged: Pickup
) -> None:
    assert await flag_late_pickups(sessions, sessions) == 0
    await _window_ends(sessions, staged.order.order_id, timedelta(minutes=5))
    assert await flag_late_pickups(sessions, sessions) == 1
    assert await flag_late_pickups(sessions, sessions) == 0
    callback = await one_valid(sessions, staged.order.order_id, names.LATE_PICKUP)
    assert callback["event_metadata"]["pickup_category"] == "curbside"


async def test_a_picked_up_order_is_never_late(
    http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers, staged: Pickup
) -> None:
    await runner_batch(http, client_headers, staged, workflow_state="completed")
    await _window_ends(sessions, staged.order.order_id, timedelta(minutes=5))
    assert await flag_late_pickups(sessions, sessions) == 0
    assert await emitted(sessions, staged.order.order_id, names.LATE_PICKUP) == []


async def test_processes_racing_write_one_late_pickup(sessions: Sessions, staged: Pickup) -> None:
    await _window_ends(sessions, staged.order.order_id, timedelta(minutes=5))
    counts = await asyncio.gather(*(flag_late_pickups(sessions, sessions) for _ in range(3)))
    assert sum(counts) == 1
    assert len(await emitted(sessions, staged.order.order_id, names.LATE_PICKUP)) == 1
