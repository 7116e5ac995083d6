"""A whole order's walk: an order placed through the fulfillment API, shopped in the sandbox and
watched by the customer through the post-checkout API, from creation to delivered."""

from typing import Any

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.fulfillment.helpers import arrange_shop, place_order
from tests.sandbox.helpers import SANDBOX, Sessions, event_names, insert_products

Headers = dict[str, str]


class Customer:
    def __init__(self, http: httpx.AsyncClient, headers: Headers, order_id: str) -> None:
        self.http, self.headers, self.order_id = http, headers, order_id

    async def get(self, path: str) -> Any:
        response = await self.http.get(f"/v2/post_checkout{path}", headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def status(self) -> str:
        handling = await self.get(f"/orders/{self.order_id}/handling")
        status: str = handling["status"]
        return status

    async def items(self) -> dict[str, tuple[str, str | None]]:
        body = await self.get(f"/orders/{self.order_id}/items")
        return {i["id"]: (i["status"], i.get("replacement_status")) for i in body["items"]}

    async def decide(self, line_num: str, decision: str) -> None:
        response = await self.http.put(
            f"/v2/post_checkout/orders/{self.order_id}/items/{line_num}/replacement",
            json={"status": decision},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("service_type", "after_picking"),
    [
        ("delivery", [("delivering", "delivering"), ("completed", "delivered")]),
        ("pickup", [("staged", "staging")]),
    ],
)
async def test_an_order_from_creation_to_delivered(
    http: httpx.AsyncClient,
    client_headers: Headers,
    creds: IssuedCredentials,
    sessions: Sessions,
    service_type: str,
    after_picking: list[tuple[str, str]],
) -> None:
    shop = await arrange_shop(sessions, products=5)
    spare_a, spare_b, extra = await insert_products(sessions, 3)
    order = await place_order(http, client_headers, shop, service_type=service_type)
    order_id, user_id = order["id"], "user-1"
    customer = Customer(
        http, factories.bearer(await factories.user_token(http, creds, user_id)), order_id
    )
    assert await customer.status() == "brand_new"
    assert set((await customer.items()).values()) == {("pending", None)}

    shopper = await http.post(
        f"{SANDBOX}/shoppers", json={"phone": "415 555 0199"}, headers=client_headers
    )
    shopper_id = shopper.json()["id"]
    batch = await http.post(
        f"{SANDBOX}/batches",
        json={"shopper_id": shopper_id, "orders": [{"id": order_id, "user_id": user_id}]},
        headers=client_headers,
    )
    assert batch.json()["workflow_state"] == "acknowledged"
    advance = f"{SANDBOX}/batches/{batch.json()['id']}/advance"
    handling = await customer.get(f"/orders/{order_id}/handling")
    assert handling["status"] == "acknowledged"
    assert handling["shopper"]["phone_number"].endswith("0199")

    assert (await http.post(advance, headers=client_headers)).json()["workflow_state"] == "picking"
    assert await customer.status() == "picking"

    shopping = f"{SANDBOX}/shoppers/{shopper_id}/orders/{order_id}"
    updates = {
        "1": {"status": "found"},
        "2": {"status": "found", "delivered_count": 1},
        "3": {"status": "replaced", "replacement_item": {"upc": spare_a.upc}},
        "4": {"status": "replaced", "replacement_item": {"upc": spare_b.upc}},
        "5": {"status": "to_refund", "delivered_count": 0},
    }
    for line_num, body in updates.items():
        response = await http.put(f"{shopping}/items/{line_num}", json=body, headers=client_headers)
        assert response.status_code == 200, response.text
    added = await http.post(
        f"{shopping}/items", json={"item": {"upc": extra.upc}}, headers=client_headers
    )
    assert added.status_code == 200
    assert await customer.items() == {
        "1": ("found", None),
        "2": ("found", None),
        "3": ("replaced", "PENDING"),
        "4": ("replaced", "PENDING"),
        "5": ("refunded", None),
        "6": ("found", None),
    }

    await customer.decide("3", "APPROVED")
    await customer.decide("4", "REJECTED")
    said = await http.post(
        f"{shopping}/messages", json={"body": "Swapped two items"}, headers=client_headers
    )
    assert said.json()["sender"] == "shopper"
    replied = await http.post(
        f"/v2/post_checkout/chat/{order_id}/messages",
        json={"body": "Thanks!"},
        headers=customer.headers,
    )
    assert replied.status_code == 200
    chat = await customer.get(f"/chat/{order_id}/messages")
    assert [(m["sender"], m["body"]) for m in chat["messages"]] == [
        ("shopper", "Swapped two items"),
        ("customer", "Thanks!"),
    ]

    response = await http.post(advance, json={"workflow_state": "checkout"}, headers=client_headers)
    assert response.json()["workflow_state"] == "checkout"
    assert await customer.status() == "staging"
    items = await customer.items()
    assert items["3"] == ("replaced", "APPROVED")
    assert items["4"] == ("refunded", "REJECTED")
    for state, status in after_picking:
        response = await http.post(advance, json={"workflow_state": state}, headers=client_headers)
        assert response.json()["workflow_state"] == state
        assert await customer.status() == status
    if service_type == "pickup":
        # The pickup batch ends at staged (Connect's table); a runner batch hands the order over.
        run = await http.post(
            f"{SANDBOX}/batches",
            json={
                "shopper_id": shopper_id,
                "batch_type": "runner_customer",
                "orders": [{"id": order_id}],
            },
            headers=client_headers,
        )
        assert run.json()["workflow_state"] == "brand_new", run.text
        done = await http.post(
            f"{SANDBOX}/batches/{run.json()['id']}/advance",
            json={"workflow_state": "completed"},
            headers=client_headers,
        )
        assert done.json()["workflow_state"] == "completed", done.text
        assert await customer.status() == "delivered"

    names = await event_names(sessions, order_id)
    assert names[0] == "fulfillment.brand_new"
    assert names[-1] == "fulfillment.delivered"
    assert names.count("chat_message_created") == 2
