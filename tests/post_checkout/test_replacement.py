"""PUT .../items/{order_item_id}/replacement: the customer approves or rejects a replacement."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from tests.post_checkout.helpers import (
    arrange,
    decide,
    events,
    item_row,
    propose,
    set_item,
    set_order,
)

Sessions = async_sessionmaker[AsyncSession]


async def test_approving_keeps_the_replacement(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1", delivered_count=2)
    response = await decide(http, order, "1", "APPROVED")
    assert response.status_code == 200
    assert response.json() == {"id": "1", "replacement_status": "APPROVED"}
    item = await item_row(sessions, order.order_id, "1")
    assert (item.shopper_status, item.replacement_status, item.delivered_count) == (
        "replaced",
        "APPROVED",
        2,
    )
    view = (await http.get(order.items, headers=order.headers)).json()["items"][0]
    assert view["status"] == "replaced"
    assert view["replacement_status"] == "APPROVED"
    [event] = await events(sessions, order.order_id, names.REPLACEMENT_DECISION)
    assert event["item"]["line_num"] == "1"
    assert event["item"]["replacement_status"] == "APPROVED"
    assert event["item"]["delivered_item_upc"] == order.spares[0].upc


async def test_rejecting_refunds_the_item_and_keeps_what_was_rejected(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "2")
    response = await decide(http, order, "2", "REJECTED")
    assert response.status_code == 200
    assert response.json() == {"id": "2", "replacement_status": "REJECTED"}
    item = await item_row(sessions, order.order_id, "2")
    assert item.shopper_status == "to_refund"
    assert item.delivered_count == 0
    assert item.delivered_weight is None
    assert item.replacement_product_id == order.spares[0].id
    view = (await http.get(order.items, headers=order.headers)).json()["items"][1]
    assert view["status"] == "refunded"
    assert view["replacement_status"] == "REJECTED"
    assert view["replacement"]["product_id"] == order.spares[0].upc
    [event] = await events(sessions, order.order_id, names.REPLACEMENT_DECISION)
    assert event["item"]["status"] == "to_refund"
    assert event["item"]["delivered_item_upc"] is None


@pytest.mark.parametrize("decision", ["APPROVED", "REJECTED"])
async def test_the_same_decision_again_is_200_and_changes_nothing(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, decision: str
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    for _ in range(2):
        response = await decide(http, order, "1", decision)
        assert response.status_code == 200
        assert response.json() == {"id": "1", "replacement_status": decision}
    assert len(await events(sessions, order.order_id, names.REPLACEMENT_DECISION)) == 1


@pytest.mark.parametrize(("first", "second"), [("APPROVED", "REJECTED"), ("REJECTED", "APPROVED")])
async def test_reversing_a_decision_is_400(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, first: str, second: str
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    await decide(http, order, "1", first)
    response = await decide(http, order, "1", second)
    assert response.status_code == 400
    assert response.json() == {
        "error": f"The replacement was already {first.lower()}; a decision cannot be reversed.",
        "status": 400,
    }
    assert (await item_row(sessions, order.order_id, "1")).replacement_status == first


@pytest.mark.parametrize("shopper_status", ["not_found", "found", "to_refund"])
async def test_nothing_to_decide_is_400(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, shopper_status: str
) -> None:
    order = await arrange(http, sessions, creds)
    await set_item(sessions, order.order_id, "1", shopper_status=shopper_status)
    response = await decide(http, order, "1", "APPROVED")
    assert response.status_code == 400
    assert response.json() == {
        "error": "This item has no replacement to approve or reject.",
        "status": 400,
    }


@pytest.mark.parametrize("workflow_state", ["acknowledged", "checkout", "completed", "canceled"])
async def test_deciding_outside_picking_is_400(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, workflow_state: str
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    await set_order(sessions, order.order_id, workflow_state=workflow_state)
    response = await decide(http, order, "1", "REJECTED")
    assert response.status_code == 400
    assert response.json() == {
        "error": "Replacements can only be approved or rejected while the order is being picked.",
        "status": 400,
    }
    assert (await item_row(sessions, order.order_id, "1")).replacement_status == "PENDING"
    assert await events(sessions, order.order_id, names.REPLACEMENT_DECISION) == []


async def test_deciding_while_verifying_replacements_is_allowed(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="verifying_replacements")
    await propose(sessions, order, "3")
    response = await decide(http, order, "3", "APPROVED")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "status: can't be blank"),
        ({"status": "approved"}, "status: is not included in the list"),
        ({"status": "MAYBE"}, "status: is not included in the list"),
        ({"status": None}, "status: is not included in the list"),
    ],
)
async def test_an_invalid_decision_is_400(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    body: dict[str, object],
    message: str,
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    response = await http.put(order.replacement("1"), json=body, headers=order.headers)
    assert response.status_code == 400
    assert response.json() == {"error": message, "status": 400}


async def test_unknown_fields_in_the_request_are_ignored(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    response = await http.put(
        order.replacement("1"),
        json={"status": "APPROVED", "reason": "looks fine"},
        headers=order.headers,
    )
    assert response.status_code == 200


@pytest.mark.parametrize("line_num", ["99", "abc"])
async def test_an_unknown_item_is_404(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, line_num: str
) -> None:
    order = await arrange(http, sessions, creds)
    response = await decide(http, order, line_num, "APPROVED")
    assert response.status_code == 404
    assert response.json() == {"error": "Order item not found", "status": 404}


async def test_a_removed_item_is_404(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds)
    await propose(sessions, order, "1")
    await set_item(sessions, order.order_id, "1", removed=True)
    response = await decide(http, order, "1", "APPROVED")
    assert response.status_code == 404
