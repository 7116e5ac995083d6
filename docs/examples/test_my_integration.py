"""A retailer's tests against Aftercart, in process: copy this file into your suite.

Installing Aftercart (``pip install aftercart``) gives pytest the ``aftercart`` fixture: a fresh
Aftercart for each test, with the sandbox on and the sample stores and products loaded.
"""

import httpx

OAT_MILK = "071842000701"  # a sample product, to replace the 2% milk with


def order_status(client: httpx.Client, user_id: str, order_id: str) -> str:
    """Your integration: here, one call that reads an order's status."""
    response = client.get(f"/v2/fulfillment/users/{user_id}/orders/{order_id}")
    response.raise_for_status()
    status: str = response.json()["status"]
    return status


def test_place_an_order(aftercart):
    user_id = aftercart.user(first_name="Jane")
    order = aftercart.order(user_id, items=["071842000107", "072255000104"])

    assert order["status"] == "brand_new"
    assert [line["line_num"] for line in order["items"]] == ["1", "2"]
    (callback,) = aftercart.callbacks("fulfillment.brand_new", order=order)
    assert callback["event_metadata"]["user_id"] == user_id


def test_your_client_with_your_credentials(aftercart):
    """Your own code, with its own client: Aftercart's transport, no server, no network."""
    user_id = aftercart.user()
    order = aftercart.order(user_id)
    with httpx.Client(transport=aftercart.transport, base_url=aftercart.base_url) as client:
        token = client.post(
            "/v2/oauth/token",
            json={**vars(aftercart.credentials), "grant_type": "client_credentials"},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"

        assert order_status(client, user_id, order["id"]) == "brand_new"
        aftercart.advance(order, to="picking")
        assert order_status(client, user_id, order["id"]) == "picking"


def test_a_replacement_and_a_refund(aftercart):
    user_id = aftercart.user()
    order = aftercart.order(user_id)  # whole milk x2, 2% milk x2, 1% milk x1

    aftercart.shop(order, found={"1": 1}, replaced={"2": OAT_MILK}, refunded=["3"])

    # The customer's view (Connect post-checkout, with the customer's token).
    customer = {"Authorization": f"Bearer {aftercart.user_token(user_id)}"}
    items = aftercart.client.get(f"/v2/post_checkout/orders/{order['id']}/items", headers=customer)
    assert [(i["id"], i["status"]) for i in items.json()["items"]] == [
        ("1", "found"),
        ("2", "replaced"),
        ("3", "refunded"),
    ]
    approved = aftercart.client.put(
        f"/v2/post_checkout/orders/{order['id']}/items/2/replacement",
        json={"status": "APPROVED"},
        headers=customer,
    )
    assert approved.status_code == 200

    # What your webhook receiver would have been sent.
    (replacement,) = aftercart.callbacks("fulfillment.order_item_replacement", order=order)
    assert replacement["event_metadata"]["order_id"] == order["id"]
    assert aftercart.callbacks("fulfillment.order_item_refund", order=order)
    assert aftercart.callbacks("fulfillment.order_item_replacement_decision", order=order)


def test_delivered_and_rated(aftercart):
    order = aftercart.order()
    aftercart.shop(order, found=["1", "2", "3"])

    assert aftercart.advance(order, to="delivering") == "delivering"
    assert aftercart.advance(order, to="completed") == "completed"
    rating = aftercart.rate(order, 5, highlights=["QUALITY_ITEMS"], thank_you_note="Thanks!")

    assert rating["rating_value"] == "STARS5"
    names = [callback["event_name"] for callback in aftercart.callbacks(order=order)]
    assert names[0] == "fulfillment.brand_new"
    assert "fulfillment.delivered" in names
    assert names[-1] == "fulfillment.rating_updated"


def test_time_passes_when_you_say(aftercart):
    """The sandbox clock: frozen, time moves only when the test advances it, and what the
    passed time fires (a late delivery, a reminder to rate) comes in order."""
    order = aftercart.order()
    aftercart.freeze_clock()
    aftercart.advance(order, to="picking")

    fired = aftercart.advance_clock("P8D")  # past the end of the order's delivery window
    assert [f["kind"] for f in fired if f["order_id"] == order["id"]] == ["late_delivery"]
    (late,) = aftercart.callbacks("fulfillment.late_delivery", order=order)
    assert late["event_metadata"]["order_id"] == order["id"]
