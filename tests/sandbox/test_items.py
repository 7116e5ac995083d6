"""The shopper's item updates (Connect's "Update an order item as a shopper",
https://docs.instacart.com/connect/api/sandbox/shoppers/update_shopper_order_item, and its error
table) and added lines, over HTTP."""

from decimal import Decimal

import httpx
import pytest

from tests import factories
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_batch,
    create_shopper,
    event_names,
    events,
    insert_products,
    load_order,
    picking,
)

Headers = dict[str, str]


# --- The item update's error table, row by row --------------------------------------------------


async def test_status_not_specified(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.put(p.item_url(), json={"delivered_count": 1}, headers=client_headers)
    assert_error(response, 400, "can't be blank", 1001, "status")


@pytest.mark.parametrize("state", ["acknowledged", "checkout"])
async def test_incompatible_order_status(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, state: str
) -> None:
    p = await picking(http, client_headers, sessions, workflow_state=state)
    response = await http.put(p.item_url(), json={"status": "found"}, headers=client_headers)
    assert_error(response, 400, "Incompatible order status", 3003)


async def test_replacement_item_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "replaced", "replacement_item": {"upc": factories.upc(999_999)}}
    response = await http.put(p.item_url(), json=body, headers=client_headers)
    assert_error(response, 400, "Replacement item not found.", 1001, "replacement_item")


async def test_order_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/no-such-order/items/1"
    response = await http.put(url, json={"status": "found"}, headers=client_headers)
    assert_error(response, 404, "Resource not found", 4000)


async def test_order_item_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.put(p.item_url("99"), json={"status": "found"}, headers=client_headers)
    assert_error(response, 404, "Order item not found.", 4000)


# --- The order of checks -------------------------------------------------------------------------


async def test_checks_run_order_then_shopper_then_state_then_line_then_body(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, workflow_state="acknowledged")
    other = await create_shopper(http, client_headers)
    bad = {"delivered_count": -1}
    missing_order = f"{SANDBOX}/shoppers/{other}/orders/nope/items/99"
    assert (await http.put(missing_order, json=bad, headers=client_headers)).status_code == 404
    response = await http.put(p.item_url("99", other), json=bad, headers=client_headers)
    assert_error(response, 403, "Shopper is not assigned to this order", None)
    response = await http.put(p.item_url("99"), json=bad, headers=client_headers)
    assert_error(response, 400, "Incompatible order status", 3003)
    await http.post(p.advance_url, headers=client_headers)
    response = await http.put(p.item_url("99"), json=bad, headers=client_headers)
    assert_error(response, 404, "Order item not found.", 4000)


