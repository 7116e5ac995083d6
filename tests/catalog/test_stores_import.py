from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.catalog.importer import RowProblem
from aftercart.catalog.rules import Record
from aftercart.catalog.stores_import import import_stores
from aftercart.models import Store
from tests.catalog.helpers import run_import

Sessions = async_sessionmaker[AsyncSession]


def store(code: str, name: str = "Corner Grocer", **overrides: str) -> Record:
    values = {
        "location_code": code,
        "name": name,
        "address_line_1": "2300 16th St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94103",
        "latitude": "37.7655",
        "longitude": "-122.4117",
        "pickup": "yes",
        "delivery": "1",
    }
    return {**values, **overrides}


async def stores(sessions: Sessions) -> list[Store]:
    async with sessions() as session:
        return list(await session.scalars(select(Store).order_by(Store.location_code)))


async def test_stores_are_upserted_by_location_code(sessions: Sessions) -> None:
    first = await run_import(
        sessions, store("sf-1"), store("sf-2", delivery="false"), importer=import_stores
    )
    assert (first.created, first.updated, first.problems) == (2, 0, [])

    again = await run_import(
        sessions,
        store("sf-1", name="Corner Grocer Mission", pickup="NO"),
        store("oak-1", city="Oakland", postal_code="94612"),
        importer=import_stores,
    )
    assert (again.created, again.updated) == (1, 1)
    rows = [(s.location_code, s.name, s.city, s.pickup, s.delivery) for s in await stores(sessions)]
    assert rows == [
        ("oak-1", "Corner Grocer", "Oakland", True, True),
        ("sf-1", "Corner Grocer Mission", "San Francisco", False, True),
        ("sf-2", "Corner Grocer", "San Francisco", True, False),
    ]


async def test_bad_store_rows_are_skipped_with_their_lines(sessions: Sessions) -> None:
    report = await run_import(
        sessions,
        store("sf-1"),
        store("sf-2", latitude="north"),
        store("sf-1", name="Again"),
        store("", pickup="sometimes"),
        importer=import_stores,
    )
    assert report.problems == [
        RowProblem(3, "latitude 'north' is not a number"),
        RowProblem(4, "location_code sf-1 already appears on line 2"),
        RowProblem(
            5,
            "location_code is empty; pickup 'sometimes' is not a boolean (true/false, 1/0, yes/no)",
        ),
    ]
    assert [s.name for s in await stores(sessions)] == ["Corner Grocer"]
