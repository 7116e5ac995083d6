"""Sandbox shoppers (Connect's Sandbox API, https://docs.instacart.com/connect/api/sandbox/overview)
and the sandbox's mounting."""

import httpx
import pytest

from aftercart.models import Shopper
from aftercart.sandbox.shoppers import FIRST_NAMES
from tests.sandbox.helpers import SANDBOX, Sessions, assert_error, without_sandbox

Headers = dict[str, str]


async def _shopper(sessions: Sessions, shopper_id: int) -> Shopper:
    async with sessions() as session:
        shopper = await session.get(Shopper, shopper_id)
        assert shopper is not None
        return shopper


async def test_create_a_shopper_with_a_normalised_phone(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    body = {"email": "Pat@Example.com", "phone": "(415) 555-0132", "first_name": " Pat "}
    response = await http.post(f"{SANDBOX}/shoppers", json=body, headers=client_headers)
    assert response.status_code == 200
    (shopper_id,) = response.json().values()
    assert isinstance(shopper_id, int)
    shopper = await _shopper(sessions, shopper_id)
    assert (shopper.phone, shopper.email, shopper.first_name) == (
        "+14155550132",
        "pat@example.com",
        "Pat",
    )


@pytest.mark.parametrize(
    "email",
    [
        "shop@acc.test",
        "Shop@Acc.TEST",
        "shop@test",
        "shop@acc.example",
        "shop@acc.invalid",
        "shop@acc.localhost",
        "shop@localhost",
        "shop@example.com",
        "shop@mail.example.org",
        "shop@example.net",
    ],
)
async def test_addresses_reserved_for_tests_are_accepted(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, email: str
) -> None:
    """RFC 2606 and RFC 6761 keep these names for tests and examples: what a sandbox uses."""
    response = await http.post(f"{SANDBOX}/shoppers", json={"email": email}, headers=client_headers)
    assert response.status_code == 200, response.text
    assert (await _shopper(sessions, response.json()["id"])).email == email.lower()


@pytest.mark.parametrize(
    "email", ["shop@acc.local", "shop@acc.onion", "shop@", "shop@acc..test", "shop@-acc.invalid"]
)
async def test_other_special_names_and_bad_addresses_are_refused(
    http: httpx.AsyncClient, client_headers: Headers, email: str
) -> None:
    response = await http.post(f"{SANDBOX}/shoppers", json={"email": email}, headers=client_headers)
    assert_error(response, 400, "Invalid email", 1001, "email")


async def test_a_shopper_without_a_name_gets_one(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    response = await http.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)
    assert response.status_code == 200
    shopper = await _shopper(sessions, response.json()["id"])
    assert shopper.first_name in FIRST_NAMES
    assert (shopper.phone, shopper.email) == (None, None)


async def test_the_same_number_written_differently_is_a_duplicate(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    first = await http.post(
        f"{SANDBOX}/shoppers", json={"phone": "415-555-0132"}, headers=client_headers
    )
    assert first.status_code == 200
    again = await http.post(
        f"{SANDBOX}/shoppers", json={"phone": "+1 (415) 555 0132"}, headers=client_headers
    )
    assert_error(again, 400, "An account already exists with this number", 1001, "phone")


async def test_a_duplicate_email_is_refused(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    body = {"email": "sam@example.com"}
    assert (await http.post(f"{SANDBOX}/shoppers", json=body, headers=client_headers)).is_success
    again = await http.post(
        f"{SANDBOX}/shoppers", json={"email": "SAM@example.com"}, headers=client_headers
    )
    assert_error(again, 400, "An account already exists with this email", 1001, "email")


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.com"])
async def test_invalid_email(http: httpx.AsyncClient, client_headers: Headers, email: str) -> None:
    response = await http.post(f"{SANDBOX}/shoppers", json={"email": email}, headers=client_headers)
    assert_error(response, 400, "Invalid email", 1001, "email")


@pytest.mark.parametrize("phone", ["12", "not a phone", "+1 415 555 0132 0000 99"])
async def test_invalid_phone(http: httpx.AsyncClient, client_headers: Headers, phone: str) -> None:
    response = await http.post(f"{SANDBOX}/shoppers", json={"phone": phone}, headers=client_headers)
    assert_error(response, 400, "Invalid phone number", 1001, "phone")


async def test_sandbox_needs_a_client_credentials_token(http: httpx.AsyncClient) -> None:
    response = await http.post(f"{SANDBOX}/shoppers", json={})
    assert response.status_code == 401


async def test_without_the_sandbox_setting_the_paths_do_not_exist(
    database_url: str, client_headers: Headers
) -> None:
    async with without_sandbox(database_url) as http:
        for path in (
            "/shoppers",
            "/batches",
            "/batches/1/advance",
            "/orders/o-1/callbacks",
            "/shoppers/1/orders/o-1/items",
            "/shoppers/1/orders/o-1/items/1",
            "/shoppers/1/orders/o-1/messages",
        ):
            response = await http.post(SANDBOX + path, json={}, headers=client_headers)
            assert_error(response, 404, "Resource not found", 4000)
