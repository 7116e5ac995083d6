import zipcodes
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.catalog.barcodes import is_valid_upc
from aftercart.models import Product, Store
from aftercart.sample_data import load_sample_data
from tests.factories import insert_store

Sessions = async_sessionmaker[AsyncSession]


async def test_sample_data_fills_an_empty_database(sessions: Sessions) -> None:
    async with sessions() as session:
        loaded = await load_sample_data(session)
        await session.commit()
    assert loaded is not None
    assert loaded.products.problems == []
    assert loaded.stores.problems == []

    async with sessions() as session:
        products = list(await session.scalars(select(Product)))
        stores = list(await session.scalars(select(Store)))
    assert len(products) == loaded.products.imported >= 200
    assert all(is_valid_upc(p.upc) for p in products if p.upc is not None)
    assert sum(p.upc is None for p in products) >= 10
    assert sum(p.sold_by_weight for p in products) >= 10
    assert all(p.unit_price is not None and p.size for p in products)
    assert 5 <= len(stores) == loaded.stores.imported <= 8
    assert {s.city for s in stores} >= {"San Francisco", "Oakland", "Brooklyn", "Chicago"}
    for store in stores:
        assert zipcodes.matching(store.postal_code), store.postal_code


async def test_sample_data_leaves_a_non_empty_database_alone(sessions: Sessions) -> None:
    async with sessions() as session:
        await insert_store(session)
        await session.commit()
    async with sessions() as session:
        assert await load_sample_data(session) is None
        assert await session.scalar(select(Product.id)) is None
