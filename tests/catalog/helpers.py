"""Rows for import tests, numbered as a file would number them (the header is line 1)."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.catalog.csvfile import Numbered
from aftercart.catalog.importer import Importer, ImportReport, import_products
from aftercart.catalog.rules import Record
from aftercart.models import Product


def product(
    upc: str = "", rrc: str = "", name: str = "Thing", size: str = "1 ct", price: str = "1.00"
) -> Record:
    return {"upc": upc, "rrc": rrc, "name": name, "size": size, "unit_price": price}


def numbered(*records: Record) -> list[Numbered]:
    return list(enumerate(records, start=2))


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    *records: Record,
    importer: Importer = import_products,
) -> ImportReport:
    async with sessions() as session:
        report = await importer(session, records=numbered(*records))
        await session.commit()
    return report


async def stored_products(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[str | None, str | None, str, Decimal | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(Product.upc, Product.rrc, Product.name, Product.unit_price).order_by(
                Product.name
            )
        )
        return [(row.upc, row.rrc, row.name, row.unit_price) for row in rows]
