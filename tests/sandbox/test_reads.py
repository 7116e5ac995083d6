"""The sandbox's read endpoints (Aftercart additions that the shopper console calls): a shopper's
open batches with the calling client's orders, the catalog search, an order's chat."""

from decimal import Decimal

import httpx

from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_batch,
    create_shopper,
    insert_products,
    picking,
)

Headers = dict[str, str]


async def test_a_shopper_with_an_order_being_picked(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    [spare] = await insert_products(sessions, name="Oat Milk")
    await http.put(
        p.item_url("1"), json={"status": "found", "delivered_count": 1}, headers=client_headers
    )
    replaced = {"status": "replaced", "replacement_item": {"upc": spare.upc}}
    await http.put(p.item_url("2"), json=replaced, headers=client_headers)
    await http.put(p.item_url("3"), json={"status": "to_refund"}, headers=client_headers)

    response = await http.get(f"{SANDBOX}/shoppers/{p.shopper_id}", headers=client_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == p.shopper_id
    assert body["first_name"]
    [batch] = body["batches"]
    assert batch == batch | {"id": p.batch_id, "batch_type": "delivery"}
    assert (batch["workflow_state"], batch["next_state"]) == ("picking", "verifying_replacements")
    [order] = batch["orders"]
    assert (order["id"], order["workflow_state"], order["items_editable"]) == (
        p.order_id,
        "picking",
        True,
    )
    states = [(i["line_num"], i["state"], i["state_text"]) for i in order["items"]]
    assert states == [
        ("1", "partly_found", "Partly found (1 of 2)"),
        ("2", "replaced", "Replaced by Oat Milk (waiting for the customer)"),
        ("3", "refunded", "Refunded"),
    ]
    first = order["items"][0]
    assert first["product"]["upc"] == p.products[0].upc
    assert (first["count"], first["weight"], first["delivered_count"]) == (2, None, 1)
    assert order["items"][1]["replacement"]["name"] == "Oat Milk"
    assert order["items"][1]["replacement_status"] == "PENDING"


async def test_only_open_batches_are_listed(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    done = await arrange_order(sessions)
    batch = await create_batch(
        http, client_headers, p.shopper_id, done.order_id, workflow_state="completed"
    )
    assert batch.status_code == 200, batch.text
    response = await http.get(f"{SANDBOX}/shoppers/{p.shopper_id}", headers=client_headers)
    assert [b["id"] for b in response.json()["batches"]] == [p.batch_id]


async def test_a_shopper_without_batches(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    shopper_id = await create_shopper(http, client_headers, first_name="Robin")
    response = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=client_headers)
    assert response.json() == {"id": shopper_id, "first_name": "Robin", "batches": []}
    other = await factories.other_tenant_headers(http, sessions)
    response = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=other)
    assert_error(response, 404, "Shopper not found", 4000)


async def test_an_unknown_shopper(http: httpx.AsyncClient, client_headers: Headers) -> None:
    for shopper_id in ("999999", "0", str(2**40)):
        response = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=client_headers)
        assert_error(response, 404, "Shopper not found", 4000)
    response = await http.get(f"{SANDBOX}/shoppers/sam", headers=client_headers)
    assert_error(response, 400, None, 1001, "shopper_id")


async def test_another_clients_shopper_and_orders_are_invisible(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    arranged = await arrange_order(sessions, client_id=creds.client_id)
    shopper_id = await create_shopper(http, client_headers)
    batch = await create_batch(
        http, client_headers, shopper_id, arranged.order_id, workflow_state="picking"
    )
    assert batch.status_code == 200, batch.text
    chat = f"{SANDBOX}/shoppers/{shopper_id}/orders/{arranged.order_id}/messages"
    sent = await http.post(chat, json={"body": "On my way"}, headers=client_headers)
    assert sent.status_code == 200, sent.text

    other = await factories.other_tenant_headers(http, sessions)
    unknown_shopper = await http.get(f"{SANDBOX}/shoppers/999999", headers=other)
    response = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=other)
    assert_error(response, 404, "Shopper not found", 4000)
    assert response.json() == unknown_shopper.json()
    unknown_order = await http.get(
        f"{SANDBOX}/shoppers/{shopper_id}/orders/no-such-order/messages", headers=other
    )
    response = await http.get(chat, headers=other)
    assert_error(response, 404, "Resource not found", 4000)
    assert response.json() == unknown_order.json()
    assert "On my way" not in response.text

    owner = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=client_headers)
    assert [o["id"] for o in owner.json()["batches"][0]["orders"]] == [arranged.order_id]


