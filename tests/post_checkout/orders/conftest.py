"""The three operations the post-checkout OpenAPI document lacks (Get an order, Get order
location, Get order messages) are checked here against schemas written from their pages on
docs.instacart.com; every other /v2/post_checkout answer still goes through the document."""

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.post_checkout.contract import Contract, ContractViolation

_COORDINATES = {
    "type": "object",
    "required": ["latitude", "longitude"],
    "additionalProperties": False,
    "properties": {"latitude": {"type": "number"}, "longitude": {"type": "number"}},
}
_TIME = {"type": "string", "format": "date-time"}
#: The "Get an order" page's workflow states, and the ones its cut-off tail implies.
WORKFLOW_STATES = [
    "brand_new",
    "acknowledged",
    "picking",
    "verifying_replacements",
    "checkout",
    "bags_check",
    "staged",
    "staged_for_delivery",
    "waiting_for_delivery",
    "acknowledged_for_delivery",
    "at_store",
    "bags_verified",
    "ready_for_pickup",
    "user_at_store",
    "runner_awaiting",
    "runner_acknowledged",
    "delivering",
    "delivered",
    "canceled",
]
ERROR = {
    "type": "object",
    "required": ["error", "status"],
    "additionalProperties": False,
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "order": {
        "type": "object",
        "required": ["id", "created_at", "fulfillment_type", "workflow_state"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "created_at": _TIME,
            "fulfillment_type": {"enum": ["delivery", "last_mile_delivery", "pickup"]},
            "workflow_state": {"enum": WORKFLOW_STATES},
            "window_starts_at": _TIME,
            "window_ends_at": _TIME,
        },
    },
    "location": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"coordinates": _COORDINATES},
    },
    "order_messages": {
        "type": "object",
        "required": ["chat_messages", "lifecycle_messages", "metadata"],
        "additionalProperties": False,
        "properties": {
            "chat_messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "order_id", "sender_type", "recipient_type", "created_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "order_id": {"type": "integer"},
                        "sender_type": {"enum": ["user", "driver"]},
                        "recipient_type": {"enum": ["user", "driver"]},
                        "body": {"type": "string"},
                        "created_at": _TIME,
                    },
                },
            },
            "lifecycle_messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "type", "body", "created_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "type": {"type": "string"},
                        "body": {"type": "string"},
                        "created_at": _TIME,
                    },
                },
            },
            "metadata": {
                "type": "object",
                "required": ["is_expired"],
                "properties": {"is_expired": {"type": "boolean"}},
            },
        },
    },
}
#: Each operation's statuses: 200, and the errors of the other post-checkout operations.
STATUSES = {"order": {200, 401, 403, 404}, "location": {200, 401, 403, 404}}
STATUSES["order_messages"] = STATUSES["order"]


def operation(path: str) -> str | None:
    parts = path.removeprefix("/v2/post_checkout/").split("/")
    if len(parts) == 2 and parts[0] == "orders":
        return "order"
    if len(parts) == 3 and parts[0] == "orders" and parts[2] in ("location", "order_messages"):
        return parts[2]
    return None


def check(method: str, path: str, status: int, body: Any) -> None:
    name = operation(path)
    assert name is not None
    assert method == "GET"
    if status not in STATUSES[name]:
        raise ContractViolation(f"GET {path} answered {status}")
    schema = SCHEMAS[name] if status == 200 else ERROR
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    if errors:
        raise ContractViolation(f"GET {path} {status}: {errors}")


@pytest.fixture
async def http(http: httpx.AsyncClient, contract: Contract) -> httpx.AsyncClient:
    """The post-checkout client, with these pages' schemas for their three paths."""

    async def check_response(response: httpx.Response) -> None:
        request = response.request
        if operation(request.url.path) is None or request.method != "GET":
            await contract.check_response(response)
            return
        await response.aread()
        check(request.method, request.url.path, response.status_code, response.json())

    hooks = http.event_hooks["response"]
    hooks[hooks.index(contract.check_response)] = check_response
    return http
