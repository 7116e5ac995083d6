"""An integer id in a path or a query string that no row can have (beyond its column's range,
zero, negative) is answered exactly like an unknown id in range: never with a 500.

The routes come from the OpenAPI document, so a new integer parameter fails
:func:`test_every_integer_parameter_is_known` until it is listed here, and is then tested.
"""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.ids import BIGINT_MAX, INTEGER_MAX, NO_ROW, big_row_id, row_id
from aftercart.models import (
    Autopilot,
    Batch,
    Rating,
    SandboxFault,
    ServiceOption,
    Shopper,
    WebhookDelivery,
    WebhookSubscription,
)
from tests import factories
from tests.sandbox.helpers import picking
from tests.webhooks.helpers import RECEIVER

WEBHOOK = "/v2/webhooks/{subscription_id}"
DELIVERY = "/v2/webhooks/deliveries/{delivery_id}"
SHOPPER_ORDER = "/v2/fulfillment_sandbox/shoppers/{shopper_id}/orders/{order_id}"
AUTOPILOT = "/v2/fulfillment_sandbox/autopilot/{autopilot_id}"
RESERVE = "/v2/fulfillment/users/{user_id}/service_options/{service_option_id}/reserve"
SUBSCRIPTION = WebhookSubscription.__table__.c.id
DELIVERY_KEY = WebhookDelivery.__table__.c.id


@dataclass(frozen=True)
class IdParam:
    """An id parameter: the column its value is compared with, and what an unknown id in
    range is answered with (the lookup's own 404, or a filter's or a cursor's empty result)."""

    column: sa.ColumnElement[Any]
    unknown_status: int
    #: A page cursor (``before``): an id below the first one is compared with 1, not the maximum.
    cursor: bool = False


Key = tuple[str, str, str]  # method, path, parameter