async def test_a_batch_lists_the_orders_of_every_client_of_the_tenant(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    mine = await arrange_order(sessions, client_id=creds.client_id)
    theirs = await arrange_order(sessions, client_id="someone-else")
    shopper_id = await create_shopper(http, client_headers)
    batch = await create_batch(
        http, client_headers, shopper_id, mine.order_id, theirs.order_id, workflow_state="picking"
    )
    assert batch.status_code == 200, batch.text
    response = await http.get(f"{SANDBOX}/shoppers/{shopper_id}", headers=client_headers)
    [listed] = response.json()["batches"]
    assert [o["id"] for o in listed["orders"]] == [mine.order_id, theirs.order_id]


async def test_weighed_lines_and_added_lines(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, products=1)
    [bananas] = await insert_products(sessions, name="Bananas", sold_by_weight=True)
    added = {"item": {"upc": bananas.upc}, "delivered_weight": "1.25"}
    response = await http.post(p.items_url, json=added, headers=client_headers)
    assert response.status_code == 200, response.text
    body = (await http.get(f"{SANDBOX}/shoppers/{p.shopper_id}", headers=client_headers)).json()
    line = body["batches"][0]["orders"][0]["items"][1]
    assert line["product"]["sold_by_weight"] is True
    assert (line["count"], Decimal(line["weight"]), line["added_by_shopper"]) == (
        None,
        Decimal("1.25"),
        True,
    )
    assert (line["state"], line["state_text"]) == ("found", "Found (added by the shopper)")


async def test_the_chat_as_the_shopper_reads_it(
    http: httpx.AsyncClient, creds: IssuedCredentials, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    chat = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages"
    await http.post(chat, json={"body": "No 2% left, is oat milk OK?"}, headers=client_headers)
    order = await http.get(f"{SANDBOX}/shoppers/{p.shopper_id}", headers=client_headers)
    user_id = order.json()["batches"][0]["orders"][0]["user_id"]
    user = factories.bearer(await factories.user_token(http, creds, user_id))
    answer = {"body": "Oat milk is fine"}
    sent = await http.post(
        f"/v2/post_checkout/chat/{p.order_id}/messages", json=answer, headers=user
    )
    assert sent.status_code == 200, sent.text

    response = await http.get(chat, headers=client_headers)
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert [(m["sender"], m["body"]) for m in messages] == [
        ("shopper", "No 2% left, is oat milk OK?"),
        ("customer", "Oat milk is fine"),
    ]
    assert set(messages[0]) == {"id", "sender", "body", "created_at"}


async def test_the_chat_of_another_shoppers_order(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    other = await create_shopper(http, client_headers)
    response = await http.get(
        f"{SANDBOX}/shoppers/{other}/orders/{p.order_id}/messages", headers=client_headers
    )
    assert_error(response, 403, "Shopper is not assigned to this order", None)


async def test_product_search_by_name_upc_rrc_and_barcode(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    made = await insert_products(sessions, 1, name="Oat Milk Barista", rrc="SKU-OAT-1")
    await insert_products(sessions, 1, name="Whole Milk")
    await insert_products(sessions, 1, name="Rye Bread")
    [oat] = made

    async def names(query: str) -> list[str]:
        response = await http.get(
            f"{SANDBOX}/products", params={"query": query}, headers=client_headers
        )
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["products"]]

    assert await names("milk") == ["Oat Milk Barista", "Whole Milk"]
    assert await names("MILK b") == ["Oat Milk Barista"]
    assert await names("sku-oat-1") == ["Oat Milk Barista"]
    assert oat.upc is not None
    assert await names(oat.upc) == ["Oat Milk Barista"]
    # The same product scanned as an EAN-13 (a leading zero) and as a GTIN-14.
    assert await names("0" + oat.upc) == ["Oat Milk Barista"]
    assert await names("00" + oat.upc) == ["Oat Milk Barista"]
    assert await names("100%") == []

    response = await http.get(
        f"{SANDBOX}/products", params={"query": "0" + oat.upc}, headers=client_headers
    )
    assert response.json()["scan"] == {
        "scanned_string": "0" + oat.upc,
        "scanned_string_type": "ean13",
    }
    assert response.json()["products"][0] == {
        "upc": oat.upc,
        "rrc": "SKU-OAT-1",
        "name": "Oat Milk Barista",
        "size": "1 ct",
        "sold_by_weight": False,
    }
    response = await http.get(
        f"{SANDBOX}/products", params={"query": "milk"}, headers=client_headers
    )
    assert response.json()["scan"] is None


async def test_product_search_is_capped_and_checks_its_query(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    await insert_products(sessions, 25, name="Apple")
    response = await http.get(
        f"{SANDBOX}/products", params={"query": "apple"}, headers=client_headers
    )
    assert len(response.json()["products"]) == 20
    response = await http.get(
        f"{SANDBOX}/products", params={"query": "x" * 101}, headers=client_headers
    )
    assert_error(response, 400, None, 1001, "query")
    for params in ({}, {"query": "  "}):
        response = await http.get(f"{SANDBOX}/products", params=params, headers=client_headers)
        assert response.status_code == 200, response.text
        names = [p["name"] for p in response.json()["products"]]
        assert len(names) == 20
        assert names == sorted(names)
