"""Triggers (``POST /v2/fulfillment_sandbox/orders/{order_id}/trigger``): any callback of the
catalogue, as Aftercart would send it for the order now, through the outbox."""

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from aftercart.models import Event, WebhookDelivery
from aftercart.sandbox.trigger_rules import TRIGGERABLE
from aftercart.sandbox.triggers import wire
from tests import factories
from tests.lastmile import helpers as lastmile
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_batch,
    events,
    load_order,
    picking,
)
from tests.webhooks.helpers import payload_errors, subscribe

Headers = dict[str, str]

PICKUP = {
    names.PICKUP_RUNNER_STARTED,
    names.UNABLE_TO_FIND_CUSTOMER,
    names.RUNNER_NOT_FOUND,
    names.PICKUP_GEOFENCE_REACHED,
    names.CUSTOMER_ACKNOWLEDGED,
    names.LATE_PICKUP,
}
LAST_MILE = {
    names.ACKNOWLEDGED_FOR_DELIVERY,
    names.AT_STORE_ETA,
    names.AT_STORE,
    names.BAGS_VERIFIED,
    names.ARRIVAL_AT_CUSTOMER,
}
DELIVERED = {names.TIP_ADJUSTMENT, names.RATING_UPDATED, names.RATING_REMINDER, names.CHAT_MESSAGE}


def _url(order_id: str | int) -> str:
    return f"{SANDBOX}/orders/{order_id}/trigger"


async def _delivery(http: httpx.AsyncClient, headers: Headers, sessions: Sessions) -> str:
    """A delivery order on its way (its trip started, so it has a shopper position)."""
    p = await picking(http, headers, sessions, workflow_state="delivering")
    return p.order_id


async def _delivered(http: httpx.AsyncClient, headers: Headers, sessions: Sessions) -> str:
    """A delivered order with a chat message and a rating."""
    p = await picking(http, headers, sessions, workflow_state="completed")
    message = await http.post(
        f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages",
        json={"body": "At your door"},
        headers=headers,
    )
    assert message.status_code == 200, message.text
    user_id = (await load_order(sessions, p.order_id)).user_id
    rated = await http.post(
        f"/v2/feedback/users/{user_id}/orders/{p.order_id}/rating",
        json={"rating_value": "STARS5"},
        headers=headers,
    )
    assert rated.status_code < 300, rated.text
    return p.order_id


async def _pickup(http: httpx.AsyncClient, headers: Headers, sessions: Sessions) -> str:
    """A staged pickup order that a runner batch takes out."""
    p = await picking(http, headers, sessions, service_type="pickup", workflow_state="staged")
    runner = await create_batch(
        http, headers, p.shopper_id, p.order_id, batch_type="runner_customer"
    )
    assert runner.status_code == 200, runner.text
    return p.order_id


async def _last_mile(http: httpx.AsyncClient, headers: Headers, sessions: Sessions) -> str:
    """A staged last-mile order in a ``delivery_only`` batch."""
    w = await lastmile.world(sessions)
    created = await lastmile.create(http, headers, w)
    assert (await lastmile.stage(http, headers, w, created["id"])).status_code == 200
    shopper = (await http.post(f"{SANDBOX}/shoppers", json={}, headers=headers)).json()["id"]
    batch = await create_batch(http, headers, shopper, created["id"], batch_type="delivery_only")
    assert batch.status_code == 200, batch.text
    return created["id"]


async def _suitable(
    name: str, http: httpx.AsyncClient, headers: Headers, sessions: Sessions
) -> str:
    if name in PICKUP:
        return await _pickup(http, headers, sessions)
    if name in LAST_MILE:
        return await _last_mile(http, headers, sessions)
    if name in DELIVERED:
        return await _delivered(http, headers, sessions)
    return await _delivery(http, headers, sessions)


