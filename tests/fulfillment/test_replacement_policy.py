"""``replacement_policy`` and ``replacement_items`` on order items: validated at create and
update, and honoured by the sandbox shopper's replacement (status ``replaced``)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.fulfillment import rules
from aftercart.models import OrderItem
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    hold_for,
    order_body,
    place_order,
    post_order,
)
from tests.sandbox.helpers import insert_products, load_order, picking

ORDER = "/v2/fulfillment/users/user-1/orders/o-1"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def shop(sessions: Sessions) -> Shop:
    """Products 0-1 are ordered; 2-3 are spares."""
    return await arrange_shop(sessions, products=4)


def _items(shop: Shop, **first: Any) -> list[dict[str, Any]]:
    return [
        {"line_num": "1", "count": 1, "item": {"upc": shop.upcs[0]}, **first},
        {"line_num": "2", "count": 1, "item": {"upc": shop.upcs[1]}},
    ]


# --- Pure rules ------------------------------------------------------------------------------


def test_the_default_policy_follows_the_replacement_items() -> None:
    assert rules.default_replacement_policy(True) == "users_choice"
    assert rules.default_replacement_policy(False) == "shoppers_choice"


@pytest.mark.parametrize(
    ("policy", "chosen", "allowed"),
    [
        ("no_replacements", [{"upc": "1"}], False),
        ("users_choice", [{"upc": "1"}], True),
        ("users_choice", [{"rrc": "R1", "count": 2}], True),
        ("users_choice", [{"upc": "9"}], False),
        ("users_choice", [], False),
        ("shoppers_choice", [], True),
        ("shoppers_choice", [{"upc": "9"}], True),
    ],
)
def test_which_replacement_the_policy_allows(
    policy: str, chosen: list[dict[str, Any]], allowed: bool
) -> None:
    refusal = rules.replacement_refusal(policy, chosen, upc="1", rrc="R1")
    assert (refusal is None) == allowed


# --- Create and update -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "policy"),
    [
        ({}, "shoppers_choice"),
        ({"replacement_items": [{"upc": "S2"}]}, "users_choice"),
        ({"replacement_policy": "no_replacements"}, "no_replacements"),
        (
            {"replacement_policy": "shoppers_choice", "replacement_items": [{"upc": "S2"}]},
            "shoppers_choice",
        ),
        ({"replacement_policy": "users_choice"}, "users_choice"),
    ],
)
async def test_create_keeps_the_policy_given_or_its_default(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    first: dict[str, Any],
    policy: str,
) -> None:
    if "replacement_items" in first:
        first = {**first, "replacement_items": [{"upc": shop.upcs[2]}]}
    order = await place_order(
        http, client_headers, Shop(shop.store, shop.products[:2]), items=_items(shop, **first)
    )
    assert order["items"][0]["replacement_policy"] == policy
    assert order["items"][1]["replacement_policy"] == "shoppers_choice"


@pytest.mark.parametrize("where", ["create", "update"])
@pytest.mark.parametrize(
    ("first", "key", "message"),
    [
        (
            {"replacement_policy": "no_replacements", "replacement_items": ["S2"]},
            "items[0].replacement_items",
            "must be empty when replacement_policy is no_replacements",
        ),
        (
            {"replacement_policy": "anything"},
            "items[0].replacement_policy",
            "is not included in the list",
        ),
        (
            {"replacement_items": ["S0"]},
            "items[0].replacement_items[0]",
            "must be a product other than the ordered one",
        ),
        ({"replacement_items": ["S2", "S2"]}, "items[0].replacement_items[1]", "Duplicate items"),
        (
            {"replacement_items": ["000000000000"]},
            "items[0].replacement_items[0]",
            "Item not found",
        ),
        ({"replacement_items": ["S2"] * 11}, "items[0].replacement_items", None),
    ],
)
async def test_contradictory_or_bad_replacements_are_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    where: str,
    first: dict[str, Any],
    key: str,
    message: str | None,
) -> None:
    codes = {"S0": shop.upcs[0], "S2": shop.upcs[2]}
    if "replacement_items" in first:
        refs = [{"upc": codes.get(code, code)} for code in first["replacement_items"]]
        first = {**first, "replacement_items": refs}
    if where == "create":
        await http.post(
            "/v2/fulfillment/users",
            json={"user_id": "user-1", "first_name": "Al", "phone_number": "+14155550100"},
            headers=client_headers,
        )
        hold = await hold_for(http, client_headers, "user-1", shop.store.location_code)
        body = order_body("o-1", hold["id"], [], items=_items(shop, **first))
        response = await post_order(http, client_headers, "user-1", body)
    else:
        await place_order(http, client_headers, Shop(shop.store, shop.products[:2]), order_id="o-1")
        response = await http.put(
            ORDER, json={"items": _items(shop, **first)}, headers=client_headers
        )
    error = assert_error(response, 400, 1001, key)
    if message is not None:
        assert error["error"]["message"] == message
    if where == "update":
        again = (await http.get(ORDER, headers=client_headers)).json()
        assert again["items"][0]["replacement_policy"] == "shoppers_choice"
        assert again["items"][0]["replacement_items"] == []


# --- The sandbox shopper -----------------------------------------------------------------------


async def _set_line(sessions: Sessions, order_pk: int, **values: Any) -> None:
    async with sessions() as session:
        await session.execute(
            update(OrderItem)
            .where(OrderItem.order_pk == order_pk, OrderItem.line_num == "1")
            .values(**values)
        )
        await session.commit()


async def test_no_replacements_cannot_be_replaced(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    await _set_line(sessions, p.pk, replacement_policy="no_replacements")
    (spare,) = await insert_products(sessions, 1)
    body = {"status": "replaced", "replacement_item": {"upc": spare.upc}}
    response = await http.post(p.item_url("1"), json=body, headers=client_headers)
    error = assert_error(response, 400, 1001, "replacement_item")
    assert "no_replacements" in error["error"]["message"]
    line = (await load_order(sessions, p.order_id)).items[0]
    assert (line.shopper_status, line.replacement_product_id) == ("not_found", None)
    refund = await http.post(p.item_url("1"), json={"status": "to_refund"}, headers=client_headers)
    assert refund.status_code == 200, refund.text


async def test_users_choice_takes_only_the_chosen_replacements(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    chosen, other = await insert_products(sessions, 2)
    user_id = (await load_order(sessions, p.order_id)).user_id
    selections = {"selections": [{"line_num": "1", "count": 1, "upc": chosen.upc}]}
    selected = await http.put(
        f"/v2/fulfillment/users/{user_id}/orders/{p.order_id}/replacement_selections",
        json=selections,
        headers=client_headers,
    )
    assert selected.status_code == 200, selected.text

    refused = await http.post(
        p.item_url("1"),
        json={"status": "replaced", "replacement_item": {"upc": other.upc}},
        headers=client_headers,
    )
    error = assert_error(refused, 400, 1001, "replacement_item")
    assert "users_choice" in error["error"]["message"]
    accepted = await http.post(
        p.item_url("1"),
        json={"status": "replaced", "replacement_item": {"upc": chosen.upc}},
        headers=client_headers,
    )
    assert accepted.status_code == 200, accepted.text
    line = (await load_order(sessions, p.order_id)).items[0]
    assert (line.shopper_status, line.replacement_product_id) == ("replaced", chosen.id)


async def test_shoppers_choice_takes_any_other_product(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    (spare,) = await insert_products(sessions, 1)
    await _set_line(
        sessions,
        p.pk,
        replacement_policy="shoppers_choice",
        replacement_items=[{"upc": "not-this-one"}],
    )
    body = {"status": "replaced", "replacement_item": {"upc": spare.upc}}
    response = await http.post(p.item_url("1"), json=body, headers=client_headers)
    assert response.status_code == 200, response.text
