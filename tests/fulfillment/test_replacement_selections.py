"""PUT /v2/fulfillment/users/{user_id}/orders/{order_id}/replacement_selections
(docs.instacart.com/connect/api/fulfillment/delivery/set_item_replacements)."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.fulfillment.changes_helpers import set_state
from tests.fulfillment.helpers import Shop, arrange_shop, assert_error, events_of, place_order

ORDER = "/v2/fulfillment/users/user-1/orders/o-1"
SELECTIONS = ORDER + "/replacement_selections"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def shop(sessions: Sessions) -> Shop:
    """Products 0-1 are ordered (lines 1, 2); 2-4 are spares."""
    return await arrange_shop(sessions, products=5)


@pytest.fixture
async def order(http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop) -> None:
    body_shop = Shop(shop.store, shop.products[:2])
    await place_order(http, client_headers, body_shop, "user-1", "o-1")


def _line(items: list[dict[str, Any]], line_num: str) -> dict[str, Any]:
    (found,) = [i for i in items if i["line_num"] == line_num]
    return found


@pytest.fixture
async def state(request: pytest.FixtureRequest, sessions: Sessions, order: None) -> str:
    """The order, moved to the workflow state the test is parametrised with (indirectly)."""
    workflow_state: str = request.param
    await set_state(sessions, "o-1", workflow_state)
    return workflow_state


@pytest.mark.usefixtures("state")
@pytest.mark.parametrize(
    "state", ["brand_new", "acknowledged", "picking", "verifying_replacements"], indirect=True
)
async def test_selections_overwrite_the_lines_replacements(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, sessions: Sessions
) -> None:
    spare = shop.upcs[2:]
    body = {
        "selections": [
            {
                "line_num": "1",
                "count": 3,
                "replacement_items": [{"upc": spare[0]}, {"upc": spare[1]}],
            },
            {"line_num": 2, "weight": 0.5, "upc": spare[2]},
        ]
    }
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["id"] == "o-1"
    assert order["order_url"].startswith("http://testserver/orders/o-1/status?token=")
    first, second = _line(order["items"], "1"), _line(order["items"], "2")
    assert first["replacement_policy"] == second["replacement_policy"] == "users_choice"
    assert first["replacement_items"] == [
        {"upc": spare[0], "count": 3},
        {"upc": spare[1], "count": 3},
    ]
    assert second["replacement_items"] == [{"upc": spare[2], "weight": 0.5}]
    # Idempotent: the same request leaves the same order, and no callback is recorded.
    again = await http.put(SELECTIONS, json=body, headers=client_headers)
    assert again.json()["items"] == order["items"]
    fetched = await http.get(ORDER, headers=client_headers)
    assert fetched.json()["items"] == order["items"]
    assert [name for name, _ in await events_of(sessions, "o-1")] == ["fulfillment.brand_new"]


@pytest.mark.usefixtures("order")
async def test_a_selection_overwrites_what_create_set_and_leaves_other_lines(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop, sessions: Sessions
) -> None:
    async with sessions() as session:
        by_rrc = await factories.insert_product(session, upc=None, rrc="RRC-SPARE-1")
        await session.commit()
    items = [
        {
            "line_num": "1",
            "count": 1,
            "item": {"upc": shop.upcs[0]},
            "replacement_policy": "no_replacements",
        },
        {
            "line_num": "2",
            "count": 1,
            "item": {"upc": shop.upcs[1]},
            "replacement_items": [{"upc": shop.upcs[2]}],
        },
    ]
    updated = await http.put(ORDER, json={"items": items}, headers=client_headers)
    assert updated.status_code == 200, updated.text
    body = {"selections": [{"line_num": "1", "count": 1, "rrc": by_rrc.rrc}]}
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    first, second = (_line(response.json()["items"], n) for n in ("1", "2"))
    assert (first["replacement_policy"], first["replacement_items"]) == (
        "users_choice",
        [{"rrc": "RRC-SPARE-1", "count": 1}],
    )
    assert (second["replacement_policy"], second["replacement_items"]) == (
        "users_choice",
        [{"upc": shop.upcs[2]}],
    )


@pytest.mark.usefixtures("state")
@pytest.mark.parametrize(
    "state", ["checkout", "delivering", "completed", "canceled", "staged"], indirect=True
)
async def test_after_picking_it_is_incompatible_order_status(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
) -> None:
    body = {"selections": [{"line_num": "1", "count": 1, "upc": shop.upcs[2]}]}
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    body = assert_error(response, 400, 3003)
    assert body["error"]["message"] == "Incompatible order status"


@pytest.mark.usefixtures("order")
async def test_unknown_line_nums_are_listed_and_nothing_changes(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    before = (await http.get(ORDER, headers=client_headers)).json()
    body = {
        "selections": [
            {"line_num": "1", "count": 1, "upc": shop.upcs[2]},
            {"line_num": "7", "count": 1, "upc": shop.upcs[3]},
            {"line_num": "x9", "count": 1, "upc": shop.upcs[4]},
        ]
    }
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    error = assert_error(response, 400, 1001, "selections")
    assert error["error"]["message"] == "Line items not found in the order: 7, x9"
    assert (await http.get(ORDER, headers=client_headers)).json() == before


@pytest.mark.usefixtures("order")
async def test_a_removed_line_cannot_take_selections(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    one_line = [{"line_num": "1", "count": 1, "item": {"upc": shop.upcs[0]}}]
    assert (await http.put(ORDER, json={"items": one_line}, headers=client_headers)).is_success
    body = {"selections": [{"line_num": "2", "count": 1, "upc": shop.upcs[2]}]}
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    assert assert_error(response, 400, 1001, "selections")["error"]["message"].endswith(": 2")


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize(
    ("selection", "key", "message"),
    [
        ({"line_num": "1", "upc": "S0"}, "selections[0]", "exactly one of count or weight"),
        ({"line_num": "1", "count": 1, "weight": 1, "upc": "S0"}, "selections[0]", "count"),
        ({"line_num": "1", "count": 0, "upc": "S0"}, "selections[0].count", "greater than"),
        ({"line_num": "1", "weight": 0, "upc": "S0"}, "selections[0].weight", "greater than"),
        ({"line_num": "1", "count": 1}, "selections[0]", "replacement_items, upc or rrc"),
        ({"line_num": "1", "count": 1, "upc": "S0", "rrc": "R"}, "selections[0]", "upc or rrc"),
        ({"count": 1, "upc": "S0"}, "selections[0].line_num", "can't be blank"),
        ({"line_num": "1", "count": 1, "replacement_items": []}, None, None),
        ({"line_num": "1", "count": 1, "upc": "000000000000"}, "selections[0].upc", "not found"),
        ({"line_num": "1", "count": 1, "upc": "ORDERED"}, "selections[0].upc", "other than"),
    ],
)
async def test_each_bad_selection_is_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    selection: dict[str, Any],
    key: str | None,
    message: str | None,
) -> None:
    codes = {"S0": shop.upcs[2], "ORDERED": shop.upcs[0]}
    selection = {k: codes.get(v, v) if isinstance(v, str) else v for k, v in selection.items()}
    before = (await http.get(ORDER, headers=client_headers)).json()
    response = await http.put(SELECTIONS, json={"selections": [selection]}, headers=client_headers)
    body = assert_error(response, 400, 1001, key)
    if message is not None:
        assert message in body["error"]["message"], body
    assert (await http.get(ORDER, headers=client_headers)).json() == before


@pytest.mark.usefixtures("order")
async def test_several_problems_are_reported_together(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    body = {
        "selections": [
            {"line_num": "1", "count": 1, "replacement_items": [{"upc": shop.upcs[2]}] * 2},
            {"line_num": "1", "count": 1, "upc": shop.upcs[3]},
        ]
    }
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    assert response.status_code == 400
    errors = response.json()["error"]
    assert errors["code"] == 9999
    assert [e["meta"]["key"] for e in errors["errors"]] == [
        "selections[0].replacement_items[1]",
        "selections[1].line_num",
    ]


@pytest.mark.usefixtures("order")
@pytest.mark.parametrize(("count", "accepted"), [(10, True), (11, False), (0, False)])
async def test_at_most_ten_selections(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    sessions: Sessions,
    count: int,
    accepted: bool,
) -> None:
    async with sessions() as session:
        spare = await factories.insert_product(session)
        await session.commit()
    body = {"selections": [{"line_num": "1", "count": 1, "upc": spare.upc}] * count}
    response = await http.put(SELECTIONS, json=body, headers=client_headers)
    if accepted:
        # Ten of the same line: the line is named more than once.
        assert response.json()["error"]["code"] == 9999
    else:
        assert_error(response, 400, 1001, "selections")


async def test_unknown_order_user_and_another_users_order(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    await place_order(http, client_headers, Shop(shop.store, shop.products[:1]), "user-2", "o-2")
    body = {"selections": [{"line_num": "1", "count": 1, "upc": shop.upcs[2]}]}
    base = "/v2/fulfillment/users"
    missing = await http.put(
        f"{base}/user-2/orders/nope/replacement_selections", json=body, headers=client_headers
    )
    assert_error(missing, 404, 4000)
    no_user = await http.put(
        f"{base}/nobody/orders/o-2/replacement_selections", json=body, headers=client_headers
    )
    assert_error(no_user, 400, 1001, "user_id")
    await http.post(
        f"{base}", json={"user_id": "user-3", "first_name": "Bo"}, headers=client_headers
    )
    not_theirs = await http.put(
        f"{base}/user-3/orders/o-2/replacement_selections", json=body, headers=client_headers
    )
    assert_error(not_theirs, 404, 4000)
