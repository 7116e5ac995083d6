from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events import names
from aftercart.models import Order, OrderItem
from tests import factories
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    events_of,
    hold_for,
    order_row,
    place_order,
)

ORDER = "/v2/fulfillment/users/user-1/orders/o-1"


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    return await arrange_shop(sessions, products=4)


@pytest.fixture
async def order(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> dict[str, Any]:
    """o-1 of user-1 for delivery, lines 1-4 (two of each product)."""
    return await place_order(http, client_headers, shop, "user-1", "o-1")


async def set_state(sessions: async_sessionmaker[AsyncSession], state: str) -> None:
    async with sessions() as session:
        await session.execute(
            update(Order).where(Order.order_id == "o-1").values(workflow_state=state)
        )
        await session.commit()


def line(line_num: str, upc: str, **fields: Any) -> dict[str, Any]:
    return {"line_num": line_num, "item": {"upc": upc}, **({"count": 1} | fields)}


@pytest.mark.usefixtures("order")
async def test_update_replaces_items_by_line_num(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        extra = await factories.insert_product(session)
        await session.commit()
    body = {
        "initial_tip_cents": 900,
        "special_instructions": "Side door",
        "user": {"sms_opt_in": True},
        "items": [
            # line 1: a different upc is ignored, the quantities change
            line("1", shop.upcs[3], count=5, weight=0.75, special_instructions="green"),
            line("2", shop.upcs[1], replacement_items=[{"upc": shop.upcs[0]}]),
            line("5", extra.upc or ""),
        ],
    }
    response = await http.put(ORDER, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["line_num"], i["item"]["upc"], i["count"]) for i in items] == [
        ("1", shop.upcs[0], 5),
        ("2", shop.upcs[1], 1),
        ("5", extra.upc, 1),
    ]
    assert items[0]["weight"] == 0.75
    assert items[0]["special_instructions"] == "green"
    assert items[1]["replacement_policy"] == "users_choice"
    assert items[1]["replacement_items"] == [{"upc": shop.upcs[0]}]

    row = await order_row(sessions, "o-1")
    assert row.initial_tip_cents == 900
    assert row.special_instructions == "Side door"
    assert row.customer == {"sms_opt_in": True}
    removed = sorted(item.line_num for item in row.items if item.removed)
    assert removed == ["3", "4"]
    events = await events_of(sessions, "o-1")
    assert [name for name, _ in events] == [names.BRAND_NEW, names.ORDER_UPDATED]
    assert events[1][1]["delivery_window"] == events[0][1]["delivery_window"]

    restore = {"items": [line("3", shop.upcs[2], count=4)]}
    restored = await http.put(ORDER, json=restore, headers=client_headers)
    assert restored.status_code == 200, restored.text
    assert [(i["line_num"], i["count"]) for i in restored.json()["items"]] == [("3", 4)]
    row = await order_row(sessions, "o-1")
    assert row.initial_tip_cents == 900  # absent fields are kept
    assert sorted(i.line_num for i in row.items if not i.removed) == ["3"]
    assert len(row.items) == 5


@pytest.mark.usefixtures("order")
async def test_a_live_item_under_a_new_line_num_is_a_duplicate(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    body = {"items": [line("9", shop.upcs[0])]}
    response = await http.put(ORDER, json=body, headers=client_headers)
    body_ = assert_error(response, 400, 1001, "items[0].item")
    assert body_["error"]["message"] == "Duplicate items"


@pytest.mark.usefixtures("order")
async def test_update_checks_the_delivery_limit(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    body = {"items": [line("1", shop.upcs[0], count=200), line("2", shop.upcs[1], count=51)]}
    assert_error(await http.put(ORDER, json=body, headers=client_headers), 400, 1001, "items")


@pytest.mark.usefixtures("order")
async def test_update_needs_items(http: httpx.AsyncClient, client_headers: dict[str, str]) -> None:
    assert_error(await http.put(ORDER, json={}, headers=client_headers), 400, 1001, "items")


@pytest.mark.usefixtures("order")
async def test_update_with_a_new_hold_moves_the_window(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    options = (
        await http.post(
            "/v2/fulfillment/users/user-1/service_options/cart/delivery",
            json={"location_code": shop.store.location_code},
            headers=client_headers,
        )
    ).json()["service_options"]
    later = options[3]
    reserved = await http.post(
        f"/v2/fulfillment/users/user-1/service_options/{later['id']}/reserve",
        headers=client_headers,
    )
    body = {
        "service_option_hold_id": reserved.json()["service_option_hold"]["id"],
        "items": [line("1", shop.upcs[0])],
    }
    response = await http.put(ORDER, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    details = response.json()["fulfillment_details"]
    assert details["window_starts_at"] == later["window"]["start_at"]
    events = await events_of(sessions, "o-1")
    assert (
        events[-1][1]["delivery_window"]["window_starts_at"]
        != (events[0][1]["delivery_window"]["window_starts_at"])
    )

    other = await arrange_shop(sessions, products=0)
    elsewhere = await hold_for(http, client_headers, "user-1", other.store.location_code)
    body["service_option_hold_id"] = elsewhere["id"]
    moved = await http.put(ORDER, json=body, headers=client_headers)
    assert_error(moved, 400, 1001, "service_option_hold_id")


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize("state", ["acknowledged", "picking", "canceled"])
async def test_update_only_while_brand_new(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
    state: str,
) -> None:
    await set_state(sessions, state)
    body = {"items": [line("1", shop.upcs[0])]}
    response = await http.put(ORDER, json=body, headers=client_headers)
    message = assert_error(response, 400, 3003)["error"]["message"]
    assert message == "Incompatible order status"


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize("state", ["brand_new", "acknowledged"])
@pytest.mark.parametrize("content", [None, b"", b'""', b"{}"])
async def test_cancel(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    state: str,
    content: bytes | None,
) -> None:
    await set_state(sessions, state)
    headers = {**client_headers, "Content-Type": "application/json"} if content else client_headers
    response = await http.post(f"{ORDER}/cancel", content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "canceled"
    assert response.json()["cancellation_reason"] == "retailer_driven"
    name, metadata = (await events_of(sessions, "o-1"))[-1]
    assert name == names.CANCELED
    assert metadata["cancellation_reason"] == "retailer_driven"


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize("state", ["picking", "checkout", "delivering", "completed", "canceled"])
async def test_cancel_too_late(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    state: str,
) -> None:
    await set_state(sessions, state)
    response = await http.post(f"{ORDER}/cancel", headers=client_headers)
    assert assert_error(response, 400, 3003)["error"]["message"] == "Incompatible order status"


@pytest.mark.usefixtures("order")
async def test_what_the_shopper_did_shows_from_picking_on(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        order = await session.scalar(select(Order).where(Order.order_id == "o-1"))
        assert order is not None
        await session.execute(
            update(OrderItem)
            .where(OrderItem.order_pk == order.id, OrderItem.line_num == "1")
            .values(shopper_status="found", delivered_count=1, delivered_weight=Decimal("0.5"))
        )
        await session.execute(
            update(OrderItem)
            .where(OrderItem.order_pk == order.id, OrderItem.line_num == "2")
            .values(
                shopper_status="replaced",
                replacement_product_id=shop.products[3].id,
                replacement_status="PENDING",
                delivered_count=2,
            )
        )
        await session.execute(
            update(OrderItem)
            .where(OrderItem.order_pk == order.id, OrderItem.line_num == "3")
            .values(shopper_status="to_refund", delivered_count=0)
        )
        await session.commit()
    before = (await http.get(ORDER, headers=client_headers)).json()
    assert before["items"][0]["status"] is None
    await set_state(sessions, "picking")
    after = (await http.get(ORDER, headers=client_headers)).json()
    assert after["status"] == "picking"
    found, replaced, refunded, untouched = after["items"]
    assert (found["status"], found["delivered_item"], found["delivered_count"]) == (
        "found",
        {"upc": shop.upcs[0]},
        1,
    )
    assert found["delivered_weight"] == 0.5
    assert (replaced["status"], replaced["delivered_item"]) == ("replaced", {"upc": shop.upcs[3]})
    assert (refunded["status"], refunded["delivered_item"]) == ("to_refund", None)
    assert untouched["status"] == "not_found"
