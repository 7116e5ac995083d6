"""The packaged sample catalog and stores (``aftercart serve --sample-data``).

``scripts/make_sample_data.py`` writes the CSV files; they are loaded with the same importers
as ``aftercart catalog import`` and ``aftercart stores import``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.catalog.csvfile import CsvSource
from aftercart.catalog.importer import Importer, ImportReport, import_products
from aftercart.catalog.rules import PRODUCT_COLUMNS, STORE_COLUMNS
from aftercart.catalog.stores_import import import_stores
from aftercart.models import Product, Store


@dataclass(frozen=True)
class SampleData:
    products: ImportReport
    stores: ImportReport


async def has_catalog(session: AsyncSession) -> bool:
    """Whether any product or store is stored already."""
    found = await session.scalar(select(exists(select(Product.id)) | exists(select(Store.name))))
    return bool(found)


async def _load(
    session: AsyncSession, name: str, columns: Sequence[str], importer: Importer
) -> ImportReport:
    with resources.as_file(resources.files(__package__) / name) as path:
        with CsvSource(path, columns) as source:
            return await importer(session, records=source.records())


async def load_sample_data(session: AsyncSession) -> SampleData | None:
    """Loads the sample products and stores into an empty catalog; ``None`` if it is not empty."""
    if await has_catalog(session):
        return None
    products = await _load(session, "products.csv", PRODUCT_COLUMNS, import_products)
    stores = await _load(session, "stores.csv", STORE_COLUMNS, import_stores)
    return SampleData(products=products, stores=stores)
