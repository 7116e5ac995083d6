"""Every post-checkout answer any test here receives is validated against
the OpenAPI document "Instacart Connect Post-Checkout API" (``contract.py``)."""

import httpx
import pytest

from tests.post_checkout.contract import Contract

_CONTRACT = Contract.load()


@pytest.fixture
def contract() -> Contract:
    return _CONTRACT


@pytest.fixture
async def http(http: httpx.AsyncClient, contract: Contract) -> httpx.AsyncClient:
    """The suite's client, with the post-checkout OpenAPI document checked on each
    /v2/post_checkout response: a mismatch raises :class:`ContractViolation` from the request
    itself, failing the test."""
    http.event_hooks["response"].append(contract.check_response)
    return http
