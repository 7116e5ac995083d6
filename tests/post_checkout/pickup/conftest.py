"""The four pickup operations are missing from the post-checkout OpenAPI document: their answers
are checked here against schemas written from their pages on docs.instacart.com (Record customer
arrival, Schedule pickup, Get pickup instructions, Create or update a pickup delegate), errors in
Connect's envelope as those pages' error tables give them."""

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.post_checkout.contract import Contract, ContractViolation
from tests.post_checkout.orders import conftest as orders

SUCCESS = {
    "type": "object",
    "required": ["success"],
    "additionalProperties": False,
    "properties": {"success": {"const": True}},
}
SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "user_arrived"): SUCCESS,
    ("POST", "schedule_pickup"): SUCCESS,
    ("GET", "details"): {
        "type": "object",
        "required": ["pickup_instructions"],
        "additionalProperties": False,
        "properties": {
            "pickup_instructions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["category", "instruction"],
                    "additionalProperties": False,
                    "properties": {
                        "category": {"enum": ["curbside", "locker", "in_store"]},
                        "instruction": {"type": "string"},
                        "instruction_images": {"type": "array"},
                    },
                },
            }
        },
    },
    ("PUT", "pickup_delegate"): {"type": "object", "maxProperties": 0},
}
CONNECT_ERROR = {
    "type": "object",
    "required": ["error", "meta"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "code"],
            "properties": {"message": {"type": "string"}, "code": {"type": ["integer", "null"]}},
        },
        "meta": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
STATUSES = {200, 400, 401, 403, 404}


def operation(method: str, path: str) -> tuple[str, str] | None:
    parts = path.removeprefix("/v2/post_checkout/").split("/")
    if len(parts) == 4 and parts[0] == "orders" and parts[2] == "pickup":
        return (method, parts[3])
    if len(parts) == 3 and parts[0] == "orders" and parts[2] == "pickup_delegate":
        return (method, parts[2])
    return None


@pytest.fixture
async def http(http: httpx.AsyncClient, contract: Contract) -> httpx.AsyncClient:
    """The post-checkout client, with the pickup pages' schemas for their four paths."""

    async def check_response(response: httpx.Response) -> None:
        request = response.request
        name = operation(request.method, request.url.path)
        if name is None:
            if orders.operation(request.url.path) is None or request.method != "GET":
                await contract.check_response(response)
                return
            await response.aread()
            orders.check(request.method, request.url.path, response.status_code, response.json())
            return
        await response.aread()
        if name not in SCHEMAS or response.status_code not in STATUSES:
            raise ContractViolation(f"{name} answered {response.status_code}")
        schema = SCHEMAS[name] if response.status_code == 200 else CONNECT_ERROR
        validator = Draft202012Validator(schema)
        errors = [e.message for e in validator.iter_errors(response.json())]
        if errors:
            raise ContractViolation(f"{name} {response.status_code}: {errors}")

    hooks = http.event_hooks["response"]
    hooks[hooks.index(contract.check_response)] = check_response
    return http