ID_PARAMS: dict[Key, IdParam] = {
    ("GET", WEBHOOK, "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("PATCH", WEBHOOK, "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("PUT", WEBHOOK, "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("DELETE", WEBHOOK, "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("POST", WEBHOOK + "/test", "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("GET", WEBHOOK + "/deliveries", "subscription_id"): IdParam(SUBSCRIPTION, 404),
    ("GET", WEBHOOK + "/deliveries", "before"): IdParam(DELIVERY_KEY, 200, cursor=True),
    ("GET", DELIVERY, "delivery_id"): IdParam(DELIVERY_KEY, 404),
    ("POST", DELIVERY + "/redeliver", "delivery_id"): IdParam(DELIVERY_KEY, 404),
    ("GET", "/v2/feedback/ratings", "shopper_id"): IdParam(Rating.__table__.c.shopper_id, 200),
    ("GET", "/v2/feedback/summary", "shopper_id"): IdParam(Rating.__table__.c.shopper_id, 200),
    # Not looked up: compared with the order's shopper (403 when it is not theirs).
    ("POST", SHOPPER_ORDER + "/items", "shopper_id"): IdParam(Shopper.__table__.c.id, 403),
    ("POST", SHOPPER_ORDER + "/items/{line_num}", "shopper_id"): IdParam(
        Shopper.__table__.c.id, 403
    ),
    ("PUT", SHOPPER_ORDER + "/items/{line_num}", "shopper_id"): IdParam(
        Shopper.__table__.c.id, 403
    ),
    ("POST", SHOPPER_ORDER + "/messages", "shopper_id"): IdParam(Shopper.__table__.c.id, 403),
    ("GET", SHOPPER_ORDER + "/messages", "shopper_id"): IdParam(Shopper.__table__.c.id, 403),
    ("GET", "/v2/fulfillment_sandbox/shoppers/{shopper_id}", "shopper_id"): IdParam(
        Shopper.__table__.c.id, 404
    ),
    ("GET", "/v2/fulfillment_sandbox/batches/{batch_id}", "batch_id"): IdParam(
        Batch.__table__.c.id, 404
    ),
    ("DELETE", "/v2/fulfillment_sandbox/faults/{fault_id}", "fault_id"): IdParam(
        SandboxFault.__table__.c.id, 404
    ),
    ("GET", AUTOPILOT, "autopilot_id"): IdParam(Autopilot.__table__.c.id, 404),
    ("DELETE", AUTOPILOT, "autopilot_id"): IdParam(Autopilot.__table__.c.id, 404),
    # A filter: an unknown shopper lists no batch.
    ("GET", "/v2/fulfillment_sandbox/batches", "shopper_id"): IdParam(
        Batch.__table__.c.shopper_id, 200
    ),
}
#: Ids whose route documents another answer out of range: 400, code 1001, the id's key.
DOCUMENTED_400: dict[Key, sa.ColumnElement[Any]] = {
    ("POST", RESERVE, "service_option_id"): ServiceOption.__table__.c.id,
}
NOT_IDS: dict[Key, str] = {
    ("GET", WEBHOOK + "/deliveries", "limit"): "a page size",
    ("GET", "/v2/feedback/ratings", "limit"): "a page size",
    ("GET", "/v2/retailer_transaction/pos_transactions", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/shoppers", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/batches", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/instacart_users", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/users/{user_id}/orders", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/monitor/requests", "limit"): "a page size",
    ("GET", "/v2/fulfillment_sandbox/monitor/webhook_attempts", "limit"): "a page size",
    ("GET", "/v2/feedback/ratings", "min_rating"): "a rating, 1 to 5",
    ("GET", "/v2/feedback/ratings", "max_rating"): "a rating, 1 to 5",
    ("GET", "/v2/feedback/summary", "min_rating"): "a rating, 1 to 5",
    ("GET", "/v2/feedback/summary", "max_rating"): "a rating, 1 to 5",
}

BODIES: dict[str, Any] = {"PATCH": {"active": True}, "PUT": {"url": RECEIVER}, "POST": {}}


def _maximum(column: sa.ColumnElement[Any]) -> int:
    return BIGINT_MAX if isinstance(column.type, sa.BigInteger) else INTEGER_MAX


def _out_of_range(column: sa.ColumnElement[Any]) -> list[int]:
    return sorted({_maximum(column) + 1, 2**63, 2**64, -(2**63) - 1, 0, -1})


def test_a_number_outside_the_key_range_names_no_row() -> None:
    values = [1, INTEGER_MAX, INTEGER_MAX + 1, 0, -1]
    assert [row_id(v) for v in values] == [1, INTEGER_MAX, NO_ROW, NO_ROW, NO_ROW]
    assert [big_row_id(v) for v in (BIGINT_MAX, BIGINT_MAX + 1)] == [BIGINT_MAX, NO_ROW]


def _is_integer(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(_is_integer(s) for s in schema.get("anyOf", []))


def test_every_integer_parameter_is_known(app: FastAPI) -> None:
    found = {
        (method.upper(), path, parameter["name"])
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if _is_integer(parameter["schema"])
    }
    assert found == set(ID_PARAMS) | set(DOCUMENTED_400) | set(NOT_IDS)


@dataclass
class World:
    """Existing rows for the parameters that are not under test, so that the id is what decides."""

    values: dict[str, Any]
    headers: dict[str, str]

    async def ask(self, http: httpx.AsyncClient, key: Key, value: int) -> httpx.Response:
        method, path, name = key
        params = {**self.values, name: value}
        url = path.format(**params)
        query = {name: value} if "{" + name + "}" not in path else {}
        body = BODIES.get(method)
        return await http.request(method, url, params=query, json=body, headers=self.headers)


@pytest.fixture
async def world(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> World:
    created = await http.post("/v2/webhooks", json={"url": RECEIVER}, headers=client_headers)
    subscription = created.json()["id"]
    for _ in range(2):
        sent = await http.post(f"/v2/webhooks/{subscription}/test", headers=client_headers)
        assert sent.status_code == 202, sent.text
    order = await picking(http, client_headers, sessions)
    async with sessions() as session:
        user = await factories.insert_user(session)
        await session.commit()
    values = {
        "subscription_id": subscription,
        "delivery_id": sent.json()["delivery_id"],
        "shopper_id": order.shopper_id,
        "order_id": order.order_id,
        "line_num": "1",
        "user_id": user.user_id,
    }
    return World(values, client_headers)


def _answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


@pytest.mark.parametrize("key", sorted(ID_PARAMS), ids="{0[0]} {0[1]} {0[2]}".format)
async def test_an_id_no_row_can_have_is_answered_like_an_unknown_one(
    http: httpx.AsyncClient, world: World, key: Key
) -> None:
    param = ID_PARAMS[key]
    maximum = _maximum(param.column)
    unknown = _answer(await world.ask(http, key, maximum))
    assert unknown[0] == param.unknown_status, unknown
    first = unknown
    if param.cursor:  # nothing comes before id 1, everything before the largest
        first = _answer(await world.ask(http, key, 1))
        assert first != unknown
    for value in _out_of_range(param.column):
        expected = first if value < 1 else unknown
        assert _answer(await world.ask(http, key, value)) == expected, value


@pytest.mark.parametrize("key", sorted(DOCUMENTED_400), ids="{0[0]} {0[1]} {0[2]}".format)
async def test_routes_that_document_a_range_refuse_ids_outside_it(
    http: httpx.AsyncClient, world: World, key: Key
) -> None:
    column = DOCUMENTED_400[key]
    name = key[2]
    assert (await world.ask(http, key, _maximum(column))).status_code == 404
    for value in _out_of_range(column):
        response = await world.ask(http, key, value)
        assert response.status_code == 400, (value, response.text)
        assert response.json()["error"]["code"] == 1001
        assert response.json()["meta"] == {"key": name}
