"""The post-checkout OpenAPI document as a contract: the validator itself, and every documented
status produced once.

Every answer of every test in this folder is validated by the ``http`` hook of conftest.py; the
tests here prove the validator can fail, and that each ``(path, method, status)`` of the document
is produced (and so validated) by some request.
"""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from tests.post_checkout.contract import Contract, ContractViolation
from tests.post_checkout.helpers import Scenario, arrange, propose

HANDLING = "/v2/post_checkout/orders/o-1/handling"
ITEMS = "/v2/post_checkout/orders/o-1/items"
REPLACEMENT = "/v2/post_checkout/orders/o-1/items/1/replacement"
MESSAGES = "/v2/post_checkout/chat/o-1/messages"
MESSAGE = {"id": "1", "sender": "shopper", "body": "Hi", "created_at": "2026-01-02T03:04:05Z"}


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", HANDLING, 200, {"order_id": "o-1", "status": "picking"}),
        ("GET", HANDLING, 200, {"order_id": "o-1", "status": "picking", "address": {}}),
        ("GET", ITEMS, 200, {"items": []}),
        ("PUT", REPLACEMENT, 200, {"id": "1", "replacement_status": "REJECTED"}),
        ("GET", MESSAGES, 200, {"messages": [MESSAGE]}),
        ("POST", MESSAGES, 200, MESSAGE),
        ("POST", MESSAGES, 400, {"error": "body: can't be blank", "status": 400}),
        ("GET", ITEMS, 404, {"error": "Order not found", "status": 404}),
        (
            "GET",
            ITEMS,
            403,
            {"error": "The access token does not allow this request", "status": 403},
        ),
    ],
)
def test_the_validator_accepts_conforming_bodies(
    contract: Contract, method: str, path: str, status: int, body: Any
) -> None:
    contract.validate(method, path, status, body)


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "reason"),
    [
        ("GET", HANDLING, 200, {"order_id": 1, "status": "picking"}, "not of type 'string'"),
        ("GET", HANDLING, 200, {"order_id": "o-1", "status": "shopping"}, "is not one of"),
        ("GET", HANDLING, 200, {"order_id": "o-1", "coordinates": None}, "not of type 'object'"),
        ("GET", HANDLING, 200, {"order_id": "o-1", "eta": "soon"}, "Additional properties"),
        ("GET", HANDLING, 200, {"shopper": {"name": "Sam", "phone": "1"}}, "Additional"),
        ("GET", ITEMS, 200, {"items": [{"id": "1", "status": "to_refund"}]}, "is not one of"),
        ("GET", ITEMS, 200, {"items": [{"id": "1", "quantity": 1.5}]}, "not of type 'integer'"),
        (
            "GET",
            ITEMS,
            200,
            {"items": [{"id": "1", "replacement_status": "DENIED"}]},
            "is not one of",
        ),
        ("PUT", REPLACEMENT, 200, {"id": "1", "replacement_status": "PENDING"}, "is not one of"),
        ("POST", MESSAGES, 200, MESSAGE | {"created_at": "yesterday"}, "is not a 'date-time'"),
        ("POST", MESSAGES, 200, MESSAGE | {"id": 1}, "not of type 'string'"),
        ("GET", MESSAGES, 200, [MESSAGE], "not of type 'object'"),
        ("GET", ITEMS, 404, {"error": {"message": "x"}, "status": 404}, "not of type 'string'"),
        ("GET", ITEMS, 404, {"error": "x", "status": 404, "code": 4000}, "Additional"),
        ("GET", ITEMS, 400, {"error": "x", "status": 400}, "not in the OpenAPI document"),
        ("GET", ITEMS, 409, {"error": "x", "status": 409}, "not in the OpenAPI document"),
        ("DELETE", ITEMS, 200, {}, "not an operation of the OpenAPI document"),
        ("GET", "/v2/post_checkout/orders", 200, {}, "not a path of the OpenAPI document"),
    ],
)
def test_the_validator_rejects_deviations(
    contract: Contract, method: str, path: str, status: int, body: Any, reason: str
) -> None:
    with pytest.raises(ContractViolation, match=reason):
        contract.validate(method, path, status, body)


async def test_the_client_hook_fails_a_wrong_answer(
    http: httpx.AsyncClient, contract: Contract
) -> None:
    assert contract.check_response in http.event_hooks["response"]
    request = httpx.Request("GET", f"http://testserver{HANDLING}")
    wrong = httpx.Response(200, json={"order_id": "o-1", "status": "lost"}, request=request)
    with pytest.raises(ContractViolation, match="is not one of"):
        await contract.check_response(wrong)


async def test_the_client_hook_checks_real_answers(
    http: httpx.AsyncClient, contract: Contract
) -> None:
    before = len(contract.checked)
    await http.get(ITEMS)
    assert contract.checked[before:] == [("/v2/post_checkout/orders/{order_id}/items", "get", 401)]


async def _produce(
    http: httpx.AsyncClient, order: Scenario, method: str, template: str, status: int
) -> httpx.Response:
    """A request that makes ``method template`` answer ``status``."""
    order_id = "no-such-order" if status == 404 else order.order_id
    url = template.format(order_id=order_id, order_item_id="1")
    headers = {} if status == 401 else order.headers
    body: dict[str, Any] | None = None
    if method == "put":
        body = {"status": "APPROVED" if status != 400 else "LATER"}
    elif method == "post":
        body = {"body": "hello" if status != 400 else "x" * 1001}
    return await http.request(method.upper(), url, json=body, headers=headers)


@pytest.mark.parametrize(("template", "method", "status"), Contract.load().operations())
async def test_every_documented_status_is_produced_and_validated(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    creds: IssuedCredentials,
    contract: Contract,
    template: str,
    method: str,
    status: int,
) -> None:
    order = await arrange(http, sessions, creds, shopper={"phone": "555-0100"})
    await propose(sessions, order, "1")
    before = len(contract.checked)
    response = await _produce(http, order, method, template, status)
    assert response.status_code == status, response.text
    assert contract.checked[before:] == [(template, method, status)]
