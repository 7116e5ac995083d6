"""Create a Connect user and validate an address (``POST .../users/{user_id}/addresses``)."""

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.fulfillment import address_rules
from aftercart.fulfillment.address_rules import NormalAddress, Place, Rejection
from aftercart.models import User, UserAddress
from tests import factories
from tests.fulfillment.helpers import assert_error, create_user

USERS = "/v2/fulfillment/users"
HOWARD = {"address_line_1": "500 Howard St", "postal_code": "94105"}
#: A ZIP in Los Angeles, about 550 km from the San Francisco test store.
LOS_ANGELES = {"address_line_1": "200 N Spring St", "postal_code": "90012"}


# --- Pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "spelled"),
    [
        ("  500  howard st. ", "500 Howard St"),
        ("500 HOWARD ST", "500 Howard St"),
        ("apt 4b", "Apt 4B"),
        ("1234 nw 21ST AVE", "1234 NW 21st Ave"),
        ("p.o. box 12", "PO Box 12"),
        ("99 o'farrell st", "99 O'Farrell St"),
        ("1 macy's way", "1 Macy's Way"),
        ("12 McAllister St", "12 McAllister St"),
        ("7 winston-salem rd", "7 Winston-Salem Rd"),
    ],
)
def test_street_lines_are_spelled_out(given: str, spelled: str) -> None:
    assert address_rules.spell_line(given) == spelled


@pytest.mark.parametrize(
    ("given", "split"),
    [
        ("94105", ("94105", None)),
        ("94105-1804", ("94105", "1804")),
        ("941051804", ("94105", "1804")),
        (" 94105 1804 ", ("94105", "1804")),
        ("9410", None),
        ("94105-18", None),
        ("K1A 0B1", None),
        ("٩٤١٠٥", None),
    ],
)
def test_zip_plus_four_is_split(given: str, split: tuple[str, str | None] | None) -> None:
    assert address_rules.split_us_zip(given) == split


PLACE = Place(
    city="Ketchikan", state="AK", latitude=55.3, longitude=-131.6, other_cities=("Edna Bay",)
)


def _normalise(**fields: Any) -> NormalAddress | Rejection:
    values: dict[str, Any] = {
        "address_line_1": "1 main st",
        "address_line_2": None,
        "address_type": None,
        "city": None,
        "postal_code": "99950",
        "zip_plus_four": None,
        "place": PLACE,
    }
    return address_rules.normalise(**values | fields)


def test_the_state_and_city_come_from_the_postal_code() -> None:
    address = _normalise(address_line_2="  ", address_type=" Residential ")
    assert address == NormalAddress(
        address_line_1="1 Main St",
        address_line_2=None,
        address_type="residential",
        city="Ketchikan",
        state="AK",
        postal_code="99950",
        zip_plus_four=None,
    )


def test_a_city_sent_must_be_one_of_the_postal_codes() -> None:
    accepted = _normalise(city="  edna   bay ")
    assert isinstance(accepted, NormalAddress)
    assert accepted.city == "Edna Bay"
    assert _normalise(city="Juneau") == Rejection("city")


def test_a_first_line_without_a_street_is_not_found() -> None:
    assert _normalise(address_line_1="123 #") == Rejection("address_line_1")


def test_the_same_address_in_other_case_is_the_same_key() -> None:
    one = _normalise(address_line_1="12 McAllister St")
    other = _normalise(address_line_1="12 MCALLISTER ST")
    unit = _normalise(address_line_1="12 McAllister St", address_line_2="Apt 2")
    assert isinstance(one, NormalAddress)
    assert isinstance(other, NormalAddress)
    assert isinstance(unit, NormalAddress)
    assert address_rules.address_key(one) == address_rules.address_key(other)
    assert address_rules.address_key(one) != address_rules.address_key(unit)


@pytest.mark.parametrize(
    ("km", "far"), [(None, True), (0.0, False), (15.0, False), (16.0, False), (16.1, True)]
)
def test_long_distance_is_beyond_a_30_minute_drive(km: float | None, far: bool) -> None:
    assert address_rules.driving_minutes(16.0) == pytest.approx(30.0)
    assert address_rules.long_distance(km) is far


