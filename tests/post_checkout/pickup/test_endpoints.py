"""The four pickup operations: their successes, what each records, and every documented error."""

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.models import Order, PickupStatus
from tests.conftest import suite_settings
from tests.post_checkout.helpers import BASE, arrange
from tests.post_checkout.orders.helpers import emitted
from tests.post_checkout.pickup.helpers import (
    Pickup,
    Sessions,
    assert_connect_error,
    staged_pickup,
)
from tests.webhooks.helpers import payload_errors

NOT_STAGED = {"order_delivery_id": "Order delivery is not staged."}
DELEGATE = {"name": "Alex Doe", "phone_number": "(415) 555-0142"}


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return suite_settings(database_url, **getattr(request, "param", {}))


async def pickup_status(sessions: Sessions, order_id: str) -> PickupStatus | None:
    async with sessions() as session:
        status: PickupStatus | None = await session.scalar(
            select(PickupStatus)
            .join(Order, Order.id == PickupStatus.order_pk)
            .where(Order.order_id == order_id)
        )
        return status


async def recorded_status(sessions: Sessions, order_id: str) -> PickupStatus:
    """The order's pickup status, which must be there."""
    status = await pickup_status(sessions, order_id)
    assert status is not None
    return status


@pytest.fixture
async def pickup(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> Pickup:
    """A pickup order a sandbox shopper has walked to ``staged``."""
    return await staged_pickup(http, sessions, creds, client_headers)


async def workflow_state(http: httpx.AsyncClient, p: Pickup) -> str:
    response = await http.get(f"{BASE}/orders/{p.order.order_id}", headers=p.headers)
    state: str = response.json()["workflow_state"]
    return state


# --- Record customer arrival ---------------------------------------------------------------------


async def test_arrival_is_recorded_once_with_its_callback(
    http: httpx.AsyncClient, sessions: Sessions, pickup: Pickup
) -> None:
    assert await workflow_state(http, pickup) == "ready_for_pickup"
    arrived = await http.post(pickup.url("pickup/user_arrived"), headers=pickup.headers)
    assert arrived.status_code == 200, arrived.text
    assert arrived.json() == {"success": True}
    status = await recorded_status(sessions, pickup.order.order_id)
    assert status.arrived_at is not None
    assert status.arrived_as_delegate is False
    assert await workflow_state(http, pickup) == "user_at_store"

    again = await http.post(pickup.url("pickup/user_arrived"), json={}, headers=pickup.headers)
    assert again.json() == {"success": True}
    [callback] = await emitted(sessions, pickup.order.order_id, names.CUSTOMER_ACKNOWLEDGED)
    assert payload_errors(callback) == []
    assert callback["event_metadata"]["is_pickup_delegate"] is False
    assert callback["event_metadata"]["pickup_category"] == "curbside"


async def test_a_delegate_arrives_once_one_is_named(
    http: httpx.AsyncClient, sessions: Sessions, pickup: Pickup
) -> None:
    refused = await http.post(
        pickup.url("pickup/user_arrived"), json={"is_pickup_delegate": True}, headers=pickup.headers
    )
    assert refused.status_code == 400
    assert refused.json()["meta"] == {"key": "is_pickup_delegate"}
    status = await recorded_status(sessions, pickup.order.order_id)
    assert status.arrived_at is None

    named = await http.put(pickup.url("pickup_delegate"), json=DELEGATE, headers=pickup.headers)
    assert named.status_code == 200, named.text
    assert named.json() == {}
    arrived = await http.post(
        pickup.url("pickup/user_arrived"), json={"is_pickup_delegate": True}, headers=pickup.headers
    )
    assert arrived.status_code == 200, arrived.text
    [callback] = await emitted(sessions, pickup.order.order_id, names.CUSTOMER_ACKNOWLEDGED)
    assert callback["event_metadata"]["is_pickup_delegate"] is True
    assert payload_errors(callback) == []


@pytest.mark.parametrize("state", ["picking", "bags_check"])
async def test_arrival_before_the_bags_are_staged_is_a_params_error(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
    state: str,
) -> None:
    p = await staged_pickup(http, sessions, creds, client_headers, workflow_state=state)
    response = await http.post(p.url("pickup/user_arrived"), headers=p.headers)
    assert_connect_error(response, 400, "Params error", 2001, NOT_STAGED)
    assert await emitted(sessions, p.order.order_id, names.CUSTOMER_ACKNOWLEDGED) == []


async def test_arrival_after_pickup_is_a_params_error(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="completed", service_type="pickup")
    response = await http.post(
        f"{BASE}/orders/{order.order_id}/pickup/user_arrived", headers=order.headers
    )
    assert_connect_error(response, 400, "Params error", 2001, NOT_STAGED)


@pytest.mark.parametrize(
    "operation", ["pickup/user_arrived", "pickup/schedule_pickup"], ids=["arrival", "schedule"]
)
async def test_a_delivery_order_has_no_pickup_status(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, operation: str
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="staged")
    body = {"schedule_pickup_eta": (utcnow() + timedelta(minutes=20)).isoformat()}
    response = await http.post(
        f"{BASE}/orders/{order.order_id}/{operation}", json=body, headers=order.headers
    )
    assert_connect_error(response, 404, "No pickup status found for order", 4000, {})


OPERATIONS = [
    ("POST", "pickup/user_arrived", None),
    ("POST", "pickup/schedule_pickup", {"schedule_pickup_eta": "2099-01-01T10:00:00Z"}),
    ("GET", "pickup/details", None),
    ("PUT", "pickup_delegate", DELEGATE),
]


@pytest.mark.parametrize(("method", "operation", "body"), OPERATIONS)
async def test_a_missing_order_and_someone_elses_answer_alike(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    pickup: Pickup,
    method: str,
    operation: str,
    body: dict[str, str] | None,
) -> None:
    mine = await arrange(http, sessions, creds, workflow_state="staged", service_type="pickup")
    missing = await http.request(
        method, f"{BASE}/orders/no-such-order/{operation}", json=body, headers=mine.headers
    )
    assert_connect_error(missing, 404, "Resource not found", 4000, {})
    other = await http.request(method, pickup.url(operation), json=body, headers=mine.headers)
    assert other.content == missing.content
    status = await recorded_status(sessions, pickup.order.order_id)
    assert (status.arrived_at, status.scheduled_eta, status.delegate_name) == (None, None, None)


@pytest.mark.parametrize("order_id", ["%0D", "%0A", "%09", "a%0Db"])
@pytest.mark.parametrize(("method", "operation", "body"), OPERATIONS)
async def test_an_order_id_of_control_characters_is_missing_in_connects_envelope(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    method: str,
    operation: str,
    body: dict[str, str] | None,
    order_id: str,
) -> None:
    """Tab, CR and LF vanish when a URL is rebuilt, which once turned ``/orders/%0D/pickup/...``
    into ``/orders//pickup/...`` and answered in the other post-checkout envelope."""
    mine = await arrange(http, sessions, creds, workflow_state="staged", service_type="pickup")
    missing = await http.request(
        method, f"{BASE}/orders/{order_id}/{operation}", json=body, headers=mine.headers
    )
    assert_connect_error(missing, 404, "Resource not found", 4000, {})


# --- Schedule pickup -----------------------------------------------------------------------------


async def test_schedule_pickup_records_and_moves_the_eta(
    http: httpx.AsyncClient, sessions: Sessions, pickup: Pickup
) -> None:
    first = (utcnow() + timedelta(minutes=20)).replace(microsecond=0)
    response = await http.post(
        pickup.url("pickup/schedule_pickup"),
        json={"schedule_pickup_eta": first.isoformat()},
        headers=pickup.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    status = await recorded_status(sessions, pickup.order.order_id)
    assert status.scheduled_eta == first
    later = first + timedelta(minutes=15)
    moved = await http.post(
        pickup.url("pickup/schedule_pickup"),
        json={"schedule_pickup_eta": later.isoformat()},
        headers=pickup.headers,
    )
    assert moved.status_code == 200
    status = await recorded_status(sessions, pickup.order.order_id)
    assert status.scheduled_eta == later


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "schedule_pickup_eta"),
        ({"schedule_pickup_eta": "soon"}, "schedule_pickup_eta"),
        ({"schedule_pickup_eta": "2026-12-02T10:00:00"}, "schedule_pickup_eta"),
        ({"schedule_pickup_eta": "2001-01-01T10:00:00Z"}, "schedule_pickup_eta"),
    ],
    ids=["missing", "not-a-time", "no-offset", "past"],
)
async def test_schedule_pickup_needs_a_future_eta(
    http: httpx.AsyncClient, sessions: Sessions, pickup: Pickup, body: dict[str, str], key: str
) -> None:
    response = await http.post(
        pickup.url("pickup/schedule_pickup"), json=body, headers=pickup.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == 1001
    assert response.json()["meta"] == {"key": key}
    status = await recorded_status(sessions, pickup.order.order_id)
    assert status.scheduled_eta is None


async def test_schedule_pickup_needs_staged_curbside_without_delegate(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: dict[str, str],
) -> None:
    eta = {"schedule_pickup_eta": (utcnow() + timedelta(minutes=20)).isoformat()}
    early = await staged_pickup(http, sessions, creds, client_headers, workflow_state="picking")
    response = await http.post(early.url("pickup/schedule_pickup"), json=eta, headers=early.headers)
    assert_connect_error(response, 400, "Params error", 2001, NOT_STAGED)

    p = await staged_pickup(http, sessions, creds, client_headers)
    await http.put(p.url("pickup_delegate"), json=DELEGATE, headers=p.headers)
    response = await http.post(p.url("pickup/schedule_pickup"), json=eta, headers=p.headers)
    assert_connect_error(
        response,
        400,
        "Params error",
        2001,
        {"pickup_delegate": "Scheduled pickup is not supported for orders with a pickup delegate."},
    )


@pytest.mark.parametrize("settings", [{"pickup_category": "locker"}], indirect=True)
async def test_schedule_pickup_is_for_curbside_orders_and_details_follow_the_category(
    http: httpx.AsyncClient, settings: Settings, pickup: Pickup
) -> None:
    eta = {"schedule_pickup_eta": (utcnow() + timedelta(minutes=20)).isoformat()}
    response = await http.post(
        pickup.url("pickup/schedule_pickup"), json=eta, headers=pickup.headers
    )
    assert_connect_error(
        response,
        400,
        "Params error",
        2001,
        {"pickup_category": "Scheduled pickup is only available for curbside pickup orders."},
    )
    details = await http.get(pickup.url("pickup/details"), headers=pickup.headers)
    assert details.json() == {
        "pickup_instructions": [
            {"category": "locker", "instruction": settings.pickup_instructions["locker"]}
        ]
    }


# --- Get pickup instructions ---------------------------------------------------------------------


async def test_pickup_details_give_the_retailers_curbside_instruction(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, settings: Settings
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="picking", service_type="pickup")
    response = await http.get(
        f"{BASE}/orders/{order.order_id}/pickup/details", headers=order.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "pickup_instructions": [
            {"category": "curbside", "instruction": settings.pickup_instructions["curbside"]}
        ]
    }


@pytest.mark.parametrize(
    ("method", "operation", "body"),
    [("GET", "pickup/details", None), ("PUT", "pickup_delegate", DELEGATE)],
)
async def test_details_and_delegates_are_for_pickup_orders_only(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    method: str,
    operation: str,
    body: dict[str, str] | None,
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="picking")
    response = await http.request(
        method, f"{BASE}/orders/{order.order_id}/{operation}", json=body, headers=order.headers
    )
    assert_connect_error(response, 400, "Pickup unavailable for non-pickup orders", 4001, {})


# --- Create or update a pickup delegate ----------------------------------------------------------


async def test_a_delegate_is_created_then_updated(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="picking", service_type="pickup")
    url = f"{BASE}/orders/{order.order_id}/pickup_delegate"
    assert (await http.put(url, json=DELEGATE, headers=order.headers)).status_code == 200
    status = await recorded_status(sessions, order.order_id)
    assert (status.delegate_name, status.delegate_phone_number) == ("Alex Doe", "+14155550142")
    renamed = {"name": "  Sam Roe ", "phone_number": "+1 650 555 0100"}
    assert (await http.put(url, json=renamed, headers=order.headers)).status_code == 200
    status = await recorded_status(sessions, order.order_id)
    assert (status.delegate_name, status.delegate_phone_number) == ("Sam Roe", "+16505550100")


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"phone_number": "+14155550142"}, "name"),
        ({"name": "Alex"}, "phone_number"),
        ({"name": "   ", "phone_number": "+14155550142"}, "name"),
        ({"name": "Alex", "phone_number": "12"}, "phone_number"),
    ],
)
async def test_a_delegate_needs_a_name_and_a_possible_number(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    body: dict[str, str],
    key: str,
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="picking", service_type="pickup")
    url = f"{BASE}/orders/{order.order_id}/pickup_delegate"
    response = await http.put(url, json=body, headers=order.headers)
    assert response.status_code == 400, response.text
    assert response.json()["meta"] == {"key": key}
    assert await pickup_status(sessions, order.order_id) is None


async def test_no_delegate_once_the_order_is_picked_up(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="completed", service_type="pickup")
    url = f"{BASE}/orders/{order.order_id}/pickup_delegate"
    response = await http.put(url, json=DELEGATE, headers=order.headers)
    assert_connect_error(response, 400, "The order was already picked up or canceled.", 3003, {})