async def test_another_shopper_is_forbidden_and_changes_nothing(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    other = await create_shopper(http, client_headers)
    response = await http.put(
        p.item_url("1", other), json={"status": "found"}, headers=client_headers
    )
    assert response.status_code == 403
    order = await load_order(sessions, p.order_id)
    assert order.items[0].shopper_status == "not_found"


async def test_a_client_token_is_required(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.put(p.item_url(), json={"status": "found"})
    assert response.status_code == 401


# --- Statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_found_in_part_writes_an_item_event(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, method: str
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.request(
        method,
        p.item_url("2"),
        json={"status": "found", "delivered_count": 1},
        headers=client_headers,
    )
    assert response.status_code == 200
    assert response.json() == {"success": True}
    item = (await load_order(sessions, p.order_id)).items[1]
    assert (item.shopper_status, item.delivered_count, item.count) == ("found", 1, 2)
    last = (await events(sessions, p.order_id))[-1]
    assert last.name == "fulfillment.order_item_updated"
    assert last.metadata_["item"]["line_num"] == "2"
    assert last.metadata_["item"]["delivered_count"] == 1


async def test_found_without_a_count_is_found_in_full(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.put(p.item_url(), json={"status": "found"}, headers=client_headers)
    assert response.status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    assert (item.shopper_status, item.delivered_count) == ("found", 2)


async def test_found_never_more_than_ordered(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "found", "delivered_count": 3}
    response = await http.put(p.item_url(), json=body, headers=client_headers)
    assert_error(response, 400, "can't be more than the ordered count (2)", 1001, "delivered_count")


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"status": "found", "delivered_count": -1}, "delivered_count"),
        ({"status": "found", "delivered_count": 1.5}, "delivered_count"),
        ({"status": "found", "delivered_count": "two"}, "delivered_count"),
        ({"status": "found", "delivered_count": True}, "delivered_count"),
        ({"status": "found", "delivered_weight": -0.5}, "delivered_weight"),
        ({"status": "found", "delivered_weight": "heavy"}, "delivered_weight"),
        ({"status": "lost"}, "status"),
        ({"status": "to_refund", "delivered_count": 1}, "delivered_count"),
        ({"status": "replaced"}, "replacement_item"),
        ({"status": "replaced", "replacement_item": {}}, "replacement_item"),
        ({"status": "replaced", "replacement_item": {"upc": "1", "rrc": "2"}}, "replacement_item"),
    ],
)
async def test_invalid_bodies_name_the_field(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    body: dict[str, object],
    key: str,
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.put(p.item_url(), json=body, headers=client_headers)
    assert_error(response, 400, None, 1001, key)


async def test_several_problems_come_together_as_9999(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "found", "delivered_count": -1, "delivered_weight": -1}
    response = await http.put(p.item_url(), json=body, headers=client_headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 9999
    assert [e["meta"]["key"] for e in error["errors"]] == ["delivered_count", "delivered_weight"]


async def test_replaced_by_upc_or_rrc_waits_for_the_customer(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    by_upc, by_rrc = await insert_products(sessions, 1) + await insert_products(
        sessions, 1, upc=None, rrc="RRC-77"
    )
    body = {"status": "replaced", "replacement_item": {"upc": by_upc.upc}, "delivered_count": 3}
    assert (await http.put(p.item_url("1"), json=body, headers=client_headers)).status_code == 200
    body = {"status": "replaced", "replacement_item": {"rrc": "RRC-77"}}
    assert (await http.post(p.item_url("2"), json=body, headers=client_headers)).status_code == 200
    first, second, _ = (await load_order(sessions, p.order_id)).items
    assert (first.shopper_status, first.replacement_product_id, first.delivered_count) == (
        "replaced",
        by_upc.id,
        3,
    )
    assert first.replacement_status == "PENDING"
    assert (second.replacement_product_id, second.delivered_count) == (by_rrc.id, 2)
    last = (await events(sessions, p.order_id))[-1]
    assert last.name == "fulfillment.order_item_replacement"
    assert last.metadata_["item"]["delivered_item_rrc"] == "RRC-77"


async def test_the_ordered_product_is_no_replacement(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "replaced", "replacement_item": {"upc": p.products[0].upc}}
    response = await http.put(p.item_url("1"), json=body, headers=client_headers)
    assert_error(response, 400, None, 1001, "replacement_item")


async def test_to_refund_then_not_found_returns_the_item_to_its_start(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    (replacement,) = await insert_products(sessions, 1)
    body = {"status": "replaced", "replacement_item": {"upc": replacement.upc}}
    await http.put(p.item_url(), json=body, headers=client_headers)
    body = {"status": "to_refund", "delivered_count": 0}
    assert (await http.put(p.item_url(), json=body, headers=client_headers)).status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    assert (item.shopper_status, item.delivered_count, item.replacement_product_id) == (
        "to_refund",
        0,
        None,
    )
    assert item.replacement_status is None
    response = await http.put(p.item_url(), json={"status": "not_found"}, headers=client_headers)
    assert response.status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    assert (item.shopper_status, item.delivered_count, item.delivered_weight) == (
        "not_found",
        None,
        None,
    )
    assert (item.replacement_product_id, item.replacement_status, item.scans) == (None, None, [])
    assert (await event_names(sessions, p.order_id))[-3:] == [
        "fulfillment.order_item_replacement",
        "fulfillment.order_item_refund",
        "fulfillment.order_item_updated",
    ]


async def test_a_new_update_reopens_the_customers_decision(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    first, second = await insert_products(sessions, 2)
    body = {"status": "replaced", "replacement_item": {"upc": first.upc}}
    await http.put(p.item_url(), json=body, headers=client_headers)
    async with sessions() as session:
        order = await load_order(sessions, p.order_id)
        item = await session.get(type(order.items[0]), order.items[0].id)
        assert item is not None
        item.replacement_status = "REJECTED"
        await session.commit()
    body = {"status": "replaced", "replacement_item": {"upc": second.upc}}
    await http.put(p.item_url(), json=body, headers=client_headers)
    item = (await load_order(sessions, p.order_id)).items[0]
    assert (item.replacement_product_id, item.replacement_status) == (second.id, "PENDING")


async def test_weighed_items(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "found", "delivered_weight": 1.25}
    assert (await http.put(p.item_url(), json=body, headers=client_headers)).status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    assert item.delivered_weight == Decimal("1.250")


# --- Scans ---------------------------------------------------------------------------------------


async def test_scans_are_checked_and_stored(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    code = p.products[0].upc
    assert code is not None
    scans = [
        {"scanned_string": code, "scanned_string_type": "UPCA"},
        {"scanned_string": "0" + code, "scanned_string_type": "ean13"},
    ]
    body = {"status": "found", "scans": scans}
    assert (await http.put(p.item_url(), json=body, headers=client_headers)).status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    assert item.scans == [
        {"scanned_string": code, "scanned_string_type": "upca"},
        {"scanned_string": "0" + code, "scanned_string_type": "ean13"},
    ]


async def test_a_replacement_may_be_scanned(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    (replacement,) = await insert_products(sessions, 1)
    body = {
        "status": "replaced",
        "replacement_item": {"upc": replacement.upc},
        "scans": [{"scanned_string": replacement.upc, "scanned_string_type": "upca"}],
    }
    assert (await http.put(p.item_url(), json=body, headers=client_headers)).status_code == 200


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        ({"scanned_string": "012345678905", "scanned_string_type": "qr"}, "unknown"),
        ({"scanned_string": "012345678906", "scanned_string_type": "upca"}, "not a valid upca"),
        ({"scanned_string": "012345678905", "scanned_string_type": "upca"}, "another product"),
    ],
)
async def test_bad_scans(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    scan: dict[str, str],
    message: str,
) -> None:
    p = await picking(http, client_headers, sessions)
    code = p.products[0].upc
    scans = [{"scanned_string": code, "scanned_string_type": "upca"}, scan]
    response = await http.put(
        p.item_url(), json={"status": "found", "scans": scans}, headers=client_headers
    )
    assert_error(response, 400, None, 1001, "scans[1]")
    assert message in response.json()["error"]["message"]


async def test_a_scan_without_its_type_is_blank(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    body = {"status": "found", "scans": [{"scanned_string": "012345678905"}]}
    response = await http.put(p.item_url(), json=body, headers=client_headers)
    assert_error(response, 400, "can't be blank", 1001, "scans[0].scanned_string_type")


# --- X-Treat-Ids-As-Internal ---------------------------------------------------------------------


async def test_internal_ids_name_the_order_and_the_line(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    third = (await load_order(sessions, p.order_id)).items[2]
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.pk}/items/{third.id}"
    headers = {**client_headers, "X-Treat-Ids-As-Internal": "true"}
    response = await http.put(url, json={"status": "to_refund"}, headers=headers)
    assert response.status_code == 200
    assert (await load_order(sessions, p.order_id)).items[2].shopper_status == "to_refund"
    without = await http.put(url, json={"status": "found"}, headers=client_headers)
    assert_error(without, 404, "Resource not found", 4000)


async def test_with_the_header_the_retailers_ids_still_work(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    headers = {**client_headers, "X-Treat-Ids-As-Internal": "true"}
    response = await http.put(p.item_url("1"), json={"status": "found"}, headers=headers)
    assert response.status_code == 200


# --- Added lines ---------------------------------------------------------------------------------


async def test_the_shopper_adds_a_line(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    extra, weighed = await insert_products(sessions, 2)
    scans = [{"scanned_string": extra.upc, "scanned_string_type": "upca"}]
    body = {"item": {"upc": extra.upc}, "delivered_count": 2, "scans": scans}
    response = await http.post(p.items_url, json=body, headers=client_headers)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    body = {"item": {"upc": weighed.upc}, "delivered_weight": 0.75}
    assert (await http.post(p.items_url, json=body, headers=client_headers)).status_code == 200
    items = (await load_order(sessions, p.order_id)).items
    added = items[3]
    assert (added.line_num, added.product_id, added.added_by_shopper) == ("4", extra.id, True)
    assert (added.shopper_status, added.count, added.delivered_count) == ("found", 2, 2)
    assert added.scans == scans
    assert (items[4].line_num, items[4].weight, items[4].count) == ("5", Decimal("0.750"), None)
    last = (await events(sessions, p.order_id))[-1]
    assert last.name == "fulfillment.order_item_added"
    assert last.metadata_["item"]["added_by_shopper"] is True


async def test_an_added_line_can_be_updated_like_any_other(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, products=1)
    (extra,) = await insert_products(sessions, 1)
    await http.post(p.items_url, json={"item": {"upc": extra.upc}}, headers=client_headers)
    response = await http.put(p.item_url("2"), json={"status": "to_refund"}, headers=client_headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message", "key"),
    [
        ({"delivered_count": 1}, "can't be blank", "item"),
        ({"item": {"upc": factories.upc(888_888)}}, "Item not found.", "item"),
        ({"item": {"upc": "1", "rrc": "x"}}, None, "item"),
        ({"item": {"rrc": "x"}, "delivered_count": -2}, None, "delivered_count"),
    ],
)
async def test_adding_a_line_refuses_bad_bodies(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    body: dict[str, object],
    message: str | None,
    key: str,
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.post(p.items_url, json=body, headers=client_headers)
    assert_error(response, 400, message, 1001, key)


async def test_adding_a_line_needs_the_orders_shopper_while_picking(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, workflow_state="acknowledged")
    (extra,) = await insert_products(sessions, 1)
    body = {"item": {"upc": extra.upc}}
    other = await create_shopper(http, client_headers)
    url = f"{SANDBOX}/shoppers/{other}/orders/{p.order_id}/items"
    assert (await http.post(url, json=body, headers=client_headers)).status_code == 403
    response = await http.post(p.items_url, json=body, headers=client_headers)
    assert_error(response, 400, "Incompatible order status", 3003)
    url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/nope/items"
    assert_error(await http.post(url, json=body, headers=client_headers), 404, None, 4000)


async def test_an_order_without_a_batch_has_no_shopper(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions)
    shopper = await create_shopper(http, client_headers)
    url = f"{SANDBOX}/shoppers/{shopper}/orders/{arranged.order_id}/items/1"
    response = await http.put(url, json={"status": "found"}, headers=client_headers)
    assert response.status_code == 403
    assert (await create_batch(http, client_headers, shopper, arranged.order_id)).is_success
