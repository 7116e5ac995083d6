"""``GET /v2/retailer_transaction/pos_transactions`` (an Aftercart addition): an order's
transactions, or all of them, newest first, a page at a time."""

from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.models import PosTransaction
from aftercart.transactions import rules
from tests import factories
from tests.transactions.helpers import PATH, body_for, connect_error, place_order, sold_at

Sessions = async_sessionmaker[AsyncSession]
Headers = dict[str, str]


async def _send(http: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> None:
    response = await http.post(PATH, json=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_an_orders_transactions_come_newest_first_in_the_shape_sent(
    http: httpx.AsyncClient, client_headers: Headers, creds: IssuedCredentials, sessions: Sessions
) -> None:
    placed, other = await place_order(sessions), await place_order(sessions)
    bodies = [body_for(placed, id=f"sale-{n}") for n in range(3)]
    for body in bodies:
        await _send(http, client_headers, body)
    await _send(http, client_headers, body_for(other))
    await _send(http, client_headers, body_for(None, placed.location_code))

    response = await http.get(PATH, params={"order_id": placed.order_id}, headers=client_headers)

    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    listed = page["pos_transactions"]
    assert [t["id"] for t in listed] == ["sale-2", "sale-1", "sale-0"]
    first = listed[-1]
    arrival = {"client_id", "received_at", "sent_late"}
    assert {k: v for k, v in first.items() if k not in arrival} == {
        **bodies[0],
        "checkout_id": None,
        "customer_reference": None,
        "tenders": [{**bodies[0]["tenders"][0], "id": None}],  # every field, null when absent
    }
    assert first["client_id"] == creds.client_id
    assert first["sent_late"] is False
    assert [t["received_at"] for t in listed] == sorted(
        (t["received_at"] for t in listed), reverse=True
    )


async def test_without_an_order_every_transaction_is_listed(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    await _send(http, client_headers, body_for(placed, id="with-order"))
    await _send(http, client_headers, body_for(None, placed.location_code, id="without-order"))
    response = await http.get(PATH, headers=client_headers)
    assert response.status_code == 200, response.text
    listed = response.json()["pos_transactions"]
    assert [(t["id"], t["order_id"]) for t in listed] == [
        ("without-order", None),
        ("with-order", placed.order_id),
    ]
    assert listed[0]["bin"] == "546683"


async def test_a_transaction_sent_more_than_10_minutes_after_the_sale_is_marked_late(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    await _send(
        http, client_headers, body_for(placed, id="late", transaction_timestamp=sold_at(15))
    )
    await _send(
        http, client_headers, body_for(placed, id="prompt", transaction_timestamp=sold_at(9))
    )
    response = await http.get(PATH, params={"order_id": placed.order_id}, headers=client_headers)
    late = {t["id"]: t["sent_late"] for t in response.json()["pos_transactions"]}
    assert late == {"late": True, "prompt": False}


async def test_pages_walk_every_transaction_once_even_when_arrivals_tie(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    ids = [f"t-{n:02d}" for n in range(7)]
    for transaction_id in ids:
        await _send(http, client_headers, body_for(placed, id=transaction_id))
    async with sessions() as session:  # several share one arrival time: the id breaks the tie
        tied = [PosTransaction.transaction_id.in_(ids[2:5])]
        moment = (await session.get(PosTransaction, (1, ids[2]))).received_at  # type: ignore[union-attr]
        await session.execute(update(PosTransaction).where(*tied).values(received_at=moment))
        await session.commit()

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, str | int] = {"order_id": placed.order_id, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await http.get(PATH, params=params, headers=client_headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["pos_transactions"]) <= 3
        seen += [t["id"] for t in page["pos_transactions"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ids
    assert seen[:2] == ["t-06", "t-05"]
    assert seen[2:5] == ["t-04", "t-03", "t-02"]


async def test_an_unknown_order_is_refused(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    response = await http.get(PATH, params={"order_id": "no-such-order"}, headers=client_headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == ("Order not found", 1001, {"key": "order_id"})


@pytest.mark.parametrize(
    ("params", "key", "message"),
    [
        ({"order_id": ""}, "order_id", "can't be blank"),
        ({"limit": 0}, "limit", "must be greater than or equal to 1"),
        ({"limit": 201}, "limit", "is invalid"),
        ({"limit": "ten"}, "limit", "is invalid"),
        ({"cursor": "not-a-cursor"}, "cursor", "is not a valid cursor"),
        (
            {"cursor": rules.encode_cursor(rules.parse_timestamp("2026-01-01T00:00:00Z"), "")},
            "cursor",
            "is not a valid cursor",
        ),
    ],
)
async def test_bad_parameters_are_named(
    http: httpx.AsyncClient,
    client_headers: Headers,
    params: dict[str, str | int],
    key: str,
    message: str,
) -> None:
    response = await http.get(PATH, params=params, headers=client_headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == (message, 1001, {"key": key})


async def test_listing_needs_a_client_token_with_the_fulfillment_scope(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    assert (await http.get(PATH)).status_code == 401
    rating_only = await factories.client_token(http, creds, scope="Connect::Orders::RatingService")
    response = await http.get(PATH, headers=factories.bearer(rating_only))
    assert response.status_code == 403