async def _event_count(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def _deliveries_of(sessions: Sessions, event_id: int) -> int:
    async with sessions() as session:
        count = await session.scalar(
            select(func.count()).where(WebhookDelivery.event_id == event_id)
        )
        return int(count or 0)


@pytest.mark.parametrize("name", TRIGGERABLE)
async def test_each_callback_is_sent_as_documented(
    name: str,
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    creds: IssuedCredentials,
) -> None:
    order = await _suitable(name, http, client_headers, sessions)
    state = (await load_order(sessions, order)).workflow_state
    await subscribe(sessions, creds.client_id)
    response = await http.post(_url(order), json={"event_name": name}, headers=client_headers)
    assert response.status_code == 200, response.text
    written = (await events(sessions, order))[-1]
    # What was written is what the answer shows and what a receiver gets, and it fits the
    # AsyncAPI document.
    assert response.json() == wire(written)
    assert written.name == name
    assert payload_errors(wire(written)) == []
    assert await _deliveries_of(sessions, written.id) == 1
    # A trigger changes no order.
    assert (await load_order(sessions, order)).workflow_state == state


async def test_the_payload_is_the_one_the_real_transition_wrote(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    real = next(e for e in await events(sessions, p.order_id) if e.name == names.PICKING)
    response = await http.post(
        _url(p.order_id), json={"event_name": names.PICKING}, headers=client_headers
    )
    assert response.json()["event_metadata"] == real.metadata_


async def test_overrides_are_merged_by_dotted_path(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body: dict[str, Any] = {
        "event_name": names.ITEM_REFUND,
        "overrides": {"item.status": "to_refund", "item.delivered_count": 0, "note": "by hand"},
    }
    response = await http.post(_url(p.order_id), json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    metadata = response.json()["event_metadata"]
    assert metadata["item"]["status"] == "to_refund"
    assert metadata["item"]["delivered_count"] == 0
    assert metadata["item"]["line_num"] == "1"  # the rest is the line's own
    assert metadata["note"] == "by hand"
    assert (await events(sessions, p.order_id))[-1].metadata_ == metadata


async def test_line_num_names_the_line_of_an_item_event(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    lines = [item.line_num for item in (await load_order(sessions, p.order_id)).items]
    assert len(lines) > 1
    for line_num in (lines[-1], lines[0]):
        response = await http.post(
            _url(p.order_id),
            json={"event_name": names.ITEM_UPDATED, "line_num": line_num},
            headers=client_headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["event_metadata"]["item"]["line_num"] == line_num


async def test_overrides_can_complete_what_the_order_lacks(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)  # brand new: no batch, no shopper
    bare = await http.post(
        _url(arranged.order_id), json={"event_name": names.PICKING}, headers=client_headers
    )
    assert_error(bare, 400, None, 9999)
    keys = {error["meta"]["key"] for error in bare.json()["error"]["errors"]}
    assert keys == {"event_metadata.batch_id", "event_metadata.shopper_id"}
    filled = await http.post(
        _url(arranged.order_id),
        json={"event_name": names.PICKING, "overrides": {"batch_id": 7, "shopper_id": 3}},
        headers=client_headers,
    )
    assert filled.status_code == 200, filled.text
    assert filled.json()["event_metadata"]["batch_id"] == 7


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"event_name": names.CANCELED, "overrides": ["status"]}, "overrides"),
        ({"event_name": names.CANCELED, "overrides": "x"}, "overrides"),
        (
            {"event_name": names.CANCELED, "overrides": {"cancellation_reason": "bored"}},
            "event_metadata.cancellation_reason",
        ),
        ({"event_name": names.LATE_DELIVERY, "overrides": {"late": False}}, "event_metadata.late"),
        ({"event_name": names.CANCELED, "overrides": {"order_id": "x"}}, "overrides.order_id"),
        (
            {"event_name": names.RESCHEDULED, "overrides": {"window_ends_at.x": 1}},
            "overrides.window_ends_at.x",
        ),
        ({"event_name": "fulfillment.nope"}, "event_name"),
        ({"event_name": names.ITEM_UPDATED, "line_num": "99"}, "line_num"),
        ({"event_name": names.CANCELED, "line_num": "1"}, "line_num"),
        ({}, "event_name"),
    ],
)
async def test_refusals_write_nothing(
    body: dict[str, Any],
    key: str,
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    arranged = await arrange_order(sessions)
    before = await _event_count(sessions)
    response = await http.post(_url(arranged.order_id), json=body, headers=client_headers)
    assert_error(response, 400, None, 1001, key)
    assert await _event_count(sessions) == before


async def test_an_unknown_name_lists_the_known_ones(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    response = await http.post(
        _url(arranged.order_id), json={"event_name": "picking"}, headers=client_headers
    )
    message = response.json()["error"]["message"]
    assert message == "is not included in the list: " + ", ".join(TRIGGERABLE)


async def test_another_tenants_order_is_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    sibling = await factories.make_api_client(sessions)
    arranged = await arrange_order(sessions, client_id=sibling.client_id)
    other = await factories.other_tenant_headers(http, sessions)
    before = await _event_count(sessions)
    for order_id in (arranged.order_id, "no-such-order"):
        response = await http.post(
            _url(order_id), json={"event_name": names.CANCELED}, headers=other
        )
        assert_error(response, 404, "Resource not found", 4000)
    assert await _event_count(sessions) == before
    # Any client of its tenant may, not only the one that placed it.
    mine = await http.post(
        _url(arranged.order_id), json={"event_name": names.CANCELED}, headers=client_headers
    )
    assert mine.status_code == 200, mine.text


async def test_internal_ids(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    headers = {**client_headers, "X-Treat-Ids-As-Internal": "true"}
    response = await http.post(
        _url(arranged.pk), json={"event_name": names.RESCHEDULED}, headers=headers
    )
    assert response.json()["event_metadata"]["order_id"] == arranged.order_id
