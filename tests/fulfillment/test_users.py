import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.errors import InvalidParameter
from aftercart.fulfillment.users import insert_new
from aftercart.models import User
from tests.fulfillment.helpers import arrange_shop, assert_error, create_user

USERS = "/v2/fulfillment/users"


async def test_create_user_echoes_it_with_capitalised_names(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {
        "user_id": "u-1",
        "first_name": "john",
        "last_name": "smith-jones",
        "phone_number": "+14155550100",
        "locale": "en_us",
        "favourite_colour": "ignored",
    }
    response = await http.post(USERS, json=body, headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": "u-1",
        "first_name": "John",
        "last_name": "Smith-Jones",
        "phone_number": "+14155550100",
        "locale": "en-US",
        "active": True,
    }
    fetched = await http.get(f"{USERS}/u-1", headers=client_headers)
    assert fetched.json() == response.json()


async def test_numeric_user_id_is_read_as_text(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    response = await http.post(
        USERS, json={"user_id": 42, "first_name": "a"}, headers=client_headers
    )
    assert response.status_code == 200
    assert response.json()["user_id"] == "42"
    assert (await http.get(f"{USERS}/42", headers=client_headers)).status_code == 200


@pytest.mark.parametrize("field", ["first_name", "last_name"])
async def test_names_refuse_special_characters(
    http: httpx.AsyncClient, client_headers: dict[str, str], field: str
) -> None:
    body = {"user_id": "u-1", "first_name": "Ann", field: "Ann<script>"}
    response = await http.post(USERS, json=body, headers=client_headers)
    assert_error(response, 400, 1001, field)


async def test_missing_first_name_cannot_be_blank(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    response = await http.post(USERS, json={"user_id": "u-1"}, headers=client_headers)
    body = assert_error(response, 400, 1001, "first_name")
    assert body["error"]["message"] == "can't be blank"


async def test_bad_locale_is_refused(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"user_id": "u-1", "first_name": "Ann", "locale": "english please"}
    assert_error(await http.post(USERS, json=body, headers=client_headers), 400, 1001, "locale")


async def test_duplicate_user_id(http: httpx.AsyncClient, client_headers: dict[str, str]) -> None:
    await create_user(http, client_headers, "u-1")
    response = await http.post(
        USERS, json={"user_id": "u-1", "first_name": "B"}, headers=client_headers
    )
    body = assert_error(response, 400, 1001, "user_id")
    assert body["error"]["message"] == "has already been taken"


async def test_insert_new_turns_a_racing_duplicate_into_the_same_error(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The savepoint path: another transaction inserted the id after our check."""
    async with sessions() as session:
        session.add(User(tenant_id=1, user_id="u-1", first_name="A"))
        await session.commit()
    async with sessions() as session:
        with pytest.raises(InvalidParameter) as raised:
            await insert_new(
                session, User(tenant_id=1, user_id="u-1", first_name="B"), key="user_id"
            )
        assert raised.value.key == "user_id"
        session.add(User(tenant_id=1, user_id="u-2", first_name="C"))
        await session.commit()  # the transaction is still usable
    async with sessions() as session:
        assert (await session.get(User, (1, "u-2"))) is not None


async def test_unknown_user_in_path(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    for response in (
        await http.get(f"{USERS}/nobody", headers=client_headers),
        await http.put(f"{USERS}/nobody", json={"first_name": "x"}, headers=client_headers),
    ):
        body = assert_error(response, 400, 1001, "user_id")
        assert body["error"]["message"] == "User Not Found"


async def test_update_user_changes_only_what_is_sent(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    await create_user(http, client_headers, "u-1", last_name="lovelace", locale="en-US")
    response = await http.put(
        f"{USERS}/u-1",
        json={"first_name": "augusta", "last_name": None, "phone_number": "+15550001111"},
        headers=client_headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": "u-1",
        "first_name": "Augusta",
        "last_name": None,
        "phone_number": "+15550001111",
        "locale": "en-US",
        "active": True,
    }


async def test_update_refuses_bad_values(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    await create_user(http, client_headers, "u-1")
    response = await http.put(f"{USERS}/u-1", json={"active": "maybe"}, headers=client_headers)
    assert_error(response, 400, 1001, "active")


async def test_inactive_user_is_refused_everywhere_until_reactivated(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await arrange_shop(sessions)
    await create_user(http, client_headers, "u-1")
    off = await http.put(f"{USERS}/u-1", json={"active": False}, headers=client_headers)
    assert off.json()["active"] is False
    base = f"{USERS}/u-1"
    attempts = [
        await http.get(base, headers=client_headers),
        await http.post(
            f"{base}/service_options/cart/delivery",
            json={"location_code": shop.store.location_code},
            headers=client_headers,
        ),
        await http.post(f"{base}/service_options/1/reserve", headers=client_headers),
        await http.get(f"{base}/orders/o-1", headers=client_headers),
        await http.post(f"{base}/orders/o-1/cancel", headers=client_headers),
    ]
    for response in attempts:
        assert response.status_code == 403, response.text
        assert response.json() == {
            "error": {"message": "User Not Active", "code": None},
            "meta": {},
        }
    on = await http.put(base, json={"active": True}, headers=client_headers)
    assert on.status_code == 200
    assert (await http.get(base, headers=client_headers)).status_code == 200
