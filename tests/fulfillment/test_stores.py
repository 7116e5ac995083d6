import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.fulfillment.helpers import assert_error

STORES = "/v2/fulfillment/stores"


@pytest.fixture
async def stores(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Around downtown San Francisco, plus one in Los Angeles and one in Ottawa."""
    rows = [
        ("sf-soma", 37.7786, -122.3893, True, True),  # next to ZIP 94105/94107
        ("sf-mission", 37.7599, -122.4148, True, True),
        ("sf-pickup-only", 37.7840, -122.4075, True, False),
        ("sf-delivery-only", 37.7910, -122.4000, False, True),
        ("oakland", 37.8044, -122.2712, True, True),  # about 11 km away
        ("la", 34.0522, -118.2437, True, True),
    ]
    async with sessions() as session:
        for code, latitude, longitude, pickup, delivery in rows:
            await factories.insert_store(
                session,
                location_code=code,
                latitude=latitude,
                longitude=longitude,
                pickup=pickup,
                delivery=delivery,
            )
        await factories.insert_store(
            session,
            location_code="ottawa",
            postal_code="K1A0B1",
            latitude=45.4236,
            longitude=-75.7009,
            city="Ottawa",
            state="ON",
        )
        await session.commit()


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [store["location_code"] for store in response.json()["stores"]]


@pytest.mark.usefixtures("stores")
async def test_delivery_stores_by_postal_code_nearest_first(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"find_by": {"address_line_1": "500 Howard St", "postal_code": "94105"}}
    response = await http.post(f"{STORES}/delivery", json=body, headers=client_headers)
    assert codes(response) == ["sf-soma", "sf-delivery-only", "sf-mission", "oakland"]
    first = response.json()["stores"][0]
    assert first["address"] == {
        "address_line_1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
    }
    assert first["pickup"] is True
    assert first["pickup_only"] is False
    distances = [store["distance_km"] for store in response.json()["stores"]]
    assert distances == sorted(distances)
    assert distances[-1] <= 16


@pytest.mark.usefixtures("stores")
async def test_pickup_stores_include_pickup_only_ones(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"find_by": {"latitude": 37.7840, "longitude": -122.4075}}
    response = await http.post(f"{STORES}/pickup", json=body, headers=client_headers)
    assert codes(response) == ["sf-pickup-only", "sf-soma", "sf-mission", "oakland"]
    assert response.json()["stores"][0]["pickup_only"] is True


@pytest.mark.usefixtures("stores")
async def test_pickup_by_postal_code_needs_no_address(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"find_by": {"postal_code": 90012}}  # a number is read as text
    response = await http.post(f"{STORES}/pickup", json=body, headers=client_headers)
    assert codes(response) == ["la"]


@pytest.mark.usefixtures("stores")
async def test_a_non_us_postal_code_finds_the_store_that_has_it(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"find_by": {"postal_code": "k1a 0b1"}}
    assert codes(await http.post(f"{STORES}/pickup", json=body, headers=client_headers)) == [
        "ottawa"
    ]


@pytest.mark.usefixtures("stores")
async def test_nowhere_near_a_store(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"find_by": {"latitude": 0, "longitude": 0}}
    assert codes(await http.post(f"{STORES}/delivery", json=body, headers=client_headers)) == []


@pytest.mark.parametrize(
    ("service_type", "find_by", "key"),
    [
        ("delivery", {"postal_code": "94105"}, "find_by.address_line_1"),
        ("pickup", {}, "find_by.postal_code"),
        ("delivery", {"address_line_1": "1 Main St"}, "find_by.postal_code"),
        ("pickup", {"latitude": 37.7}, "find_by.longitude"),
        ("pickup", {"longitude": -122.4}, "find_by.latitude"),
        ("pickup", {"latitude": 91, "longitude": 0}, "find_by.latitude"),
        ("pickup", {"postal_code": "00000"}, "find_by.postal_code"),
        ("pickup", {"postal_code": "ZZ9"}, "find_by.postal_code"),
        ("pickup", {"postal_code": '\u00dc!"\u00a8|'}, "find_by.postal_code"),
        (
            "delivery",
            {"address_line_1": "1 Main St", "postal_code": "9410\u00e9"},
            "find_by.postal_code",
        ),
    ],
)
async def test_bad_find_by(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    service_type: str,
    find_by: dict[str, object],
    key: str,
) -> None:
    response = await http.post(
        f"{STORES}/{service_type}", json={"find_by": find_by}, headers=client_headers
    )
    assert_error(response, 400, 1001, key)


async def test_find_by_is_required(http: httpx.AsyncClient, client_headers: dict[str, str]) -> None:
    response = await http.post(f"{STORES}/delivery", json={}, headers=client_headers)
    assert_error(response, 400, 1001, "find_by")
