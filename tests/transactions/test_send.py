"""Instacart's "Send point of sale transaction information"
(https://docs.instacart.com/connect/api/transaction/send_pos_transaction/) over HTTP: what is
stored, every validation error with its key, the order and store checks, resends, tokens."""

import asyncio
import json
from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.transactions import rules
from tests import factories
from tests.transactions.helpers import (
    PATH,
    body_for,
    connect_error,
    count_events,
    parse,
    place_order,
    sold_at,
    stored,
)

Sessions = async_sessionmaker[AsyncSession]
Headers = dict[str, str]


# --- Success --------------------------------------------------------------------------------------


async def test_a_transaction_is_stored_whole_with_its_order_client_and_arrival(
    http: httpx.AsyncClient, client_headers: Headers, creds: IssuedCredentials, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed)
    events_before = await count_events(sessions)

    response = await http.post(PATH, json=body, headers=client_headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"id": body["id"]}
    [row] = await stored(sessions)
    assert row.transaction_id == body["id"]
    assert row.order_id == placed.order_id
    assert row.order_pk is not None
    assert row.store_id == placed.location_code
    assert row.client_id == creds.client_id
    assert row.transaction_at == parse(body["transaction_timestamp"])
    assert timedelta(0) <= row.received_at - row.transaction_at < timedelta(minutes=2)
    expected = {**body, "sub_total": 99}  # 99.0 is kept as the JSON number 99
    assert row.body == expected
    assert row.body_digest == rules.digest(expected)
    # No point-of-sale callback exists in Instacart's catalogue: no event is recorded.
    assert await count_events(sessions) == events_before