# --- Over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
async def store(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A delivering store in San Francisco (94105)."""
    async with sessions() as session:
        await factories.insert_store(session)
        await session.commit()


@pytest.fixture
async def ada(http: httpx.AsyncClient, client_headers: dict[str, str]) -> None:
    """A user, ``ada-1``, created without an address."""
    await create_user(http, client_headers, "ada-1")


async def _post(
    http: httpx.AsyncClient, headers: dict[str, str], user_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await http.post(f"{USERS}/{user_id}/addresses", json=body, headers=headers)


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> list[UserAddress]:
    async with sessions() as session:
        return list(await session.scalars(select(UserAddress).order_by(UserAddress.created_at)))


async def _users(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_a_new_user_is_created_with_a_normalised_address(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    body = {
        "address_line_1": "  500  howard st. ",
        "address_line_2": "apt 4b",
        "address_type": "Residential",
        "postal_code": "94105-1804",
        "city": "san francisco",
        "first_name": "jane",
        "last_name": "doe",
        "phone_number": "+14155550123",
        "locale": "en-US",
    }
    response = await _post(http, client_headers, "jane-1", body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": "jane-1",
        "address_line_1": "500 Howard St",
        "address_line_2": "Apt 4B",
        "address_type": "residential",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "zip_plus_four": "1804",
        "long_distance_delivery": False,
    }
    user = await http.get(f"{USERS}/jane-1", headers=client_headers)
    assert user.json() == {
        "user_id": "jane-1",
        "first_name": "Jane",
        "last_name": "Doe",
        "phone_number": "+14155550123",
        "locale": "en-US",
        "active": True,
    }
    [row] = await _rows(sessions)
    assert (row.user_id, row.address_line_1, row.postal_code) == (
        "jane-1",
        "500 Howard St",
        "94105",
    )


async def test_an_existing_user_gets_the_address_and_keeps_their_fields(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await create_user(http, client_headers, "ada-1", last_name="byron")
    body = {**HOWARD, "first_name": "Someone", "last_name": "Else"}
    response = await _post(http, client_headers, "ada-1", body)
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == "ada-1"
    assert response.json()["zip_plus_four"] is None
    user = (await http.get(f"{USERS}/ada-1", headers=client_headers)).json()
    assert (user["first_name"], user["last_name"]) == ("Ada", "Byron")
    assert len(await _rows(sessions)) == 1


@pytest.mark.usefixtures("ada")
async def test_the_same_address_twice_is_one_row_and_another_is_a_second(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await _post(http, client_headers, "ada-1", HOWARD)
    again = {"address_line_1": "500 HOWARD ST.", "postal_code": "94105", "address_type": "work"}
    second = await _post(http, client_headers, "ada-1", again)
    assert second.status_code == 200, second.text
    assert second.json() == {**first.json(), "address_type": "work"}
    assert [row.address_type for row in await _rows(sessions)] == ["work"]

    other = await _post(http, client_headers, "ada-1", {**HOWARD, "address_line_2": "Apt 2"})
    assert other.status_code == 200, other.text
    assert len(await _rows(sessions)) == 2


@pytest.mark.usefixtures("ada")
async def test_long_distance_when_no_delivery_store_is_within_30_minutes(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    far = await _post(http, client_headers, "ada-1", HOWARD)
    assert far.json()["long_distance_delivery"] is True  # no store at all

    async with sessions() as session:
        # Pickup only, next door: it does not deliver, so the address is still far.
        await factories.insert_store(session, delivery=False)
        # About 20 km south of 94105's centroid (37.7864, -122.3892): a 38-minute drive.
        await factories.insert_store(session, latitude=37.6064, longitude=-122.3892)
        await session.commit()
    still = await _post(http, client_headers, "ada-1", HOWARD)
    assert still.json()["long_distance_delivery"] is True

    async with sessions() as session:
        # About 10 km south: a 19-minute drive.
        await factories.insert_store(session, latitude=37.6964, longitude=-122.3892)
        await session.commit()
    near = await _post(http, client_headers, "ada-1", HOWARD)
    assert near.json()["long_distance_delivery"] is False
    [row] = await _rows(sessions)
    assert row.long_distance_delivery is False


async def test_a_store_postal_code_outside_the_us_places_the_address(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await factories.insert_store(
            session,
            city="Ottawa",
            state="ON",
            postal_code="K1A0B1",
            latitude=45.4236,
            longitude=-75.7009,
        )
        await session.commit()
    await create_user(http, client_headers, "ada-1")
    body = {"address_line_1": "111 wellington st", "postal_code": "k1a 0b1"}
    response = await _post(http, client_headers, "ada-1", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["postal_code"], answer["city"], answer["state"]) == ("K1A0B1", "Ottawa", "ON")
    assert answer["long_distance_delivery"] is False


# --- Errors (nothing is written) -----------------------------------------------------------------


async def test_an_unknown_user_without_a_first_name_is_not_found(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    response = await _post(http, client_headers, "nobody", HOWARD)
    body = assert_error(response, 400, 1001, "user_id")
    assert body["error"]["message"] == "User Not Found"
    assert await _users(sessions) == 0
    assert await _rows(sessions) == []


@pytest.mark.usefixtures("ada")
async def test_an_inactive_user_is_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await session.execute(update(User).values(active=False))
        await session.commit()
    response = await _post(http, client_headers, "ada-1", {**HOWARD, "first_name": "Ada"})
    assert response.status_code == 403, response.text
    assert response.json() == {"error": {"message": "User Not Active", "code": None}, "meta": {}}
    assert await _rows(sessions) == []


@pytest.mark.parametrize("missing", ["address_line_1", "postal_code"])
@pytest.mark.parametrize("absent", ["left out", "blank"])
async def test_a_missing_required_field_cannot_be_blank(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
    missing: str,
    absent: str,
) -> None:
    body: dict[str, Any] = {**HOWARD, "first_name": "Jane"}
    if absent == "blank":
        body[missing] = "   "
    else:
        del body[missing]
    response = await _post(http, client_headers, "jane-1", body)
    answer = assert_error(response, 400, 1001, missing)
    assert answer["error"]["message"] == "can't be blank"
    assert await _users(sessions) == 0


async def test_both_missing_are_two_errors(
    http: httpx.AsyncClient, client_headers: dict[str, str], store: None
) -> None:
    response = await _post(http, client_headers, "jane-1", {"first_name": "Jane"})
    assert response.status_code == 400, response.text
    errors = response.json()["error"]["errors"]
    assert response.json()["error"]["code"] == 9999
    assert {error["meta"]["key"] for error in errors} == {"address_line_1", "postal_code"}


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"postal_code": "00000"}, "postal_code"),
        ({"postal_code": "ZZZ 999"}, "postal_code"),
        ({"postal_code": "٩٤١٠٥"}, "postal_code"),
        ({"city": "Oakland"}, "city"),
        ({"address_line_1": "500 #"}, "address_line_1"),
    ],
)
async def test_an_address_that_cannot_be_found(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    store: None,
    sessions: async_sessionmaker[AsyncSession],
    fields: dict[str, str],
    key: str,
) -> None:
    body = {**HOWARD, "first_name": "Jane", **fields}
    response = await _post(http, client_headers, "jane-1", body)
    answer = assert_error(response, 400, 1001, key)
    assert answer["error"]["message"] == "Address not found"
    assert await _users(sessions) == 0
    assert await _rows(sessions) == []


async def test_a_new_users_fields_are_checked_as_create_user_checks_them(
    http: httpx.AsyncClient, client_headers: dict[str, str], store: None
) -> None:
    response = await _post(http, client_headers, "jane-1", {**HOWARD, "first_name": "J<ne"})
    assert_error(response, 400, 1001, "first_name")
    long_id = "u" * 256
    response = await _post(http, client_headers, long_id, {**HOWARD, "first_name": "Jane"})
    assert_error(response, 400, 1001, "user_id")
