"""The ``aftercart`` fixture's helpers, used directly (the plugin is loaded in this suite too)."""

import logging
import re
from pathlib import Path

import httpx
import pytest

from aftercart.testing.harness import Aftercart, UnexpectedResponse, running

OAT_MILK = "071842000701"
BANANAS = "PLU-4011"


def test_the_client_holds_a_client_token(aftercart: Aftercart) -> None:
    path = f"/v2/fulfillment/users/{aftercart.user()}"
    assert aftercart.client.get(path).status_code == 200
    anonymous = aftercart.client.get(path, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert str(aftercart.client.base_url).rstrip("/") == aftercart.base_url


def test_each_test_starts_on_a_fresh_database_with_the_sample_data(aftercart: Aftercart) -> None:
    assert aftercart.callbacks() == []
    stores = aftercart.client.post(
        "/v2/fulfillment/stores/delivery",
        json={"find_by": {"address_line_1": "500 Howard St", "postal_code": "94105"}},
    )
    assert "sf-mission" in [store["location_code"] for store in stores.json()["stores"]]


def test_user_passes_fields_through(aftercart: Aftercart) -> None:
    user_id = aftercart.user(user_id="jane-1", last_name="doe")
    assert user_id == "jane-1"
    user = aftercart.client.get("/v2/fulfillment/users/jane-1").json()
    assert (user["first_name"], user["last_name"]) == ("Jane", "Doe")
    assert aftercart.user() != aftercart.user()


def test_order_without_arguments(aftercart: Aftercart) -> None:
    order = aftercart.order()
    assert order["status"] == "brand_new"
    assert [(line["line_num"], line["count"]) for line in order["items"]] == [
        ("1", 2),
        ("2", 2),
        ("3", 1),
    ]


def test_order_with_codes_fields_and_pickup(aftercart: Aftercart) -> None:
    user_id = aftercart.user()
    order = aftercart.order(
        user_id,
        items=[
            "071842000107",
            "SKU-100311",
            {"line_num": "9", "weight": 1.5, "item": {"rrc": BANANAS}},
        ],
        service_type="pickup",
        store="sf-marina",
        order_id="mine-1",
        special_instructions="At the door",
    )
    assert order["id"] == "mine-1"
    assert [line["line_num"] for line in order["items"]] == ["1", "2", "9"]
    (placed,) = aftercart.callbacks("fulfillment.brand_new")
    assert placed["event_metadata"]["location_code"] == "sf-marina"
    assert placed["event_metadata"]["user_id"] == user_id


def test_shop_picks_the_lines_as_told(aftercart: Aftercart) -> None:
    user_id = aftercart.user()
    order = aftercart.order(user_id)
    shopped = aftercart.shop(order, found={"1": 1}, replaced={2: OAT_MILK}, refunded=["3"])
    assert shopped["status"] == "picking"
    customer = {"Authorization": f"Bearer {aftercart.user_token(user_id)}"}
    items = aftercart.client.get(f"/v2/post_checkout/orders/{order['id']}/items", headers=customer)
    assert [(i["status"], i.get("replacement_status")) for i in items.json()["items"]] == [
        ("found", None),
        ("replaced", "PENDING"),
        ("refunded", None),
    ]
    # A second call takes the same shopper and batch.
    aftercart.shop(order["id"], found=["3"])
    assert len(aftercart.callbacks("fulfillment.picking")) == 1


def test_advance_steps_and_walks(aftercart: Aftercart) -> None:
    order = aftercart.order()
    assert aftercart.advance(order) == "acknowledged"
    assert aftercart.advance(order) == "picking"
    assert aftercart.advance(order, to="completed") == "completed"
    assert aftercart.get_order(order)["status"] == "delivered"
    walked = aftercart.order()
    assert aftercart.advance(walked, to="delivering") == "delivering"


def test_rate_forwards_the_rating(aftercart: Aftercart) -> None:
    order = aftercart.order()
    aftercart.advance(order, to="completed")
    rating = aftercart.rate(order, 4, highlights=["QUALITY_ITEMS"], thank_you_note="Thanks!")
    assert (rating["rating_value"], rating["highlights"]) == ("STARS4", ["QUALITY_ITEMS"])
    assert rating["thank_you_note"] == "Thanks!"
    assert aftercart.callbacks("fulfillment.rating_updated", order=order)


def test_helpers_find_the_user_of_an_order_your_code_placed(aftercart: Aftercart) -> None:
    users = f"/v2/fulfillment/users/{aftercart.user()}"
    slots = aftercart.client.post(
        f"{users}/service_options/cart/pickup", json={"location_code": "sf-mission"}
    ).json()["service_options"]
    hold = aftercart.client.post(f"{users}/service_options/{slots[0]['id']}/reserve").json()
    body = {
        "order_id": "yours-1",
        "service_option_hold_id": hold["service_option_hold"]["id"],
        "location_code": "sf-mission",
        "items": [{"line_num": "1", "count": 1, "item": {"upc": "071842000107"}}],
    }
    assert aftercart.client.post(f"{users}/orders/pickup", json=body).status_code == 200
    assert aftercart.get_order("yours-1")["status"] == "brand_new"
    with pytest.raises(UnexpectedResponse, match="no order 'nope'"):
        aftercart.get_order("nope")


def test_a_refused_request_says_what_aftercart_answered(aftercart: Aftercart) -> None:
    order = aftercart.order()
    with pytest.raises(UnexpectedResponse, match=r"answered 400: .*Replacement item not found"):
        aftercart.shop(order, replaced={"1": "000000000000"})


def test_callbacks_are_the_envelopes_webhooks_send(aftercart: Aftercart) -> None:
    """The same body a subscription's delivery holds, for every event."""
    hook = aftercart.client.post("/v2/webhooks", json={"url": "http://127.0.0.1:9/hook"})
    assert hook.status_code in (200, 201), hook.text
    order = aftercart.order()
    aftercart.shop(order, replaced={"2": OAT_MILK})
    callbacks = aftercart.callbacks()
    deliveries = aftercart.client.get(f"/v2/webhooks/{hook.json()['id']}/deliveries?limit=100")
    sent = [
        aftercart.client.get(f"/v2/webhooks/deliveries/{d['id']}").json()["payload"]
        for d in reversed(deliveries.json()["deliveries"])
    ]
    assert callbacks == sent
    assert [c["event_name"] for c in callbacks][:3] == [
        "fulfillment.brand_new",
        "fulfillment.acknowledged",
        "fulfillment.picking",
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["event_timestamp"]) for c in sent)
    assert aftercart.callbacks("fulfillment.order_item_replacement", order="other") == []


def test_the_transport_serves_a_client_of_your_own(aftercart: Aftercart) -> None:
    with httpx.Client(transport=aftercart.transport, base_url=aftercart.base_url) as client:
        body = {**vars(aftercart.credentials), "grant_type": "client_credentials"}
        assert client.post("/v2/oauth/token", json=body).json()["token_type"] == "Bearer"
        assert client.get("/healthz").json()["database"] == "ok"


def test_the_suites_logging_is_left_alone(aftercart_database: Path, tmp_path: Path) -> None:
    """Starting Aftercart leaves the root logger's handlers and level as the suite set them."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    with running(aftercart_database, tmp_path / "aftercart.db") as harness:
        harness.order()
        assert (list(root.handlers), root.level) == before
    assert (list(root.handlers), root.level) == before