async def test_instacarts_body_without_an_order_is_stored_without_one(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(None, store_id=placed.location_code)
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    [row] = await stored(sessions)
    assert (row.order_pk, row.order_id) == (None, None)
    assert "order_id" not in row.body


async def test_only_the_required_fields_are_enough(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """The page's required fields: last_four, transaction_timestamp, id, store_id, total and
    total_tax; currency_code defaults to USD, and the arrays to empty ones."""
    placed = await place_order(sessions)
    body = {
        "last_four": "0042",
        "transaction_timestamp": sold_at(),
        "id": "847473",
        "store_id": placed.location_code,
        "total": 12.32,
        "total_tax": 1.25,
    }
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    [row] = await stored(sessions)
    assert row.body == {**body, "currency_code": "USD", "tenders": [], "items": [], "taxes": []}


async def test_the_body_is_read_liberally_and_kept_normalised(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """The page's own offset form (-5:00), numbers as identifiers, amounts as strings, a
    lower-case currency, null arrays and unknown fields."""
    placed = await place_order(sessions)
    body = body_for(
        placed,
        id=847473,
        transaction_timestamp=(
            rules.format_timestamp(parse(sold_at(2)) - timedelta(hours=5))
        ).replace("Z", "-5:00"),
        total="100.220",
        currency_code="usd",
        taxes=None,
        loyalty_card="1234",
    )
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": "847473"}
    [row] = await stored(sessions)
    assert row.body["id"] == "847473"
    assert row.body["transaction_timestamp"].endswith("Z")
    assert parse(row.body["transaction_timestamp"]) == row.transaction_at
    assert row.body["total"] == 100.22
    assert row.body["currency_code"] == "USD"
    assert row.body["taxes"] == []
    assert "loyalty_card" not in row.body


async def test_a_null_currency_is_the_default(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    response = await http.post(
        PATH, json=body_for(placed, currency_code=None), headers=client_headers
    )
    assert response.status_code == 200, response.text
    [row] = await stored(sessions)
    assert row.body["currency_code"] == "USD"


# --- Validation errors ----------------------------------------------------------------------------

REQUIRED = ["last_four", "transaction_timestamp", "id", "store_id", "total", "total_tax"]
TIMESTAMP = rules.TIMESTAMP_MESSAGE


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def _tender(**change: Any) -> dict[str, Any]:
    return {"tenders": [{"type": "CASH", "amount": 10} | change]}


def _item(**change: Any) -> dict[str, Any]:
    return {"items": [{"item_price": 1.45, "quantity": 2} | change]}


def _tax(**change: Any) -> dict[str, Any]:
    return {"taxes": [{"type": "SALES", "amount": 1.22} | change]}


#: (what changes in a valid body, meta.key, message)
INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"last_four": "992"}, "last_four", "must be 4 digits, as a string"),
    ({"last_four": "99290"}, "last_four", "must be 4 digits, as a string"),
    ({"last_four": "99a9"}, "last_four", "must be 4 digits, as a string"),
    ({"last_four": 9929}, "last_four", "must be 4 digits, as a string"),
    ({"last_four": None}, "last_four", "must be 4 digits, as a string"),
    ({"bin": "411111"}, "bin", "is not included in the list"),
    ({"bin": "54668312"}, "bin", "is not included in the list"),
    ({"bin": 546683}, "bin", "is not included in the list"),
    ({"transaction_timestamp": "2022-03-09T16:37:00"}, "transaction_timestamp", TIMESTAMP),
    ({"transaction_timestamp": "2022-02-30T16:37:00Z"}, "transaction_timestamp", TIMESTAMP),
    ({"transaction_timestamp": "2022-03-09T16:37:00+24:00"}, "transaction_timestamp", TIMESTAMP),
    ({"transaction_timestamp": "yesterday"}, "transaction_timestamp", TIMESTAMP),
    ({"transaction_timestamp": 1662999240}, "transaction_timestamp", TIMESTAMP),
    ({"id": ""}, "id", "can't be blank"),
    ({"id": "   "}, "id", "can't be blank"),
    ({"id": "x" * 256}, "id", "is too long (maximum is 255 characters)"),
    ({"id": True}, "id", "is invalid"),
    ({"store_id": ""}, "store_id", "can't be blank"),
    ({"order_id": ""}, "order_id", "can't be blank"),
    ({"checkout_id": ["a"]}, "checkout_id", "is invalid"),
    ({"total": -0.01}, "total", "must be greater than or equal to 0"),
    ({"total": 1.234}, "total", "can have at most 2 decimal places"),
    ({"total": 10_000_000.01}, "total", "must be between -10000000 and 10000000"),
    ({"total": "ten"}, "total", "is invalid"),
    ({"total": True}, "total", "is invalid"),
    ({"total": None}, "total", "is invalid"),
    ({"sub_total": -1}, "sub_total", "must be greater than or equal to 0"),
    ({"total_tax": 0.001}, "total_tax", "can have at most 2 decimal places"),
    ({"currency_code": "US"}, "currency_code", "must be a three-letter ISO 4217 code"),
    ({"currency_code": 840}, "currency_code", "must be a three-letter ISO 4217 code"),
    ({"cardholder_name": "n" * 256}, "cardholder_name", "is too long (maximum is 255 characters)"),
    ({"customer_reference": 42}, "customer_reference", "is invalid"),
    ({"tenders": {"type": "CASH"}}, "tenders", "is invalid"),
    ({"tenders": [{"type": "CASH"}] * 51}, "tenders", "is invalid"),
    ({"tenders": [{"amount": 10}]}, "tenders[0].type", "can't be blank"),
    (_tender(amount=None), "tenders[0].amount", "is invalid"),
    (_tender(amount=1.005), "tenders[0].amount", "can have at most 2 decimal places"),
    ({"tenders": [{"type": "CASH"}]}, "tenders[0].amount", "can't be blank"),
    (_tender(id=""), "tenders[0].id", "can't be blank"),
    ({"items": [{"quantity": 1}]}, "items[0].item_price", "can't be blank"),
    ({"items": [{"item_price": 1}]}, "items[0].quantity", "can't be blank"),
    (_item(quantity=0), "items[0].quantity", "must be greater than 0"),
    (_item(quantity=-1), "items[0].quantity", "must be greater than 0"),
    (_item(quantity=1.23456), "items[0].quantity", "can have at most 4 decimal places"),
    (_item(price_per_unit=0.00001), "items[0].price_per_unit", "can have at most 4 decimal places"),
    (_item(bar_code="1" * 65), "items[0].bar_code", "is too long (maximum is 64 characters)"),
    ({"items": ["bananas"]}, "items[0]", "is invalid"),
    ({"taxes": [{"amount": 1}]}, "taxes[0].type", "can't be blank"),
    (_tax(amount=-20_000_000), "taxes[0].amount", "must be between -10000000 and 10000000"),
    (_tax(type_other=7), "taxes[0].type_other", "is invalid"),
]


@pytest.mark.parametrize("required", REQUIRED)
async def test_a_missing_required_field_is_named(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, required: str
) -> None:
    placed = await place_order(sessions)
    response = await http.post(
        PATH, json=_without(body_for(placed), required), headers=client_headers
    )
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == ("can't be blank", 1001, {"key": required})
    assert await stored(sessions) == []


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        pytest.param(change, key, message, id=f"{key}-{n}")
        for n, (change, key, message) in enumerate(INVALID)
    ],
)
async def test_an_invalid_field_is_named(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    change: dict[str, Any],
    key: str,
    message: str,
) -> None:
    placed = await place_order(sessions)
    response = await http.post(PATH, json=body_for(placed, **change), headers=client_headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == (message, 1001, {"key": key})
    assert await stored(sessions) == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
async def test_numbers_json_cannot_hold_are_refused(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, number: str
) -> None:
    """Python's JSON reader takes NaN and Infinity (and 1e999 as infinity); JSON has neither."""
    placed = await place_order(sessions)
    text = json.dumps(body_for(placed, total=0)).replace('"total": 0', f'"total": {number}')
    headers = {**client_headers, "Content-Type": "application/json"}
    response = await http.post(PATH, content=text, headers=headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == ("is invalid", 1001, {"key": "total"})


@pytest.mark.parametrize("body", [[], "a transaction", 42, None])
async def test_a_body_that_is_not_an_object_is_refused(
    http: httpx.AsyncClient, client_headers: Headers, body: Any
) -> None:
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    _, code, meta = connect_error(response.json())
    assert (code, meta) == (1001, {"key": "body"})


async def test_several_problems_come_at_once_in_code_9999(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = _without(body_for(placed, last_four="12", total=-1), "total_tax")
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (9999, "There were issues with your request")
    found = {(e["meta"]["key"], e["error"]["message"], e["error"]["code"]) for e in error["errors"]}
    assert found == {
        ("last_four", "must be 4 digits, as a string", 1001),
        ("total", "must be greater than or equal to 0", 1001),
        ("total_tax", "can't be blank", 1001),
    }
    assert response.json()["meta"] == {}


# --- Checks against what is stored ----------------------------------------------------------------


async def test_an_unknown_order_is_refused(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed, order_id="no-such-order")
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == ("Order not found", 1001, {"key": "order_id"})
    assert await stored(sessions) == []


async def test_an_unknown_store_is_refused(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    response = await http.post(PATH, json=body_for(None, "no-such-store"), headers=client_headers)
    assert response.status_code == 400, response.text
    assert connect_error(response.json()) == ("Store not found", 1001, {"key": "store_id"})


async def test_another_store_than_the_orders_is_refused(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed, elsewhere = await place_order(sessions), await place_order(sessions)
    body = body_for(placed, store_id=elsewhere.location_code)
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    expected = ("is not the store of the order", 1001, {"key": "store_id"})
    assert connect_error(response.json()) == expected


async def test_a_sale_in_the_future_is_refused(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """A local time labelled as UTC, west of Greenwich, lands hours in the future."""
    placed = await place_order(sessions)
    body = body_for(placed, transaction_timestamp=sold_at(-60))
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    expected = ("can't be in the future", 1001, {"key": "transaction_timestamp"})
    assert connect_error(response.json()) == expected
    # A few minutes ahead is a clock's drift: accepted.
    drifted = body_for(placed, transaction_timestamp=sold_at(-5))
    assert (await http.post(PATH, json=drifted, headers=client_headers)).status_code == 200


async def test_an_unknown_order_and_store_and_a_future_sale_come_together(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    body = body_for(
        None, "no-such-store", order_id="no-such-order", transaction_timestamp=sold_at(-60)
    )
    response = await http.post(PATH, json=body, headers=client_headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 9999
    assert [(e["meta"]["key"], e["error"]["message"]) for e in error["errors"]] == [
        ("transaction_timestamp", "can't be in the future"),
        ("order_id", "Order not found"),
        ("store_id", "Store not found"),
    ]


async def test_an_order_in_any_state_takes_a_transaction(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """The order's state is not checked (a shopper pays before the order is delivered, and a
    canceled order may have been paid for)."""
    for state in ("brand_new", "picking", "completed", "canceled"):
        placed = await place_order(sessions, workflow_state=state)
        response = await http.post(PATH, json=body_for(placed), headers=client_headers)
        assert response.status_code == 200, (state, response.text)


# --- Resends --------------------------------------------------------------------------------------


async def test_a_resend_answers_the_same_and_stores_nothing_new(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed)
    first = await http.post(PATH, json=body, headers=client_headers)
    [before] = await stored(sessions)
    again = await http.post(PATH, json=body, headers=client_headers)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    [after] = await stored(sessions)
    assert (after.received_at, after.body) == (before.received_at, before.body)


async def test_the_same_transaction_written_differently_is_a_resend(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """Same validated body: the same instant at another offset, "100.20" for 100.2, the default
    currency left out, an unknown field, the keys in another order."""
    placed = await place_order(sessions)
    body = body_for(placed, total=100.2)
    assert (await http.post(PATH, json=body, headers=client_headers)).status_code == 200
    sold = parse(body["transaction_timestamp"]).astimezone(timezone(timedelta(hours=2)))
    rewritten = {
        **_without(body, "currency_code"),
        "total": "100.20",
        "transaction_timestamp": sold.isoformat(),
        "unknown": True,
    }
    rewritten = dict(reversed(rewritten.items()))
    response = await http.post(PATH, json=rewritten, headers=client_headers)
    assert (response.status_code, response.json()) == (200, {"id": body["id"]})
    assert len(await stored(sessions)) == 1


async def test_another_body_under_a_sent_id_is_a_conflict(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed)
    assert (await http.post(PATH, json=body, headers=client_headers)).status_code == 200
    [before] = await stored(sessions)
    changes: list[dict[str, Any]] = [{"total": 100.23}, {"order_id": None}, {"items": []}]
    for change in changes:
        response = await http.post(PATH, json=body | change, headers=client_headers)
        assert response.status_code == 409, (change, response.text)
        expected = ("A different transaction was already sent with this id", 6409, {"key": "id"})
        assert connect_error(response.json()) == expected
    [after] = await stored(sessions)
    assert after.body == before.body


async def test_a_resend_is_answered_before_the_other_checks(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """A retry of a stored transaction succeeds even once its sale is more than 10 minutes old."""
    placed = await place_order(sessions)
    body = body_for(placed, transaction_timestamp=sold_at(30))
    assert (await http.post(PATH, json=body, headers=client_headers)).status_code == 200
    assert (await http.post(PATH, json=body, headers=client_headers)).status_code == 200


async def test_another_client_resending_is_answered_the_same(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    """Every Connect client of one Aftercart acts for the same retailer (README)."""
    placed = await place_order(sessions)
    body = body_for(placed)
    assert (await http.post(PATH, json=body, headers=client_headers)).status_code == 200
    other = await factories.make_api_client(sessions, name="Second retailer app")
    other_headers = factories.bearer(await factories.client_token(http, other))
    response = await http.post(PATH, json=body, headers=other_headers)
    assert (response.status_code, response.json()) == (200, {"id": body["id"]})
    [row] = await stored(sessions)
    assert row.client_id != other.client_id


async def test_simultaneous_sends_of_one_transaction_store_one_row(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed)
    responses = await asyncio.gather(
        *(http.post(PATH, json=body, headers=client_headers) for _ in range(6))
    )
    assert [(r.status_code, r.json()) for r in responses] == [(200, {"id": body["id"]})] * 6
    assert len(await stored(sessions)) == 1


async def test_simultaneous_different_bodies_under_one_id_keep_the_first(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    body = body_for(placed)
    bodies = [body | {"total": 100 + n} for n in range(6)]
    responses = await asyncio.gather(
        *(http.post(PATH, json=b, headers=client_headers) for b in bodies)
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [200] + [409] * 5, [r.text for r in responses]
    [row] = await stored(sessions)
    assert row.body["total"] == bodies[statuses.index(200)]["total"]


# --- Tokens ---------------------------------------------------------------------------------------


async def test_a_client_token_without_the_fulfillment_scope_is_forbidden(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    placed = await place_order(sessions)
    rating_only = await factories.client_token(http, creds, scope="Connect::Orders::RatingService")
    user = await factories.user_token(http, creds, (await _a_user(sessions)))
    for token in (rating_only, user):
        response = await http.post(PATH, json=body_for(placed), headers=factories.bearer(token))
        assert response.status_code == 403, response.text
    response = await http.post(PATH, json=body_for(placed))
    assert response.status_code == 401
    assert await stored(sessions) == []


async def test_a_token_asked_for_without_a_scope_works_as_the_page_says(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    """The Transaction API's token is client_credentials with no scope
    (https://docs.instacart.com/connect/api/permissions_scopes); connect:fulfillment works too."""
    placed = await place_order(sessions)
    for scope in (None, "connect:fulfillment"):
        token = await factories.client_token(http, creds, scope=scope)
        response = await http.post(PATH, json=body_for(placed), headers=factories.bearer(token))
        assert response.status_code == 200, (scope, response.text)


async def _a_user(sessions: Sessions) -> str:
    async with sessions() as session:
        user = await factories.insert_user(session)
        await session.commit()
        return user.user_id
