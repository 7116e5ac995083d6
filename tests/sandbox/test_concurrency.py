"""Concurrent requests on one order or batch: each ends as some sequential order of
the same requests would leave it, with nothing lost."""

import asyncio

import httpx

from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    create_batch,
    create_shopper,
    event_names,
    events,
    load_batch,
    load_order,
    picking,
)

Headers = dict[str, str]


async def test_two_advances_move_one_step_each(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, workflow_state="acknowledged")
    responses = await asyncio.gather(
        http.post(p.advance_url, headers=client_headers),
        http.post(p.advance_url, headers=client_headers),
    )
    assert [r.status_code for r in responses] == [200, 200]
    assert sorted(r.json()["workflow_state"] for r in responses) == [
        "picking",
        "verifying_replacements",
    ]
    assert (await load_batch(sessions, p.batch_id)).workflow_state == "verifying_replacements"
    assert (await event_names(sessions, p.order_id)).count("fulfillment.picking") == 1


async def test_an_advance_racing_an_item_update_loses_neither(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    update, advance = await asyncio.gather(
        http.put(
            p.item_url("1"), json={"status": "found", "delivered_count": 1}, headers=client_headers
        ),
        http.post(p.advance_url, json={"workflow_state": "checkout"}, headers=client_headers),
    )
    assert advance.status_code == 200
    item = (await load_order(sessions, p.order_id)).items[0]
    if update.status_code == 200:
        # The update came first: shopping then ended with its partial find in place.
        assert (item.shopper_status, item.delivered_count) == ("found", 1)
    else:
        # The advance came first: the update found the order past picking.
        assert update.json()["error"]["code"] == 3003
        assert (item.shopper_status, item.delivered_count) == ("found", 2)
    checkout = (await events(sessions, p.order_id))[-1]
    assert checkout.name == "fulfillment.checkout"
    assert checkout.metadata_["items"][0]["delivered_count"] == item.delivered_count


async def test_two_updates_of_one_item_end_as_one_of_them(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    bodies = [{"status": "found", "delivered_count": 1}, {"status": "to_refund"}]
    responses = await asyncio.gather(
        *(http.put(p.item_url("1"), json=body, headers=client_headers) for body in bodies)
    )
    assert [r.status_code for r in responses] == [200, 200]
    item = (await load_order(sessions, p.order_id)).items[0]
    assert (item.shopper_status, item.delivered_count) in {("found", 1), ("to_refund", 0)}
    log = await events(sessions, p.order_id)
    item_events = [e for e in log if "item" in e.metadata_]
    assert len(item_events) == 2
    last = item_events[-1].metadata_["item"]
    assert (last["status"], last["delivered_count"]) == (item.shopper_status, item.delivered_count)


async def test_two_added_lines_get_two_line_numbers(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions, products=1)
    upc = p.products[0].upc
    responses = await asyncio.gather(
        *(http.post(p.items_url, json={"item": {"upc": upc}}, headers=client_headers) for _ in "ab")
    )
    assert [r.status_code for r in responses] == [200, 200]
    lines = [item.line_num for item in (await load_order(sessions, p.order_id)).items]
    assert lines == ["1", "2", "3"]


async def test_one_order_joins_only_one_of_two_batches(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    first, second = await arrange_order(sessions), await arrange_order(sessions)
    shoppers = [await create_shopper(http, client_headers) for _ in range(2)]
    responses = await asyncio.gather(
        create_batch(http, client_headers, shoppers[0], first.order_id, second.order_id),
        create_batch(http, client_headers, shoppers[1], second.order_id, first.order_id),
    )
    assert sorted(r.status_code for r in responses) == [200, 400]
    (winner,) = [r for r in responses if r.status_code == 200]
    for arranged in (first, second):
        order = await load_order(sessions, arranged.order_id)
        assert order.batch_id == winner.json()["id"]
        assert await event_names(sessions, arranged.order_id) == ["fulfillment.acknowledged"]


async def test_concurrent_shoppers_with_one_phone(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    responses = await asyncio.gather(
        *(
            http.post(f"{SANDBOX}/shoppers", json={"phone": "4155550100"}, headers=client_headers)
            for _ in range(3)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 400, 400]
